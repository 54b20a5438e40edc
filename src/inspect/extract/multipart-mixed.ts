import type { InspectedInput } from '../finding.ts';
import { classifyContentType, parseContentType, type MediaType } from './content-type.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { bad, multipartBoundary, readParts } from './multipart.ts';
import { extractHttpMessage } from './http-message.ts';

/**
 * `multipart/mixed`, `multipart/related` and `multipart/alternative` request bodies (RFC 2046, RFC 2387): the
 * uploads that send metadata and media in one request (Google Drive's and YouTube's `uploadType=multipart`, SOAP
 * with MTOM attachments), and the batches of OData `$batch` and Google's batch endpoints, whose parts are whole
 * HTTP requests (`application/http`).
 *
 * The parts are split as strictly as form-data's (see readParts). Each part is then parsed by its own
 * Content-Type with `parsePart`, the parser the request body itself would get (no Content-Type: text, RFC 2046's
 * default), and its inputs are located under `body:part<N>` (`body:part1:$.name`, `body:part2`). An
 * `application/http` part is read as the request it holds (see http-message.ts); a nested multipart part is split
 * the same way, two levels deep at most.
 *
 * `Content-Transfer-Encoding`: `7bit`, `8bit` and `binary` are the identity; `base64` is decoded (strictly: only
 * the base64 alphabet and line breaks) and the decoded bytes are inspected, as the receiver decodes them; any other
 * (quoted-printable, x-token) is refused, 415. Never throws.
 */

/** Parses a part's content as a request body of its media type would be (`media` undefined: no Content-Type). */
export type PartParser = (media: MediaType | undefined, content: Buffer, maxInputs: number) => ExtractResult;

export interface MixedOptions {
  readonly maxInputs?: number;
  readonly maxParts?: number;
  /** Location prefix of the parts; default `body:`. */
  readonly prefix?: string;
  /** Nesting so far (a multipart part inside a multipart body). */
  readonly depth?: number;
}

const MAX_DEPTH = 2;

export function extractMultipartMixed(body: Uint8Array, media: MediaType, parsePart: PartParser, options: MixedOptions = {}): ExtractResult {
  const boundary = multipartBoundary(media);
  if (typeof boundary !== 'string') return boundary;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const prefix = options.prefix ?? 'body:';
  const depth = options.depth ?? 1;
  const parts = readParts(body, boundary, options.maxParts, undefined, true);
  if (!Array.isArray(parts)) return parts;
  const inputs: InspectedInput[] = [];
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const at = `${prefix}part${index + 1}`;
    let partMedia: MediaType | undefined;
    let encoding = 'binary';
    for (const h of part.headers) {
      if (h.name === 'content-type') {
        const parsed = parseContentType(h.value);
        if ('problem' in parsed) {
          if (parsed.problem.reason === 'unsupported_charset') return failure('unsupported_charset', `multipart part ${index + 1}: ${parsed.problem.message}`, 'part_charset');
          return bad('invalid_part_content_type', `part ${index + 1}: ${parsed.problem.message}`);
        }
        partMedia = parsed;
      } else if (h.name === 'content-transfer-encoding') encoding = h.value.toLowerCase();
    }
    for (const h of part.headers) {
      if (h.value === '' || h.name === 'content-type' || h.name === 'content-length' || h.name === 'content-transfer-encoding') continue;
      inputs.push({ source: 'body', name: h.name, location: `${at}:header:${h.name}`, value: h.value });
    }
    let content: Buffer;
    if (encoding === '7bit' || encoding === '8bit' || encoding === 'binary') content = part.content;
    else if (encoding === 'base64') {
      const decoded = mimeBase64(part.content);
      if (decoded === undefined) return bad('invalid_base64', `part ${index + 1}: Content-Transfer-Encoding base64 with characters outside base64`);
      content = decoded;
    } else {
      return failure('unsupported_transfer_encoding', `multipart part ${index + 1}: Content-Transfer-Encoding "${encoding.slice(0, 40)}" is not decoded`);
    }
    const result = partInputs(partMedia, content, parsePart, at, depth, maxInputs - inputs.length);
    if ('problem' in result) return failure(result.problem.reason, `part ${index + 1}: ${result.problem.message}`, result.problem.detail);
    for (const input of result.inputs) inputs.push(input);
    if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
  }
  return { inputs };
}

/** The inputs of one part's content, relocated under `at`. */
function partInputs(media: MediaType | undefined, content: Buffer, parsePart: PartParser, at: string, depth: number, maxInputs: number): ExtractResult {
  if (content.length === 0) return { inputs: [] };
  if (media !== undefined && classifyContentType(media) === 'multipart-mixed') {
    if (depth >= MAX_DEPTH) return failure('multipart_invalid', 'multipart nested more than two levels deep', 'nesting');
    return extractMultipartMixed(content, media, parsePart, { maxInputs, prefix: `${at}:`, depth: depth + 1 });
  }
  if (media !== undefined && media.type === 'application' && media.subtype === 'http') {
    return extractHttpMessage(content, {
      prefix: `${at}:http:`,
      maxInputs,
      body: (bodyMedia, bytes, budget) => relocate(bodyMedia === undefined && bytes.length === 0 ? { inputs: [] } : parsePart(bodyMedia, bytes, budget), `${at}:http:body`),
    });
  }
  return relocate(parsePart(media, content, maxInputs), at);
}

/** Moves inputs located at `body...` to `at...` (`body:$.a` to `body:part2:$.a`, `body` to `body:part2`). */
function relocate(result: ExtractResult, at: string): ExtractResult {
  if ('problem' in result) return result;
  return { inputs: result.inputs.map((input) => ({ ...input, location: input.location.startsWith('body') ? at + input.location.slice(4) : `${at}:${input.location}` })) };
}

/** MIME base64 (RFC 2045 §6.8): the alphabet, `=` padding and line breaks; undefined for anything else. */
function mimeBase64(content: Buffer): Buffer | undefined {
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    const ok = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2f || b === 0x3d || b === 0x0d || b === 0x0a;
    if (!ok) return undefined;
  }
  return Buffer.from(content.toString('latin1'), 'base64');
}

