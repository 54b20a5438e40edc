import { EXTENSION_PREFIX, type Schema, type SchemaBundle } from './schema-bundle.ts';
import { isJsonMediaType, type ApiDescription, type Operation, type OperationParameter } from './operations.ts';

/**
 * Turns a normalised API description into policy routes: one route per operation (its path template and method,
 * request validation of parameters and bodies, response cloaking driven by the response schemas, JWT scopes from
 * bearer security requirements, identifier cloaking and field rules from `x-portcullis-*` extensions).
 */
export interface GenerateOptions {
  /** Name of the upstream every route forwards to. */
  readonly upstream: string;
  /** `strict`: only the operations; `learning`: plus a catch-all route recording `undocumented_endpoint`. */
  readonly mode: 'strict' | 'learning';
  readonly host?: string | readonly string[];
  /** Prefix of every route path; default: the path of the first server URL. */
  readonly basePath?: string;
  readonly unknownFields?: 'reject' | 'allow';
  /** Protection keys the routes may configure (the registered ones; others are left out with a warning). */
  readonly protections: ReadonlySet<string>;
  /** Emit `jwt` route settings from bearer/OAuth2 security requirements. */
  readonly jwt: boolean;
  /** Emit `identifierCloaking` route settings from `x-portcullis-identifier`. */
  readonly identifierCloaking: boolean;
  /** Emit `responseCloaking` (schemas, removeUndocumented, field rules). */
  readonly responseCloaking: boolean;
  /** Route names already used (policy routes), so generated ones do not collide. */
  readonly takenNames?: ReadonlySet<string>;
}

export interface GeneratedRoute {
  /** The policy route. */
  readonly route: Record<string, unknown>;
  /** The operation it comes from (`undefined` for the learning-mode catch-all). */
  readonly operation: Operation | undefined;
}

export interface Generated {
  readonly routes: GeneratedRoute[];
  readonly warnings: string[];
}

export const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const BEARER_TYPES = new Set(['oauth2', 'openIdConnect']);
const TEMPLATE_NAME_FIRST = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const TEMPLATE_NAME_REST = (c: number) => TEMPLATE_NAME_FIRST(c) || (c >= 0x30 && c <= 0x39);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function generateRoutes(api: ApiDescription, options: GenerateOptions): Generated {
  const warnings = [...api.warnings];
  const routes: GeneratedRoute[] = [];
  const names = new Set(options.takenNames ?? []);
  const basePath = trimSlash(options.basePath ?? api.basePath);
  const usesBearer = [...api.securitySchemes.values()].some((s) => isBearerScheme(s));
  const missing = new Set<string>();
  const allowed = (key: string) => {
    if (options.protections.has(key)) return true;
    missing.add(key);
    return false;
  };

  for (const operation of api.operations) {
    const pathResult = routePath(basePath, operation);
    if ('error' in pathResult) { warnings.push(`${operation.where}: ${pathResult.error}; the operation is left out`); continue; }
    const name = uniqueName(routeName(operation), names);
    const protections: Record<string, unknown> = {};

    // Request validation.
    const validation: Record<string, unknown> = {};
    const parameters = operation.parameters.map((parameter) => parameterConfig(parameter, pathResult.renamed, api.schemas));
    if (parameters.length > 0) validation.parameters = parameters;
    const content: Record<string, unknown> = {};
    for (const [mediaType, media] of Object.entries(operation.requestBody?.content ?? {})) {
      content[mediaType.split(';')[0]!.trim().toLowerCase()] = media.schema === undefined ? {} : { schema: api.schemas.standalone(media.schema) };
    }
    validation.body = operation.requestBody?.required ? { required: true, content } : { content };
    validation.unknownFields = options.unknownFields ?? 'reject';
    protections.requestValidation = validation;

    // Response cloaking: response schemas and masking rules.
    if (options.responseCloaking && allowed('responseCloaking')) {
      const schemas: Record<string, unknown> = {};
      const fields: Record<string, unknown>[] = [];
      for (const [status, response] of Object.entries(operation.responses)) {
        const schema = jsonSchemaOf(response.content);
        if (schema === undefined) continue;
        // Inlined: response cloaking reads the schema as a tree (a recursive part stays a $ref).
        schemas[status] = api.schemas.inlined(schema);
        walkSchema(schema, api.schemas, (path, node) => {
          const rule = maskRule(node[`${EXTENSION_PREFIX}mask`]);
          if (rule === undefined) return;
          if ('error' in rule) { warnings.push(`${operation.where}: x-portcullis-mask at ${path}: ${rule.error}`); return; }
          if (!fields.some((f) => f.path === path)) fields.push({ path, ...rule });
        }, (message) => warnings.push(`${operation.where}: ${message}`));
      }
      if (Object.keys(schemas).length > 0 || fields.length > 0) {
        const cloaking: Record<string, unknown> = {};
        if (Object.keys(schemas).length > 0) { cloaking.schemas = schemas; cloaking.removeUndocumented = true; }
        if (fields.length > 0) cloaking.fields = fields;
        protections.responseCloaking = cloaking;
      }
    }

    // JWT scopes from the security requirement.
    if (options.jwt && usesBearer && allowed('jwt')) {
      const jwt = jwtConfig(operation, api, warnings);
      if (jwt !== undefined) protections.jwt = jwt;
    }

    // Identifier cloaking from x-portcullis-identifier.
    if (options.identifierCloaking) {
      const cloaking = identifierConfig(operation, api.schemas, pathResult.renamed, warnings);
      if (cloaking !== undefined && allowed('identifierCloaking')) protections.identifierCloaking = cloaking;
    }

    const route: Record<string, unknown> = {
      name,
      ...(options.host === undefined ? {} : { host: options.host }),
      path: pathResult.path,
      methods: [operation.method],
      upstream: options.upstream,
      protections,
    };
    const extra = operation.extensions[`${EXTENSION_PREFIX}route`];
    if (extra !== undefined) {
      if (isRecord(extra)) deepMerge(route, extra);
      else warnings.push(`${operation.where}: x-portcullis-route must be a mapping; ignored`);
    }
    routes.push({ route, operation });
  }

  if (options.mode === 'learning') {
    routes.push({
      route: {
        name: uniqueName('undocumented', names),
        ...(options.host === undefined ? {} : { host: options.host }),
        path: '/**',
        methods: ALL_METHODS.filter((m) => m !== 'HEAD'),
        upstream: options.upstream,
        protections: { requestValidation: { undocumentedEndpoint: true } },
      },
      operation: undefined,
    });
  }
  for (const key of missing) warnings.push(`the ${key} protection is not available in this build: its settings are left out`);
  return { routes, warnings };
}

function trimSlash(path: string): string {
  if (path === '' || path === '/') return '';
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

/** Route path: base path + the OpenAPI template, with parameter names the router accepts. */
function routePath(basePath: string, operation: Operation): { path: string; renamed: ReadonlyMap<string, string> } | { error: string } {
  const renamed = new Map<string, string>();
  const segments = operation.path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const open = segment.indexOf('{');
    if (open === -1) continue;
    const close = segment.indexOf('}', open);
    if (close === -1 || segment.indexOf('{', close) !== -1) return { error: `path segment "${segment}" must hold exactly one {parameter}` };
    const name = segment.slice(open + 1, close);
    let safe = '';
    for (let k = 0; k < name.length && safe.length < 64; k++) {
      const c = name.charCodeAt(k);
      safe += (k === 0 ? TEMPLATE_NAME_FIRST(c) : TEMPLATE_NAME_REST(c)) ? name[k] : '_';
    }
    if (safe === '') return { error: 'empty path parameter name' };
    if (safe !== name) renamed.set(name, safe);
    segments[i] = `${segment.slice(0, open)}{${safe}}${segment.slice(close + 1)}`;
  }
  return { path: basePath + segments.join('/'), renamed };
}

function routeName(operation: Operation): string {
  const source = operation.operationId ?? `${operation.method.toLowerCase()}${operation.path.replaceAll('/', '-').replaceAll('{', '').replaceAll('}', '')}`;
  let out = '';
  for (const c of source) {
    const code = c.charCodeAt(0);
    const ok = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || '_.:-'.includes(c);
    out += ok ? c : '_';
  }
  return out.slice(0, 90) || 'operation';
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

function parameterConfig(parameter: OperationParameter, renamed: ReadonlyMap<string, string>, schemas: SchemaBundle): Record<string, unknown> {
  const name = parameter.in === 'path' ? renamed.get(parameter.name) ?? parameter.name : parameter.name;
  const out: Record<string, unknown> = { name, in: parameter.in };
  if (parameter.required && parameter.in !== 'path') out.required = true;
  if (parameter.schema !== undefined) out.schema = schemas.standalone(parameter.schema);
  if (parameter.style !== undefined) out.style = parameter.style;
  if (parameter.explode !== undefined) out.explode = parameter.explode;
  if (parameter.allowEmptyValue && parameter.in === 'query') out.allowEmptyValue = true;
  if (parameter.json) out.json = true;
  return out;
}

/** The schema of the JSON media type of a response or body (`application/json` first), if any. */
function jsonSchemaOf(content: Readonly<Record<string, { schema: Schema | undefined }>>): Schema | undefined {
  const entries = Object.entries(content).filter(([type]) => isJsonMediaType(type));
  const preferred = entries.find(([type]) => type.split(';')[0]!.trim().toLowerCase() === 'application/json') ?? entries[0];
  return preferred?.[1].schema;
}

function maskRule(value: unknown): Record<string, unknown> | { error: string } | undefined {
  if (value === undefined) return undefined;
  const actions = ['mask', 'redact', 'hash', 'remove'];
  if (typeof value === 'string') return actions.includes(value) ? { action: value } : { error: `unknown action "${value}"` };
  if (!isRecord(value) || typeof value.action !== 'string' || !actions.includes(value.action)) return { error: 'must be an action (mask, redact, hash, remove) or { action, keep? }' };
  const rule: Record<string, unknown> = { action: value.action };
  for (const key of ['keep', 'keepStart', 'maskChar', 'placeholder']) if (value[key] !== undefined) rule[key] = value[key];
  return rule;
}

/** JSON path step for a member: `.name`, or `['odd name']`. */
function memberStep(name: string): string {
  let identifier = name.length > 0;
  for (let k = 0; k < name.length && identifier; k++) {
    const c = name.charCodeAt(k);
    identifier = k === 0 ? TEMPLATE_NAME_FIRST(c) || c === 0x24 : TEMPLATE_NAME_REST(c) || c === 0x24;
  }
  if (identifier) return `.${name}`;
  return `['${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
}

/**
 * Calls `visit` for every schema node reachable from `schema` with the JSON path of the values it describes
 * (`$.owner.phone`, `$.items[*].sku`): properties, array items, `allOf`/`anyOf`/`oneOf` branches (same path) and
 * `$ref`s. A recursive schema is followed once: deeper levels are not visited, with a note.
 */
export function walkSchema(schema: Schema, bundle: SchemaBundle, visit: (path: string, node: Record<string, unknown>) => void, note: (message: string) => void): void {
  const noted = new Set<string>();
  const walk = (node: unknown, path: string, stack: readonly string[], depth: number) => {
    if (!isRecord(node) || depth > 64) return;
    visit(path, node);
    if (typeof node.$ref === 'string') {
      if (stack.includes(node.$ref)) {
        if (!noted.has(node.$ref)) {
          noted.add(node.$ref);
          if (hasExtensions(bundle.definition(node.$ref), bundle)) note(`${node.$ref.slice('#/$defs/'.length)} is recursive: its x-portcullis extensions apply at ${path} and above only`);
        }
        return;
      }
      walk(bundle.definition(node.$ref), path, [...stack, node.$ref], depth + 1);
    }
    if (isRecord(node.properties)) for (const [name, sub] of Object.entries(node.properties)) walk(sub, path + memberStep(name), stack, depth + 1);
    if (isRecord(node.items)) walk(node.items, `${path}[*]`, stack, depth + 1);
    if (Array.isArray(node.prefixItems)) node.prefixItems.forEach((sub, index) => walk(sub, `${path}[${index}]`, stack, depth + 1));
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      const branches = node[keyword];
      if (Array.isArray(branches)) for (const branch of branches) walk(branch, path, stack, depth + 1);
    }
  };
  walk(schema, '$', [], 0);
}

function hasExtensions(schema: unknown, _bundle: SchemaBundle): boolean {
  return JSON.stringify(schema ?? null).includes(`"${EXTENSION_PREFIX}`);
}

function isBearerScheme(scheme: { type: string; scheme?: string }): boolean {
  return BEARER_TYPES.has(scheme.type) || (scheme.type === 'http' && scheme.scheme === 'bearer');
}

/**
 * `jwt` route settings from the effective security requirement. Only bearer-token schemes (HTTP bearer, OAuth2,
 * OpenID Connect) can be enforced by the jwt protection; alternatives (`[{a: []}, {b: []}]`) cannot be expressed.
 */
function jwtConfig(operation: Operation, api: ApiDescription, warnings: string[]): Record<string, unknown> | undefined {
  const security = operation.security;
  if (security === undefined || security.length === 0) return { enabled: false };
  const optional = security.some((requirement) => Object.keys(requirement).length === 0);
  const alternatives = security.filter((requirement) => Object.keys(requirement).length > 0);
  const schemeOf = (name: string) => api.securitySchemes.get(name);
  const unsupported = alternatives.flatMap((requirement) => Object.keys(requirement).filter((name) => {
    const scheme = schemeOf(name);
    return scheme === undefined || !isBearerScheme(scheme);
  }));
  if (unsupported.length > 0) {
    warnings.push(`${operation.where}: security scheme${unsupported.length > 1 ? 's' : ''} ${[...new Set(unsupported)].join(', ')} ` +
      'cannot be enforced by the jwt protection; the route gets no jwt settings');
    return undefined;
  }
  if (alternatives.length === 0) return optional ? { enabled: false } : undefined;
  const scopeSets = alternatives.map((requirement) => [...new Set(Object.values(requirement).flat())].sort());
  let scopes: string[];
  if (scopeSets.length === 1) scopes = scopeSets[0]!;
  else {
    // Either alternative is enough: only the scopes they all require can be demanded.
    scopes = scopeSets[0]!.filter((scope) => scopeSets.every((set) => set.includes(scope)));
    if (scopeSets.some((set) => set.length !== scopes.length)) {
      warnings.push(`${operation.where}: alternative security requirements; only the scopes common to all are required (${scopes.join(' ') || 'none'})`);
    }
  }
  // Explicit either way: a route's `required` replaces the global one (merge).
  const config: Record<string, unknown> = { required: !optional };
  if (scopes.length > 0) config.scopes = scopes;
  return config;
}

function identifierConfig(operation: Operation, bundle: SchemaBundle, renamed: ReadonlyMap<string, string>, warnings: string[]): Record<string, unknown> | undefined {
  const key = `${EXTENSION_PREFIX}identifier`;
  const request: Record<string, Record<string, string>> = {};
  const response: Record<string, unknown> = {};
  const kindOf = (value: unknown, where: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.length > 0 && value.length <= 64) return value;
    warnings.push(`${operation.where}: x-portcullis-identifier at ${where} must be a kind name; ignored`);
    return undefined;
  };
  for (const parameter of operation.parameters) {
    const kind = kindOf(parameter.extensions[key] ?? (isRecord(parameter.schema) ? parameter.schema[key] : undefined), `${parameter.in} ${parameter.name}`);
    if (kind === undefined) continue;
    if (parameter.in === 'path') (request.path ??= {})[renamed.get(parameter.name) ?? parameter.name] = kind;
    else if (parameter.in === 'query') (request.query ??= {})[parameter.name] = kind;
    else warnings.push(`${operation.where}: x-portcullis-identifier on a ${parameter.in} parameter is not supported; ignored`);
  }
  const bodySchema = jsonSchemaOf(operation.requestBody?.content ?? {});
  if (bodySchema !== undefined) {
    walkSchema(bodySchema, bundle, (path, node) => {
      const kind = kindOf(node[key], `request body ${path}`);
      if (kind !== undefined) (request.json ??= {})[path] = kind;
    }, (message) => warnings.push(`${operation.where}: ${message}`));
  }
  for (const [status, entry] of Object.entries(operation.responses)) {
    const schema = jsonSchemaOf(entry.content);
    if (schema !== undefined) {
      walkSchema(schema, bundle, (path, node) => {
        const kind = kindOf(node[key], `response ${status} ${path}`);
        if (kind !== undefined) ((response.json ??= {}) as Record<string, string>)[path] = kind;
      }, (message) => warnings.push(`${operation.where}: ${message}`));
    }
    const location = kindOf(entry.headers.location?.[key], `response ${status} header Location`);
    if (location !== undefined) response.location = location;
  }
  if (Object.keys(request).length === 0 && Object.keys(response).length === 0) return undefined;
  return {
    ...(Object.keys(request).length > 0 ? { request } : {}),
    ...(Object.keys(response).length > 0 ? { response } : {}),
  };
}

/** Merges `patch` into `target` in place: objects member by member, anything else replaced. */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const current = target[key];
    if (isRecord(value) && isRecord(current)) deepMerge(current, value);
    else target[key] = structuredClone(value);
  }
  return target;
}
