import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwt } from './jwt.ts';
import type { JwtConfig } from './config.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import { Exchange } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Block, Verdict } from '../../pipeline/verdict.ts';

// ---- keys and signing -------------------------------------------------------------------------------------------

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Signs a JWS by hand, so that tests can build tokens no library would (attacks). */
function signRaw(alg: string, key: KeyObject | string | Buffer, header: Record<string, unknown> | string, payload: Record<string, unknown> | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  let signature: Buffer;
  switch (alg) {
    case 'HS256': signature = createHmac('sha256', key as Buffer).update(input).digest(); break;
    case 'RS256': signature = sign('sha256', Buffer.from(input), key as KeyObject); break;
    case 'PS256': signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }); break;
    case 'ES256': signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }); break;
    case 'EdDSA': case 'Ed25519': signature = sign(null, Buffer.from(input), key as KeyObject); break;
    default: signature = Buffer.alloc(0);
  }
  return `${input}.${signature.toString('base64url')}`;
}

const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', iss: 'https://issuer.example', aud: 'shop-api', exp: now() + 300, ...extra });
const token = (alg: string, key: KeyObject | string | Buffer, header: Record<string, unknown> = {}, payload: Record<string, unknown> = claims()) =>
  signRaw(alg, key, { alg, typ: 'JWT', ...header }, payload);

// ---- instance helpers -------------------------------------------------------------------------------------------

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'portcullis-jwt-unit-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string, mode = 0o600) => { const path = join(dir, name); writeFileSync(path, content); chmodSync(path, mode); return path; };

const instances: ProtectionInstance[] = [];
after(async () => { for (const instance of instances) await instance.close?.(); });

function create(config: JwtConfig, policy: unknown = {}): { instance: ProtectionInstance; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const context = { policy: policy as Policy, scope: 'global', issue: (path: string, message: string) => { issues.push({ path, message }); } } as unknown as CreateContext;
  const instance = jwt.create(config, context);
  instances.push(instance);
  return { instance, issues };
}

function compiled(config: JwtConfig): ProtectionInstance {
  const { instance, issues } = create(config);
  assert.deepEqual(issues, []);
  return instance;
}

function exchangeWith(headers: Record<string, string>, method = 'GET'): Exchange {
  const req = { headers, method, rawHeaders: Object.entries(headers).flat() } as unknown as IncomingMessage;
  return new Exchange(req, {} as ServerResponse, { peerAddress: '127.0.0.1', peerPort: 1, listener: 't', protocol: 'http' });
}

async function decide(instance: ProtectionInstance, headers: Record<string, string>, method = 'GET'): Promise<{ verdict: Verdict; exchange: Exchange }> {
  const exchange = exchangeWith(headers, method);
  const verdict = await instance.onRequestHead!(exchange);
  return { verdict, exchange };
}

const withBearer = (value: string) => ({ authorization: `Bearer ${value}` });
const reasonOf = (verdict: Verdict) => verdict.action === 'pass' ? 'pass' : (verdict as Block).reason;

const baseConfig = (extra: Partial<JwtConfig> = {}): JwtConfig => ({
  keys: [
    { pem: file('rsa.pem', rsaPem, 0o644), algorithms: ['RS256', 'PS256'], kid: 'rsa-1' },
    { jwks: file('ec.json', JSON.stringify({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' }, { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed-1' }] }), 0o644), algorithms: ['ES256', 'EdDSA', 'Ed25519'] },
    { secret: SECRET, algorithms: ['HS256'], kid: 'hs-1' },
  ],
  issuer: 'https://issuer.example',
  audience: 'shop-api',
  ...extra,
});

// ---- tests ------------------------------------------------------------------------------------------------------

describe('jwt definition', () => {
  test('name, key and route semantics', () => {
    assert.equal(jwt.name, 'jwt');
    assert.equal(jwt.key, 'jwt');
    assert.equal(jwt.routeConfig, 'merge');
  });
});

describe('jwt accepts each algorithm with the right key', () => {
  const accepted: [string, () => string][] = [
    ['RS256', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' })],
    ['PS256', () => token('PS256', rsa.privateKey, { kid: 'rsa-1' })],
    ['ES256', () => token('ES256', ec.privateKey, { kid: 'ec-1' })],
    ['EdDSA', () => token('EdDSA', ed.privateKey, { kid: 'ed-1' })],
    ['Ed25519', () => token('Ed25519', ed.privateKey, { kid: 'ed-1' })],
    ['HS256', () => token('HS256', Buffer.from(SECRET), { kid: 'hs-1' })],
  ];
  for (const [alg, make] of accepted) {
    test(alg, async () => {
      const { verdict, exchange } = await decide(compiled(baseConfig()), withBearer(make()));
      assert.deepEqual(verdict, { action: 'pass' });
      assert.equal(exchange.principal, 'alice');
    });
  }

  test('ES256 signed with the Ed25519 kid is refused', async () => {
    const { verdict } = await decide(compiled(baseConfig()), withBearer(token('ES256', ec.privateKey, { kid: 'ed-1' })));
    assert.equal(reasonOf(verdict), 'token_algorithm_not_allowed');
  });
});

describe('jwt refuses the reliability checklist attacks (P1-P3)', () => {
  const hsWithPem = (pem: string) => token('HS256', Buffer.from(pem), { kid: 'rsa-1' });
  const zeroSignature = () => {
    const input = `${b64({ alg: 'ES256', kid: 'ec-1' })}.${b64(claims())}`;
    return `${input}.${Buffer.alloc(64).toString('base64url')}`;
  };
  const tampered = () => {
    const [h, , s] = token('RS256', rsa.privateKey, { kid: 'rsa-1' }).split('.');
    return `${h}.${b64(claims({ sub: 'admin' }))}.${s}`;
  };
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases: [string, () => string, string][] = [
    ['alg none, empty signature', () => `${b64({ alg: 'none' })}.${b64(claims())}.`, 'token_algorithm_not_allowed'],
    ['alg none with a signature', () => `${b64({ alg: 'none' })}.${b64(claims())}.c2ln`, 'token_algorithm_not_allowed'],
    ['alg None', () => `${b64({ alg: 'None' })}.${b64(claims())}.c2ln`, 'token_algorithm_not_allowed'],
    ['alg NONE', () => `${b64({ alg: 'NONE' })}.${b64(claims())}.c2ln`, 'token_algorithm_not_allowed'],
    ['HS256 signed with the RSA public PEM (kid of the RSA key)', () => hsWithPem(rsaPem), 'token_algorithm_not_allowed'],
    ['HS256 signed with the PEM with leading whitespace', () => hsWithPem(`  \n${rsaPem}`), 'token_algorithm_not_allowed'],
    ['HS256 signed with the PKCS#1 PEM', () => hsWithPem(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string), 'token_algorithm_not_allowed'],
    ['HS256 with the RSA PEM and no kid (only the HS secret is tried)', () => token('HS256', Buffer.from(rsaPem)), 'token_signature_invalid'],
    ['ES256 with r = s = 0', zeroSignature, 'token_signature_invalid'],
    ['unknown crit header', () => token('RS256', rsa.privateKey, { kid: 'rsa-1', crit: ['exp'], exp: 1 }), 'token_critical_header'],
    ['crit b64 (RFC 7797)', () => token('RS256', rsa.privateKey, { kid: 'rsa-1', crit: ['b64'], b64: false }), 'token_critical_header'],
    ['duplicate alg', () => signRaw('RS256', rsa.privateKey, '{"alg":"none","alg":"RS256","kid":"rsa-1"}', claims()), 'token_invalid'],
    ['kid path traversal', () => token('RS256', rsa.privateKey, { kid: '../../../../dev/null' }), 'token_key_unknown'],
    ['kid SQL injection', () => token('RS256', rsa.privateKey, { kid: "' OR 1=1--" }), 'token_key_unknown'],
    ['kid that is not a string', () => token('RS256', rsa.privateKey, { kid: 7 }), 'token_invalid'],
    ['jku to an attacker URL', () => token('RS256', attacker.privateKey, { kid: 'rsa-1', jku: 'https://evil.example/jwks.json' }), 'token_remote_key_rejected'],
    ['x5u to an attacker URL', () => token('RS256', attacker.privateKey, { kid: 'rsa-1', x5u: 'https://evil.example/cert.pem' }), 'token_remote_key_rejected'],
    ['embedded jwk of the attacker is ignored', () => token('RS256', attacker.privateKey, { kid: 'rsa-1', jwk: attacker.publicKey.export({ format: 'jwk' }) }), 'token_signature_invalid'],
    ['embedded x5c is ignored', () => token('RS256', attacker.privateKey, { kid: 'rsa-1', x5c: ['MIIB'] }), 'token_signature_invalid'],
    ['signed by another RSA key', () => token('RS256', rsa2.privateKey, { kid: 'rsa-1' }), 'token_signature_invalid'],
    ['tampered payload', tampered, 'token_signature_invalid'],
    ['expired 61 s ago (tolerance 30 s)', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ exp: now() - 61 })), 'token_expired'],
    ['no exp', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, { sub: 'alice', iss: 'https://issuer.example', aud: 'shop-api' }), 'token_claim_missing'],
    ['exp as a string', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ exp: String(now() + 300) })), 'token_invalid'],
    ['nbf 120 s in the future', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ nbf: now() + 120 })), 'token_not_yet_valid'],
    ['wrong audience', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ aud: 'billing-api' })), 'token_audience_mismatch'],
    ['no audience', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ aud: undefined })), 'token_audience_mismatch'],
    ['wrong issuer', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ iss: 'https://evil.example' })), 'token_issuer_mismatch'],
    ['JWE (five parts)', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'token_invalid'],
    ['not a JWT at all', () => 'hello', 'token_invalid'],
    ['oversized token (20 KB)', () => token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ pad: 'x'.repeat(20_000) })), 'token_too_large'],
  ];
  for (const [name, make, reason] of cases) {
    test(`${name}: 401 ${reason}`, async () => {
      const value = make();
      const { verdict, exchange } = await decide(compiled(baseConfig()), withBearer(value));
      assert.equal(reasonOf(verdict), reason);
      const block = verdict as Block;
      assert.equal(block.status, 401);
      assert.match(block.headers!['www-authenticate']!, /^Bearer realm="portcullis", error="invalid_token", error_description="[^"\\]+"$/);
      assert.equal(exchange.principal, undefined);
      // The token never appears in what is logged or answered.
      const logged = JSON.stringify(verdict);
      assert.ok(!logged.includes(value));
      const payload = value.split('.')[1] ?? '';
      if (payload.length >= 16) assert.ok(!logged.includes(payload));
    });
  }

  test('expired 20 s ago is within the default 30 s tolerance; tolerance 0 refuses it', async () => {
    const value = token('RS256', rsa.privateKey, { kid: 'rsa-1' }, claims({ exp: now() - 20 }));
    assert.equal(reasonOf((await decide(compiled(baseConfig()), withBearer(value))).verdict), 'pass');
    assert.equal(reasonOf((await decide(compiled(baseConfig({ clockToleranceSeconds: 0 })), withBearer(value))).verdict), 'token_expired');
  });

  test('requireExpiry: false accepts a token without exp', async () => {
    const value = token('RS256', rsa.privateKey, { kid: 'rsa-1' }, { sub: 'alice', iss: 'https://issuer.example', aud: 'shop-api' });
    assert.equal(reasonOf((await decide(compiled(baseConfig({ requireExpiry: false })), withBearer(value))).verdict), 'pass');
  });

  test('missing kid when required', async () => {
    const value = token('RS256', rsa.privateKey);
    assert.equal(reasonOf((await decide(compiled(baseConfig()), withBearer(value))).verdict), 'pass');
    assert.equal(reasonOf((await decide(compiled(baseConfig({ requireKid: true })), withBearer(value))).verdict), 'token_kid_missing');
  });

  test('missing kid with more than three keys for the algorithm', async () => {
    const keys = [1, 2, 3, 4].map((n) => ({ secret: `${SECRET}-${n}`, algorithms: ['HS256' as const] }));
    const instance = compiled({ keys });
    assert.equal(reasonOf((await decide(instance, withBearer(token('HS256', Buffer.from(`${SECRET}-2`), {}, { exp: now() + 60 })))).verdict), 'token_kid_missing');
    const three = compiled({ keys: keys.slice(0, 3) });
    assert.equal(reasonOf((await decide(three, withBearer(token('HS256', Buffer.from(`${SECRET}-3`), {}, { exp: now() + 60 })))).verdict), 'pass');
  });

  test('token types', async () => {
    const instance = compiled(baseConfig({ types: ['at+jwt'] }));
    assert.equal(reasonOf((await decide(instance, withBearer(token('RS256', rsa.privateKey, { kid: 'rsa-1', typ: 'application/at+JWT' })))).verdict), 'pass');
    assert.equal(reasonOf((await decide(instance, withBearer(token('RS256', rsa.privateKey, { kid: 'rsa-1' })))).verdict), 'token_type_mismatch');
  });
});

describe('jwt missing tokens and challenges', () => {
  test('no token: 401 with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const { verdict } = await decide(compiled(baseConfig({ realm: 'shop' })), {});
    assert.equal(reasonOf(verdict), 'token_missing');
    assert.deepEqual((verdict as Block).headers, { 'www-authenticate': 'Bearer realm="shop"' });
  });
  test('Basic credentials are no bearer token', async () => {
    assert.equal(reasonOf((await decide(compiled(baseConfig()), { authorization: 'Basic dTpw' })).verdict), 'token_missing');
  });
  test('required: false lets requests without a token pass, still checks tokens that are sent', async () => {
    const instance = compiled(baseConfig({ required: false }));
    const { verdict, exchange } = await decide(instance, {});
    assert.equal(reasonOf(verdict), 'pass');
    assert.equal(exchange.principal, undefined);
    assert.equal(reasonOf((await decide(instance, withBearer('a.b.c'))).verdict), 'token_invalid');
  });
  test('token from a cookie', async () => {
    const instance = compiled(baseConfig({ token: { cookie: 'access_token' } }));
    const value = token('ES256', ec.privateKey, { kid: 'ec-1' });
    assert.equal(reasonOf((await decide(instance, { cookie: `theme=dark; access_token=${value}` })).verdict), 'pass');
    assert.equal(reasonOf((await decide(instance, withBearer(value))).verdict), 'token_missing');
    assert.equal(reasonOf((await decide(instance, { cookie: `access_token=${value}; access_token=${value}` })).verdict), 'token_invalid');
  });
  test('token from another header', async () => {
    const instance = compiled(baseConfig({ token: { header: 'x-access-token' } }));
    assert.equal(reasonOf((await decide(instance, { 'x-access-token': token('ES256', ec.privateKey, { kid: 'ec-1' }) })).verdict), 'pass');
  });
  test('maxTokenBytes', async () => {
    const value = token('ES256', ec.privateKey, { kid: 'ec-1' }, claims({ pad: 'x'.repeat(100) }));
    assert.ok(value.length > 256 && value.length < 400);
    assert.equal(reasonOf((await decide(compiled(baseConfig({ maxTokenBytes: 256 })), withBearer(value))).verdict), 'token_too_large');
    assert.equal(reasonOf((await decide(compiled(baseConfig({ maxTokenBytes: 400 })), withBearer(value))).verdict), 'pass');
  });
});

describe('jwt claims and scopes', () => {
  const signed = (extra: Record<string, unknown>) => withBearer(token('ES256', ec.privateKey, { kid: 'ec-1' }, claims(extra)));

  test('required claims, with values', async () => {
    const instance = compiled(baseConfig({ requiredClaims: ['tenant', { name: 'email_verified', values: [true] }, { name: 'groups', values: ['staff', 'admin'] }] }));
    assert.equal(reasonOf((await decide(instance, signed({ tenant: 'acme', email_verified: true, groups: ['users', 'staff'] }))).verdict), 'pass');
    assert.equal(reasonOf((await decide(instance, signed({ email_verified: true, groups: ['staff'] }))).verdict), 'token_claim_missing');
    assert.equal(reasonOf((await decide(instance, signed({ tenant: 'acme', email_verified: 'true', groups: ['staff'] }))).verdict), 'token_claim_mismatch');
    assert.equal(reasonOf((await decide(instance, signed({ tenant: 'acme', email_verified: true, groups: ['users'] }))).verdict), 'token_claim_mismatch');
  });
  test('a claim named like an Object.prototype member is not found on the prototype', async () => {
    const instance = compiled(baseConfig({ requiredClaims: ['constructor'] }));
    assert.equal(reasonOf((await decide(instance, signed({}))).verdict), 'token_claim_missing');
  });

  test('scopes for every method: all are needed', async () => {
    const instance = compiled(baseConfig({ scopes: ['orders:read', 'orders:write'] }));
    assert.equal(reasonOf((await decide(instance, signed({ scope: 'orders:write orders:read' }))).verdict), 'pass');
    const { verdict } = await decide(instance, signed({ scope: 'orders:read' }));
    const refusal = verdict as Block;
    assert.equal(refusal.status, 403);
    assert.equal(refusal.reason, 'insufficient_scope');
    assert.equal(refusal.headers!['www-authenticate'],
      'Bearer realm="portcullis", error="insufficient_scope", error_description="The access token lacks the scope this request needs", scope="orders:read orders:write"');
  });

  test('scopes per method, HEAD falls back to GET, others to *', async () => {
    const instance = compiled(baseConfig({ scopes: { GET: ['read'], POST: ['write'], DELETE: ['admin'] } }));
    const reader = signed({ scp: ['read'] });
    assert.equal(reasonOf((await decide(instance, reader, 'GET')).verdict), 'pass');
    assert.equal(reasonOf((await decide(instance, reader, 'HEAD')).verdict), 'pass');
    assert.equal(reasonOf((await decide(instance, reader, 'POST')).verdict), 'insufficient_scope');
    assert.equal(reasonOf((await decide(instance, signed({ scope: 'write' }), 'POST')).verdict), 'pass');
    // PUT has no entry and there is no `*`: refused, with no scope to ask for.
    const put = (await decide(instance, signed({ scope: 'read write admin' }), 'PUT')).verdict as Block;
    assert.equal(put.reason, 'insufficient_scope');
    assert.ok(!put.headers!['www-authenticate']!.includes('scope="'));
    const withDefault = compiled(baseConfig({ scopes: { GET: ['read'], '*': ['write'] } }));
    assert.equal(reasonOf((await decide(withDefault, signed({ scope: 'write' }), 'PUT')).verdict), 'pass');
    assert.equal(reasonOf((await decide(withDefault, signed({ scope: 'read' }), 'PUT')).verdict), 'insufficient_scope');
  });
});

describe('jwt forwarded claims', () => {
  const config = baseConfig({ forwardClaims: { sub: 'x-user-id', tenant: 'x-tenant', roles: 'x-roles', name: 'x-user-name' } });

  test('claims become upstream headers; the principal is the subject', async () => {
    const { exchange } = await decide(compiled(config), withBearer(token('ES256', ec.privateKey, { kid: 'ec-1' }, claims({ tenant: 42, roles: ['a', 'b'], name: 'José' }))));
    assert.equal(exchange.principal, 'alice');
    assert.deepEqual([...exchange.upstreamHeaders!], [['x-user-id', 'alice'], ['x-tenant', '42'], ['x-roles', 'a, b'], ['x-user-name', null]]);
  });

  test('the client\'s copies are removed even when the token is missing or invalid', async () => {
    const instance = compiled(config);
    for (const headers of [{ 'x-user-id': 'admin' }, { 'x-user-id': 'admin', authorization: 'Bearer x.y.z' }] as Record<string, string>[]) {
      const { verdict, exchange } = await decide(instance, headers);
      assert.notEqual(verdict.action, 'pass');
      assert.equal(exchange.upstreamHeaders!.get('x-user-id'), null);
      assert.equal(exchange.upstreamHeaders!.get('x-tenant'), null);
    }
  });
});

describe('jwt configuration errors', () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const cases: [string, () => JwtConfig, string, RegExp][] = [
    ['no keys', () => ({}), '/keys', /is required/],
    ['HS256 on an RSA key', () => ({ keys: [{ pem: file('r.pem', rsaPem, 0o644), algorithms: ['RS256', 'HS256'] }] }), '/keys/0/algorithms', /HS256 cannot be used/],
    ['RSA under 2048 bits', () => ({ keys: [{ pem: file('small.pem', rsa1024, 0o644), algorithms: ['RS256'] }] }), '/keys/0/algorithms', /1024 bits/],
    ['short secret', () => ({ keys: [{ secret: 'short', algorithms: ['HS256'] }] }), '/keys/0/algorithms', /5-byte secret/],
    ['secret file readable by others', () => ({ keys: [{ secret: { file: file('s.txt', SECRET, 0o644) }, algorithms: ['HS256'] }] }), '/keys/0/secret', /mode 0644/],
    ['missing environment variable', () => ({ keys: [{ secret: { env: 'PORTCULLIS_TEST_NO_SUCH_VARIABLE' }, algorithms: ['HS256'] }] }), '/keys/0/secret', /is not set/],
    ['private PEM', () => ({ keys: [{ pem: file('p.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), algorithms: ['ES256'] }] }), '/keys/0/pem', /private key/],
    ['http JWKS URL', () => ({ keys: [{ jwksUrl: 'http://idp.example/jwks', algorithms: ['RS256'] }] }), '/keys/0/jwksUrl', /https/],
    ['unreadable CA', () => ({ keys: [{ jwksUrl: 'https://idp.example/jwks', algorithms: ['RS256'], ca: join(dir, 'none.pem') }] }), '/keys/0/ca', /ENOENT/],
    ['JWKS file with a private key', () => ({ keys: [{ jwks: file('priv.json', JSON.stringify(ec.privateKey.export({ format: 'jwk' }))), algorithms: ['ES256'] }] }), '/keys/0/jwks', /private key/],
    ['JWKS file with no usable key', () => ({ keys: [{ jwks: file('ec2.json', JSON.stringify(ec.publicKey.export({ format: 'jwk' })), 0o644), algorithms: ['RS256'] }] }), '/keys/0/jwks', /no key usable/],
    ['forwarded as a reserved header', () => ({ ...baseConfig(), forwardClaims: { sub: 'authorization' } }), '/forwardClaims/sub', /cannot carry a claim/],
    ['forwarded as x-forwarded-for', () => ({ ...baseConfig(), forwardClaims: { sub: 'x-forwarded-for' } }), '/forwardClaims/sub', /cannot carry a claim/],
    ['forwarded header with an underscore', () => ({ ...baseConfig(), forwardClaims: { sub: 'x_user' } }), '/forwardClaims/sub', /lower-case header name/],
    ['two claims to one header', () => ({ ...baseConfig(), forwardClaims: { sub: 'x-user', email: 'x-user' } }), '/forwardClaims/email', /already carries/],
    ['scope with a quote', () => ({ ...baseConfig(), scopes: ['a"b'] }), '/scopes/0', /not a valid scope/],
    ['realm with a quote', () => ({ ...baseConfig(), realm: 'a"b' }), '/realm', /printable ASCII/],
    ['upper-case token header', () => ({ ...baseConfig(), token: { header: 'X-Token' } }), '/token/header', /lower-case/],
  ];
  for (const [name, make, path, message] of cases) {
    test(name, () => {
      const { issues } = create(make());
      const found = issues.find((issue) => issue.path === path);
      assert.ok(found, `expected an issue at ${path}, got ${JSON.stringify(issues)}`);
      assert.match(found.message, message);
      assert.ok(!found.message.includes(SECRET));
    });
  }

  test('the request id header cannot carry a claim', () => {
    const { issues } = create({ ...baseConfig(), forwardClaims: { sub: 'x-request-id' } }, { requestId: { header: 'x-request-id' } });
    assert.equal(issues[0]?.path, '/forwardClaims/sub');
  });

  test('secret from an environment variable and from a 0600 file, base64 encoded', async () => {
    const raw = Buffer.alloc(32, 9);
    process.env.PORTCULLIS_TEST_JWT_SECRET = raw.toString('base64');
    try {
      for (const secret of [{ env: 'PORTCULLIS_TEST_JWT_SECRET' }, { file: file('b64.txt', `${raw.toString('base64')}\n`) }]) {
        const instance = compiled({ keys: [{ secret, encoding: 'base64', algorithms: ['HS256'] }] });
        assert.equal(reasonOf((await decide(instance, withBearer(token('HS256', raw, {}, { exp: now() + 60 })))).verdict), 'pass');
      }
    } finally {
      delete process.env.PORTCULLIS_TEST_JWT_SECRET;
    }
  });
});
