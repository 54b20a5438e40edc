import type { InspectedInput } from '../finding.ts';
import { isTchar, parseContentType, type MediaType } from './content-type.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractProblem, type ExtractResult } from './extract-result.ts';
import { strictUtf8Text } from './charset.ts';
import { extractUrlencoded } from './urlencoded.ts';

/**
 * An HTTP request carried as data: an `application/http` part of a batch (OData `$batch`, Google's batch
 * endpoints), which the receiver unpacks and runs as a request of its own. Its request target (the path, and each
 * query parameter name and value), its header values and its body (parsed by `body` with the body's own
 * Content-Type) are inputs, located under `prefix` (`body:part2:http:path`, `…:http:query:NAME`,
 * `…:http:header:NAME`, `…:http:body:$.a`).
 *
 * Read as batch parsers read it: a request line `METHOD target [HTTP/x.y]`, header lines, an empty line, the
 * body; lines end in CRLF or LF. Anything else (no method token, no target, a header line without a colon,
 * invalid UTF-8 in the head) is refused: a part the gateway cannot read is not forwarded. Credentials
 * (`Authorization`) and framing headers are not inspected, as in a request's own head. Never throws.
 */
export interface HttpMessageOptions {
  readonly prefix: string;
  readonly maxInputs?: number;
  readonly body: (media: MediaType | undefined, bytes: Buffer, maxInputs: number) => ExtractResult;
}

const SKIPPED_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'content-length', 'content-type', 'host', 'content-id']);
const MAX_HEAD = 16 * 1024;
/** `scheme://authority` of an absolute-form target (no `/`, `?` or `#` in the authority). */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]{0,15}:\/\/[^/?#]*/;

function bad(detail: string, message: string): { problem: ExtractProblem } {
  return failure('multipart_invalid', `application/http part: ${message}`, detail);
}

export function extractHttpMessage(content: Buffer, options: HttpMessageOptions): ExtractResult {
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  // the head ends at the first empty line (CRLF CRLF, or LF LF), or with the content
  let headEnd = -1;
  let bodyStart = content.length;
  for (let i = 0; i < content.length && i <= MAX_HEAD; i++) {
    if (content[i] !== 0x0a) continue;
    if (content[i + 1] === 0x0a) { headEnd = i; bodyStart = i + 2; break; }
    if (content[i + 1] === 0x0d && content[i + 2] === 0x0a) { headEnd = i; bodyStart = i + 3; break; }
  }
  if (headEnd < 0) {
    if (content.length > MAX_HEAD) return bad('head_too_large', `a request head longer than ${MAX_HEAD} bytes`);
    headEnd = content.length;
  }
  const head = strictUtf8Text(content.subarray(0, headEnd));
  if (head === undefined) return bad('invalid_utf8', 'the request head is not valid UTF-8');
  // (a request without a body ends with its last header line's break, or one more: no empty line after it)
  let headLength = head.length;
  while (headLength > 0 && (head.charCodeAt(headLength - 1) === 10 || head.charCodeAt(headLength - 1) === 13)) headLength--;
  const lines = head.slice(0, headLength).split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const requestLine = lines[0] ?? '';
  const firstSpace = requestLine.indexOf(' ');
  if (firstSpace <= 0) return bad('request_line', 'no "METHOD target" request line');
  for (let i = 0; i < firstSpace; i++) if (!isTchar(requestLine.charCodeAt(i))) return bad('request_line', 'the method is not a token');
  const rest = requestLine.slice(firstSpace + 1);
  const version = / HTTP\/\d\.\d$/.exec(rest);
  const target = version === null ? rest : rest.slice(0, version.index);
  // (blanks inside the target only between the method and an HTTP version: some OData clients leave `$filter=a eq 1`
  // unencoded, and batch parsers take what lies between)
  if (target === '' || (version === null && target.includes(' '))) return bad('request_line', 'no request target, or blanks in a target without an HTTP version');

  const inputs: InspectedInput[] = [];
  // an absolute target (`GET https://host/odata/Customers HTTP/1.1`) is read from its path on, as a request's is
  const origin = ABSOLUTE_FORM.exec(target);
  const local = origin === null ? target : target.slice(origin[0].length);
  const question = local.indexOf('?');
  const path = question < 0 ? local : local.slice(0, question);
  if (path !== '' && path !== '/') inputs.push({ source: 'body', name: '', location: `${options.prefix}path`, value: path });
  if (question >= 0 && question < local.length - 1) {
    const query = extractUrlencoded(local.slice(question + 1), { prefix: `${options.prefix}query:`, maxInputs });
    if ('problem' in query) return query;
    for (const input of query.inputs) inputs.push(input);
  }
  let media: MediaType | undefined;
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return bad('header_line', 'a header line that is not "Name: value"');
    for (let i = 0; i < colon; i++) if (!isTchar(line.charCodeAt(i))) return bad('header_line', 'a header name that is not a token');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') {
      const parsed = parseContentType(value);
      if ('problem' in parsed) return parsed;
      media = parsed;
    }
    if (value === '' || SKIPPED_HEADERS.has(name)) continue;
    inputs.push({ source: 'body', name, location: `${options.prefix}header:${name}`, value });
  }
  if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
  const body = options.body(media, content.subarray(bodyStart), maxInputs - inputs.length);
  if ('problem' in body) return body;
  for (const input of body.inputs) inputs.push(input);
  if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
  return { inputs };
}
