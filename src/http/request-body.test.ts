import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { BodyRefusal, decodeRequestBody } from './request-body.ts';

const text = Buffer.from('{"note":"hello, world"}');

function refusal(fn: () => unknown): { status: number; reason: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof BodyRefusal);
    return { status: error.status, reason: error.reason };
  }
  assert.fail('no refusal');
}

test('a request body is decoded by its Content-Encoding: gzip, x-gzip, deflate (zlib or raw), br, in any case', () => {
  for (const [header, body] of [['gzip', gzipSync(text)], ['x-gzip', gzipSync(text)], ['Deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)], ['br', brotliCompressSync(text)], [' GZIP ', gzipSync(text)]] as const) {
    assert.deepEqual(decodeRequestBody(header, body, 1024), text, header);
  }
  // no coding: nothing to decode
  assert.equal(decodeRequestBody(undefined, text, 1024), null);
  assert.equal(decodeRequestBody('identity', text, 1024), null);
});

test('what cannot be decoded is refused: other codings and chains 415, corrupt bodies 400, bombs 413', () => {
  assert.deepEqual(refusal(() => decodeRequestBody('zstd', text, 1024)), { status: 415, reason: 'unsupported_content_encoding' });
  assert.deepEqual(refusal(() => decodeRequestBody('compress', text, 1024)), { status: 415, reason: 'unsupported_content_encoding' });
  assert.deepEqual(refusal(() => decodeRequestBody('gzip, br', brotliCompressSync(gzipSync(text)), 1024)), { status: 415, reason: 'unsupported_content_encoding' });
  assert.deepEqual(refusal(() => decodeRequestBody('gzip', text, 1024)), { status: 400, reason: 'content_encoding_invalid' });
  assert.deepEqual(refusal(() => decodeRequestBody('br', Buffer.from('not brotli at all'), 1024)), { status: 400, reason: 'content_encoding_invalid' });
  assert.deepEqual(refusal(() => decodeRequestBody('gzip', gzipSync(text).subarray(0, 15), 1024)), { status: 400, reason: 'content_encoding_invalid' });
  // 64 MiB of blanks in 64 KiB: decoding stops at the limit instead of filling memory
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
  assert.ok(bomb.length < 100_000);
  assert.deepEqual(refusal(() => decodeRequestBody('gzip', bomb, 1024 * 1024)), { status: 413, reason: 'body_too_large_to_inspect' });
  assert.deepEqual(refusal(() => decodeRequestBody('deflate', deflateSync(Buffer.alloc(2048)), 1024)), { status: 413, reason: 'body_too_large_to_inspect' });
});

test('the policy chooses the codings that are decoded: another is refused as one that cannot be', () => {
  assert.deepEqual(decodeRequestBody('gzip', gzipSync(text), 1024, ['gzip']), text);
  assert.deepEqual(refusal(() => decodeRequestBody('br', brotliCompressSync(text), 1024, ['gzip'])), { status: 415, reason: 'unsupported_content_encoding' });
  assert.deepEqual(refusal(() => decodeRequestBody('gzip', gzipSync(text), 1024, [])), { status: 415, reason: 'unsupported_content_encoding' });
  assert.equal(decodeRequestBody('identity', text, 1024, []), null);
});

