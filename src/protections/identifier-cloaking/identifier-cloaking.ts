import { defineProtection, type CreateContext, type ProtectionInstance } from '../../pipeline/protection.ts';
import { block, pass, type Block, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { CompiledRoute } from '../../pipeline/router.ts';
import { PROBLEM_TYPE_PREFIX } from '../../pipeline/local-reply.ts';
import { IdentifierCloakingConfigSchema, type BindTo, type IdentifierCloakingConfig } from './config.ts';
import { compileKeys, TokenCodec, type CloakKey, type Identifier, type RefusalReason } from './token.ts';
import { compileJsonPath, forEachMatch, needsVisitedSet, setMember, VisitedSet, type JsonPath } from './json-path.ts';
import { exactNumber, isJsonMediaType, looksLikeJson, parseJson, rawNumberText, stringifyJson } from './json-body.ts';
import {
  decodePair, decodeSegment, encodeComponent, singleCookie, splitLastSegment, templateParams, unsafePathValue, type ParamPosition,
} from './targets.ts';

/** Sub-reasons of `identifier_token_invalid`: the token's own, and identifiers unfit for where they go. */
export type InvalidReason = RefusalReason | 'unsafe_path_value';

const MESSAGES: Record<InvalidReason, string> = {
  malformed: 'not a token (a raw identifier, or a damaged token)',
  unknown_key: 'the token names a key that is not configured',
  retired_key: 'the token\'s key is past its notAfter',
  expired: 'the token has expired',
  not_authentic: 'the token does not authenticate: tampered, or minted for another kind or another principal',
  unsafe_path_value: 'the identifier cannot be a path segment (empty, a dot segment, or holding /, \\ or a control character)',
};

/** What a client is told for each configurable status: the same as any not-found (or other) answer. */
const CLIENT_REASONS: Record<number, string> = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 410: 'gone' };

interface KindAt<T> { readonly at: T; readonly kind: string }

/** The bound principal as the label the tokens use, and how to read it from an exchange. */
interface Binding { readonly label: string; read(exchange: Exchange): string | undefined }

export function compileBinding(bindTo: BindTo | undefined): Binding {
  if (bindTo === undefined || bindTo === 'principal') return { label: 'principal', read: (exchange) => nonEmpty(exchange.principal) };
  if (bindTo === 'clientCertificate') return { label: 'clientCertificate', read: (exchange) => nonEmpty(exchange.connection.clientCertificateFingerprint) };
  const name = bindTo.cookie;
  return { label: `cookie:${name}`, read: (exchange) => singleCookie(exchange.header('cookie'), name) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Identifier cloaking.
 *
 * Protects against: broken object level authorization (BOLA, OWASP API1) on APIs that trust the caller with object
 * ids. Clients only ever see tokens (AES-256-GCM-SIV, see token.ts) bound to the identifier's kind and to the caller
 * (JWT subject, client certificate or session cookie); the upstream only ever sees real identifiers. A raw id, a
 * token of another caller or kind, a tampered, expired or unknown-key token is refused before the upstream is asked,
 * so enumerating or swapping ids gets nothing. It cannot help when the upstream itself hands a caller another
 * caller's ids (those get tokens for the caller, like their own), and it does not hide identifiers elsewhere in
 * responses than the declared fields and `Location`.
 * Phases: request head (path, query, principal), request body (JSON fields; only where declared), response head
 * (`Location`), response body (JSON fields; only where declared). Tokens are deterministic, so a small per-worker
 * cache avoids most encryption work.
 */
export const identifierCloaking = defineProtection<IdentifierCloakingConfig>({
  name: 'identifier-cloaking',
  key: 'identifierCloaking',
  schema: IdentifierCloakingConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: tokens are decided by the keys alone, so every worker and instance with the same keys agrees',
  create(config, context) {
    return compile(config, context);
  },
});

/** Compiled key lists by the (frozen, per policy load) configuration array they come from. */
const compiledKeys = new WeakMap<object, CloakKey[]>();

function compile(config: IdentifierCloakingConfig, context: CreateContext): ProtectionInstance {
  const issue = context.issue.bind(context);
  const pathParams: KindAt<string>[] = Object.entries(config.request?.path ?? {}).map(([at, kind]) => ({ at, kind }));
  const queryParams = new Map<string, string>();
  for (const [name, kind] of Object.entries(config.request?.query ?? {})) {
    const lower = name.toLowerCase();
    if (queryParams.has(lower)) issue(`/request/query/${pointerEscape(name)}`, 'listed twice (query names match without regard to case)');
    queryParams.set(lower, kind);
  }
  const requestJson = compilePaths(config.request?.json, '/request/json', issue);
  const responseJson = compilePaths(config.response?.json, '/response/json', issue);
  const locationKind = config.response?.location;
  const requestRevisits = needsVisitedSet(requestJson.map((entry) => entry.at));
  const responseRevisits = needsVisitedSet(responseJson.map((entry) => entry.at));

  if (context.scope !== 'global' && pathParams.length > 0) checkRouteParams(context, pathParams, issue);
  const declares = pathParams.length > 0 || queryParams.size > 0 || requestJson.length > 0 || responseJson.length > 0 || locationKind !== undefined;
  if (config.keys === undefined) {
    if (declares) issue('', 'keys is required where identifiers are declared (set it globally; routes inherit it)');
    return {};
  }
  // Routes inherit the global key list (the same array after the merge): compiled, and its problems reported, once.
  let keys = compiledKeys.get(config.keys);
  if (keys === undefined) {
    const global = (context.policy.protections as { identifierCloaking?: IdentifierCloakingConfig } | undefined)?.identifierCloaking;
    const inherited = context.scope !== 'global' && global?.keys === config.keys;
    keys = compileKeys(config.keys, inherited ? () => {} : (path, message) => issue(`/keys${path}`, message));
    compiledKeys.set(config.keys, keys);
  }
  if (keys.length !== config.keys.length || !declares) return {};

  const binding = compileBinding(config.bindTo);
  const codec = new TokenCodec(keys, { binding: binding.label, ttlSeconds: config.ttlSeconds, cacheEntries: config.cacheEntries });
  const invalidStatus = config.invalidStatus ?? 404;
  const clientReason = CLIENT_REASONS[invalidStatus] ?? 'not_found';
  const missingStatus = config.principalMissingStatus ?? 401;
  const semicolons = context.policy.http?.pathSemicolons === 'allow';
  const positionsByRoute = new WeakMap<CompiledRoute, Map<string, ParamPosition>>();

  const refuse = (reason: InvalidReason, location: string, kind: string): Block => block(invalidStatus, 'identifier_token_invalid', {
    // Never the token nor the identifier: where, which kind, and why.
    detail: { location, ruleId: reason, message: `kind ${kind}: ${MESSAGES[reason]}` },
    problem: { type: PROBLEM_TYPE_PREFIX + clientReason, reason: clientReason },
  });
  const principalMissing = (): Block => block(missingStatus, 'identifier_principal_missing', {
    headers: missingStatus === 401 && binding.label === 'principal' ? { 'www-authenticate': 'Bearer' } : undefined,
    detail: { message: `this route carries identifiers bound to the ${binding.label}, and the request has none` },
  });

  const instance: {
    -readonly [K in keyof ProtectionInstance]: ProtectionInstance[K];
  } = {
    onRequestHead(exchange) {
      if (exchange.route === null) return pass(); // nowhere to send it: the router answers 404
      const principal = binding.read(exchange);
      if (principal === undefined) return principalMissing();
      const now = Date.now();
      let newPath: string | undefined;
      if (pathParams.length > 0) {
        let positions = positionsByRoute.get(exchange.route);
        if (positions === undefined) positionsByRoute.set(exchange.route, positions = templateParams(exchange.route.template.source));
        // Logs show the template name instead of the token or the identifier a client tried (`/shops/{shopName}/...`).
        const logSegments = exchange.path.slice(1).split('/');
        for (const { at: param } of pathParams) {
          const position = positions.get(param);
          if (position !== undefined && position.index < logSegments.length) logSegments[position.index] = `{${param}}`;
        }
        exchange.logPath = '/' + logSegments.join('/');
        let segments: string[] | undefined;
        for (const { at: param, kind } of pathParams) {
          const token = exchange.routeParams[param];
          const position = positions.get(param);
          if (token === undefined || position === undefined) continue;
          const decoded = codec.decode(kind, principal, token, now);
          if (!decoded.ok) return refuse(decoded.reason, `path:${param}`, kind);
          if (unsafePathValue(decoded.id.text)) return refuse('unsafe_path_value', `path:${param}`, kind);
          segments ??= exchange.path.slice(1).split('/');
          const raw = segments[position.index];
          if (raw === undefined) continue;
          const segment = decodeSegment(semicolons && raw.includes(';') ? raw.slice(0, raw.indexOf(';')) : raw);
          const rebuilt = [segment.slice(0, position.prefixLength), decoded.id.text, segment.slice(segment.length - position.suffixLength)]
            .map(encodeComponent);
          if (rebuilt.includes(undefined)) return refuse('unsafe_path_value', `path:${param}`, kind);
          segments[position.index] = rebuilt.join('');
        }
        if (segments !== undefined) newPath = '/' + segments.join('/');
      }
      let newQuery: string | undefined;
      if (queryParams.size > 0 && exchange.rawQuery !== '') {
        const pairs = exchange.rawQuery.split('&');
        let changed = false;
        for (let i = 0; i < pairs.length; i++) {
          if (pairs[i] === '') continue;
          const { name, value } = decodePair(pairs[i]!);
          const kind = queryParams.get(name.toLowerCase());
          if (kind === undefined) continue;
          const decoded = codec.decode(kind, principal, value, now);
          if (!decoded.ok) return refuse(decoded.reason, `query:${name}`, kind);
          const eq = pairs[i]!.indexOf('=');
          pairs[i] = (eq === -1 ? pairs[i]! : pairs[i]!.slice(0, eq)) + '=' + encodeComponent(decoded.id.text)!;
          changed = true;
        }
        if (changed) newQuery = pairs.join('&');
      }
      if (newPath !== undefined || newQuery !== undefined) exchange.rewriteUpstreamTarget(newPath, newQuery);
      return pass();
    },
  };

  if (requestJson.length > 0) {
    instance.needs = { requestBody: true, responseBody: responseJson.length > 0 };
    instance.onRequestBody = (exchange, body) => {
      if (body.length === 0) return pass();
      const principal = binding.read(exchange);
      if (principal === undefined) return principalMissing();
      const contentType = exchange.header('content-type');
      if (contentType !== undefined && !isJsonMediaType(contentType)) {
        return block(415, 'identifier_body_unsupported', { detail: { location: 'body', message: 'this route takes identifiers in JSON bodies only' } });
      }
      const parsed = parseJson(body.toString('utf8'));
      if (!parsed.ok) return block(400, 'identifier_body_invalid', { detail: { location: 'body', message: 'the body is not valid JSON' } });
      const now = Date.now();
      const visited = requestRevisits ? new VisitedSet() : undefined;
      let refusal: Verdict | undefined;
      let changed = false;
      for (const { at: path, kind } of requestJson) {
        forEachMatch(parsed.value, path, true, visited, (container, key) => {
          const value = (container as Record<string | number, unknown>)[key];
          if (value === null) return true;
          if (typeof value !== 'string') { refusal = refuse('malformed', `body:${path.source}`, kind); return false; }
          const decoded = codec.decode(kind, principal, value, now);
          if (!decoded.ok) { refusal = refuse(decoded.reason, `body:${path.source}`, kind); return false; }
          setMember(container, key, decoded.id.numeric ? exactNumber(decoded.id.text) : decoded.id.text);
          changed = true;
          return true;
        });
        if (refusal) return refusal;
      }
      if (changed) {
        const text = stringifyJson(parsed.value);
        if (text === undefined) return block(400, 'identifier_body_invalid', { detail: { location: 'body', message: 'the body is nested too deeply to rewrite' } });
        exchange.replaceRequestBody(Buffer.from(text, 'utf8'));
      }
      return pass();
    };
  }

  if (locationKind !== undefined) {
    instance.onResponseHead = (exchange, _status, headers) => {
      const location = headers.location;
      const principal = binding.read(exchange);
      if (typeof location !== 'string' || principal === undefined) return pass();
      const parts = splitLastSegment(location);
      if (parts === undefined) return pass();
      const token = codec.encode(locationKind, principal, { text: decodeSegment(parts.segment), numeric: false });
      exchange.setResponseHeader('location', parts.before + token + parts.after);
      return pass();
    };
  }

  if (responseJson.length > 0) {
    instance.needs = { requestBody: requestJson.length > 0, responseBody: true };
    instance.onResponseBody = (exchange, body) => {
      const principal = binding.read(exchange);
      // Only reachable without a principal when the request head was monitored: nothing to bind tokens to.
      if (principal === undefined || body.length === 0) return pass();
      const contentType = headerText(exchange.upstreamResponseHeaders?.['content-type']);
      if (contentType === undefined ? !looksLikeJson(body) : !isJsonMediaType(contentType)) return pass();
      const parsed = parseJson(body.toString('utf8'));
      if (!parsed.ok) {
        return block(502, 'identifier_response_invalid', { detail: { location: 'response-body', message: 'the upstream response is declared JSON but does not parse' } });
      }
      const now = Date.now();
      const visited = responseRevisits ? new VisitedSet() : undefined;
      let changed = false;
      for (const { at: path, kind } of responseJson) {
        const encode = codec.encoderFor(kind, principal, now);
        forEachMatch(parsed.value, path, false, visited, (container, key) => {
          const id = identifierOf((container as Record<string | number, unknown>)[key]);
          if (id === undefined) return true;
          setMember(container, key, encode(id));
          changed = true;
          return true;
        });
      }
      if (!changed) return pass();
      const text = stringifyJson(parsed.value);
      if (text === undefined) return block(502, 'identifier_response_invalid', { detail: { location: 'response-body', message: 'the upstream response is nested too deeply to rewrite' } });
      exchange.replaceResponseBody(Buffer.from(text, 'utf8'));
      return pass();
    };
  }
  return instance;
}

/** A response value that is an identifier: a string or an integer (kept exact). Null and the rest are left alone. */
function identifierOf(value: unknown): Identifier | undefined {
  if (typeof value === 'string') return { text: value, numeric: false };
  if (typeof value === 'number') return Number.isInteger(value) ? { text: String(value), numeric: true } : undefined;
  const raw = rawNumberText(value);
  return raw !== undefined && isIntegerText(raw) ? { text: raw, numeric: true } : undefined;
}

function isIntegerText(text: string): boolean {
  for (let i = text.startsWith('-') ? 1 : 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return text.length > 0 && text !== '-';
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function compilePaths(map: Record<string, string> | undefined, pointer: string, issue: (path: string, message: string) => void): KindAt<JsonPath>[] {
  const compiled: KindAt<JsonPath>[] = [];
  for (const [source, kind] of Object.entries(map ?? {})) {
    const path = compileJsonPath(source);
    if ('error' in path) issue(`${pointer}/${pointerEscape(source)}`, path.error);
    else compiled.push({ at: path, kind });
  }
  return compiled;
}

/** On a route, every declared path parameter must be a `{param}` of the route's path. */
function checkRouteParams(context: CreateContext, params: readonly KindAt<string>[], issue: (path: string, message: string) => void): void {
  const routes = context.policy.routes ?? [];
  const index = routes.findIndex((route, i) => (route.name ?? `route-${i}`) === context.scope);
  if (index === -1) return;
  const names = templateParams(routes[index]!.path);
  for (const { at } of params) {
    if (!names.has(at)) issue(`/request/path/${pointerEscape(at)}`, `the route path ${routes[index]!.path} has no {${at}} parameter`);
  }
}

function pointerEscape(text: string): string {
  return text.replaceAll('~', '~0').replaceAll('/', '~1');
}
