import { METHODS as NODE_METHODS } from 'node:http';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ModeSchema, SecretSchema } from './common-schema.ts';
import { PROTECTIONS } from '../protections/index.ts';
import { StoreSettingsSchema } from '../store/config.ts';
import { ListenerTlsSchema, RedirectToHttpsSchema, UpstreamTlsSchema } from '../server/tls/tls-schema.ts';

/**
 * HTTP methods a route may declare: every method Node's HTTP parser reads, so that WebDAV (`PROPFIND`, `MKCOL`...),
 * CalDAV (`REPORT`), a CDN's `PURGE` or `QUERY` can be allowed where a backend serves them (others never reach a
 * route: the parser refuses them). TRACE and CONNECT are accepted here but never allowed unless listed.
 */
export const METHODS: readonly string[] = NODE_METHODS;

const Int = (minimum: number, maximum: number, description: string, defaultValue?: number) =>
  Type.Integer({ minimum, maximum, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) });

const MiB = 1024 * 1024;

/** Limits that a route may override. */
const routeLimitProperties = (withDefaults: boolean) => {
  const d = (value: number) => (withDefaults ? value : undefined);
  return {
    maxUriBytes: Int(64, 1 * MiB, 'Longest request target (path and query) accepted; longer gets 414.', d(8192)),
    maxBodyBytes: Int(0, 64 * 1024 * MiB, 'Largest request body accepted; larger gets 413, checked on Content-Length before reading and while a chunked body streams.', d(1 * MiB)),
    bodyIdleTimeoutMs: Int(100, 3_600_000, 'Longest pause between two pieces of a request body; then 408 and the connection is closed.', d(20_000)),
    bodyMinBytesPerSecond: Int(0, 1_000_000_000, 'Slowest average request-body rate tolerated after the first 5 seconds (0 turns it off); slower gets 408.', d(500)),
    writeIdleTimeoutMs: Int(100, 3_600_000, 'Longest time a response write may wait for a slow reader before the connection is closed.', d(60_000)),
    maxInspectedResponseBytes: Int(1024, 1024 * MiB, 'Largest response body (after decompression) buffered for a protection that inspects or rewrites responses (response cloaking, DLP, identifier cloaking); routes without such a protection stream and are not limited. What exceeds it is handled by `responseOverflow`.', d(8 * MiB)),
    responseOverflow: Type.Union([Type.Literal('block'), Type.Literal('pass')], {
      description: 'A response larger than `maxInspectedResponseBytes` on a route that inspects responses: `block` answers 502 `response_too_large` (nothing leaks); `pass` sends it uninspected and records a `response_not_inspected` event.',
      ...(withDefaults ? { default: 'block' } : {}),
    }),
  };
};

export const GlobalLimitsSchema = Type.Object({
  maxHeaderBytes: Int(1024, 1 * MiB, 'Largest request head (request line and headers) accepted; larger gets 431.', 16_384),
  maxHeaderCount: Int(1, 10_000, 'Most header fields accepted in a request; more gets 431 (never silently truncated).', 100),
  headersTimeoutMs: Int(1000, 600_000, 'Time allowed to receive the whole request head (slowloris defence), checked every second.', 15_000),
  requestTimeoutMs: Int(0, 3_600_000, 'Time allowed to receive a whole request, head and body (0: no total limit; the body idle timeout and minimum rate still apply).', 120_000),
  keepAliveTimeoutMs: Int(100, 600_000, 'How long an idle client connection is kept open.', 5_000),
  maxRequestsPerConnection: Int(0, 1_000_000, 'Requests served on one client connection before it is closed (0: no limit).', 1000),
  maxConnections: Int(1, 1_000_000, 'Open client connections accepted per listener and process; more are closed at once.', 10_000),
  maxConnectionsPerIp: Int(1, 1_000_000, 'Open client connections accepted from one TCP peer address per process; more are closed at once.', 256),
  maxConcurrentRequestsPerIp: Int(1, 1_000_000, 'Requests from one client address (after trusted-proxy resolution) in progress at once per process; more get 429 `too_many_concurrent_requests`. Bounds what slow readers can hold of the upstream pools; behind a load balancer, list it in `clientAddress.trustedProxies` or raise this.', 64),
  ...routeLimitProperties(true),
}, { additionalProperties: false, default: {}, description: 'Request and connection limits; those marked per route can be overridden in `routes[].limits`.' });

export const RouteLimitsSchema = Type.Partial(Type.Object(routeLimitProperties(false)), {
  additionalProperties: false, description: 'Per-route overrides of the global limits.',
});

const UpstreamSchema = Type.Object({
  url: Type.String({ description: 'Origin of the upstream: `http://HOST:PORT` or `https://HOST:PORT`, no path.' }),
  connections: Int(1, 100_000, 'Most connections kept to this upstream per worker.', 128),
  keepAliveTimeoutMs: Int(100, 600_000, 'Idle upstream connections are closed after this; keep it below the upstream server\'s own idle timeout.', 4_000),
  connectTimeoutMs: Int(10, 600_000, 'Time allowed to connect; then 504 `upstream_timeout`.', 5_000),
  headersTimeoutMs: Int(10, 3_600_000, 'Time allowed for the upstream response head; then 504 `upstream_timeout`.', 60_000),
  bodyTimeoutMs: Int(10, 3_600_000, 'Longest pause between two pieces of the upstream response body; then the client connection is cut.', 60_000),
  hostHeader: Type.Union([Type.Literal('preserve'), Type.Literal('upstream')], {
    default: 'preserve', description: '`preserve` forwards the client\'s Host; `upstream` sends the upstream\'s host:port.',
  }),
  tls: Type.Optional(UpstreamTlsSchema),
}, { additionalProperties: false });

function protectionsSchema(): TSchema {
  const properties: Record<string, TSchema> = {};
  for (const definition of PROTECTIONS) properties[definition.key] = Type.Optional(definition.schema);
  return Type.Object(properties, { additionalProperties: false, description: 'Protection settings, by protection.' });
}

const RouteSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]{1,100}$', description: 'Route name used in logs and metrics; defaults to `route-N`.' })),
  host: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
    description: 'Host names this route serves (exact, or `*.example.com` for any subdomain); any host when absent.',
  })),
  path: Type.String({
    minLength: 1,
    description: 'Path template: literal segments, `{name}` for one segment (optionally with a literal prefix or suffix, e.g. `{id}.json`), and a final `**` for any remainder.',
  }),
  methods: Type.Optional(Type.Array(Type.Union(METHODS.map((m) => Type.Literal(m))), {
    minItems: 1, uniqueItems: true,
    description: 'Methods this route accepts (GET implies HEAD): any method Node reads, WebDAV\'s and CalDAV\'s (`PROPFIND`, `REPORT`), `PURGE` and `QUERY` included. Default: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.',
  })),
  upstream: Type.String({ minLength: 1, description: 'Name of the upstream (key of `upstreams`).' }),
  mode: Type.Optional(ModeSchema),
  limits: Type.Optional(RouteLimitsSchema),
  protections: Type.Optional(protectionsSchema()),
}, { additionalProperties: false });

const ListenerSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, description: 'Listener name used in logs; defaults to the address.' })),
  address: Type.String({ description: '`HOST:PORT` to listen on (`[::1]:8080` for IPv6).' }),
  tls: Type.Optional(ListenerTlsSchema),
  redirectToHttps: Type.Optional(RedirectToHttpsSchema),
}, { additionalProperties: false });

const LogDestination = Type.String({ minLength: 1, default: 'stdout', description: '`stdout`, `stderr`, or a file path (appended; reopened on SIGUSR1 for rotation).' });

export const PolicySchema = Type.Object({
  version: Type.Optional(Type.Literal(1, { description: 'Policy format version.' })),
  mode: Type.Union([Type.Literal('enforce'), Type.Literal('monitor')], {
    default: 'enforce', description: 'Global mode; a protection, a route, or a protection on a route can override it (the most specific wins).',
  }),
  workers: Int(1, 256, 'Processes serving the listeners (node:cluster); each protection states what it shares between them.', 1),
  listeners: Type.Array(ListenerSchema, { minItems: 1, default: [{ address: '127.0.0.1:8080' }], description: 'Where clients connect.' }),
  admin: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'Serve the admin listener.' }),
    address: Type.String({ default: '127.0.0.1:9901', description: '`HOST:PORT` of the admin listener (health, readiness, metrics).' }),
    token: Type.Optional(SecretSchema),
  }, { additionalProperties: false, default: {}, description: 'The admin listener. Bound to a non-loopback address it requires `token` for everything but `/healthz` and `/readyz`.' }),
  upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' }), UpstreamSchema, { additionalProperties: false, description: 'Named upstream services (names: letters, digits, `_`, `.`, `-`).' }),
  routes: Type.Array(RouteSchema, { minItems: 1, description: 'Routes, matched by host and path template; the most specific template wins.' }),
  clientAddress: Type.Object({
    trustedProxies: Type.Array(Type.String(), { default: [], description: 'CIDRs of proxies in front of Portcullis whose forwarding headers are believed.' }),
    header: Type.Union([Type.Literal('x-forwarded-for'), Type.Literal('forwarded')], { default: 'x-forwarded-for', description: 'Which forwarding header trusted proxies set.' }),
  }, { additionalProperties: false, default: {}, description: 'How the client address is found: the TCP peer, or, behind trusted proxies, their forwarding header.' }),
  requestId: Type.Object({
    header: Type.String({ default: 'x-request-id', pattern: '^[a-z0-9-]{1,64}$', description: 'Header carrying the request id, to the upstream and back to the client.' }),
  }, { additionalProperties: false, default: {}, description: 'Request ids: generated per request, or taken from a trusted proxy when well formed.' }),
  http: Type.Object({
    underscoresInHeaders: Type.Union([Type.Literal('ambiguous'), Type.Literal('reject'), Type.Literal('drop'), Type.Literal('allow')], {
      default: 'ambiguous', description: 'Header names with `_` are a known WAF bypass: CGI, PHP and WSGI backends read `Content_Type` as `Content-Type`. `ambiguous` refuses with 400 a name that, read with `-`, is a header the gateway reads or sets (framing, body type, credentials, client address and forwarding, method and path overrides, origin, and every header the policy names: a JWT\'s, a rate-limit key, identity headers) or one the request also carries, and forwards the others (`api_key`); `reject` refuses every one, `drop` removes every one (as nginx does), `allow` forwards every one.',
    }),
    pathSemicolons: Type.Union([Type.Literal('reject'), Type.Literal('allow')], {
      default: 'allow', description: '`;` in the path (matrix parameters, `/cart.do;jsessionid=...`): allow (routes match the segment before `;`, as Tomcat and Spring read it, and the path is forwarded as sent; `;` on a dot or empty segment is still 400), or reject every `;` with 400.',
    }),
    encodedSlashes: Type.Union([Type.Literal('same-route'), Type.Literal('reject'), Type.Literal('keep')], {
      default: 'same-route', description: 'An encoded `/` (`%2F`) in the path is read as a separator by some backends and as data by others. `same-route` keeps it encoded inside its segment when reading it as a separator picks the same route with the same parameters (`/storage/v1/b/x/o/a%2Fb.txt` under `/storage/**`), and refuses it with 400 when the route or a parameter would differ (`/admin%2Fusers` next to an `/admin/**` route); `reject` refuses every one; `keep` keeps every one (for APIs that take paths or namespaced names as one segment parameter, `/projects/{id}` with `group%2Fapp`). `..%2F` and `%2F..` are refused in every mode.',
    }),
    requestBodyEncodings: Type.Array(Type.Union([Type.Literal('gzip'), Type.Literal('deflate'), Type.Literal('br')]), {
      default: ['gzip', 'deflate', 'br'], uniqueItems: true,
      description: 'Content codings of a request body that are undone when a protection needs the body: the decoded body is inspected and forwarded decoded, without `Content-Encoding`, so the backend gets the bytes inspected (a decompression bomb stops at the inspection limit, 413). A body in another coding, or in a chain of codings, is refused with 415 `unsupported_content_encoding`; `[]` refuses every compressed body that a protection needs.',
    }),
    mergeSlashes: Type.Boolean({ default: true, description: 'Forward `//a` as `/a`; otherwise empty segments are rejected with 400.' }),
    caseSensitivePaths: Type.Boolean({ default: true, description: 'Match route templates case-sensitively.' }),
  }, { additionalProperties: false, default: {}, description: 'Request strictness; see docs/architecture.md for the canonical form.' }),
  limits: GlobalLimitsSchema,
  logging: Type.Object({
    access: Type.Object({
      enabled: Type.Boolean({ default: true, description: 'Write the access log.' }),
      destination: LogDestination,
    }, { additionalProperties: false, default: {}, description: 'One JSON line per request.' }),
    security: Type.Object({
      enabled: Type.Boolean({ default: true, description: 'Write security events.' }),
      destination: LogDestination,
    }, { additionalProperties: false, default: {}, description: 'One JSON line per non-pass verdict.' }),
    redactHeaders: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Extra header names whose values are never written (Authorization, Cookie, Set-Cookie, Proxy-Authorization and API-key headers always are).' }),
  }, { additionalProperties: false, default: {}, description: 'Access log and security events.' }),
  reload: Type.Object({
    watch: Type.Boolean({ default: false, description: 'Reload when the policy file changes (SIGHUP always reloads).' }),
  }, { additionalProperties: false, default: {}, description: 'Policy reloads.' }),
  store: StoreSettingsSchema,
  protections: Type.Optional(protectionsSchema()),
  openapi: Type.Optional(Type.Array(Type.Object({
    spec: Type.String({ minLength: 1, description: 'OpenAPI 3.0 or 3.1 file (YAML or JSON), relative to the policy file; local and relative-file `$ref`s are resolved. Read again on every reload.' }),
    upstream: Type.String({ minLength: 1, description: 'Name of the upstream (key of `upstreams`) the operations are forwarded to.' }),
    mode: Type.Optional(Type.Union([Type.Literal('strict'), Type.Literal('learning')], { description: '`strict` (the default): only the operations are routed; other paths get 404, other methods 405. `learning`: a catch-all route also forwards everything else and records it as an `undocumented_endpoint` event (shadow-API discovery).' })),
    host: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { description: 'Host names the generated routes serve; any host when absent.' })),
    basePath: Type.Optional(Type.String({ description: 'Prefix of every operation path; default: the path of the first server URL (`/v1` for `https://api.example.com/v1`). `/` for none.' })),
    unknownFields: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('allow')], { description: 'Request body members the schemas do not declare: `reject` (the default) or `allow`.' })),
    jwt: Type.Optional(Type.Boolean({ description: 'Put `jwt` settings (scopes, or `enabled: false` for public operations) on the routes from bearer/OAuth2 security requirements. Default: when `protections.jwt` is configured.' })),
    identifierCloaking: Type.Optional(Type.Boolean({ description: 'Put `identifierCloaking` settings on the routes from `x-portcullis-identifier` extensions. Default: when `protections.identifierCloaking.keys` is configured.' })),
    responseCloaking: Type.Optional(Type.Boolean({ description: 'Put `responseCloaking` settings on the routes: response schemas with `removeUndocumented`, and `x-portcullis-mask` field rules. Default true.' })),
    overrides: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Object({}, { additionalProperties: true }), { description: 'Route keys merged into the route of an operation, by operationId (objects member by member, other values replaced), e.g. `createOrder: { limits: { maxBodyBytes: 65536 } }`.' })),
  }, { additionalProperties: false }), { description: 'API descriptions whose operations become routes (appended after `routes`); see docs/openapi.md.' })),
}, { additionalProperties: false, $id: 'https://portcullis.dev/schema/policy-v1.json', title: 'Portcullis policy' });

export type PolicyInput = Static<typeof PolicySchema>;
