import { SpecProblem, child, type SpecLocation, type SpecSource } from './spec-source.ts';

/**
 * Turns OpenAPI schemas into self-contained JSON Schema 2020-12 documents.
 *
 * Every schema reached through a `$ref` becomes one entry of a shared registry of definitions (`Order`,
 * `Money`, ...), and the reference becomes `#/$defs/<name>`. A schema handed to the gateway is the schema plus the
 * `$defs` it needs, transitively, so recursive schemas (a category with child categories) work: the cycle is a
 * reference, never an infinite copy.
 *
 * OpenAPI 3.0 schemas are converted: `nullable: true` becomes a `null` type, boolean `exclusiveMinimum`/
 * `exclusiveMaximum` become numbers, and siblings of `$ref` are ignored, as 3.0 says. Keywords that do not validate
 * (`description`, `example`, `xml`, `discriminator`, `externalDocs`, `default`, ...) are dropped; `readOnly` and
 * `writeOnly` are kept (request validation and response cloaking act on them), and so are `x-portcullis-*`
 * extensions until the policy is written (see `stripExtensions`).
 */
export type Schema = Record<string, unknown> | boolean;

const SCALAR_KEYWORDS = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties', 'required',
  'dependentRequired', 'format', 'readOnly', 'writeOnly',
]);
const SCHEMA_KEYWORDS = new Set(['additionalProperties', 'items', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems']);
const MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'dependentSchemas']);
const ARRAY_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

export const EXTENSION_PREFIX = 'x-portcullis-';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export class SchemaBundle {
  private readonly source: SpecSource;
  private readonly version: '3.0' | '3.1';
  /** Definition name by `file#pointer`. */
  private readonly names = new Map<string, string>();
  private readonly taken = new Set<string>();
  /** Converted definitions by name. */
  readonly defs = new Map<string, Schema>();
  private readonly pending: { name: string; location: SpecLocation }[] = [];

  constructor(source: SpecSource, version: '3.0' | '3.1') {
    this.source = source;
    this.version = version;
  }

  /** Converts the schema at `location` (whose value is `node`); referenced definitions are converted too. */
  convert(node: unknown, location: SpecLocation): Schema {
    const result = this.schema(node, location, 0);
    while (this.pending.length > 0) {
      const { name, location: at } = this.pending.shift()!;
      this.defs.set(name, this.schema(this.source.get(at), at, 0));
    }
    return result;
  }

  /** `schema` with the `$defs` it needs (transitively), ready for ajv; extensions removed unless `keepExtensions`. */
  standalone(schema: Schema, keepExtensions = false): Schema {
    const needed = new Set<string>();
    const queue: Schema[] = [schema];
    while (queue.length > 0) {
      for (const name of referencedNames(queue.pop()!)) {
        if (needed.has(name)) continue;
        needed.add(name);
        queue.push(this.defs.get(name)!);
      }
    }
    const strip = (s: Schema) => (keepExtensions ? structuredClone(s) : stripExtensions(s));
    const out = strip(schema);
    if (needed.size === 0 || typeof out === 'boolean') {
      if (typeof out === 'boolean' && needed.size > 0) return { allOf: [out], $defs: defsObject([...needed].sort(), this.defs, strip) };
      return out;
    }
    return { ...out, $defs: defsObject([...needed].sort(), this.defs, strip) };
  }

  /**
   * `schema` with its references replaced by copies of their definitions, for consumers that do not follow `$ref`
   * (response cloaking). A reference back into a definition being expanded (a recursive schema) stays a `$ref`,
   * with the `$defs` it needs. Falls back to `standalone` past `maxNodes` schema objects (heavily shared schemas).
   */
  inlined(schema: Schema, maxNodes = 5000): Schema {
    let nodes = 0;
    const recursive = new Set<string>();
    const expand = (node: unknown, stack: readonly string[]): unknown => {
      if (!isRecord(node)) return node;
      if (++nodes > maxNodes) throw new RangeError('too large');
      const ref = node.$ref;
      if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return rebuild(node, (sub) => expand(sub, stack), false);
      const name = decodeDefName(ref.slice('#/$defs/'.length));
      const { $ref: _ref, ...siblings } = node;
      const rest = rebuild(siblings, (sub) => expand(sub, stack), false);
      let target: unknown;
      if (stack.includes(name)) { recursive.add(name); target = { $ref: ref }; } else target = expand(this.defs.get(name), [...stack, name]);
      if (Object.keys(rest).length === 0) return isRecord(target) ? target : { allOf: [target] };
      // A reference with siblings (3.1): both apply.
      return { allOf: [target], ...rest };
    };
    try {
      const out = expand(schema, []) as Schema;
      if (recursive.size === 0) return out;
      const defs = this.standalone({ allOf: [...recursive].map((name) => ({ $ref: `#/$defs/${encodeDefName(name)}` })) }) as Record<string, unknown>;
      return typeof out === 'boolean' ? { allOf: [out], $defs: defs.$defs } : { ...out, $defs: defs.$defs };
    } catch (error) {
      if (error instanceof RangeError) return this.standalone(schema);
      throw error;
    }
  }

  /** The definition a `#/$defs/NAME` reference names. */
  definition(ref: string): Schema | undefined {
    if (!ref.startsWith('#/$defs/')) return undefined;
    return this.defs.get(decodeDefName(ref.slice('#/$defs/'.length)));
  }

  private nameFor(location: SpecLocation): string {
    const key = `${location.file}#${location.pointer}`;
    const known = this.names.get(key);
    if (known) return known;
    const tokens = location.pointer.split('/').slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    let base = tokens.length >= 3 && tokens[0] === 'components' && tokens[1] === 'schemas' && tokens.length === 3
      ? tokens[2]!
      : tokens.length === 0 ? fileStem(location.file) : tokens.slice(tokens[0] === 'components' ? 2 : 0).join('.');
    base = sanitise(base) || 'schema';
    let name = base;
    if (this.taken.has(name)) {
      const prefixed = sanitise(`${fileStem(location.file)}.${base}`);
      name = prefixed;
      for (let n = 2; this.taken.has(name); n++) name = `${prefixed}.${n}`;
    }
    this.taken.add(name);
    this.names.set(key, name);
    this.pending.push({ name, location });
    return name;
  }

  private schema(node: unknown, location: SpecLocation, depth: number): Schema {
    if (depth > 128) throw new SpecProblem(this.source.describe(location), 'schema nested deeper than 128 levels');
    if (typeof node === 'boolean') {
      if (this.version === '3.0') throw new SpecProblem(this.source.describe(location), 'a boolean schema needs OpenAPI 3.1');
      return node;
    }
    if (!isRecord(node)) throw new SpecProblem(this.source.describe(location), 'a schema must be an object');
    if (typeof node.$ref === 'string') {
      const target = this.source.resolveRef(node.$ref, location);
      const reference: Record<string, unknown> = { $ref: `#/$defs/${encodeDefName(this.nameFor(target))}` };
      if (this.version === '3.0') return reference;
      // 3.1 (JSON Schema 2020-12): siblings of $ref apply too.
      const rest = this.keywords(node, location, depth);
      return Object.keys(rest).length === 0 ? reference : { ...reference, ...rest };
    }
    return this.keywords(node, location, depth);
  }

  private keywords(node: Record<string, unknown>, location: SpecLocation, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') continue;
      if (key.startsWith(EXTENSION_PREFIX)) { out[key] = structuredClone(value); continue; }
      if (SCALAR_KEYWORDS.has(key)) out[key] = structuredClone(value);
      else if (SCHEMA_KEYWORDS.has(key)) {
        out[key] = typeof value === 'boolean' ? value : this.schema(value, child(location, key), depth + 1);
      } else if (MAP_KEYWORDS.has(key)) {
        if (!isRecord(value)) throw new SpecProblem(this.source.describe(child(location, key)), 'must be an object');
        const map: Record<string, Schema> = {};
        for (const [name, sub] of Object.entries(value)) map[name] = this.schema(sub, child(location, key, name), depth + 1);
        out[key] = map;
      } else if (ARRAY_KEYWORDS.has(key)) {
        if (!Array.isArray(value)) throw new SpecProblem(this.source.describe(child(location, key)), 'must be an array');
        out[key] = value.map((sub, index) => this.schema(sub, child(location, key, index), depth + 1));
      }
    }
    if (this.version === '3.0') convert30(node, out);
    return out;
  }
}

/** OpenAPI 3.0 forms that JSON Schema 2020-12 spells differently. */
function convert30(node: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const [flagKey, boundKey] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof node[flagKey] === 'boolean') {
      if (node[flagKey] === true && typeof node[boundKey] === 'number') {
        out[flagKey] = node[boundKey];
        delete out[boundKey];
      } else {
        delete out[flagKey];
      }
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type === undefined) {
      const copy = { ...out };
      for (const key of Object.keys(out)) if (!key.startsWith(EXTENSION_PREFIX) && key !== 'readOnly' && key !== 'writeOnly') delete out[key];
      for (const key of Object.keys(copy)) if (key.startsWith(EXTENSION_PREFIX) || key === 'readOnly' || key === 'writeOnly') delete copy[key];
      out.anyOf = [copy, { type: 'null' }];
    }
  }
}


/**
 * Rebuilds a converted schema keyword by keyword: sub-schemas (under schema, map and array keywords) go through
 * `child`, every other value is copied. Keyword-aware, so a property named `enum` or `$ref` is not mistaken for the
 * keyword. `x-portcullis-*` members are dropped unless `keepExtensions`.
 */
function rebuild(node: Record<string, unknown>, child: (sub: unknown) => unknown, keepExtensions: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith(EXTENSION_PREFIX)) { if (keepExtensions) out[key] = structuredClone(value); continue; }
    if (SCHEMA_KEYWORDS.has(key)) out[key] = child(value);
    else if ((MAP_KEYWORDS.has(key) || key === '$defs') && isRecord(value)) {
      const map: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(value)) map[name] = child(sub);
      out[key] = map;
    } else if (ARRAY_KEYWORDS.has(key) && Array.isArray(value)) out[key] = value.map(child);
    else out[key] = structuredClone(value);
  }
  return out;
}

function referencedNames(schema: Schema): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (!isRecord(node)) return node;
    if (typeof node.$ref === 'string' && node.$ref.startsWith('#/$defs/')) names.add(decodeDefName(node.$ref.slice('#/$defs/'.length)));
    rebuild(node, walk, false);
    return node;
  };
  walk(schema);
  return names;
}

function defsObject(names: readonly string[], defs: ReadonlyMap<string, Schema>, strip: (s: Schema) => Schema): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const name of names) out[name] = strip(defs.get(name)!);
  return out;
}

/** A copy of `schema` without `x-portcullis-*` members (they configure the gateway, not validation). */
export function stripExtensions(schema: Schema): Schema {
  const walk = (node: unknown): unknown => (isRecord(node) ? rebuild(node, walk, false) : node);
  return walk(schema) as Schema;
}

function fileStem(file: string): string {
  const base = file.split('/').pop() ?? 'spec';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Definition names: letters, digits, `_`, `-` and `.`; anything else becomes `_`. */
function sanitise(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const ok = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || c === '_' || c === '-' || c === '.';
    out += ok ? c : '_';
  }
  return out.slice(0, 120);
}

function encodeDefName(name: string): string { return name; }
function decodeDefName(name: string): string { return name.replaceAll('~1', '/').replaceAll('~0', '~'); }
