import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcmsiv } from '@noble/ciphers/aes.js';
import { compileKeys, decodeKeyText, TokenCodec, type CloakKey } from './token.ts';
import type { IdentifierKeyConfig } from './config.ts';

const KEY_A = Buffer.alloc(32, 0xa1).toString('base64');
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');

function keys(configs: IdentifierKeyConfig[]): CloakKey[] {
  const issues: { path: string; message: string }[] = [];
  const compiled = compileKeys(configs, (path, message) => issues.push({ path, message }));
  assert.deepEqual(issues, []);
  return compiled;
}

const codecA = () => new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'principal' });
const shop = (text: string) => ({ text, numeric: false });

describe('AES-256-GCM-SIV (the library, against RFC 8452 appendix C.2)', () => {
  test('known answers', () => {
    const key = Buffer.from('0100000000000000000000000000000000000000000000000000000000000000', 'hex');
    const nonce = Buffer.from('030000000000000000000000', 'hex');
    assert.equal(Buffer.from(gcmsiv(key, nonce).encrypt(new Uint8Array(0))).toString('hex'), '07f5f4169bbf55a8400cd47ea6fd400f');
    assert.equal(Buffer.from(gcmsiv(key, nonce).encrypt(Buffer.from('0100000000000000', 'hex'))).toString('hex'),
      'c2ef328e5c71c83b843122130f7364b761e0b97427e3df28');
  });
});

describe('identifier tokens', () => {
  test('round trip of strings and numbers, URL-safe and short', () => {
    const codec = codecA();
    const token = codec.encode('shop', 'alice', shop('alice-bakery'));
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.ok(token.length <= 48, `token length ${token.length}`);
    assert.deepEqual(codec.decode('shop', 'alice', token), { ok: true, id: shop('alice-bakery'), keyId: 'a', expiresAt: undefined });
    const numeric = codec.encode('order', 'alice', { text: '12345678901234567890', numeric: true });
    const back = codec.decode('order', 'alice', numeric);
    assert.ok(back.ok);
    assert.deepEqual(back.id, { text: '12345678901234567890', numeric: true });
    const unicode = codec.encode('shop', 'alice', shop('가게/😀'));
    assert.deepEqual((codec.decode('shop', 'alice', unicode) as { id: unknown }).id, shop('가게/😀'));
  });

  test('the token format is stable (a pinned token from fixed inputs)', () => {
    // Changing the format or the associated data would invalidate every token clients hold: this must not change
    // by accident.
    assert.equal(codecA().encode('shop', 'alice', shop('alice-bakery')), 'AQFh5q0HSMTMagiXHnl9WUTLUbOhCY6hdF3AHkamDTo');
  });

  test('deterministic per key, kind, principal and value; different otherwise', () => {
    const one = codecA();
    const two = codecA(); // another worker with the same key
    const token = one.encode('shop', 'alice', shop('alice-bakery'));
    assert.equal(two.encode('shop', 'alice', shop('alice-bakery')), token);
    const others = [
      one.encode('shop', 'bob', shop('alice-bakery')),
      one.encode('order', 'alice', shop('alice-bakery')),
      one.encode('shop', 'alice', shop('alice-books')),
      one.encode('shop', 'alice', { text: 'alice-bakery', numeric: true }),
      new TokenCodec(keys([{ id: 'b', secret: KEY_B }]), { binding: 'principal' }).encode('shop', 'alice', shop('alice-bakery')),
      new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'cookie:sid' }).encode('shop', 'alice', shop('alice-bakery')),
    ];
    assert.equal(new Set([token, ...others]).size, others.length + 1);
  });

  test('another principal, another kind, another binding: not authentic', () => {
    const codec = codecA();
    const token = codec.encode('shop', 'alice', shop('alice-bakery'));
    assert.deepEqual(codec.decode('shop', 'bob', token), { ok: false, reason: 'not_authentic' });
    assert.deepEqual(codec.decode('order', 'alice', token), { ok: false, reason: 'not_authentic' });
    const cookieCodec = new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'cookie:sid' });
    assert.deepEqual(cookieCodec.decode('shop', 'alice', token), { ok: false, reason: 'not_authentic' });
    // A principal that only differs by where the separator would be does not collide.
    const tricky = codec.encode('shop', 'ali', shop('cealice-bakery'));
    assert.notEqual(tricky, token);
  });

  test('every single-character change of a token is refused', () => {
    const codec = new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'principal', ttlSeconds: 3600, cacheEntries: 0 });
    const token = codec.encode('shop', 'alice', shop('alice-bakery'));
    const alphabet = 'AZaz09-_';
    for (let i = 0; i < token.length; i++) {
      for (const replacement of alphabet) {
        if (token[i] === replacement) continue;
        const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
        const result = codec.decode('shop', 'alice', tampered);
        assert.equal(result.ok, false, `position ${i} -> ${replacement} was accepted`);
      }
    }
    // Truncated, extended, padded.
    for (const changed of [token.slice(0, -1), token + 'A', token + '=', ` ${token}`]) assert.equal(codec.decode('shop', 'alice', changed).ok, false);
  });

  test('raw identifiers and junk are malformed, without decryption', () => {
    const codec = codecA();
    for (const raw of ['alice-bakery', 'bob-bikes', '', '1', '../../etc/passwd', 'x'.repeat(5000), 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const result = codec.decode('shop', 'alice', raw);
      assert.equal(result.ok, false);
      assert.ok(['malformed', 'unknown_key'].includes((result as { reason: string }).reason), raw);
    }
  });

  test('rotation: the first key mints, every key decodes; a removed key is unknown; notAfter retires', () => {
    const old = codecA();
    const oldToken = old.encode('shop', 'alice', shop('alice-bakery'));
    const rotated = new TokenCodec(keys([{ id: 'b', secret: KEY_B }, { id: 'a', secret: KEY_A }]), { binding: 'principal' });
    assert.deepEqual(rotated.decode('shop', 'alice', oldToken), { ok: true, id: shop('alice-bakery'), keyId: 'a', expiresAt: undefined });
    const newToken = rotated.encode('shop', 'alice', shop('alice-bakery'));
    assert.notEqual(newToken, oldToken);
    assert.equal((rotated.decode('shop', 'alice', newToken) as { keyId: string }).keyId, 'b');
    const after = new TokenCodec(keys([{ id: 'b', secret: KEY_B }]), { binding: 'principal' });
    assert.deepEqual(after.decode('shop', 'alice', oldToken), { ok: false, reason: 'unknown_key' });
    assert.equal(after.decode('shop', 'alice', newToken).ok, true);

    const retiring = new TokenCodec(keys([{ id: 'b', secret: KEY_B }, { id: 'a', secret: KEY_A, notAfter: '2030-01-01T00:00:00Z' }]), { binding: 'principal' });
    const before2030 = Date.parse('2029-12-31T23:59:00Z');
    const after2030 = Date.parse('2030-01-01T00:00:01Z');
    assert.equal(retiring.decode('shop', 'alice', oldToken, before2030).ok, true);
    // The decode cache holds the earlier success; retirement is still checked on use.
    assert.deepEqual(retiring.decode('shop', 'alice', oldToken, after2030), { ok: false, reason: 'retired_key' });
    // A key with the same id but other bytes: same id, not authentic.
    const impostor = new TokenCodec(keys([{ id: 'a', secret: KEY_B }]), { binding: 'principal' });
    assert.deepEqual(impostor.decode('shop', 'alice', oldToken), { ok: false, reason: 'not_authentic' });
  });

  test('expiry: stable within a quarter of the lifetime, valid for at least ttl, then expired (cached or not)', () => {
    const codec = new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'principal', ttlSeconds: 3600 });
    const t0 = Date.parse('2026-11-27T12:00:01Z');
    const token = codec.encode('shop', 'alice', shop('alice-bakery'), t0);
    assert.equal(codec.encode('shop', 'alice', shop('alice-bakery'), t0 + 100_000), token, 'same quarter, same token');
    assert.notEqual(codec.encode('shop', 'alice', shop('alice-bakery'), t0 + 1_000_000), token, 'later quarter, new token');
    const decoded = codec.decode('shop', 'alice', token, t0 + 3_599_000);
    assert.ok(decoded.ok);
    assert.ok(decoded.expiresAt! * 1000 >= t0 + 3_600_000 && decoded.expiresAt! * 1000 <= t0 + 4_500_000);
    assert.deepEqual(codec.decode('shop', 'alice', token, decoded.expiresAt! * 1000), { ok: false, reason: 'expired' });
    const uncached = new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'principal', ttlSeconds: 3600, cacheEntries: 0 });
    assert.deepEqual(uncached.decode('shop', 'alice', token, decoded.expiresAt! * 1000 + 1), { ok: false, reason: 'expired' });
    // Without ttl the same codec keys give a token that has no expiry, and it is a different token.
    assert.notEqual(codecA().encode('shop', 'alice', shop('alice-bakery'), t0), token);
  });

  test('the caches are bounded', () => {
    const codec = new TokenCodec(keys([{ id: 'a', secret: KEY_A }]), { binding: 'principal', cacheEntries: 5 });
    for (let i = 0; i < 20; i++) codec.decode('shop', 'alice', codec.encode('shop', 'alice', shop(`shop-${i}`)));
    const sizes = codec.cacheSizes();
    assert.ok(sizes.encoded >= 1 && sizes.encoded <= 5, String(sizes.encoded));
    assert.equal(sizes.decoded, 5);
  });
});

describe('key configuration', () => {
  const issuesOf = (configs: IdentifierKeyConfig[]) => {
    const issues: { path: string; message: string }[] = [];
    compileKeys(configs, (path, message) => issues.push({ path, message }));
    return issues;
  };

  test('32 bytes in the declared encoding, canonical only', () => {
    assert.ok(decodeKeyText(KEY_A, 'base64'));
    assert.ok(decodeKeyText(KEY_A.replace(/=$/, ''), 'base64'));
    assert.ok(decodeKeyText(Buffer.alloc(32, 1).toString('hex'), 'hex'));
    assert.ok(decodeKeyText(Buffer.alloc(32, 0xfb).toString('base64url'), 'base64url'));
    assert.equal(decodeKeyText(Buffer.alloc(16, 1).toString('base64'), 'base64'), undefined);
    assert.equal(decodeKeyText(`${KEY_A.slice(0, 10)}!!${KEY_A.slice(10)}`, 'base64'), undefined);
    assert.equal(decodeKeyText('a-string-that-is-not-base64-but-long-enough-44', 'base64'), undefined);
  });

  test('problems are reported with pointers, never with the secret', () => {
    const secret = 'short-secret-value';
    const issues = issuesOf([
      { id: 'a', secret },
      { id: 'a', secret: KEY_B },
      { id: 'c', secret: { env: 'PORTCULLIS_TEST_UNSET_CLOAK_KEY' } },
      { id: 'd', secret: KEY_A, notAfter: 'next tuesday' },
    ]);
    assert.deepEqual(issues.map((i) => i.path), ['/0/secret', '/1/id', '/2/secret', '/3/notAfter']);
    assert.ok(!JSON.stringify(issues).includes(secret));
    assert.deepEqual(issuesOf([{ id: 'a', secret: KEY_A, notAfter: '2030-01-01T00:00:00Z' }]).map((i) => i.path), ['/0/notAfter']);
  });

  test('a key file must be private to its owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloak-key-'));
    const file = join(dir, 'key');
    writeFileSync(file, KEY_A + '\n');
    chmodSync(file, 0o644);
    assert.match(issuesOf([{ id: 'a', secret: { file } }])[0]!.message, /accessible to group or others/);
    chmodSync(file, 0o600);
    assert.deepEqual(issuesOf([{ id: 'a', secret: { file } }]), []);
  });
});
