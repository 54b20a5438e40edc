import { parseQuery, type Exchange } from '../../pipeline/exchange.ts';
import type { InspectedInput } from '../../inspect/finding.ts';
import { extractHeaders, type HeaderSelection } from '../../inspect/extract/headers.ts';
import { extractCookies } from '../../inspect/extract/cookies.ts';
import { bodyKindOf, classifyContentType, mediaCharset, parseContentType, type BodyKind, type MediaType } from '../../inspect/extract/content-type.ts';
import { extractMultipartMixed } from '../../inspect/extract/multipart-mixed.ts';
import { extractProtobuf } from '../../inspect/extract/protobuf.ts';
import { extractJson } from '../../inspect/extract/json.ts';
import { extractJsonLines } from '../../inspect/extract/json-lines.ts';
import { skipWs } from '../../inspect/extract/json-lexical.ts';
import { extractUrlencoded } from '../../inspect/extract/urlencoded.ts';
import { extractMultipart } from '../../inspect/extract/multipart.ts';
import { extractFile } from '../../inspect/extract/file-content.ts';
import { extractXml, xmlDocumentText } from '../../inspect/extract/xml.ts';
import { extractGraphql, looksLikeGraphql } from '../../inspect/extract/graphql.ts';
import { failure, problemStatus, type ExtractProblem, type ExtractResult } from '../../inspect/extract/extract-result.ts';
import { decodeText, strictText, UTF8 } from '../../inspect/extract/charset.ts';
import { embeddedJsonInputs } from '../../inspect/decode/variants.ts';


/** Characters of query and shell syntax that a short path segment has only when it carries more than an id. */
const SEGMENT_SYNTAX = /['"()<>;|&$`\s]/;

/** A refusal of the request because a part of it cannot be inspected as sent. */
export interface InputProblem { status: number; reason: string; message: string }

/**
 * The inputs of the request head: the canonical path, every query parameter name and value (decoded once, as
 * the application reads them; the engine's layers decode further), cookies and the inspected headers. JSON found
 * inside a query value, cookie or header is walked too (`query:q:json:$.a`).
 */
export function headInputs(exchange: Exchange, inspectedHeaders: HeaderSelection, maxInputs: number): InspectedInput[] | { problem: InputProblem } {
  const inputs: InspectedInput[] = [{ source: 'path', name: '', location: 'path', value: exchange.path }];
  // Segments on their own too: an encoded payload (base64, say) fills a segment, not the whole path; and a short one
  // with a quote, a bracket, a blank or a shell operator is a value a route parameter hands on (`/users/1'or'1`).
  for (const segment of exchange.path.split('/')) {
    if (segment.length >= 8 || (segment.length >= 3 && SEGMENT_SYNTAX.test(segment))) inputs.push({ source: 'path', name: '', location: 'path', value: segment });
  }
  // The query string as a whole, as backends that join repeated values or read the raw query would see it: when a
  // payload may be split over parameters (see splitMayMatter).
  if (exchange.rawQuery.includes('%26') || (exchange.query.length > 1 && splitMayMatter(exchange.query))) {
    inputs.push({ source: 'query', name: '', location: 'query', value: exchange.rawQuery.replaceAll('+', ' ') });
  }
  for (const param of exchange.query) {
    const location = `query:${param.name}`;
    if (param.name !== '') inputs.push({ source: 'query', name: param.name, location, value: param.name, isName: true });
    if (param.value !== '') {
      inputs.push({ source: 'query', name: param.name, location, value: param.value });
      addEmbeddedJson(inputs, { source: 'query', name: param.name, location }, param.value);
    }
  }
  const cookies = extractCookies(exchange.req.headers.cookie, { maxInputs });
  if ('problem' in cookies) return { problem: asProblem(cookies.problem) };
  for (const input of cookies.inputs) {
    inputs.push(input);
    if (!input.isName) {
      addEmbeddedJson(inputs, input, input.value);
      if (input.value.startsWith('eyJ')) jwtInputs(inputs, input.value, 'cookie', input.location);
    }
  }
  const headers = extractHeaders(exchange.req.rawHeaders, { maxInputs }, inspectedHeaders);
  if ('problem' in headers) return { problem: asProblem(headers.problem) };
  for (const input of headers.inputs) {
    if (input.name === 'referer') addReferer(inputs, input);
    else inputs.push(input);
  }
  credentialInputs(inputs, exchange);
  // A Content-Type that is no media type is inspected like any other header. With a body, the body phase refuses it;
  // without one (Struts' S2-045 sends `%{(#_=...)}` and nothing after the head) it would reach the backend unread.
  const contentType = exchange.header('content-type');
  if (contentType !== undefined && 'problem' in parseContentType(contentType)) {
    inputs.push({ source: 'header', name: 'content-type', location: 'header:content-type', value: contentType });
  }
  return inputs;
}

/** Headers not inspected as a whole (credentials, opaque validators) whose values still reach an application. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'if-none-match', 'if-match'];

/**
 * What an application reads out of the credential and validator headers, which are not inputs as a whole (a token
 * is no payload): a Basic credential's user name and password, which some compare in a SQL or LDAP query; the
 * header and claims of a bearer JWT (see jwtInputs); and a value that is a Shellshock function definition
 * (`() { :; }; ...`), which a CGI server exports to bash whatever the header. All are located at the header
 * (`header:authorization`), so that events redact them.
 */
function credentialInputs(inputs: InspectedInput[], exchange: Exchange): void {
  for (const name of CREDENTIAL_HEADERS) {
    const value = exchange.header(name);
    if (value === undefined || value.length < 4) continue;
    const location = `header:${name}`;
    const start = value.trimStart();
    if (start.startsWith('() {') || start.startsWith('(){')) inputs.push({ source: 'header', name, location, value });
    if (!name.endsWith('authorization')) continue;
    const space = value.indexOf(' ');
    if (space < 0) continue;
    const scheme = value.slice(0, space).toLowerCase();
    const credential = value.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) continue;
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      if (user !== '') inputs.push({ source: 'header', name: 'username', location, value: user });
      if (password !== '') inputs.push({ source: 'header', name: 'password', location, value: password });
    } else if (scheme === 'bearer') {
      jwtInputs(inputs, credential, 'header', location);
    }
  }
}

/**
 * A JWT's JOSE header and claims, as an application reads them (a bearer token, a JWT cookie): the header's `kid`
 * is looked up in a database or a file and its `jku`/`x5u` fetched before the signature is checked, and an
 * application that trusts a token without checking it (`alg: none`, a leaked key) reads its claims into queries.
 * The claims that name the issuer's own URLs (`iss`, `aud`, `azp`, `picture`...) are left out: a development
 * server's tokens name `http://localhost:8080/realms/...`. Located at the token, so that events redact them.
 */
function jwtInputs(inputs: InspectedInput[], token: string, source: 'header' | 'cookie', location: string): void {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first < 8 || first > 2048 || second < 0 || second - first > 16384) return;
  const header = Buffer.from(token.slice(0, first), 'base64url').toString('utf8');
  if (header.charCodeAt(0) !== 0x7b || !header.includes('"alg"')) return; // `{"alg":...`: a JOSE header
  const parsedHeader = extractJson(header, { source, scalars: false, maxInputs: 64 });
  if ('problem' in parsedHeader) return; // not a JWT: the JWT protection, when on, refuses it
  for (const input of parsedHeader.inputs) inputs.push({ ...input, location });
  const claims = Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8');
  if (claims.charCodeAt(0) !== 0x7b) return;
  const parsedClaims = extractJson(claims, { source, scalars: false, maxInputs: 256 });
  if ('problem' in parsedClaims) return;
  for (const input of parsedClaims.inputs) {
    if (!input.isName && ISSUER_URL_CLAIMS.has(input.name)) continue;
    inputs.push({ ...input, location });
  }
}
const ISSUER_URL_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'azp', 'picture', 'website', 'profile', 'client_id']);

/**
 * A Referer that is a URL with a query (the page the user came from, often a search of this very site) is
 * inspected as the request's own query is: the URL up to its query, then each parameter name and value decoded, and
 * the query as a whole only when a payload may be split over parameters. Read as one string, the `q=` of the
 * query glued before a quoted search (`?q="print"`) made a stacked SQL statement. Any other value is inspected as
 * it is.
 */
function addReferer(inputs: InspectedInput[], input: InspectedInput): void {
  const value = input.value;
  const question = value.indexOf('?');
  if (question < 0 || !HTTP_URL.test(value)) {
    inputs.push(input);
    return;
  }
  const hash = value.indexOf('#', question);
  const query = value.slice(question + 1, hash < 0 ? value.length : hash);
  inputs.push({ ...input, value: value.slice(0, question) + (hash < 0 ? '' : value.slice(hash)) });
  // (decoded by the parser of the request's own query)
  const params = parseQuery(query);
  for (const { name, value: param } of params) {
    if (name !== '') inputs.push({ ...input, value: name, isName: true });
    if (param !== '') inputs.push({ ...input, value: param });
  }
  if (query.includes('%26') || (params.length > 1 && splitMayMatter(params))) inputs.push({ ...input, value: query.replaceAll('+', ' ') });
}
const HTTP_URL = /^https?:\/\/[^\s/?#]*[/?]/i;

/**
 * Whether the parameters may carry a payload split over several of them, which only the whole query string shows: a
 * name given twice (joined by some backends), a name that is not a plain identifier (`gt;+src+onerror` is the tail
 * of a value cut at a raw `&`), or a value that leaves something open for the next one (an odd quote, `<` or `(`
 * without its closer, a comment). Otherwise each parameter, already inspected on its own, is all there is; and the
 * whole string would only add a reading that no application makes: the first parameter's `name=` glued before its
 * value, which turned a search for "print" or "select" in quotes into a stacked SQL statement.
 */
function splitMayMatter(params: readonly { name: string; value: string }[]): boolean {
  const names = new Set<string>();
  for (const { name, value } of params) {
    if (names.has(name) || !PLAIN_NAME.test(name)) return true;
    names.add(name);
    if (leavesOpen(value)) return true;
  }
  return false;
}
const PLAIN_NAME = /^[A-Za-z0-9_.\-[\]$@:]*$/;
/** Marks that carry over into the next parameter. */
const OPENERS = /\/\*|\*\/|<!--|-->|--/;

function leavesOpen(value: string): boolean {
  let single = 0, double = 0, tick = 0, angle = 0, paren = 0;
  for (let i = 0; i < value.length; i++) {
    switch (value.charCodeAt(i)) {
      case 0x27: single++; break;
      case 0x22: double++; break;
      case 0x60: tick++; break;
      case 0x3c: angle++; break;
      case 0x3e: angle--; break;
      case 0x28: paren++; break;
      case 0x29: paren--; break;
    }
  }
  return (single & 1) !== 0 || (double & 1) !== 0 || (tick & 1) !== 0 || angle !== 0 || paren !== 0 || OPENERS.test(value);
}

function addEmbeddedJson(inputs: InspectedInput[], outer: Pick<InspectedInput, 'source' | 'name' | 'location'>, value: string): void {
  const first = value.charCodeAt(0);
  // Cheap pre-check: only values that start like JSON (possibly percent-encoded) are parsed.
  if (first !== 0x7b && first !== 0x5b && first !== 0x25 && first !== 0x20) return;
  const embedded = embeddedJsonInputs(outer, value);
  if (embedded) for (const input of embedded) inputs.push(input);
}

export interface BodyOptions {
  unknownBodyTypes: 'reject' | 'inspect';
  /** Most inputs taken from the body (the protection's `maxInputs`); more refuses it. Default DEFAULT_MAX_INPUTS. */
  maxInputs?: number;
  /** Media types (`type/subtype` or `type/*`) forwarded without inspection. */
  uninspected: readonly string[];
}

/**
 * The inputs of a buffered request body, parsed by its Content-Type. A missing or unknown type is refused (415)
 * or, with `unknownBodyTypes: inspect`, parsed by every parser that accepts it (and always inspected as text).
 * `inputs: null` means the policy forwards this media type uninspected.
 */
export function bodyInputs(contentType: string | undefined, body: Buffer, options: BodyOptions): { inputs: InspectedInput[] | null } | { problem: InputProblem } {
  const classified = bodyKindOf(contentType);
  if ('problem' in classified) return { problem: asProblem(classified.problem) };
  const { kind, media } = classified;
  if (media && isUninspected(media, options.uninspected)) return { inputs: null };
  if (kind === 'unknown') {
    if (options.unknownBodyTypes === 'reject') {
      return { problem: { status: 415, reason: 'unsupported_media_type', message: contentType ? 'no parser for this Content-Type' : 'a body without Content-Type' } };
    }
    return everyParser(body, options.maxInputs);
  }
  const result = parseAs(kind, body, media, options.maxInputs);
  if ('problem' in result) return { problem: asProblem(result.problem) };
  return { inputs: result.inputs };
}

function parseAs(kind: Exclude<BodyKind, 'unknown'>, body: Buffer, media: MediaType | undefined, maxInputs?: number): ExtractResult {
  const budget = maxInputs === undefined ? {} : { maxInputs };
  switch (kind) {
    case 'json': {
      // JSON is UTF-8 (RFC 8259 §8.1), but a backend that honours a charset the Content-Type names reads it in that.
      const charset = mediaCharset(media);
      const json = charset === UTF8 ? body : strictText(body, charset);
      if (json === undefined) return failure('json_invalid_encoding', `the JSON body is not valid ${charset}`);
      // Each key once, and no numbers or booleans: they passed the JSON grammar, so they carry no payload.
      const result = extractJson(json, { uniqueKeys: true, scalars: false, ...budget });
      if ('problem' in result) return result;
      // A GraphQL request sent as JSON: its `query` string is a document of its own.
      const query = result.inputs.find((input) => input.location === 'body:$.query' && !input.isName);
      if (query && looksLikeGraphql(query.value)) {
        const graphql = extractGraphql(query.value, { prefix: 'body:$.query', name: 'query', ...budget });
        if ('problem' in graphql) return graphql;
        return { inputs: [...result.inputs, ...graphql.inputs] };
      }
      return result;
    }
    case 'json-lines': return extractJsonLines(body, maxInputs);
    case 'form': return extractUrlencoded(body, { charset: mediaCharset(media), ...budget });
    case 'multipart': return extractMultipart(body, media!, budget);
    case 'multipart-mixed': return extractMultipartMixed(body, media!, parsePart, budget);
    case 'protobuf': return extractProtobuf(body, media!.subtype, maxInputs);
    case 'xml': {
      // The document as a whole too: some attacks live in the structure (`<xs:include>`), not in a text node.
      const text = xmlDocumentText(body, media?.params.has('charset') === true ? mediaCharset(media) : undefined);
      if (typeof text !== 'string') return text;
      const result = extractXml(text, budget);
      if ('problem' in result) return result;
      return { inputs: [...result.inputs, { source: 'body', name: '', location: 'body', value: text }] };
    }
    case 'graphql': return extractGraphql(decodeText(body, mediaCharset(media)), budget);
    case 'text': {
      const text = decodeText(body, mediaCharset(media));
      return (media?.subtype === 'plain' ? plainJson(text, maxInputs) : undefined) ?? { inputs: [{ source: 'body', name: '', location: 'body', value: text }] };
    }
    case 'file': return extractFile(body, media!, mediaCharset(media), maxInputs);
  }
}

/**
 * A text/plain body that is one JSON document, or one per line: what browsers send with `navigator.sendBeacon` and
 * no-cors `fetch` (analytics, error and RUM beacons: Segment, Sentry, Datadog), whose Content-Type must be a
 * CORS-safelisted one. The receiver parses it as JSON, so each value is inspected as a JSON body's is, where the
 * text as a whole would run a stack trace's lines together as if they were one command line. Anything that is not
 * wholly JSON stays text (undefined).
 */
function plainJson(text: string, maxInputs?: number): ExtractResult | undefined {
  const i = skipWs(text, 0);
  const c = text.charCodeAt(i);
  if (c !== 123 && c !== 91) return undefined; // `{` or `[`
  const budget = maxInputs === undefined ? {} : { maxInputs };
  const whole = extractJson(text, { uniqueKeys: true, scalars: false, ...budget });
  if (!('problem' in whole)) return whole;
  if (text.indexOf('\n', i) < 0) return undefined;
  const lines = extractJsonLines(Buffer.from(text, 'utf8'), maxInputs);
  return 'problem' in lines ? undefined : lines;
}

/**
 * A part of a multipart/mixed or related body, or the body of a request in a batch: parsed as a request body of its
 * type would be; no Content-Type is text (RFC 2046's default), an unknown one is refused (415), as a body's is.
 */
function parsePart(media: MediaType | undefined, content: Buffer, maxInputs: number): ExtractResult {
  if (media === undefined) return parseAs('text', content, undefined, maxInputs);
  const kind = classifyContentType(media);
  if (kind === 'unknown') return failure('unsupported_media_type', `no parser for the part's Content-Type ${media.type}/${media.subtype}`);
  return parseAs(kind, content, media, maxInputs);
}

/** No (or an unknown) Content-Type, inspected anyway: the body as text, plus what any structured parser finds. */
function everyParser(body: Buffer, maxInputs?: number): { inputs: InspectedInput[] } {
  const inputs: InspectedInput[] = [{ source: 'body', name: '', location: 'body', value: decodeText(body, UTF8) }];
  for (const kind of ['json', 'form', 'xml'] as const) {
    const result = parseAs(kind, body, undefined, maxInputs);
    if ('inputs' in result) for (const input of result.inputs) inputs.push(input);
  }
  return { inputs };
}


function isUninspected(media: MediaType, list: readonly string[]): boolean {
  return list.some((entry) => entry === `${media.type}/${media.subtype}` || entry === `${media.type}/*`);
}

/** Status for an extraction refusal: types and charsets 415, sizes 413, everything else malformed (400). */
function asProblem(problem: ExtractProblem): InputProblem {
  return { status: problemStatus(problem), reason: problem.reason, message: problem.detail ? `${problem.message} (${problem.detail})` : problem.message };
}
