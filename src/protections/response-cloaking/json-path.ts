/**
 * A small JSON path language for response field rules, compiled at load and matched while a document is walked.
 *
 * Syntax: `$` followed by steps: `.name`, `['name']` or `["name"]` (any characters, `\` escapes the quote and itself),
 * `[3]` (array index), `[*]` or `.*` (any member or element), and `..` before any of these (at any depth below):
 * `$..email`, `$.items[*].cardNumber`, `$.a[0]`, `$..*`. No filters, slices or scripts.
 *
 * Matching is a small NFA: the walker keeps, per JSON value, the list of (rule, step) states still alive, and steps
 * them once per member or element it descends into. No backtracking, no regular expression.
 */

/** One step of a compiled path. */
export interface PathStep {
  /** `..`: this step may match at any depth below the previous one. */
  readonly descendant: boolean;
  /** Matches any member name or index. */
  readonly any: boolean;
  /** Member name (a string) or array index (a number); unused when `any`. */
  readonly name: string | undefined;
  readonly index: number | undefined;
}

export type CompiledPath = readonly PathStep[];

/** Parses a path; returns the steps or a message saying what is wrong. */
export function compileJsonPath(text: string): CompiledPath | { error: string } {
  if (text.charCodeAt(0) !== 0x24 /* $ */) return { error: 'must start with "$"' };
  const steps: PathStep[] = [];
  let i = 1;
  const n = text.length;
  while (i < n) {
    let descendant = false;
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') { descendant = true; i += 2; } else { i += 1; }
      if (i >= n) return { error: 'ends with "."' };
      if (text[i] === '[') {
        if (!descendant) return { error: `"." followed by "[" at ${i}` };
        const bracket = readBracket(text, i);
        if ('error' in bracket) return bracket;
        steps.push({ descendant, ...bracket.step });
        i = bracket.next;
        continue;
      }
      if (text[i] === '*') { steps.push({ descendant, any: true, name: undefined, index: undefined }); i += 1; continue; }
      const start = i;
      while (i < n && text[i] !== '.' && text[i] !== '[') {
        const code = text.charCodeAt(i);
        if (code <= 0x20 || text[i] === ']' || text[i] === '*' || text[i] === '\'' || text[i] === '"') {
          return { error: `unexpected ${JSON.stringify(text[i])} at ${i} (quote unusual names: ['a b'])` };
        }
        i++;
      }
      if (i === start) return { error: `empty name at ${start}` };
      steps.push({ descendant, any: false, name: text.slice(start, i), index: undefined });
      continue;
    }
    if (c === '[') {
      const bracket = readBracket(text, i);
      if ('error' in bracket) return bracket;
      steps.push({ descendant: false, ...bracket.step });
      i = bracket.next;
      continue;
    }
    return { error: `unexpected ${JSON.stringify(c)} at ${i}` };
  }
  if (steps.length === 0) return { error: 'selects the whole document; name a member or element' };
  if (steps.length > 32) return { error: 'has more than 32 steps' };
  return steps;
}

function readBracket(text: string, open: number): { step: Omit<PathStep, 'descendant'>; next: number } | { error: string } {
  let i = open + 1;
  const q = text[i];
  if (q === '*') {
    if (text[i + 1] !== ']') return { error: `"[*" not closed at ${i + 1}` };
    return { step: { any: true, name: undefined, index: undefined }, next: i + 2 };
  }
  if (q === '\'' || q === '"') {
    let name = '';
    i++;
    for (;;) {
      if (i >= text.length) return { error: 'unterminated quoted name' };
      const ch = text[i]!;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== q && next !== '\\') return { error: `"\\" must escape the quote or itself, at ${i}` };
        name += next;
        i += 2;
        continue;
      }
      if (ch === q) break;
      name += ch;
      i++;
    }
    if (text[i + 1] !== ']') return { error: `quoted name not followed by "]" at ${i + 1}` };
    return { step: { any: false, name, index: undefined }, next: i + 2 };
  }
  const start = i;
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  if (i === start || text[i] !== ']') return { error: `expected an index, "*" or a quoted name at ${start}` };
  if (i - start > 9) return { error: `index too large at ${start}` };
  return { step: { any: false, name: undefined, index: Number(text.slice(start, i)) }, next: i + 1 };
}

/**
 * A set of compiled paths matched together. States are plain numbers, `rule * 64 + step`, in small arrays; the
 * empty array is shared, so subtrees no path can reach cost nothing.
 */
export class PathSet {
  private readonly paths: readonly CompiledPath[];
  /** The initial states, at the document root. */
  readonly root: readonly number[];
  static readonly NONE: readonly number[] = Object.freeze([]);

  constructor(paths: readonly CompiledPath[]) {
    this.paths = paths;
    this.root = paths.length === 0 ? PathSet.NONE : paths.map((_, rule) => rule * 64);
  }

  /** The states after descending into member `key` (a string) or element `key` (a number). */
  step(states: readonly number[], key: string | number): readonly number[] {
    if (states.length === 0) return PathSet.NONE;
    let out: number[] | undefined;
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      const path = this.paths[state >> 6]!;
      const at = state & 63;
      if (at >= path.length) continue; // a complete match does not extend to children
      const step = path[at]!;
      if (step.descendant) { // `..` keeps looking deeper
        if (out === undefined) out = [state]; else if (!out.includes(state)) out.push(state);
      }
      if (step.any || (typeof key === 'string' ? step.name === key : step.index === key)) {
        if (out === undefined) out = [state + 1]; else if (!out.includes(state + 1)) out.push(state + 1);
      }
    }
    return out ?? PathSet.NONE;
  }

  /** The lowest-numbered rule whose path is complete in `states`, or -1. */
  matched(states: readonly number[]): number {
    let best = -1;
    for (const state of states) {
      const rule = state >> 6;
      if ((state & 63) === this.paths[rule]!.length && (best === -1 || rule < best)) best = rule;
    }
    return best;
  }
}
