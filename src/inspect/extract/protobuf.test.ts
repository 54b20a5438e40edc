import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractProtobuf } from './protobuf.ts';
import type { ExtractResult } from './extract-result.ts';

/** Wire-format helpers: a varint, a length-delimited field, a varint field. */
function varint(n: number): number[] {
  const out: number[] = [];
  do { let b = n % 128; n = Math.floor(n / 128); if (n > 0) b |= 0x80; out.push(b); } while (n > 0);
  return out;
}
const bytesField = (field: number, content: Buffer | string): Buffer => {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(body.length)]), body]);
};
const numberField = (field: number, n: number): Buffer => Buffer.from([...varint(field * 8), ...varint(n)]);
const grpcFrame = (message: Buffer, flag = 0): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return `!${result.problem.reason}`;
  return result.inputs.map((i) => `${i.location}=${i.value}`);
}

// SearchRequest { string query = 1; int32 page = 2; Filter filter = 3 { string brand = 1; repeated string tags = 2; } }
const SEARCH = Buffer.concat([
  bytesField(1, '반팔 티셔츠 (red)'),
  numberField(2, 3),
  bytesField(3, Buffer.concat([bytesField(1, 'Acme'), bytesField(2, 'summer'), bytesField(2, "1' OR '1'='1")])),
]);

test('strings are read without the schema, nested messages by their field numbers; numbers are skipped', () => {
  assert.deepEqual(show(extractProtobuf(SEARCH, 'x-protobuf')), [
    'body:pb:1=반팔 티셔츠 (red)', 'body:pb:3.1=Acme', 'body:pb:3.2=summer', "body:pb:3.2=1' OR '1'='1",
  ]);
  // Connect's unary protocol: the same message, `application/proto`
  assert.equal(show(extractProtobuf(SEARCH, 'proto')).length, 4);
});

test('gRPC-Web frames, binary and text (base64), are unwrapped; compressed frames are refused', () => {
  assert.deepEqual(show(extractProtobuf(grpcFrame(SEARCH), 'grpc-web+proto')).length, 4);
  assert.deepEqual(show(extractProtobuf(Buffer.from(grpcFrame(SEARCH).toString('base64')), 'grpc-web-text')).length, 4);
  assert.equal(show(extractProtobuf(grpcFrame(SEARCH, 1), 'grpc-web+proto')), '!unsupported_grpc_compression');
  assert.equal(show(extractProtobuf(grpcFrame(SEARCH).subarray(0, 10), 'grpc-web+proto')), '!protobuf_invalid');
});

test('what is no well-formed message is refused; opaque bytes are skipped; hostile input ends quickly', () => {
  assert.equal(show(extractProtobuf(Buffer.from('{"query":"x"}'), 'x-protobuf')), '!protobuf_invalid');
  assert.equal(show(extractProtobuf(Buffer.from([0x0a, 0x10, 0x41]), 'x-protobuf')), '!protobuf_invalid'); // length past the end
  assert.equal(show(extractProtobuf(Buffer.from([0x0b, 0x01]), 'x-protobuf')), '!protobuf_invalid'); // a group
  assert.deepEqual(show(extractProtobuf(bytesField(4, Buffer.from([0xff, 0xfe, 0x00, 0x07])), 'x-protobuf')), []);
  const deep = Array.from({ length: 5000 }).reduce<Buffer>((inner) => bytesField(1, Buffer.concat([Buffer.from([0x08, 0x01]), inner])), bytesField(1, 'x'));
  const t = performance.now();
  extractProtobuf(deep, 'x-protobuf');
  assert.ok(performance.now() - t < 500);
});
