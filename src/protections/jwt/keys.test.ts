import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createSecretKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { algorithmsForKey, algorithmMismatch, importJwk, loadPemKey, secretFilePermissionProblem } from './keys.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'portcullis-jwt-keys-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string) => { const path = join(dir, name); writeFileSync(path, content); return path; };

describe('jwt key types and algorithms', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const cases: [string, KeyObject, string[]][] = [
    ['RSA 2048', rsa, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
    ['RSA 1024 accepts nothing', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, []],
    ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, ['ES256']],
    ['P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, ['ES384']],
    ['secp256k1 accepts nothing', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, []],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey, ['EdDSA', 'Ed25519']],
    ['32-byte secret', createSecretKey(Buffer.alloc(32)), ['HS256']],
    ['64-byte secret', createSecretKey(Buffer.alloc(64)), ['HS256', 'HS384', 'HS512']],
    ['16-byte secret accepts nothing', createSecretKey(Buffer.alloc(16)), []],
    ['a private key accepts nothing', generateKeyPairSync('ed25519').privateKey, []],
  ];
  for (const [name, key, expected] of cases) test(name, () => assert.deepEqual(algorithmsForKey(key), expected));

  test('HS256 on an RSA public key is a configuration error', () => {
    assert.match(algorithmMismatch(rsa, ['RS256', 'HS256']) ?? '', /^HS256 cannot be used with an RSA key of 2048 bits/);
    assert.equal(algorithmMismatch(rsa, ['RS256', 'PS256']), undefined);
  });
});

describe('jwt PEM files', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  test('SPKI public key', () => {
    const key = loadPemKey(file('spki.pem', pair.publicKey.export({ type: 'spki', format: 'pem' }) as string));
    assert.ok(!('error' in key) && key.equals(pair.publicKey));
  });
  test('PKCS#1 RSA public key', () => {
    const key = loadPemKey(file('pkcs1.pem', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string));
    assert.ok(!('error' in key) && key.equals(rsa.publicKey));
  });
  const openssl = (() => { try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
  test('certificate (generated with openssl)', { skip: openssl ? false : 'the openssl CLI is not installed' }, () => {
    const keyFile = join(dir, 'cert.key');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile,
      '-out', certFile, '-days', '1', '-subj', '/CN=issuer'], { stdio: 'ignore' });
    const key = loadPemKey(certFile);
    assert.ok(!('error' in key));
    assert.deepEqual(algorithmsForKey(key), ['ES256']);
  });
  test('a private key is refused without echoing it', () => {
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const result = loadPemKey(file('private.pem', pem));
    assert.ok('error' in result);
    assert.match(result.error, /holds a private key/);
    assert.ok(!result.error.includes(pem.split('\n')[1]!));
  });
  test('two blocks are refused', () => {
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.match((loadPemKey(file('two.pem', pem + pem)) as { error: string }).error, /2 PEM blocks/);
  });
  test('no block, missing file', () => {
    assert.match((loadPemKey(file('empty.pem', 'hello')) as { error: string }).error, /no PEM block/);
    assert.match((loadPemKey(join(dir, 'absent.pem')) as { error: string }).error, /ENOENT/);
  });
});

describe('jwt JWK import', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1' };
  test('public EC key with kid', () => {
    const result = importJwk(publicJwk, ['ES256', 'RS256'], false);
    assert.ok('key' in result);
    assert.equal(result.key.kid, 'k1');
    assert.deepEqual([...result.key.algorithms], ['ES256']);
  });
  test('a private JWK is refused', () => {
    const result = importJwk({ ...ec.privateKey.export({ format: 'jwk' }), kid: 'p' }, ['ES256'], false);
    assert.ok('error' in result && /private key/.test(result.error));
  });
  test('an encryption key is skipped', () => assert.ok('skip' in importJwk({ ...publicJwk, use: 'enc' }, ['ES256'], false)));
  test('a symmetric key is skipped from a URL and used from a file', () => {
    const oct = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url'), kid: 's' };
    assert.ok('skip' in importJwk(oct, ['HS256'], false));
    assert.ok('key' in importJwk(oct, ['HS256'], true));
  });
  test('the key\'s own alg narrows the configured list', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const result = importJwk({ ...rsa, alg: 'PS256' }, ['RS256', 'PS256'], false);
    assert.ok('key' in result);
    assert.deepEqual([...result.key.algorithms], ['PS256']);
    assert.ok('skip' in importJwk({ ...rsa, alg: 'PS256' }, ['RS256'], false));
  });
  test('a kid that is not a string is an error', () => assert.ok('error' in importJwk({ ...publicJwk, kid: 5 }, ['ES256'], false)));
});

describe('jwt secret file permissions', () => {
  test('0600 is accepted, 0644 refused', { skip: process.platform === 'win32' ? 'POSIX modes only' : false }, () => {
    const path = file('secret', 'x'.repeat(32));
    chmodSync(path, 0o600);
    assert.equal(secretFilePermissionProblem(path), undefined);
    chmodSync(path, 0o644);
    assert.match(secretFilePermissionProblem(path) ?? '', /mode 0644/);
  });
});
