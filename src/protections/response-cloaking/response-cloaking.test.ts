import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { responseCloaking, classify } from './response-cloaking.ts';
import type { ResponseCloakingConfig } from './config.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Verdict } from '../../pipeline/verdict.ts';

const KEY = 'a-hash-key-of-at-least-thirty-two-bytes!';

function compile(config: Record<string, unknown>, policy: Record<string, unknown> = {}, scope = 'global'): { instance: ProtectionInstance; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const context = { policy: policy as unknown as Policy, scope, issue: (path: string, message: string) => issues.push({ path, message }) } as unknown as CreateContext;
  return { instance: responseCloaking.create(config as ResponseCloakingConfig, context), issues };
}

interface Run { verdict: Verdict; body: string | undefined; removed: string[] }

/** Runs the response-body hook on `body` as the upstream's answer; `body` in the result is the replacement, if any. */
function respond(instance: ProtectionInstance, body: string | Buffer, options: { status?: number; contentType?: string | null; headers?: Record<string, string>; routeIndex?: number } = {}): Run {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  let replaced: Buffer | undefined;
  const removed: string[] = [];
  const exchange = {
    upstreamStatus: options.status ?? 200,
    upstreamResponseHeaders: headers,
    route: options.routeIndex === undefined ? null : { index: options.routeIndex },
    replaceResponseBody(buffer: Buffer) { replaced = buffer; },
    setResponseHeader(name: string, value: string | null) { if (value === null) removed.push(name); },
  } as unknown as Exchange;
  const verdict = instance.onResponseBody!(exchange, Buffer.isBuffer(body) ? body : Buffer.from(body)) as Verdict;
  return { verdict, body: replaced?.toString('utf8'), removed };
}

function cloak(config: Record<string, unknown>, document: unknown, options: Parameters<typeof respond>[2] = {}): { json: unknown; run: Run } {
  const { instance, issues } = compile(config);
  assert.deepEqual(issues, []);
  const run = respond(instance, typeof document === 'string' ? document : JSON.stringify(document), options);
  return { json: run.body === undefined ? undefined : JSON.parse(run.body), run };
}

const detail = (verdict: Verdict) => (verdict as { detail?: { message?: string; ruleId?: string; location?: string } }).detail ?? {};

describe('field rules', () => {
  const shop = {
    shopName: 'alice-bakery',
    owner: { name: 'Alice', phone: '010-1234-5678', email: 'alice@example.com' },
    items: [{ sku: 'A', cardNumber: '4111111111111111' }, { sku: 'B', cardNumber: '5555555555554444' }],
    contacts: [{ email: 'x@example.com' }, { nested: { email: 'y@example.com' } }],
    tags: ['first', 'second', 'third'],
  };

  test('mask, redact, hash and remove by path, and an event with counts and JSON pointers, never values', () => {
    const { json, run } = cloak({
      hashKey: KEY,
      fields: [
        { path: '$.owner.phone', action: 'mask', keep: 4 },
        { path: '$..email', action: 'redact' },
        { path: '$.items[*].cardNumber', action: 'hash' },
        { path: '$.tags[0]', action: 'remove' },
      ],
    }, shop);
    const hash = (value: string) => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 16);
    assert.deepEqual(json, {
      shopName: 'alice-bakery',
      owner: { name: 'Alice', phone: '***-****-5678', email: '[redacted]' },
      items: [{ sku: 'A', cardNumber: hash('4111111111111111') }, { sku: 'B', cardNumber: hash('5555555555554444') }],
      contacts: [{ email: '[redacted]' }, { nested: { email: '[redacted]' } }],
      tags: ['second', 'third'],
    });
    assert.equal(run.verdict.action, 'flag');
    assert.equal((run.verdict as { reason: string }).reason, 'response_cloaked');
    const message = detail(run.verdict).message!;
    assert.match(message, /mask \$\.owner\.phone x1 \[\/owner\/phone\]/);
    assert.match(message, /redact \$\.\.email x3 \[\/owner\/email, \/contacts\/0\/email, \/contacts\/1\/nested\/email\]/);
    assert.match(message, /hash \$\.items\[\*\]\.cardNumber x2/);
    assert.match(message, /remove \$\.tags\[0\] x1 \[\/tags\/0\]/);
    for (const secret of ['010-1234-5678', 'alice@example.com', '4111111111111111', KEY]) assert.ok(!JSON.stringify(run.verdict).includes(secret));
  });

  test('equal values hash equally (joinable), with the configured length', () => {
    process.env.PORTCULLIS_TEST_CLOAK_KEY = KEY;
    const { json } = cloak({ hashKey: { env: 'PORTCULLIS_TEST_CLOAK_KEY' }, hashLength: 24, fields: [{ path: '$..id', action: 'hash' }] }, { a: { id: 'u-1' }, b: { id: 'u-1' }, c: { id: 'u-2' } }, {});
    const j = json as Record<string, { id: string }>;
    assert.equal(j.a!.id, j.b!.id);
    assert.notEqual(j.a!.id, j.c!.id);
    assert.equal(j.a!.id.length, 24);
  });

  test('a rule on an object or array applies to every string and number inside; null and booleans stay', () => {
    const { json } = cloak({ fields: [{ path: '$.owner', action: 'mask', maskChar: '#' }] }, { owner: { name: 'Alice', age: 41, vip: true, note: null, list: ['ab'] } });
    assert.deepEqual(json, { owner: { name: '#####', age: '##', vip: true, note: null, list: ['##'] } });
  });

  test('removing members and elements keeps the JSON valid, wherever they are', () => {
    const docs = [
      '{"a":1,"b":2,"c":3}', '{"b":2,"a":1}', '{"b":2}', '{ "b" : 2 , "b" : 3 , "a" : 1 }', '{\n  "a": 1,\n  "b": {"x": [1]},\n  "c": 3\n}',
      '[{"b":1},{"a":1,"b":2}]', '{"a":[1,2,3]}', '{"z":{"b":1,"b":2},"b":[]}',
    ];
    for (const doc of docs) {
      const { run } = cloak({ fields: [{ path: '$..b', action: 'remove' }, { path: '$.a[1]', action: 'remove' }] }, doc);
      const out = run.body ?? doc;
      const parsed = JSON.parse(out);
      assert.ok(!JSON.stringify(parsed).includes('"b"'), `${doc} -> ${out}`);
    }
    assert.equal(cloak({ fields: [{ path: '$.a[1]', action: 'remove' }] }, '{"a":[1,2,3]}').run.body, '{"a":[1,3]}');
    assert.equal(cloak({ fields: [{ path: '$.a[*]', action: 'remove' }] }, '{"a":[1,2,3]}').run.body, '{"a":[]}');
    assert.equal(cloak({ fields: [{ path: '$.b', action: 'remove' }] }, '{\n  "a": 1,\n  "b": 2\n}').run.body, '{\n  "a": 1\n}');
  });

  test('untouched parts are copied as they were: big numbers keep their digits, formatting stays', () => {
    const doc = '{\n  "id": 123456789012345678901234567890,\n  "f": 1.5e+300,\n  "phone": "010-1234-5678",\n  "esc": "caf\\u00e9 \\"q\\""\n}';
    const { run } = cloak({ fields: [{ path: '$.phone', action: 'redact' }] }, doc);
    assert.equal(run.body, doc.replace('"010-1234-5678"', '"[redacted]"'));
  });

  test('duplicate keys are each rewritten', () => {
    const { run } = cloak({ fields: [{ path: '$.phone', action: 'redact' }] }, '{"phone":"010-1234-5678","phone":"010-9876-5432"}');
    assert.equal(run.body, '{"phone":"[redacted]","phone":"[redacted]"}');
  });

  test('escaped names and values are matched decoded', () => {
    const { run } = cloak({ fields: [{ path: '$.phone', action: 'redact' }], detectors: { emails: {} } }, '{"ph\\u006fne":"x","m":"a\\u0040example.com"}');
    assert.deepEqual(JSON.parse(run.body!), { phone: '[redacted]', m: '*@*******.***' });
  });

  test('nothing to change: the body is left alone and nothing is recorded', () => {
    const { run } = cloak({ fields: [{ path: '$.nothere', action: 'remove' }], detectors: { residentNumbers: {} } }, shop);
    assert.equal(run.body, undefined);
    assert.equal(run.verdict.action, 'pass');
  });
});

describe('detectors in responses', () => {
  test('JSON strings, keys and numbers; invalid checksums are not masked', () => {
    const doc = '{"note":"pay with 4111 1111 1111 1111 or 4111111111111112","n":4111111111111111,"alice@example.com":{"tel":"010-1234-5678"}}';
    const { json, run } = cloak({ detectors: { cards: {}, emails: {}, phones: { keep: 0 } } }, doc);
    assert.deepEqual(json, { note: 'pay with **** **** **** 1111 or 4111111111111112', n: '************1111', '*****@*******.***': { tel: '***-****-****' } });
    const message = detail(run.verdict).message!;
    assert.match(message, /mask cards x2 \[\/note, \/n\]/);
    assert.match(message, /mask emails x1 \[\/\*\*\*\*\*@\*\*\*\*\*\*\*\.\*\*\* \(key\)\]/);
    assert.match(message, /mask phones x1 \[\/\*\*\*\*\*@\*\*\*\*\*\*\*\.\*\*\*\/tel\]/, 'pointers below a cloaked key use the cloaked name');
    assert.ok(!message.includes('alice'));
  });

  test('per-detector actions: remove-field, flag-only, block', () => {
    const doc = { a: { card: '4111111111111111', keep: 1 }, list: ['010-1234-5678', 'ok'], mail: 'alice@example.com' };
    const removed = cloak({ detectors: { cards: { action: 'remove-field' }, phones: { action: 'remove-field' }, emails: { action: 'flag-only' } } }, doc);
    assert.deepEqual(removed.json, { a: { keep: 1 }, list: ['ok'], mail: 'alice@example.com' });
    assert.match(detail(removed.run.verdict).message!, /flag-only emails x1 \[\/mail\]/);

    const flagged = cloak({ detectors: { emails: { action: 'flag-only' } } }, doc);
    assert.equal(flagged.run.body, undefined);
    assert.equal((flagged.run.verdict as { reason: string }).reason, 'sensitive_data_detected');

    const blocked = cloak({ detectors: { cards: { action: 'block' }, emails: {} } }, doc);
    assert.equal(blocked.run.verdict.action, 'block');
    assert.equal((blocked.run.verdict as { status: number }).status, 502);
    assert.equal((blocked.run.verdict as { reason: string }).reason, 'response_sensitive_data');
    assert.equal(blocked.run.body, undefined);
  });

  test('resident numbers: checksum required by default, date-only when requireChecksum is false', () => {
    const valid = '900101-1234568';
    const post2020 = '900101-1234567';
    const strict = cloak({ detectors: { residentNumbers: {} } }, { a: valid, b: post2020 });
    assert.deepEqual(strict.json, { a: '******-*******', b: post2020 });
    const lenient = cloak({ detectors: { residentNumbers: { requireChecksum: false, keepStart: 7 } } }, { a: valid, b: post2020 });
    assert.deepEqual(lenient.json, { a: '900101-1******', b: '900101-1******' });
  });

  test('bank accounts and custom templates, with context words', () => {
    const doc = { bankAccount: '110-234-567890', memo: '계좌 220-345-678901', other: 'ref 333-444-555555', member: 'member MB-123456' };
    const { json } = cloak({ detectors: { bankAccounts: { patterns: ['###-###-######'], context: ['계좌', 'account'], keep: 4 }, custom: [{ name: 'member', pattern: 'MB-#{6}', action: 'redact', placeholder: '<member>' }] } }, doc);
    assert.deepEqual(json, { bankAccount: '110-234-567890', memo: '계좌 ***-***-**8901', other: 'ref 333-444-555555', member: 'member <member>' });
    const noContext = cloak({ detectors: { bankAccounts: { patterns: ['###-###-######'] } } }, doc);
    assert.equal((noContext.json as { bankAccount: string }).bankAccount, '***-***-******');
  });

  test('text/plain and text/html bodies, with offsets as locations', () => {
    const html = '<p>Call 010-1234-5678 or mail <a href="mailto:alice@example.com">alice@example.com</a></p>';
    const { instance } = compile({ detectors: { phones: {}, emails: { action: 'redact' } } });
    const run = respond(instance, html, { contentType: 'text/html; charset=utf-8' });
    assert.equal(run.body, '<p>Call ***-****-5678 or mail <a href="mailto:[redacted]">[redacted]</a></p>');
    assert.match(detail(run.verdict).message!, /mask phones x1 \[@8\]/);
    const text = respond(instance, 'tel 02-123-4567', { contentType: 'text/plain' });
    assert.equal(text.body, 'tel **-***-4567');
    const untyped = respond(instance, 'tel 02-123-4567', { contentType: null });
    assert.equal(untyped.body, 'tel **-***-4567', 'no Content-Type: treated as text (clients sniff it)');
  });

  test('other content types pass unchanged', () => {
    const { instance } = compile({ detectors: { phones: {} } });
    for (const type of ['image/png', 'application/octet-stream', 'text/csv', 'application/xml']) {
      const run = respond(instance, 'tel 010-1234-5678', { contentType: type });
      assert.equal(run.body, undefined, type);
      assert.equal(run.verdict.action, 'pass', type);
    }
  });

  test('a JSON body that does not parse: flagged and scanned as text, or blocked', () => {
    const broken = '{"phone": "010-1234-5678", oops}';
    const { instance } = compile({ detectors: { phones: {} } });
    const run = respond(instance, broken);
    assert.equal((run.verdict as { reason: string }).reason, 'response_json_invalid');
    assert.equal(run.verdict.action, 'flag');
    assert.equal(run.body, '{"phone": "***-****-5678", oops}');
    const strict = compile({ detectors: { phones: {} }, invalidBody: 'block' }).instance;
    const blocked = respond(strict, broken);
    assert.equal(blocked.verdict.action, 'block');
    assert.equal((blocked.verdict as { status: number }).status, 502);
    for (const bad of ['', '{', '{"a":1,}', '[1 2]', '{"a" 1}', '{"a":1}x', '"unterminated', '['.repeat(600) + ']'.repeat(600), 'nul', '{"a":tru}']) {
      assert.equal((respond(instance, bad).verdict as { reason?: string }).reason, 'response_json_invalid', JSON.stringify(bad.slice(0, 20)));
    }
  });

  test('a charset other than UTF-8 is not inspected: flagged, or blocked', () => {
    const { instance } = compile({ detectors: { phones: {} } });
    const run = respond(instance, '{"a":"010-1234-5678"}', { contentType: 'application/json; charset=euc-kr' });
    assert.equal((run.verdict as { reason: string }).reason, 'response_charset_unsupported');
    assert.equal(run.body, undefined);
    const blocked = respond(compile({ detectors: { phones: {} }, invalidBody: 'block' }).instance, '{}', { contentType: 'text/plain; charset=ISO-8859-1' });
    assert.equal((blocked.verdict as { status: number }).status, 502);
  });
});

describe('spec-driven cloaking', () => {
  const schema = {
    type: 'object',
    properties: {
      shopName: { type: 'string' },
      owner: { type: 'object', properties: { name: { type: 'string' }, password: { type: 'string', writeOnly: true } } },
      items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
      meta: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'integer' } } } },
      free: { type: 'object' },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'object', properties: { a: {} } }], items: false },
    },
  };
  const doc = {
    shopName: 'alice-bakery', internal: 'x',
    owner: { name: 'Alice', password: 'hunter2', ssn: '1' },
    items: [{ sku: 'A', cost: 1 }, { sku: 'B' }],
    meta: { k1: { v: 1, w: 2 } },
    free: { anything: { goes: 1 } },
    pair: ['s', { a: 1, b: 2 }, 'extra'],
  };

  test('removeUndocumented removes what the schema does not declare; writeOnly never leaves', () => {
    const { json, run } = cloak({ schemas: { '200': schema }, removeUndocumented: true }, doc);
    assert.deepEqual(json, {
      shopName: 'alice-bakery', owner: { name: 'Alice' }, items: [{ sku: 'A' }, { sku: 'B' }],
      meta: { k1: { v: 1 } }, free: { anything: { goes: 1 } }, pair: ['s', { a: 1 }],
    });
    const message = detail(run.verdict).message!;
    assert.match(message, /remove schema:writeOnly x1 \[\/owner\/password\]/);
    assert.match(message, /remove schema:undocumented x6 \[\/internal, \/owner\/ssn, \/items\/0\/cost, \/meta\/k1\/w, \/pair\/1\/b, \/pair\/2\]/);
  });

  test('without removeUndocumented only writeOnly properties go', () => {
    const { json } = cloak({ schemas: { '2XX': schema } }, doc);
    assert.deepEqual(json, { ...doc, owner: { name: 'Alice', ssn: '1' } });
  });

  test('status selection: exact, then class, then default; none: untouched', () => {
    const only = (name: string) => ({ type: 'object', properties: { [name]: {} } });
    const config = { schemas: { '201': only('a'), '2xx': only('b'), default: only('c') }, removeUndocumented: true };
    const body = { a: 1, b: 2, c: 3 };
    assert.deepEqual(cloak(config, body, { status: 201 }).json, { a: 1 });
    assert.deepEqual(cloak(config, body, { status: 200 }).json, { b: 2 });
    assert.deepEqual(cloak(config, body, { status: 404 }).json, { c: 3 });
    assert.equal(cloak({ schemas: { '200': only('a') }, removeUndocumented: true }, body, { status: 404 }).run.body, undefined);
  });

  test('allOf, anyOf, oneOf: what any branch declares is kept; type-mismatched branches are skipped', () => {
    const combined = {
      allOf: [{ type: 'object', properties: { a: {} } }, { properties: { b: { type: 'object', properties: { x: {} } } } }],
      oneOf: [{ type: 'object', properties: { c: {} } }, { type: 'object', properties: { d: { writeOnly: true } } }, { type: 'string' }],
    };
    const { json } = cloak({ schemas: { '200': combined }, removeUndocumented: true }, { a: 1, b: { x: 1, y: 2 }, c: 3, d: 4, e: 5 });
    assert.deepEqual(json, { a: 1, b: { x: 1 }, c: 3 });
  });

  test('conservative where undecidable: $ref left unresolved, patternProperties, type mismatch, recursive schemas', () => {
    const keepAll = [
      { type: 'object', properties: { a: { $ref: '#/components/schemas/X' } } },
      { type: 'object', properties: {}, patternProperties: { '^x': {} } },
      { type: 'array', items: { type: 'object', properties: {} } },
    ];
    const body = { a: { deep: 1 }, xb: 1 };
    assert.deepEqual(cloak({ schemas: { '200': keepAll[0] }, removeUndocumented: true }, body).json, { a: { deep: 1 } });
    assert.equal(cloak({ schemas: { '200': keepAll[1] }, removeUndocumented: true }, body).run.body, undefined);
    assert.equal(cloak({ schemas: { '200': keepAll[2] }, removeUndocumented: true }, body).run.body, undefined);
    const node: Record<string, unknown> = { type: 'object', properties: { name: {} } };
    (node.properties as Record<string, unknown>).child = node; // as the importer resolves a recursive $ref
    assert.deepEqual(cloak({ schemas: { '200': node }, removeUndocumented: true }, { name: 1, x: 1, child: { name: 2, y: 2, child: { z: 3 } } }).json,
      { name: 1, child: { name: 2, child: {} } });
  });

  test('schemas, field rules and detectors together', () => {
    const { json } = cloak({
      schemas: { '200': schema }, removeUndocumented: true, fields: [{ path: '$.owner.name', action: 'mask', keep: 1 }], detectors: { cards: {} },
    }, { ...doc, shopName: '4111111111111111' });
    assert.deepEqual((json as { owner: unknown }).owner, { name: '****e' });
    assert.equal((json as { shopName: string }).shopName, '************1111');
  });
});

describe('error pages', () => {
  const javaTrace = 'java.lang.NullPointerException\n\tat com.example.shop.ShopController.get(ShopController.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:833)';

  test('a 5xx body with a stack trace becomes a generic problem with the same status, naming the kind of leak only', () => {
    const { instance } = compile({ errors: { replace5xx: true } });
    const run = respond(instance, javaTrace, { status: 500, contentType: 'text/plain', headers: { 'retry-after': '30' } });
    assert.equal(run.verdict.action, 'block');
    assert.equal((run.verdict as { status: number }).status, 500);
    assert.equal((run.verdict as { reason: string }).reason, 'error_details_hidden');
    assert.equal(detail(run.verdict).ruleId, 'stack-trace:java');
    assert.deepEqual((run.verdict as { headers?: unknown }).headers, { 'retry-after': '30' });
    assert.ok(!JSON.stringify(run.verdict).includes('ShopController'));
  });

  test('clean 5xx bodies, and 4xx bodies, pass; replaceAll replaces every 5xx', () => {
    const { instance } = compile({ errors: { replace5xx: true } });
    assert.equal(respond(instance, '{"error":"temporarily unavailable"}', { status: 503 }).verdict.action, 'pass');
    assert.equal(respond(instance, javaTrace, { status: 400 }).verdict.action, 'pass');
    const all = compile({ errors: { replace5xx: true, replaceAll: true } }).instance;
    assert.equal(respond(all, '{"error":"temporarily unavailable"}', { status: 503 }).verdict.action, 'block');
  });

  test('errors only: nothing else is inspected', () => {
    const { instance } = compile({ errors: { replace5xx: true } });
    assert.equal(respond(instance, '{"card":"4111111111111111"}').verdict.action, 'pass');
  });
});

describe('banners and what gets buffered', () => {
  test('the default configuration removes banner headers in the head phase and buffers nothing', () => {
    const { instance } = compile({});
    assert.equal(instance.onResponseBody, undefined);
    assert.equal(instance.needs, undefined);
    const removed: string[] = [];
    const exchange = { route: null, setResponseHeader: (name: string, value: string | null) => { if (value === null) removed.push(name); } } as unknown as Exchange;
    instance.onResponseHead!(exchange, 200, { server: 'Apache/2.4.1', 'x-powered-by': 'PHP/5.6', 'x-aspnet-version': '4.0', 'content-type': 'text/plain', 'x-runtime': '0.1' });
    assert.deepEqual(removed.sort(), ['server', 'x-aspnet-version', 'x-powered-by', 'x-runtime']);
  });

  test('banners can be listed, or switched off with []', () => {
    assert.equal(compile({ banners: [] }).instance.onResponseHead, undefined);
    const removed: string[] = [];
    const exchange = { route: null, setResponseHeader: (name: string) => removed.push(name) } as unknown as Exchange;
    compile({ banners: ['X-Backend'] }).instance.onResponseHead!(exchange, 200, { server: 'x', 'x-backend': 'node-7' });
    assert.deepEqual(removed, ['x-backend']);
  });

  test('any body rule makes the instance ask for the response body', () => {
    for (const config of [{ fields: [{ path: '$.a', action: 'remove' }] }, { detectors: { emails: {} } }, { schemas: { default: {} } }, { errors: { replace5xx: true } }]) {
      assert.equal(compile(config).instance.needs?.responseBody, true, JSON.stringify(config));
    }
  });
});

// Monitor mode is applied by the pipeline (run-phase.ts puts back what a monitored step rewrote): see the
// integration test "a monitored route changes nothing".

describe('configuration errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloak-'));
  const open = join(dir, 'open.key');
  writeFileSync(open, KEY, { mode: 0o644 });
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['bad path', { fields: [{ path: 'owner', action: 'remove' }] }, '/fields/0/path', /start with/],
    ['hash without key', { fields: [{ path: '$.a', action: 'hash' }] }, '/hashKey', /required/],
    ['detector hash without key', { detectors: { emails: { action: 'hash' } } }, '/hashKey', /required/],
    ['short key', { hashKey: 'short', fields: [{ path: '$.a', action: 'hash' }] }, '/hashKey', /at least 32 bytes/],
    ['key file readable by others', { hashKey: { file: open } }, '/hashKey', /mode 0644/],
    ['missing environment variable', { hashKey: { env: 'PORTCULLIS_TEST_NO_SUCH_VARIABLE' } }, '/hashKey', /is not set/],
    ['bad template', { detectors: { bankAccounts: { patterns: ['##', '-##'] } } }, '/detectors/bankAccounts/patterns/1', /start and end/],
    ['custom without pattern', { detectors: { custom: [{ name: 'x' }] } }, '/detectors/custom/0', /needs "pattern"/],
    ['custom name twice', { detectors: { custom: [{ name: 'x', pattern: '##' }, { name: 'x', pattern: '###' }] } }, '/detectors/custom/1/name', /twice/],
    ['bad status key', { schemas: { '2x0': {} } }, '/schemas/2x0', /status code/],
    ['bad banner', { banners: ['x y'] }, '/banners/0', /header name/],
    ['two-character mask', { maskChar: '**' }, '/maskChar', /one character/],
    ['two-character mask in a detector', { detectors: { cards: { maskChar: 'ab' } } }, '/detectors/cards/maskChar', /one character/],
    ['phones with nothing to find', { detectors: { phones: { mobile: false, landline: false } } }, '/detectors/phones', /both false/],
  ];
  for (const [name, config, path, message] of cases) {
    test(name, () => {
      const { issues } = compile(config);
      const issue = issues.find((i) => i.path === path);
      assert.ok(issue, `${JSON.stringify(issues)}`);
      assert.match(issue.message, message);
      assert.ok(!issue.message.includes(KEY));
    });
  }
});

describe('content types', () => {
  test('classify', () => {
    assert.deepEqual(classify('application/json'), { kind: 'json', charsetOk: true });
    assert.deepEqual(classify('Application/Problem+JSON; charset="UTF-8"'), { kind: 'json', charsetOk: true });
    assert.deepEqual(classify('application/vnd.api+json'), { kind: 'json', charsetOk: true });
    assert.deepEqual(classify('text/html;charset=utf-16'), { kind: 'text', charsetOk: false });
    assert.deepEqual(classify(undefined), { kind: 'text', charsetOk: true });
    assert.deepEqual(classify('image/svg+xml'), { kind: 'other', charsetOk: true });
    assert.deepEqual(classify('+json'), { kind: 'other', charsetOk: true });
  });
});
