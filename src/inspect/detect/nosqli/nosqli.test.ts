import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { nosqliDetector as detector } from './nosqli.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);
const NAME = { isName: true } as const;
const KEY = { isName: true, source: 'body' } as const;

const attacks: [string, Partial<DetectorContext>][] = [
  ['user[$ne]', NAME],
  ['password[$gt]', NAME],
  ['login[$regex]', NAME],
  ['q[$where]', NAME],
  ['email[$exists]', NAME],
  ['$or[0][user]', NAME],
  ['role[$nin][]', NAME],
  // aggregation stages that read or write other collections, wherever they are
  ['pipeline[$lookup]', NAME],
  ['stages[$unionWith]', NAME],
  ['pipeline[$out]', NAME],
  ['pipeline[$graphLookup]', NAME],
  // Hasura's GraphQL filters on a secret
  ['query { users(where: {password: {_regex: "^a"}}) { email } }', { source: 'body', name: 'query' }],
  ['user.$ne', NAME],
  ['userId[$NE]', NAME],
  ['filters[$or][0][password][$gt]', NAME],
  ['items[$where]', NAME],
  ['name[$regex]', NAME],
  ['$gt', KEY],
  ['$where', KEY],
  ['$function', KEY],
  ['{"username": {"$ne": null}, "password": {"$ne": null}}', { source: 'body', name: '' }],
  ['{"$gt": ""}', {}],
  ['{"username": {"$in": ["admin", "root"]}, "password": {"$ne": 1}}', {}], // a weak operator first, a strong one after
  ["{'$regex': '^adm'}", {}],
  ["true, $where: '99 == 88'", {}],
  ["', $or: [ {}, { 'a':'a", {}],
  ['{$where: "sleep(5000)"}', {}],
  ['[{"$match": {}}, {"$lookup": {"from": "users"}}]', {}],
  ['db.injection.insert({success:1});', {}],
  ['x; db.users.find({})', {}],
  ['db.getCollection("users").drop()', {}],
  ['db.dropDatabase()', {}],
  [";var date = new Date(); do{curDate = new Date();}while(curDate-date<5000)", {}],
  ['0;var d=new Date(); do{c = new Date();}while(c-d<10000)', {}],
  ["'; return true; var x='", {}],
  ["a'; return this.password.length > 0; var b='", {}],
  ["' || 'a'=='a", {}],
  ["x' || 1==1//", {}],
  ["1; while(true){}", {}],
  ["'; sleep(5000); '", {}],
  ["' && this.isAdmin == true && '", {}],
  // a weak operator on a secret: every password matches `$type: 2`, `$in` sprays a list
  ['password[$type]', NAME],
  ['password[$in][]', NAME],
  ['{"username":"admin","password":{"$type":2}}', {}],
  ['{"username":"admin","password":{"$in":["123456","password","qwerty"]}}', {}],
  // Strapi's operators on a secret or token (CVE-2023-22894's reset-token filter)
  ['filters[password][$startsWith]', NAME],
  ['filters[resetPasswordToken][$notNull]', NAME],
  // other ORMs' filters on a secret: LoopBack, Prisma-style, Django lookups, Ransack predicates
  ['filter[where][password][regexp]', NAME],
  ['where[password][startsWith]', NAME],
  ['created_by__password__startswith', NAME],
  ['password__regex', NAME],
  ['q[reset_password_token_cont]', NAME],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['query { users(where: {name: {_ilike: "%kim%"}}) { email } }', { source: 'body', name: 'query' }],
  ['The $where operator is slow, and $ne is not indexed.', {}],
  ['It costs $5, or $10 with shipping', {}],
  ['{"name": "Anna", "price": "$5"}', { source: 'body' }],
  ['user[name]', NAME],
  ['filter[status]', NAME],
  // comparison and logical operators on ordinary fields, as Strapi and Feathers query strings carry them by design
  ['filters[$or][0][views][$gt]', NAME],
  ['filters[title][$containsi]', NAME],
  ['price[$gte]', NAME],
  ['createdAt[$lt]', NAME],
  ['filter[$nin][]', NAME],
  ['$schema', KEY],
  ['$ref', KEY],
  ['$id', KEY],
  ['$filter', NAME],
  ['$top', NAME],
  ['$oid', KEY],
  ['$comment', KEY], // a JSON Schema keyword (MongoDB's \$comment only annotates a query)
  ['$type', KEY], // Json.NET's type metadata, beside $id and $values
  ['{"$schema": "http://json-schema.org/draft-07/schema#", "$id": "x"}', {}],
  ['Call me; return to sender if absent', {}],
  ['Prices are high; if (you) want a deal call us', {}],
  ['I live here; let me know', {}],
  ['rock && roll; this is it', {}],
  ['Our db.example.com server is down', {}],
  ['The mongo db. Is it good?', {}],
  ['while (you wait) enjoy a new date idea', {}],
  ['Hello {{name}}', {}],
  ['a || b', {}],
  ['first_name', NAME],
  ['created__gte', NAME],
  ['1 == 1 is true', {}],
  ['const error = chalk.bold.red;\nconst warning = chalk.keyword("orange");', { source: 'body', name: 'snippet' }],
  ['let buffer: string;\nconst writer = new Writer();\nwhile (Date.now() < end) {}\nconst d = new Date();', { source: 'body', name: 'snippet' }],
  // Strapi filters on ordinary fields, a list of ids, Json.NET's $type metadata
  ['filters[title][$contains]', NAME],
  ['filters[id][$in][0]', NAME],
  ['filter[where][price][gt]', NAME],
  ['q[name_cont]', NAME],
  ['user[password]', NAME],
  ['password_confirmation', NAME],
  ['{"order":{"$type":"Shop.Order, Shop","id":1}}', {}],
];

test('NoSQL injections are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${value}`);
    for (const f of fs) {
      assert.equal(f.category, 'nosqli');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('prose, prices and ordinary keys give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${value}`);
});

test('ORM lookups in names are paranoia 2 (traversal) or 3, and 1 on a secret', () => {
  assert.equal(run('title__startswith', NAME)[0]?.paranoia, 3);
  assert.equal(run('password__startswith', NAME)[0]?.paranoia, 1);
  assert.equal(run('user__profile__icontains', NAME)[0]?.paranoia, 2);
  assert.deepEqual(run('__proto__', NAME), []);
  assert.equal(run('$eq', KEY)[0]?.paranoia, 2);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += "$ne[]{}:'\";|&=returnwhiledb.(1)"[Math.floor(Math.random() * 33)] ?? '';
    run(s);
    run(s, NAME);
  }
  const inputs = [
    'An ordinary sentence; with semicolons || and && operators and $5 prices. '.repeat(2800),
    ';'.repeat(200000),
    '; return'.repeat(25000),
    "|| '".repeat(50000),
    '$ne:'.repeat(50000),
    'db.a.'.repeat(40000),
    '; if ('.repeat(30000),
    '; while('.repeat(25000) + 'new date',
  ];
  for (const v of inputs) {
    const ms = Math.max(bestOf(() => { run(v); }), bestOf(() => { run(v, NAME); }));
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 12)}`);
  }
});

test('operators on ordinary fields of a structured name count from paranoia 2; on guarded fields, or as code, from 1', () => {
  for (const name of ['price[$gte]', 'filters[$or][0][views][$gt]', 'filter[$nin][]']) {
    const fs = run(name, NAME);
    assert.ok(fs.length > 0 && fs.every((f) => f.paranoia === 2), `${name}: ${JSON.stringify(fs.map((f) => f.paranoia))}`);
  }
  for (const name of ['pass[$ne]', 'customer_id[$gt]', 'q[$where]', 'title[$regex]', 'filters[$or][0][email][$ne]']) {
    assert.equal(pl1(run(name, NAME)).length, 1, name);
  }
});

test('a filter document on ordinary fields counts from paranoia 2; on guarded fields, at its top or broken into, from 1', () => {
  for (const value of ['{"score":{"$gte":1000}}', '{"price": {"$gte": 10, "$lte": 50}, "tags": {"$in": ["a"]}}', '[{"createdAt":{"$lt":"2026-01-01"}}]']) {
    const fs = run(value, { source: 'query', name: 'where' });
    assert.ok(fs.length > 0 && fs.every((f) => f.paranoia === 2), `${value}: ${JSON.stringify(fs.map((f) => f.paranoia))}`);
  }
  for (const value of ['{"password":{"$ne":1}}', '{"score":{"$gte":1},"userId":{"$ne":"me"}}', '{"$or":[{"a":1}]}', '{"a":{"$where":"1"}}',
    '{"name":{"$regex":"^a"}}', 'x"}, "score": {"$gt": ""', "{'price': {'$gt': 0}"]) {
    assert.equal(pl1(run(value, { source: 'query', name: 'where' })).length, 1, value);
  }
});
