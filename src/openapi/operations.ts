import { SchemaBundle, EXTENSION_PREFIX, type Schema } from './schema-bundle.ts';
import { SpecProblem, SpecSource, child, type SpecLocation } from './spec-source.ts';

/**
 * An OpenAPI 3.0/3.1 description reduced to what the gateway enforces: one entry per operation with its
 * parameters, request body, responses and security, every `$ref` resolved and every schema converted (see
 * schema-bundle.ts).
 */
export interface ApiDescription {
  readonly file: string;
  readonly version: '3.0' | '3.1';
  readonly title: string;
  /** The path of the first server URL (`/v1` for `https://api.example.com/v1`), `''` when none. */
  readonly basePath: string;
  /** The first server URL, variables replaced by their defaults (`undefined` when none). */
  readonly serverUrl: string | undefined;
  readonly operations: readonly Operation[];
  readonly schemas: SchemaBundle;
  /** Security schemes by name: their type (`http`, `apiKey`, `oauth2`, `openIdConnect`, `mutualTLS`) and HTTP scheme. */
  readonly securitySchemes: ReadonlyMap<string, { type: string; scheme?: string }>;
  /** Things the gateway cannot enforce, for the operator. */
  readonly warnings: string[];
}

export interface Operation {
  /** Upper case: GET, POST, ... */
  readonly method: string;
  /** The OpenAPI path template (`/shops/{shopName}`). */
  readonly path: string;
  readonly operationId: string | undefined;
  /** `shop.yaml#/paths/~1orders/post`, for messages. */
  readonly where: string;
  readonly parameters: readonly OperationParameter[];
  readonly requestBody: { readonly required: boolean; readonly content: Readonly<Record<string, MediaTypeEntry>> } | undefined;
  /** By status key (`200`, `2XX`, `default`). */
  readonly responses: Readonly<Record<string, ResponseEntry>>;
  /** The effective requirement (the operation's, else the document's); `undefined` when none is stated. */
  readonly security: readonly Readonly<Record<string, readonly string[]>>[] | undefined;
  /** `x-portcullis-*` members of the operation. */
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface OperationParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: Schema | undefined;
  readonly style: string | undefined;
  readonly explode: boolean | undefined;
  readonly allowEmptyValue: boolean;
  /** The value is JSON text (`content: application/json`). */
  readonly json: boolean;
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface MediaTypeEntry { readonly schema: Schema | undefined }

export interface ResponseEntry {
  readonly content: Readonly<Record<string, MediaTypeEntry>>;
  /** Response headers by lower-case name, with their `x-portcullis-*` members. */
  readonly headers: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Header parameters OpenAPI says are ignored (described elsewhere). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function extensionsOf(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (key.startsWith(EXTENSION_PREFIX)) out[key] = structuredClone(value);
  return out;
}

/**
 * Reads and normalises the description at `file`. Throws `DescriptionError` listing every problem found (each with
 * its place, `shop.yaml#/paths/~1orders/post/requestBody`); problems in one operation do not hide those of others.
 */
export function loadApiDescription(file: string): ApiDescription {
  let source: SpecSource;
  try {
    source = new SpecSource(file);
  } catch (error) {
    if (error instanceof SpecProblem) throw new DescriptionError([`${error.where}: ${error.message}`]);
    throw error;
  }
  const root = source.root();
  const problems: string[] = [];
  const warnings: string[] = [];
  const at = (location: SpecLocation) => source.describe(location);
  const top: SpecLocation = { file: source.entry, pointer: '' };
  if (!isRecord(root)) throw new DescriptionError([`${at(top)}: the document must be a mapping`]);
  const versionText = typeof root.openapi === 'string' ? root.openapi : undefined;
  if (versionText === undefined) {
    throw new DescriptionError([`${at(top)}: not an OpenAPI 3 document (no "openapi" version${typeof root.swagger === 'string' ? '; Swagger 2.0 is not supported' : ''})`]);
  }
  let version: '3.0' | '3.1';
  if (versionText.startsWith('3.0.') || versionText === '3.0') version = '3.0';
  else if (versionText.startsWith('3.1.') || versionText === '3.1') version = '3.1';
  else throw new DescriptionError([`${at(child(top, 'openapi'))}: OpenAPI ${versionText} is not supported (3.0.x and 3.1.x are)`]);
  const schemas = new SchemaBundle(source, version);
  const info = isRecord(root.info) ? root.info : {};

  const guard = <T>(fallback: T, run: () => T): T => {
    try { return run(); } catch (error) {
      if (error instanceof SpecProblem) { problems.push(`${error.where}: ${error.message}`); return fallback; }
      throw error;
    }
  };

  const basePath = guard('', () => serverBasePath(root.servers, warnings));
  const serverUrl = Array.isArray(root.servers) && root.servers.length > 0 ? serverUrlOf(root.servers[0]) : undefined;
  const securitySchemes = new Map<string, { type: string; scheme?: string }>();
  const components = isRecord(root.components) ? root.components : {};
  if (isRecord(components.securitySchemes)) {
    for (const [name, node] of Object.entries(components.securitySchemes)) {
      guard(undefined, () => {
        const { value } = source.deref(node, child(top, 'components', 'securitySchemes', name));
        if (!isRecord(value) || typeof value.type !== 'string') throw new SpecProblem(at(child(top, 'components', 'securitySchemes', name)), 'a security scheme needs a type');
        securitySchemes.set(name, { type: value.type, scheme: typeof value.scheme === 'string' ? value.scheme.toLowerCase() : undefined });
      });
    }
  }
  const rootSecurity = Array.isArray(root.security) ? root.security as Record<string, string[]>[] : undefined;

  const operations: Operation[] = [];
  const paths = isRecord(root.paths) ? root.paths : {};
  if (root.paths !== undefined && !isRecord(root.paths)) problems.push(`${at(child(top, 'paths'))}: must be a mapping`);
  for (const [pathTemplate, pathNode] of Object.entries(paths)) {
    if (!pathTemplate.startsWith('/')) { problems.push(`${at(child(top, 'paths', pathTemplate))}: a path must start with "/"`); continue; }
    const pathLocation = child(top, 'paths', pathTemplate);
    const item = guard<{ value: unknown; location: SpecLocation } | undefined>(undefined, () => source.deref(pathNode, pathLocation));
    if (!item) continue;
    if (!isRecord(item.value)) { problems.push(`${at(pathLocation)}: a path item must be a mapping`); continue; }
    const pathItem = item.value;
    const shared = guard<OperationParameter[]>([], () => readParameters(pathItem.parameters, child(item.location, 'parameters')));
    for (const method of METHODS) {
      const node = pathItem[method];
      if (node === undefined) continue;
      const location = child(item.location, method);
      const operation = guard<Operation | undefined>(undefined, () => {
        if (!isRecord(node)) throw new SpecProblem(at(location), 'an operation must be a mapping');
        const own = readParameters(node.parameters, child(location, 'parameters'));
        const byKey = new Map<string, OperationParameter>();
        for (const parameter of [...shared, ...own]) byKey.set(`${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`, parameter);
        const parameters = [...byKey.values()];
        for (const name of templateNames(pathTemplate)) {
          if (!parameters.some((p) => p.in === 'path' && p.name === name)) warnings.push(`${at(location)}: path parameter "${name}" is not described; any value is accepted`);
        }
        return {
          method: method.toUpperCase(),
          path: pathTemplate,
          operationId: typeof node.operationId === 'string' ? node.operationId : undefined,
          where: at(location),
          parameters,
          requestBody: readRequestBody(node.requestBody, child(location, 'requestBody')),
          responses: readResponses(node.responses, child(location, 'responses')),
          security: Array.isArray(node.security) ? node.security as Record<string, string[]>[] : rootSecurity,
          extensions: extensionsOf(node),
        };
      });
      if (operation) operations.push(operation);
    }
  }
  const ids = new Map<string, string>();
  for (const operation of operations) {
    if (operation.operationId === undefined) continue;
    const earlier = ids.get(operation.operationId);
    if (earlier) problems.push(`${operation.where}: operationId "${operation.operationId}" is also used by ${earlier}`);
    else ids.set(operation.operationId, operation.where);
  }
  if (problems.length > 0) throw new DescriptionError(problems);
  return { file: source.entry, version, title: typeof info.title === 'string' ? info.title : '', basePath, serverUrl, operations, schemas, securitySchemes, warnings };

  function readParameters(list: unknown, location: SpecLocation): OperationParameter[] {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw new SpecProblem(at(location), 'must be an array');
    const out: OperationParameter[] = [];
    list.forEach((entry, index) => {
      const { value, location: here } = source.deref(entry, child(location, index));
      if (!isRecord(value) || typeof value.name !== 'string' || typeof value.in !== 'string') {
        throw new SpecProblem(at(here), 'a parameter needs a name and an "in"');
      }
      const where = value.in;
      if (where !== 'path' && where !== 'query' && where !== 'header' && where !== 'cookie') {
        throw new SpecProblem(at(here), `parameters "in: ${String(where).slice(0, 40)}" are not supported`);
      }
      if (where === 'header' && IGNORED_HEADERS.has(value.name.toLowerCase())) return;
      if (value.style === 'matrix') {
        warnings.push(`${at(here)}: matrix-style parameter "${value.name}" is not checked (routes match each path segment before its ";")`);
        return;
      }
      let schema: Schema | undefined;
      let json = false;
      if (value.schema !== undefined) schema = schemas.convert(value.schema, child(here, 'schema'));
      else if (isRecord(value.content)) {
        const [mediaType, media] = Object.entries(value.content)[0] ?? [];
        if (mediaType !== undefined && isRecord(media)) {
          json = isJsonMediaType(mediaType);
          if (media.schema !== undefined) schema = schemas.convert(media.schema, child(here, 'content', mediaType, 'schema'));
        }
      }
      out.push({
        name: value.name,
        in: where,
        required: value.required === true || where === 'path',
        schema,
        style: typeof value.style === 'string' ? value.style : undefined,
        explode: typeof value.explode === 'boolean' ? value.explode : undefined,
        allowEmptyValue: value.allowEmptyValue === true,
        json,
        extensions: extensionsOf(value),
      });
    });
    return out;
  }

  function readContent(content: unknown, location: SpecLocation): Record<string, MediaTypeEntry> {
    if (content === undefined) return {};
    if (!isRecord(content)) throw new SpecProblem(at(location), 'must be a mapping of media types');
    const out: Record<string, MediaTypeEntry> = {};
    for (const [mediaType, media] of Object.entries(content)) {
      const here = child(location, mediaType);
      if (!isRecord(media)) throw new SpecProblem(at(here), 'a media type entry must be a mapping');
      out[mediaType] = { schema: media.schema === undefined ? undefined : schemas.convert(media.schema, child(here, 'schema')) };
    }
    return out;
  }

  function readRequestBody(node: unknown, location: SpecLocation): Operation['requestBody'] {
    if (node === undefined) return undefined;
    const { value, location: here } = source.deref(node, location);
    if (!isRecord(value)) throw new SpecProblem(at(here), 'a request body must be a mapping');
    return { required: value.required === true, content: readContent(value.content, child(here, 'content')) };
  }

  function readResponses(node: unknown, location: SpecLocation): Record<string, ResponseEntry> {
    if (node === undefined) return {};
    if (!isRecord(node)) throw new SpecProblem(at(location), 'must be a mapping');
    const out: Record<string, ResponseEntry> = {};
    for (const [status, entry] of Object.entries(node)) {
      if (status.startsWith('x-')) continue;
      const key = status.length === 3 ? status.toUpperCase() : status; // 2xx -> 2XX
      const { value, location: here } = source.deref(entry, child(location, status));
      if (!isRecord(value)) throw new SpecProblem(at(here), 'a response must be a mapping');
      const headers: Record<string, Record<string, unknown>> = {};
      if (isRecord(value.headers)) {
        for (const [name, header] of Object.entries(value.headers)) {
          const resolved = source.deref(header, child(here, 'headers', name));
          headers[name.toLowerCase()] = isRecord(resolved.value) ? extensionsOf(resolved.value) : {};
        }
      }
      out[key] = { content: readContent(value.content, child(here, 'content')), headers };
    }
    return out;
  }
}

export class DescriptionError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

export function isJsonMediaType(mediaType: string): boolean {
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** `{name}` parameters of an OpenAPI path template. */
export function templateNames(template: string): string[] {
  const names: string[] = [];
  let open = template.indexOf('{');
  while (open !== -1) {
    const close = template.indexOf('}', open);
    if (close === -1) break;
    names.push(template.slice(open + 1, close));
    open = template.indexOf('{', close);
  }
  return names;
}

/** A server's URL with its variables replaced by their defaults. */
function serverUrlOf(server: unknown): string | undefined {
  if (!isRecord(server) || typeof server.url !== 'string') return undefined;
  let url = server.url;
  if (isRecord(server.variables)) {
    for (const [name, variable] of Object.entries(server.variables)) {
      if (isRecord(variable) && typeof variable.default === 'string') url = url.replaceAll(`{${name}}`, variable.default);
    }
  }
  return url;
}

/** The path part of the first server URL, variables replaced by their defaults; `''` for `/` or none. */
function serverBasePath(servers: unknown, warnings: string[]): string {
  if (!Array.isArray(servers) || servers.length === 0) return '';
  const paths = servers.map((server) => {
    const url = serverUrlOf(server);
    if (url === undefined) return '';
    let pathname: string;
    if (url.startsWith('/')) pathname = url.split('?')[0]!;
    else {
      try { pathname = new URL(url).pathname; } catch { pathname = ''; }
    }
    try { pathname = decodeURI(pathname); } catch { /* keep as is */ }
    return pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  });
  if (paths.some((p) => p !== paths[0])) warnings.push(`the servers have different base paths; using "${paths[0] || '/'}" (set basePath to choose)`);
  return paths[0]!;
}
