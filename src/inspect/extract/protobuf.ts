import type { InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { strictUtf8Text } from './charset.ts';

/**
 * Protocol Buffers bodies read without their schema, as `protoc --decode_raw` reads them: `application/x-protobuf`,
 * `application/protobuf`, `application/vnd.google.protobuf`, Connect's `application/proto`, and gRPC-Web
 * (`application/grpc-web+proto`, `application/grpc-web`; `application/grpc-web-text` is the same in base64), whose
 * messages come in frames of a flag byte and a 4-byte length.
 *
 * The wire format says where every field starts and ends, but not what a length-delimited field holds: a string,
 * bytes or a message. Each one is inspected as text when it is printable UTF-8 (the strings a backend reads into
 * its fields), and read as a nested message when its bytes parse as one (depth bounded by MAX_DEPTH); both when
 * both hold. Inputs are located by field numbers (`body:pb:2.1`: field 1 of the message in field 2). Numbers are
 * skipped: they carry no payload.
 *
 * Fail closed: a body that is not a well-formed message (a key of wire type 3, 4, 6 or 7, a length past the end, a
 * truncated varint, a gRPC-Web frame that does not add up) is refused (400 `protobuf_invalid`); a message with a
 * compressed gRPC-Web frame (flag bit 0) is refused as a coding that is not decoded (415). Never throws.
 */

const MAX_DEPTH = 16;
/** Printable text: no control characters but tab and line breaks. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

export const PROTOBUF_SUBTYPES: ReadonlySet<string> = new Set(['x-protobuf', 'protobuf', 'vnd.google.protobuf', 'proto', 'x-google-protobuf']);
export const GRPC_WEB_SUBTYPES: ReadonlySet<string> = new Set(['grpc-web', 'grpc-web+proto', 'grpc-web-text', 'grpc-web-text+proto']);

interface Walk {
  readonly inputs: InspectedInput[];
  readonly maxInputs: number;
  budget: number;
}

/** The inputs of a protobuf or gRPC-Web body (`subtype` of `application/`), or the problem. */
export function extractProtobuf(body: Uint8Array, subtype: string, maxInputs = DEFAULT_MAX_INPUTS): ExtractResult {
  const walk: Walk = { inputs: [], maxInputs, budget: 64 * body.length + 4096 };
  let bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (GRPC_WEB_SUBTYPES.has(subtype)) {
    if (subtype.startsWith('grpc-web-text')) {
      const text = bytes.toString('latin1').replace(/[\r\n]/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return failure('protobuf_invalid', 'gRPC-Web text body that is not base64');
      bytes = Buffer.from(text, 'base64');
    }
    for (let at = 0, frame = 0; at < bytes.length; frame++) {
      if (at + 5 > bytes.length) return failure('protobuf_invalid', 'a gRPC-Web frame header cut short');
      const flag = bytes[at]!;
      const length = bytes.readUInt32BE(at + 1);
      if (at + 5 + length > bytes.length) return failure('protobuf_invalid', 'a gRPC-Web frame longer than the body');
      if ((flag & 1) !== 0) return failure('unsupported_grpc_compression', 'a compressed gRPC-Web message (its coding is not decoded)');
      const message = bytes.subarray(at + 5, at + 5 + length);
      // (flag 0x80: trailers, text headers; a request has none, but they are read as text all the same)
      if ((flag & 0x80) !== 0) {
        const text = strictUtf8Text(message);
        if (text === undefined) return failure('protobuf_invalid', 'gRPC-Web trailers that are not UTF-8');
        walk.inputs.push({ source: 'body', name: '', location: `body:pb:frame${frame}`, value: text });
      } else if (!readMessage(message, `body:pb:${frame === 0 ? '' : `frame${frame}:`}`, 0, walk)) {
        return failure('protobuf_invalid', 'a gRPC-Web message that is not well-formed protobuf');
      }
      if (walk.inputs.length > maxInputs) return tooManyInputs(maxInputs);
      at += 5 + length;
    }
    return { inputs: walk.inputs };
  }
  if (!readMessage(bytes, 'body:pb:', 0, walk)) return failure('protobuf_invalid', 'a body that is not well-formed protobuf');
  if (walk.inputs.length > maxInputs) return tooManyInputs(maxInputs);
  return { inputs: walk.inputs };
}

/**
 * Reads the fields of one message. Returns false when the bytes are not a message (then nothing it pushed stays: the
 * caller drops its inputs past the length it had).
 */
function readMessage(bytes: Buffer, prefix: string, depth: number, walk: Walk): boolean {
  const mark = walk.inputs.length;
  let at = 0;
  while (at < bytes.length) {
    if (--walk.budget < 0) { walk.inputs.length = mark; return false; }
    const key = varint(bytes, at);
    if (key === undefined) { walk.inputs.length = mark; return false; }
    at = key.next;
    const field = Math.floor(key.value / 8);
    const type = key.value % 8;
    if (field === 0) { walk.inputs.length = mark; return false; }
    if (type === 0) {
      const v = varint(bytes, at);
      if (v === undefined) { walk.inputs.length = mark; return false; }
      at = v.next;
    } else if (type === 1) {
      at += 8;
    } else if (type === 5) {
      at += 4;
    } else if (type === 2) {
      const length = varint(bytes, at);
      if (length === undefined || length.next + length.value > bytes.length) { walk.inputs.length = mark; return false; }
      const content = bytes.subarray(length.next, length.next + length.value);
      at = length.next + length.value;
      const location = `${prefix}${prefix.endsWith(':') ? '' : '.'}${field}`;
      const text = content.length > 0 ? strictUtf8Text(content) : undefined;
      if (text !== undefined && !CONTROL.test(text)) {
        walk.inputs.push({ source: 'body', name: '', location, value: text });
      } else if (content.length > 0 && depth < MAX_DEPTH) {
        readMessage(content, location, depth + 1, walk); // bytes that are no message are opaque bytes: skipped
      }
      if (walk.inputs.length > walk.maxInputs) return true;
    } else {
      walk.inputs.length = mark; // groups (3, 4) are long deprecated; 6 and 7 do not exist
      return false;
    }
    if (at > bytes.length) { walk.inputs.length = mark; return false; }
  }
  return true;
}

/** A base-128 varint at `at` (at most 10 bytes), or undefined when it is cut short or too long. */
function varint(bytes: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    const b = bytes[at + k];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: at + k + 1 };
  }
  return undefined;
}
