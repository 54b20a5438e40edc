import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractGraphql, looksLikeGraphql } from './graphql.ts';
import type { ExtractResult } from './extract-result.ts';

/** Inputs after the whole-document one, as `location(name)=value` (names as `#`), or `!reason`. */
function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.slice(1).map((i) => `${i.location.slice(12)}(${i.name})${i.isName ? '#' : '='}${i.value}`);
}

const ACCEPTED: [string, string, string[]][] = [
  ['anonymous query', '{ user(id: "42") { name email } }', [':string[0](id)=42']],
  ['named query with variables and a default', 'query Find($q: String = "x", $n: Int) { search(query: $q, first: $n) { id } }', [':string[0](q)=x']],
  ['escapes and unicode', '{ a(s: "\\u003cscript\\u003e \\"q\\" \\n \\u{1F600}") }', [':string[0](s)=<script> "q" \n 😀']],
  ['block string', 'mutation { post(body: """\n  multi "line" \\""" text\n""") { id } }', [':string[0](body)=\n  multi "line" """ text\n']],
  ['strings in lists and input objects', '{ f(in: {name: "n", tags: ["a", "b"], nested: {deep: "d"}}) { id } }', [':string[0](name)=n', ':string[1](tags)=a', ':string[2](tags)=b', ':string[3](deep)=d']],
  ['fragments, inline fragments, directives, aliases', `
    query Q($withFriends: Boolean!) {
      me: viewer { ...UserFields friends @include(if: $withFriends) { ... on User { id } } }
    }
    fragment UserFields on User { id name avatar(size: 64) }
  `, []],
  ['comments and commas are ignored', '# comment "not a string"\n{ a, b, c(x: "y") } # trailing', [':string[0](x)=y']],
  ['subscription', 'subscription { messages(room: "general") { text } }', [':string[0](room)=general']],
  ['numbers and enums', '{ list(first: 10, order: DESC, ratio: -1.5e3) { id } }', []],
];

for (const [description, query, expected] of ACCEPTED) {
  test(`GraphQL accepted: ${description}`, () => {
    const result = extractGraphql(query);
    assert.deepEqual(show(result), expected);
    assert.ok('inputs' in result);
    assert.deepEqual(result.inputs[0], { source: 'body', name: '', location: 'body:graphql', value: query });
  });
}

test('arguments at paranoia 2: names and non-string values', () => {
  const result = extractGraphql('{ list(first: 10, order: DESC, where: {id: $id, ok: true}, s: "x") { id } }', { arguments: true });
  assert.deepEqual(show(result), [
    ':arg[0](first)#first', ':arg[1](first)=10', ':arg[2](order)#order', ':arg[3](order)=DESC', ':arg[4](where)#where',
    ':arg[5](id)#id', ':arg[6](ok)#ok', ':arg[7](s)#s', ':string[0](s)=x',
  ]);
});

test('prefix and name for a JSON body\'s query field', () => {
  const result = extractGraphql('{ a(b: "c") }', { prefix: 'body:$.query', name: 'query' });
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs.map((i) => `${i.location} ${i.name}`), ['body:$.query query', 'body:$.query:string[0] b']);
});

const nest = (n: number) => '{ a'.repeat(n) + ' }'.repeat(n);

const REFUSED: [string, string, string][] = [
  ['depth 16', nest(16), 'graphql_too_deep'],
  ['depth through fragments', `{ a { b { c { ...F } } } } fragment F on T { d { e { f { g { h { i { j { k { l { m { n { o { p } } } } } } } } } } } } }`, 'graphql_too_deep'],
  ['depth through chained fragments', `{ a { ...F1 } } fragment F1 on T { b { c { d { e { ...F2 } } } } } fragment F2 on T { f { g { h { i { j { k { l { m { n { o { p } } } } } } } } } } }`, 'graphql_too_deep'],
  ['brackets nested past 256', `{ a(x: ${'['.repeat(300)}${']'.repeat(300)}) }`, 'graphql_too_deep'],
  ['101 aliases', `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: field`).join(' ')} }`, 'graphql_too_many_aliases'],
  ['fragment cycle', '{ ...A } fragment A on T { ...B } fragment B on T { ...A }', 'graphql_invalid'],
  ['fragment defined twice', '{ ...A } fragment A on T { a } fragment A on T { b }', 'graphql_invalid'],
  ['unbalanced braces', '{ a { b }', 'graphql_invalid'],
  ['unbalanced parens', '{ a(x: 1 }', 'graphql_invalid'],
  ['closing bracket mismatch', '{ a(x: [1) }', 'graphql_invalid'],
  ['unterminated string', '{ a(x: "abc) }', 'graphql_invalid'],
  ['newline in a string', '{ a(x: "a\nb") }', 'graphql_invalid'],
  ['bad escape', '{ a(x: "\\q") }', 'graphql_invalid'],
  ['unterminated block string', '{ a(x: """abc) }', 'graphql_invalid'],
  ['bad number', '{ a(x: 01) }', 'graphql_invalid'],
  ['number glued to a name', '{ a(x: 1abc) }', 'graphql_invalid'],
  ['unexpected character', '{ a; b }', 'graphql_invalid'],
  ['single dot', '{ a.b }', 'graphql_invalid'],
  ['":" after a value', '{ a(x: "k": 1) }', 'graphql_invalid'],
];

for (const [description, query, reason] of REFUSED) {
  test(`GraphQL refused: ${description} → ${reason}`, () => {
    assert.equal(show(extractGraphql(query)), '!' + reason);
  });
}

test('limits: depth 15 and 100 aliases pass; inline fragments are not a level', () => {
  assert.ok('inputs' in extractGraphql(nest(15)));
  assert.ok('inputs' in extractGraphql(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: field`).join(' ')} }`));
  const inline = '{ a' + ' { ... on T { b'.repeat(14) + ' }'.repeat(14 * 2) + ' }';
  assert.ok('inputs' in extractGraphql(inline));
  assert.equal(show(extractGraphql(nest(4), { maxDepth: 3 })), '!graphql_too_deep');
  assert.equal(show(extractGraphql('{ a: b c: d }', { maxAliases: 1 })), '!graphql_too_many_aliases');
  assert.equal(show(extractGraphql('{ a(x: "1", y: "2") }', { maxInputs: 2 })), '!too_many_inputs');
});

test('looks like GraphQL', () => {
  for (const yes of ['{ a }', '  query { a }', 'mutation M { a }', '# c\nsubscription { a }', 'fragment F on T { a }']) assert.ok(looksLikeGraphql(yes), yes);
  for (const no of ['', 'hello', 'SELECT 1', '[1]', 'queryx { a }', '"query"']) assert.ok(!looksLikeGraphql(no), no);
});

test('never throws on random input; linear on long inputs', () => {
  let seed = 13;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = ['{', '}', '(', ')', '[', ']', 'a', ':', '"x"', '"""', '...', 'on', 'fragment', 'query', '$', '@', '1', '-', '#', '\n', ' ', '\\', '"'];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(30);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    extractGraphql(s);
    extractGraphql(s, { arguments: true });
  }
  for (const doc of [`{ a(x: "${'\\n'.repeat(100_000)}") }`, `{ ${'a '.repeat(200_000)}}`, `{ a(x: """${'\\"'.repeat(100_000)}""") }`, '#'.repeat(300_000)]) {
    const start = performance.now();
    extractGraphql(doc, { maxInputs: 1e9 });
    assert.ok(performance.now() - start < 300);
  }
});
