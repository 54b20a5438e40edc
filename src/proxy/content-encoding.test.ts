import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { contentEncoding, decodeBody, encodeBody } from './content-encoding.ts';
import { setDecodableAcceptEncoding } from './headers.ts';

test('content codings: single known codings are decodable, chains and unknown ones are not', () => {
  assert.equal(contentEncoding(undefined), 'identity');
  assert.equal(contentEncoding(' identity '), 'identity');
  assert.equal(contentEncoding('GZIP'), 'gzip');
  assert.equal(contentEncoding('x-gzip'), 'gzip');
  assert.equal(contentEncoding('br'), 'br');
  assert.equal(contentEncoding('deflate'), 'deflate');
  assert.equal(contentEncoding('gzip, br'), null);
  assert.equal(contentEncoding('zstd'), null);
  assert.equal(contentEncoding('compress'), null);
});

test('decode and encode round trips for every coding; raw deflate is accepted too', () => {
  const body = Buffer.from(JSON.stringify({ owner: { phone: '010-1234-5678' }, filler: 'x'.repeat(5000) }));
  for (const coding of ['gzip', 'deflate', 'br'] as const) {
    assert.deepEqual(decodeBody(encodeBody(body, coding), coding, 1 << 20), body, coding);
  }
  assert.deepEqual(decodeBody(gzipSync(body), 'gzip', 1 << 20), body);
  assert.deepEqual(decodeBody(brotliCompressSync(body), 'br', 1 << 20), body);
  assert.deepEqual(decodeBody(deflateSync(body), 'deflate', 1 << 20), body);
  assert.deepEqual(decodeBody(deflateRawSync(body), 'deflate', 1 << 20), body);
});

test('a decompression bomb stops at the cap; corrupt bodies throw', () => {
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MiB of zeros in about 50 KB
  assert.ok(bomb.length < 100_000);
  assert.throws(() => decodeBody(bomb, 'gzip', 1024 * 1024), (error: { code?: string }) => error.code === 'ERR_BUFFER_TOO_LARGE');
  assert.throws(() => decodeBody(brotliCompressSync(Buffer.alloc(4 << 20)), 'br', 1 << 20), (error: { code?: string }) => error.code === 'ERR_BUFFER_TOO_LARGE');
  assert.throws(() => decodeBody(Buffer.from('not gzip at all'), 'gzip', 1 << 20));
});

test('the upstream Accept-Encoding keeps only codings Portcullis decodes', () => {
  const headers = ['Accept', '*/*', 'Accept-Encoding', 'gzip, deflate, br, zstd;q=0.9, compress', 'x', 'y'];
  setDecodableAcceptEncoding(headers);
  assert.deepEqual(headers, ['Accept', '*/*', 'Accept-Encoding', 'gzip, deflate, br', 'x', 'y']);
  const onlyZstd = ['accept-encoding', 'zstd', 'x', 'y'];
  setDecodableAcceptEncoding(onlyZstd);
  assert.deepEqual(onlyZstd, ['x', 'y'], 'nothing decodable left: the header goes, the upstream answers identity');
});
