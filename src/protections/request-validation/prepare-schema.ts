import { READ_ONLY_KEYWORD } from './schema-constants.ts';

/**
 * For each `unevaluatedProperties: false` added, by its schema path as ajv reports it
 * (`#/properties/payment/unevaluatedProperties`), the member names that schema declares anywhere (through `$ref`,
 * `allOf`, `anyOf`, `oneOf`, conditionals), or `null` when it cannot tell (patterns, open members). Used to tell a
 * real unknown member from one that only looks unevaluated because its branch failed (JSON Schema drops the
 * annotations of failing subschemas).
 */
export type DeclaredMembers = ReadonlyMap<string, ReadonlySet<string> | null>;

export interface PreparedSchema {
  readonly schema: unknown;
  readonly declared: DeclaredMembers;
}

/** A schema path step as ajv writes it in `schemaPath`. */
function step(token: string | number): string {
  return '/' + encodeURIComponent(String(token).replaceAll('~', '~0').replaceAll('/', '~1'));
}

/**
 * Prepares a JSON Schema (2020-12, self-contained: `$ref`s point into its own `$defs`) for validating requests:
 *
 * - `readOnly` properties (directly, or through a `$ref` whose target is `readOnly`) are refused when present, and
 *   dropped from `required`: the server sets them, a client must not send them (OpenAPI semantics).
 * - With `rejectUnknown`, every place where an object is expected and whose schema says nothing about other
 *   members (`additionalProperties`, `unevaluatedProperties`) gets `unevaluatedProperties: false`. The keyword is
 *   added where the value sits (the root, a property, array items), never inside `allOf`/`oneOf`/`anyOf` branches or
 *   on shared `$defs`, so composition keeps working: `allOf: [Base, Extra]` accepts the members of both.
 *
 * Returns a new schema; the input is not changed.
 */
export function prepareRequestSchema(schema: unknown, rejectUnknown: boolean): PreparedSchema {
  const copy = structuredClone(schema);
  const declared = new Map<string, ReadonlySet<string> | null>();
  if (!isObject(copy)) return { schema: copy, declared };
  const defs = isObject(copy.$defs) ? copy.$defs : {};
  const preparer = new Preparer(defs, rejectUnknown, declared);
  preparer.value(copy, 0, '#');
  for (const [name, def] of Object.entries(defs)) preparer.inner(def, 0, `#/$defs${step(name)}`);
  return { schema: copy, declared };
}

type Schema = Record<string, unknown>;

const MAX_DEPTH = 256;

function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

class Preparer {
  private readonly defs: Schema;
  private readonly rejectUnknown: boolean;
  private readonly declared: Map<string, ReadonlySet<string> | null>;

  constructor(defs: Schema, rejectUnknown: boolean, declared: Map<string, ReadonlySet<string> | null>) {
    this.defs = defs;
    this.rejectUnknown = rejectUnknown;
    this.declared = declared;
  }

  /** The target of a local `#/$defs/NAME` reference (one level), or undefined. */
  private target(schema: Schema): Schema | undefined {
    const ref = schema.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return undefined;
    const name = ref.slice('#/$defs/'.length).replaceAll('~1', '/').replaceAll('~0', '~');
    const target = this.defs[name];
    return isObject(target) ? target : undefined;
  }

  /** Follows `$ref` chains (bounded). */
  private resolve(schema: Schema): Schema {
    let current = schema;
    for (let k = 0; k < 16; k++) {
      const next = this.target(current);
      if (!next) return current;
      current = next;
    }
    return current;
  }

  private isReadOnly(schema: unknown): boolean {
    if (!isObject(schema)) return false;
    if (schema.readOnly === true) return true;
    return this.resolve(schema).readOnly === true;
  }

  private objectLike(schema: Schema, seen: Set<Schema>, depth: number): boolean {
    if (seen.has(schema) || depth > 32) return false;
    seen.add(schema);
    const type = schema.type;
    if (type !== undefined) {
      const types = Array.isArray(type) ? type : [type];
      if (!types.includes('object')) return false;
      return true;
    }
    if (isObject(schema.properties) || isObject(schema.patternProperties)) return true;
    const target = this.target(schema);
    if (target && this.objectLike(target, seen, depth + 1)) return true;
    for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
      const branches = schema[keyword];
      if (Array.isArray(branches) && branches.some((b) => isObject(b) && this.objectLike(b, seen, depth + 1))) return true;
    }
    return false;
  }

  /** True when the schema (or the one its `$ref` names) decides about extra members itself. */
  private declaresExtraMembers(schema: Schema): boolean {
    if ('additionalProperties' in schema || 'unevaluatedProperties' in schema) return true;
    const target = this.resolve(schema);
    return target !== schema && ('additionalProperties' in target || 'unevaluatedProperties' in target);
  }

  /** Same path from several definitions: their names together (null, "cannot tell", wins). */
  private record(path: string, names: ReadonlySet<string> | null): void {
    const earlier = this.declared.get(path);
    if (earlier === undefined) this.declared.set(path, names);
    else if (earlier === null || names === null) this.declared.set(path, null);
    else this.declared.set(path, new Set([...earlier, ...names]));
  }

  /** Every member name `schema` declares, through references and composition; null when members are open. */
  private declaredNames(schema: unknown, names: Set<string>, seen: Set<object>, depth: number): Set<string> | null {
    if (!isObject(schema) || seen.has(schema) || depth > 64) return names;
    seen.add(schema);
    if (isObject(schema.patternProperties)) return null;
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return null;
    if (isObject(schema.properties)) for (const name of Object.keys(schema.properties)) names.add(name);
    const parts: unknown[] = [this.target(schema), schema.if, schema.then, schema.else];
    for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) if (Array.isArray(schema[keyword])) parts.push(...(schema[keyword] as unknown[]));
    if (isObject(schema.dependentSchemas)) parts.push(...Object.values(schema.dependentSchemas));
    for (const part of parts) if (this.declaredNames(part, names, seen, depth + 1) === null) return null;
    return names;
  }

  /** A schema in a value position: the root, a property, items. */
  value(schema: unknown, depth: number, path: string): void {
    if (!isObject(schema)) return;
    if (this.rejectUnknown && !this.declaresExtraMembers(schema) && this.objectLike(schema, new Set(), 0)) {
      schema.unevaluatedProperties = false;
      const names = this.declaredNames(schema, new Set(), new Set(), 0);
      this.record(`${path}/unevaluatedProperties`, names);
      // ajv reports paths inside a definition it compiles on its own relative to that definition.
      if (path.startsWith('#/$defs/')) this.record('#' + path.slice(path.indexOf('/', '#/$defs/'.length)) + '/unevaluatedProperties', names);
    }
    this.inner(schema, depth, path);
  }

  /** The sub-schemas of `schema`, without touching `schema`'s own members policy. */
  inner(schema: unknown, depth: number, path: string): void {
    if (!isObject(schema)) return;
    if (depth > MAX_DEPTH) throw new Error(`the schema is nested deeper than ${MAX_DEPTH} levels`);
    const next = depth + 1;
    const properties = schema.properties;
    if (isObject(properties)) {
      const readOnly: string[] = [];
      for (const [name, property] of Object.entries(properties)) {
        if (this.isReadOnly(property)) {
          properties[name] = { [READ_ONLY_KEYWORD]: true };
          readOnly.push(name);
        } else {
          this.value(property, next, `${path}/properties${step(name)}`);
        }
      }
      if (readOnly.length > 0) this.dropRequired(schema, readOnly);
    }
    // readOnly members declared in one allOf branch may be required in another, or at this level.
    if (Array.isArray(schema.allOf)) {
      const readOnly: string[] = [];
      for (const branch of schema.allOf) {
        if (!isObject(branch)) continue;
        const resolved = this.resolve(branch);
        const props = resolved.properties;
        if (!isObject(props)) continue;
        for (const [name, property] of Object.entries(props)) {
          if (this.isReadOnly(property) || (isObject(property) && property[READ_ONLY_KEYWORD] === true)) readOnly.push(name);
        }
      }
      if (readOnly.length > 0) {
        this.dropRequired(schema, readOnly);
        for (const branch of schema.allOf) if (isObject(branch)) this.dropRequired(branch, readOnly);
      }
    }
    if (isObject(schema.patternProperties)) {
      for (const [pattern, sub] of Object.entries(schema.patternProperties)) this.value(sub, next, `${path}/patternProperties${step(pattern)}`);
    }
    if (isObject(schema.additionalProperties)) this.value(schema.additionalProperties, next, `${path}/additionalProperties`);
    if (isObject(schema.items)) this.value(schema.items, next, `${path}/items`);
    if (Array.isArray(schema.prefixItems)) schema.prefixItems.forEach((sub, index) => this.value(sub, next, `${path}/prefixItems/${index}`));
    for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
      const branches = schema[keyword];
      if (Array.isArray(branches)) branches.forEach((branch, index) => this.inner(branch, next, `${path}/${keyword}/${index}`));
    }
    for (const keyword of ['if', 'then', 'else', 'not', 'contains'] as const) this.inner(schema[keyword], next, `${path}/${keyword}`);
    if (isObject(schema.dependentSchemas)) {
      for (const [name, sub] of Object.entries(schema.dependentSchemas)) this.inner(sub, next, `${path}/dependentSchemas${step(name)}`);
    }
  }

  private dropRequired(schema: Schema, names: readonly string[]): void {
    if (Array.isArray(schema.required)) {
      const kept = schema.required.filter((name) => !names.includes(name as string));
      if (kept.length === 0) delete schema.required; else schema.required = kept;
    }
  }
}
