import type { Exchange, QueryParam } from '../../pipeline/exchange.ts';

/**
 * Reading OpenAPI parameters out of a request: where they are (`in`), how arrays and objects are serialised
 * (`style`, `explode`) and how their text becomes typed values before schema validation.
 *
 * Supported styles: path `simple` (default) and `label`; query `form` (default), `spaceDelimited`,
 * `pipeDelimited`, `deepObject`; header `simple`; cookie `form`. Coercion is strict: `12` is an integer, `012`,
 * ` 12` and `0x0c` are not; `true`/`false` are booleans. A value that does not coerce stays a string and fails the
 * schema's `type`.
 */
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';
export type Style = 'simple' | 'label' | 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';

export const STYLES_BY_LOCATION: Readonly<Record<ParameterLocation, readonly Style[]>> = {
  path: ['simple', 'label'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};

export const DEFAULT_STYLE: Readonly<Record<ParameterLocation, Style>> = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' };

/** What the parameter's schema says about its shape, for splitting and coercion. */
export interface ValueShape {
  /** `array`, `object` or `primitive` (anything else). */
  readonly kind: 'array' | 'object' | 'primitive';
  /** Primitive types a text may become (`integer`, `number`, `boolean`, `null`, `string`). */
  readonly types: ReadonlySet<string>;
  /** For arrays: the item types. */
  readonly itemTypes: ReadonlySet<string>;
  /** For objects: the types of each declared property. */
  readonly propertyTypes: ReadonlyMap<string, ReadonlySet<string>>;
}

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function resolve(schema: unknown, defs: Schema): Schema | undefined {
  let current = schema;
  for (let k = 0; k < 16 && isObject(current); k++) {
    const ref = current.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return current;
    current = defs[ref.slice('#/$defs/'.length).replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return isObject(current) ? current : undefined;
}

/** The JSON types a schema admits, looking through `$ref` and one level of `allOf`/`anyOf`/`oneOf`. */
function typesOf(schema: unknown, defs: Schema, depth = 0): Set<string> {
  const resolved = resolve(schema, defs);
  const types = new Set<string>();
  if (!resolved || depth > 8) return types;
  const type = resolved.type;
  if (typeof type === 'string') types.add(type);
  else if (Array.isArray(type)) for (const t of type) if (typeof t === 'string') types.add(t);
  if (types.size === 0) {
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      const branches = resolved[keyword];
      if (Array.isArray(branches)) for (const branch of branches) for (const t of typesOf(branch, defs, depth + 1)) types.add(t);
    }
    if (types.size === 0 && Array.isArray(resolved.enum)) {
      for (const value of resolved.enum) types.add(value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value);
    }
    if (types.size === 0 && 'const' in resolved) {
      const value = resolved.const;
      types.add(value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value);
    }
  }
  return types;
}

export function shapeOf(schema: unknown, defs: Schema): ValueShape {
  const types = typesOf(schema, defs);
  const resolved = resolve(schema, defs);
  if (types.has('array') && resolved) {
    return { kind: 'array', types, itemTypes: typesOf(resolved.items, defs), propertyTypes: new Map() };
  }
  if (types.has('object') && resolved) {
    const propertyTypes = new Map<string, ReadonlySet<string>>();
    const collect = (s: Schema | undefined, depth: number) => {
      if (!s || depth > 8) return;
      if (isObject(s.properties)) for (const [name, sub] of Object.entries(s.properties)) propertyTypes.set(name, typesOf(sub, defs));
      if (Array.isArray(s.allOf)) for (const branch of s.allOf) collect(resolve(branch, defs), depth + 1);
    };
    collect(resolved, 0);
    return { kind: 'object', types, itemTypes: new Set(), propertyTypes };
  }
  return { kind: 'primitive', types, itemTypes: new Set(), propertyTypes: new Map() };
}

function isIntegerText(text: string): boolean {
  let i = 0;
  if (text.charCodeAt(0) === 0x2d) i = 1;
  if (i >= text.length) return false;
  if (text.charCodeAt(i) === 0x30) return i + 1 === text.length;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The JSON number grammar. */
function isNumberText(text: string): boolean {
  let i = 0;
  const n = text.length;
  const digit = (k: number) => { const c = text.charCodeAt(k); return c >= 0x30 && c <= 0x39; };
  if (text.charCodeAt(i) === 0x2d) i++;
  if (text.charCodeAt(i) === 0x30) i++;
  else if (digit(i)) { while (digit(i)) i++; } else return false;
  if (text.charCodeAt(i) === 0x2e) { i++; if (!digit(i)) return false; while (digit(i)) i++; }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!digit(i)) return false;
    while (digit(i)) i++;
  }
  return i === n;
}

/** Text to the first type of `types` it is a valid form of; otherwise the text itself. */
export function coerce(text: string, types: ReadonlySet<string>): unknown {
  if (types.size === 0 || (types.size === 1 && types.has('string'))) return text;
  if (types.has('integer') && isIntegerText(text)) {
    const value = Number(text);
    if (Number.isSafeInteger(value)) return value;
  }
  if (types.has('number') && isNumberText(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return value;
  }
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if (types.has('null') && text === '' && !types.has('string')) return null;
  return text;
}

function decode(raw: string): string {
  const plus = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  try { return plus.includes('%') ? decodeURIComponent(plus) : plus; } catch { return plus; }
}

/** Splits a raw (still percent-encoded) query value on a delimiter given as raw text forms. */
function splitRaw(raw: string, delimiters: readonly string[]): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  outer: while (i < raw.length) {
    for (const delimiter of delimiters) {
      if (raw.startsWith(delimiter, i)) {
        parts.push(raw.slice(start, i));
        i += delimiter.length;
        start = i;
        continue outer;
      }
    }
    i++;
  }
  parts.push(raw.slice(start));
  return parts;
}

/** Turns `k,v,k2,v2` or `k=v,k2=v2` items into an object (null prototype). */
function pairsToObject(items: readonly string[], exploded: boolean, shape: ValueShape): Record<string, unknown> | undefined {
  const object = Object.create(null) as Record<string, unknown>;
  if (exploded) {
    for (const item of items) {
      const eq = item.indexOf('=');
      if (eq <= 0) return undefined;
      const key = item.slice(0, eq);
      if (Object.hasOwn(object, key)) return undefined;
      object[key] = coerce(item.slice(eq + 1), shape.propertyTypes.get(key) ?? new Set());
    }
  } else {
    if (items.length % 2 !== 0) return undefined;
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k]!;
      if (Object.hasOwn(object, key)) return undefined;
      object[key] = coerce(items[k + 1]!, shape.propertyTypes.get(key) ?? new Set());
    }
  }
  return object;
}

/** What parameters are read from: the decoded path parameters and query, possibly rewritten upstream forms. */
export interface RequestView {
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: readonly QueryParam[];
  /** Cookies by name, in order; parsed on first use. */
  cookies(): ReadonlyMap<string, string[]>;
}

export class SerialisationProblem {
  readonly rule: string;
  readonly message: string;
  constructor(rule: string, message: string) { this.rule = rule; this.message = message; }
}

/** Compiles the reader of one parameter. */
export function parameterReader(name: string, location: ParameterLocation, style: Style, explode: boolean, shape: ValueShape): (exchange: Exchange, view: RequestView) => unknown {
  const headerName = name.toLowerCase();
  const splitComma = (text: string) => text.split(',');
  switch (location) {
    case 'path':
      return (_exchange, view) => {
        let text = view.pathParams[name];
        if (text === undefined) return undefined;
        if (style === 'label') {
          if (!text.startsWith('.')) return new SerialisationProblem('style', 'must start with "." (label style)');
          text = text.slice(1);
        }
        const separator = style === 'label' && explode ? '.' : ',';
        if (shape.kind === 'array') return text === '' ? [] : text.split(separator).map((item) => coerce(item, shape.itemTypes));
        if (shape.kind === 'object') {
          const object = pairsToObject(text === '' ? [] : text.split(separator), explode, shape);
          return object ?? new SerialisationProblem('style', 'is not a valid serialised object');
        }
        return coerce(text, shape.types);
      };
    case 'header':
      return (exchange) => {
        const text = exchange.header(headerName);
        if (text === undefined) return undefined;
        if (shape.kind === 'array') return splitComma(text).map((item) => coerce(item.trim(), shape.itemTypes));
        if (shape.kind === 'object') {
          const object = pairsToObject(splitComma(text).map((item) => item.trim()), explode, shape);
          return object ?? new SerialisationProblem('style', 'is not a valid serialised object');
        }
        return coerce(text, shape.types);
      };
    case 'cookie':
      return (_exchange, view) => {
        const values = view.cookies().get(name);
        if (values === undefined) return undefined;
        if (values.length > 1) return new SerialisationProblem('repeated', 'is given more than once');
        const text = values[0]!;
        if (shape.kind === 'array') return text === '' ? [] : splitComma(text).map((item) => coerce(item, shape.itemTypes));
        if (shape.kind === 'object') return pairsToObject(text === '' ? [] : splitComma(text), false, shape) ?? new SerialisationProblem('style', 'is not a valid serialised object');
        return coerce(text, shape.types);
      };
    case 'query':
      return (_exchange, view) => readQuery(view.query, name, style, explode, shape);
  }
}

function readQuery(query: readonly QueryParam[], name: string, style: Style, explode: boolean, shape: ValueShape): unknown {
  if (style === 'deepObject') {
    const object = Object.create(null) as Record<string, unknown>;
    let found = false;
    const prefix = name + '[';
    for (const param of query) {
      if (!param.name.startsWith(prefix) || !param.name.endsWith(']')) continue;
      const key = param.name.slice(prefix.length, -1);
      if (key === '' || key.includes('[') || key.includes(']')) return new SerialisationProblem('style', 'nested deepObject members are not supported');
      if (Object.hasOwn(object, key)) return new SerialisationProblem('repeated', `member "${key.slice(0, 64)}" is given more than once`);
      object[key] = coerce(param.value, shape.propertyTypes.get(key) ?? new Set());
      found = true;
    }
    return found ? object : undefined;
  }
  if (shape.kind === 'object' && style === 'form' && explode) {
    // Exploded form objects: each declared property is a query parameter of its own.
    const object = Object.create(null) as Record<string, unknown>;
    let found = false;
    for (const [property, types] of shape.propertyTypes) {
      const matches = query.filter((param) => param.name === property);
      if (matches.length === 0) continue;
      if (matches.length > 1) return new SerialisationProblem('repeated', `member "${property}" is given more than once`);
      object[property] = coerce(matches[0]!.value, types);
      found = true;
    }
    return found ? object : undefined;
  }
  const matches = query.filter((param) => param.name === name);
  if (matches.length === 0) return undefined;
  if (shape.kind === 'array') {
    if (explode && style === 'form') return matches.map((param) => coerce(param.value, shape.itemTypes));
    if (matches.length > 1) return new SerialisationProblem('repeated', 'is given more than once');
    const raw = matches[0]!.rawValue;
    if (raw === '') return [];
    const delimiters = style === 'spaceDelimited' ? ['%20', '+'] : style === 'pipeDelimited' ? ['|', '%7C', '%7c'] : [',', '%2C', '%2c'];
    return splitRaw(raw, delimiters).map((part) => coerce(decode(part), shape.itemTypes));
  }
  if (matches.length > 1) return new SerialisationProblem('repeated', 'is given more than once');
  if (shape.kind === 'object') {
    const raw = matches[0]!.rawValue;
    const items = raw === '' ? [] : splitRaw(raw, [',']).map(decode);
    return pairsToObject(items, false, shape) ?? new SerialisationProblem('style', 'is not a valid serialised object');
  }
  return coerce(matches[0]!.value, shape.types);
}

/** Cookie pairs from `Cookie` headers (`a=1; b=2`), by name; values as sent, surrounding quotes removed. */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === '') continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const list = cookies.get(name);
    if (list) list.push(value); else cookies.set(name, [value]);
  }
  return cookies;
}
