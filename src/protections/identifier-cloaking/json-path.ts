/**
 * A small JSON path subset, compiled once at load and applied to parsed documents:
 *
 *   `$.a.b`, `$['a b']`, `$.a[*].b`, `$.a.*`, `$.a[0]`, `$..name` (a member at any depth below), `$[*]`.
 *
 * No filters, slices or scripts. Matching is an explicit-stack walk (no recursion, so depth is no concern) that
 * visits each (container, key) at most once per document, however many paths reach it.
 */

export type Step =
  | { readonly type: 'member'; readonly name: string; readonly lower: string }
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'wildcard' }
  | { readonly type: 'descendant'; readonly name: string; readonly lower: string };

export interface JsonPath { readonly source: string; readonly steps: readonly Step[] }

const MAX_STEPS = 32;

function isNameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d || c === 0x24 || c >= 0x80;
}

function member(name: string): Step { return { type: 'member', name, lower: name.toLowerCase() }; }

/** Compiles a path such as `$.shops[*].shopName`; returns the problem when it is not in the supported subset. */
export function compileJsonPath(source: string): JsonPath | { error: string } {
  if (!source.startsWith('$')) return { error: 'must start with "$"' };
  const steps: Step[] = [];
  let i = 1;
  const n = source.length;
  const readName = (): string => {
    const start = i;
    while (i < n && isNameChar(source.charCodeAt(i))) i++;
    return source.slice(start, i);
  };
  while (i < n) {
    const c = source[i];
    if (c === '.') {
      if (source[i + 1] === '.') {
        i += 2;
        const name = readName();
        if (name === '') return { error: `"..": a member name must follow (at ${i})` };
        steps.push({ type: 'descendant', name, lower: name.toLowerCase() });
      } else if (source[i + 1] === '*') {
        i += 2;
        steps.push({ type: 'wildcard' });
      } else {
        i += 1;
        const name = readName();
        if (name === '') return { error: `a member name must follow "." (at ${i})` };
        steps.push(member(name));
      }
    } else if (c === '[') {
      const q = source[i + 1];
      if (q === '*' && source[i + 2] === ']') { steps.push({ type: 'wildcard' }); i += 3; }
      else if (q === "'" || q === '"') {
        let name = '';
        let j = i + 2;
        for (; j < n && source[j] !== q; j++) {
          if (source[j] === '\\' && j + 1 < n) j++;
          name += source[j];
        }
        if (j >= n || source[j + 1] !== ']') return { error: `unterminated quoted member name (at ${i})` };
        steps.push(member(name));
        i = j + 2;
      } else {
        let j = i + 1;
        while (j < n && source.charCodeAt(j) >= 0x30 && source.charCodeAt(j) <= 0x39) j++;
        if (j === i + 1 || source[j] !== ']' || j - i - 1 > 9) return { error: `expected [*], [N] or ['name'] (at ${i})` };
        steps.push({ type: 'index', index: Number(source.slice(i + 1, j)) });
        i = j + 1;
      }
    } else {
      return { error: `unexpected "${c}" (at ${i}); supported: $.a.b, $['a b'], $.a[*], $.a.*, $.a[0], $..name` };
    }
    if (steps.length > MAX_STEPS) return { error: `more than ${MAX_STEPS} steps` };
  }
  if (steps.length === 0) return { error: 'the document itself ("$") cannot be an identifier' };
  return { source, steps };
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return value !== null && typeof value === 'object' && !isRawJson(value);
}

const RawJson = JSON as unknown as { isRawJSON?: (value: unknown) => boolean };
function isRawJson(value: unknown): boolean {
  return RawJson.isRawJSON !== undefined && RawJson.isRawJSON(value);
}

/** Remembers which (container, key) pairs were visited in one document. */
export class VisitedSet {
  private readonly seen = new Map<object, Set<string | number>>();
  /** True the first time the pair is offered. */
  add(container: object, key: string | number): boolean {
    let keys = this.seen.get(container);
    if (keys === undefined) this.seen.set(container, keys = new Set());
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }
}

/**
 * Calls `visit(container, key)` for every value `path` selects in `root`. Member names are compared exactly, or
 * without regard to ASCII case when `ignoreCase` (request bodies: some backends bind `ShopName` to `shopName`).
 * `visit` may replace `container[key]` (use `setMember` for objects). Stops early when `visit` returns false.
 * `visited` is needed only when several paths, or a `..` step, can reach one value twice (see `needsVisitedSet`).
 */
export function forEachMatch(
  root: unknown, path: JsonPath, ignoreCase: boolean, visited: VisitedSet | undefined,
  visit: (container: Container, key: string | number) => boolean,
): boolean {
  const steps = path.steps;
  const last = steps.length - 1;
  const nodes: unknown[] = [root];
  const stepsOf: number[] = [0];
  // Either visits the selected value (last step) or queues it for the next step.
  const reach = (container: Container, key: string | number, step: number): boolean => {
    if (step === last) return visited === undefined || visited.add(container, key) ? visit(container, key) : true;
    nodes.push((container as Record<string | number, unknown>)[key]);
    stepsOf.push(step + 1);
    return true;
  };
  while (nodes.length > 0) {
    const node = nodes.pop();
    const step = stepsOf.pop()!;
    if (!isContainer(node)) continue;
    const current = steps[step]!;
    if (current.type === 'index') {
      if (Array.isArray(node) && current.index < node.length && !reach(node, current.index, step)) return false;
    } else if (current.type === 'wildcard') {
      if (Array.isArray(node)) { for (let k = 0; k < node.length; k++) if (!reach(node, k, step)) return false; }
      else for (const key of Object.keys(node)) if (!reach(node, key, step)) return false;
    } else if (current.type === 'member') {
      if (Array.isArray(node)) continue;
      if (!ignoreCase) { if (Object.hasOwn(node, current.name) && !reach(node, current.name, step)) return false; }
      else {
        for (const key of Object.keys(node)) {
          if (key.length === current.name.length && (key === current.name || key.toLowerCase() === current.lower) && !reach(node, key, step)) return false;
        }
      }
    } else {
      // Descendant: the member here, and the same step again below every child.
      if (Array.isArray(node)) {
        for (let k = node.length - 1; k >= 0; k--) if (isContainer(node[k])) { nodes.push(node[k]); stepsOf.push(step); }
      } else {
        const keys = Object.keys(node);
        for (const key of keys) {
          const hit = key === current.name || (ignoreCase && key.length === current.name.length && key.toLowerCase() === current.lower);
          if (hit && !reach(node, key, step)) return false;
        }
        for (let k = keys.length - 1; k >= 0; k--) {
          const child = node[keys[k]!];
          if (isContainer(child)) { nodes.push(child); stepsOf.push(step); }
        }
      }
    }
  }
  return true;
}

/** Whether applying `paths` to one document can select a value twice (then pass a VisitedSet to forEachMatch). */
export function needsVisitedSet(paths: readonly JsonPath[]): boolean {
  return paths.length > 1 || paths.some((path) => path.steps.some((step) => step.type === 'descendant'));
}

/** Sets an own data property, even `__proto__` (a plain assignment would change the prototype instead). */
export function setMember(container: Container, key: string | number, value: unknown): void {
  if (Array.isArray(container) || key !== '__proto__') (container as Record<string | number, unknown>)[key] = value;
  else Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
}
