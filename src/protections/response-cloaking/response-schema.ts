/**
 * Response JSON Schemas (OpenAPI 3.0 / 3.1, `$ref` already resolved by the importer) compiled into what spec-driven
 * cloaking needs: for an object, which members are declared and the schemas below them; for an array, the schema
 * of each element; which properties are `writeOnly`. No validation happens here.
 *
 * Conservative by design (a wrong removal breaks clients): whatever the compiler cannot decide is treated as open
 * (every member kept): a `$ref` left unresolved, `patternProperties` (patterns are not evaluated), a value whose type
 * matches none of the schemas. `allOf`, `anyOf` and `oneOf` keep what any branch declares; `anyOf`/`oneOf` branches
 * whose `type` excludes the value are left out. `writeOnly` is the exception: declared in any applicable branch, the
 * member is removed.
 */

/** Value kinds as bits, for `type` checks. */
export const KIND_OBJECT = 1;
export const KIND_ARRAY = 2;
const KIND_STRING = 4;
const KIND_NUMBER = 8;
const KIND_BOOLEAN = 16;
const KIND_NULL = 32;
const KIND_BITS: Record<string, number> = {
  object: KIND_OBJECT, array: KIND_ARRAY, string: KIND_STRING, number: KIND_NUMBER, integer: KIND_NUMBER, boolean: KIND_BOOLEAN, null: KIND_NULL,
};

/** `additionalProperties` / `items` beyond the tuple: not given, false, true (or `{}`), or a schema. */
type Rest = 'unspecified' | 'closed' | 'open' | SchemaNode;

export class SchemaNode {
  /** Allowed kinds (bits), 0 for any. */
  types = 0;
  props: Map<string, SchemaNode> | null = null;
  additional: Rest = 'unspecified';
  /** `patternProperties` present: members may match patterns we do not evaluate, so all are kept. */
  patternOpen = false;
  prefixItems: SchemaNode[] | null = null;
  items: Rest = 'unspecified';
  allOf: SchemaNode[] = [];
  /** `anyOf`, `oneOf`, `then`, `else`: any may apply. */
  alternatives: SchemaNode[] = [];
  writeOnly = false;
  /** The `true` schema, `{}`, or anything not understood: no constraint at all. */
  open = false;
  /** The `false` schema: nothing is allowed. */
  closed = false;

  hasObjectShape(): boolean { return this.props !== null || this.additional !== 'unspecified' || this.patternOpen || this.closed; }
  hasArrayShape(): boolean { return this.prefixItems !== null || this.items !== 'unspecified' || this.closed; }
  hasCombinators(): boolean { return this.allOf.length > 0 || this.alternatives.length > 0; }

  private writeOnlyMemo: boolean | undefined;
  /** `writeOnly` here or in an `allOf` part (a property written `allOf: [{...}], writeOnly: true`). */
  isWriteOnly(depth = 0): boolean {
    if (this.writeOnlyMemo !== undefined) return this.writeOnlyMemo;
    const result = this.writeOnly || (depth < 16 && this.allOf.some((part) => part.isWriteOnly(depth + 1)));
    this.writeOnlyMemo = result;
    return result;
  }
}

/** The open schema, shared. */
export const OPEN: SchemaNode = Object.assign(new SchemaNode(), { open: true });
const CLOSED: SchemaNode = Object.assign(new SchemaNode(), { closed: true });

const MAX_NODES = 100_000;

/**
 * Compiles a schema. Shared sub-schemas compile once and cycles (a recursive schema whose `$ref`s the importer
 * turned into object references) terminate. Returns an error for an over-large schema.
 */
export function compileResponseSchema(schema: unknown): SchemaNode | { error: string } {
  const memo = new Map<object, SchemaNode>();
  let count = 0;
  const compile = (value: unknown): SchemaNode => {
    if (value === true) return OPEN;
    if (value === false) return CLOSED;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return OPEN;
    const known = memo.get(value);
    if (known) return known;
    if (++count > MAX_NODES) throw new RangeError('schema too large');
    const s = value as Record<string, unknown>;
    const node = new SchemaNode();
    memo.set(value, node);
    if (typeof s.$ref === 'string') { node.open = true; return node; } // unresolved: nothing is known
    if (typeof s.type === 'string') node.types = KIND_BITS[s.type] ?? 0;
    else if (Array.isArray(s.type)) node.types = s.type.reduce((bits: number, t) => bits | (KIND_BITS[t as string] ?? 0), 0);
    if (node.types !== 0 && s.nullable === true) node.types |= KIND_NULL;
    if (s.writeOnly === true) node.writeOnly = true;
    if (isObject(s.properties)) {
      node.props = new Map();
      for (const [name, sub] of Object.entries(s.properties)) node.props.set(name, compile(sub));
    }
    if (s.additionalProperties !== undefined) node.additional = rest(s.additionalProperties, compile);
    if (isObject(s.patternProperties) && Object.keys(s.patternProperties).length > 0) node.patternOpen = true;
    if (Array.isArray(s.prefixItems)) node.prefixItems = s.prefixItems.map(compile);
    if (Array.isArray(s.items)) {
      node.prefixItems = s.items.map(compile); // draft-04 tuple form
      if (s.additionalItems !== undefined) node.items = rest(s.additionalItems, compile);
    } else if (s.items !== undefined) {
      node.items = rest(s.items, compile);
    }
    if (Array.isArray(s.allOf)) node.allOf = s.allOf.map(compile);
    for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[key])) node.alternatives.push(...(s[key] as unknown[]).map(compile));
    if (s.then !== undefined) node.alternatives.push(compile(s.then));
    if (s.else !== undefined) node.alternatives.push(compile(s.else));
    if (!node.hasObjectShape() && !node.hasArrayShape() && !node.hasCombinators()) node.open = true;
    return node;
  };
  try {
    return compile(schema);
  } catch (error) {
    if (error instanceof RangeError) return { error: `has more than ${MAX_NODES} sub-schemas` };
    throw error;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function rest(value: unknown, compile: (value: unknown) => SchemaNode): Rest {
  if (value === false) return 'closed';
  if (value === true) return 'open';
  const node = compile(value);
  return node.open && !node.writeOnly ? 'open' : node;
}

/** The schemas that apply to a value: empty means no schema at all (spec-driven cloaking does not apply). */
export type SchemaSet = readonly SchemaNode[];
export const NO_SCHEMA: SchemaSet = Object.freeze([]);

/** The schemas below a member: nothing to enforce (NO_SCHEMA) when none is known or all are open. */
function below(child: SchemaNode[]): SchemaSet {
  return child.every((node) => node === OPEN) ? NO_SCHEMA : child;
}

/**
 * The schemas that shape a value of `kind` (KIND_OBJECT or KIND_ARRAY): `allOf` parts always, `anyOf`/`oneOf`
 * branches whose type admits the value. Returns null when nothing constrains it (open).
 */
export function shapeOf(set: SchemaSet, kind: number): SchemaNode[] | null {
  const out: SchemaNode[] = [];
  let open = false;
  const visit = (node: SchemaNode, depth: number) => {
    if (open) return;
    if (node.types !== 0 && (node.types & kind) === 0) return; // `{ type: string }` says nothing about objects
    if (node.open || depth > 32) { open = true; return; }
    const shaped = kind === KIND_OBJECT ? node.hasObjectShape() : node.hasArrayShape();
    if (shaped) out.push(node);
    else if (!node.hasCombinators()) { open = true; return; } // e.g. `{ type: object }`: free-form
    for (const part of node.allOf) visit(part, depth + 1);
    if (node.alternatives.length > 0) {
      const fitting = node.alternatives.filter((alt) => alt.types === 0 || (alt.types & kind) !== 0);
      if (fitting.length === 0) { open = true; return; }
      for (const alt of fitting) visit(alt, depth + 1);
    }
  };
  for (const node of set) visit(node, 0);
  // Nothing fits the value (a type mismatch): the response does not follow its schema; keep it as it is.
  if (open || out.length === 0) return null;
  return out;
}

export interface MemberView {
  documented: boolean;
  writeOnly: boolean;
  child: SchemaSet;
}

/** How the object schemas `shape` (from `shapeOf`, null = open) treat member `name`. */
export function memberOf(shape: SchemaNode[] | null, name: string): MemberView {
  if (shape === null) return { documented: true, writeOnly: false, child: NO_SCHEMA };
  let documented = false;
  let writeOnly = false;
  const child: SchemaNode[] = [];
  for (const node of shape) {
    if (node.closed) continue;
    const own = node.props?.get(name);
    if (own !== undefined) {
      if (own.isWriteOnly()) writeOnly = true;
      if (!own.closed) { documented = true; child.push(own); }
    } else if (node.patternOpen || node.additional === 'open') {
      documented = true;
      child.push(OPEN);
    } else if (node.additional instanceof SchemaNode) {
      documented = true;
      if (node.additional.isWriteOnly()) writeOnly = true;
      child.push(node.additional);
    }
  }
  return { documented, writeOnly, child: below(child) };
}

/** How the array schemas `shape` treat element `index`. */
export function elementOf(shape: SchemaNode[] | null, index: number): MemberView {
  if (shape === null) return { documented: true, writeOnly: false, child: NO_SCHEMA };
  let documented = false;
  const child: SchemaNode[] = [];
  for (const node of shape) {
    if (node.closed) continue;
    const tuple = node.prefixItems;
    if (tuple !== null && index < tuple.length) {
      if (!tuple[index]!.closed) { documented = true; child.push(tuple[index]!); }
      continue;
    }
    const rest = node.items;
    if (rest === 'closed') continue;
    documented = true;
    child.push(rest === 'open' || rest === 'unspecified' ? OPEN : rest);
  }
  return { documented, writeOnly: false, child: below(child) };
}
