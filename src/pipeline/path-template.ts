/**
 * Route path templates, compiled once: `/shops/{shopName}/revenue_data.json`, `/files/{name}.pdf`, `/static/**`.
 * Matching works on decoded segments and is linear in the path length; no regular expression is involved.
 */
type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; prefix: string; suffix: string }
  | { kind: 'rest' };

export interface PathTemplate {
  readonly source: string;
  /** Higher sorts first: literal segments beat parameters, parameters with a prefix or suffix beat bare ones. */
  readonly rank: readonly number[];
  match(segments: readonly string[]): Record<string, string> | null;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function compilePathTemplate(source: string, caseSensitive: boolean): PathTemplate | { error: string } {
  if (!source.startsWith('/')) return { error: 'must start with "/"' };
  const parts = source.slice(1).split('/');
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**') {
      if (i !== parts.length - 1) return { error: '"**" may only be the last segment' };
      segments.push({ kind: 'rest' });
      continue;
    }
    const open = part.indexOf('{');
    if (open === -1) {
      if (part.includes('}')) return { error: `unbalanced "}" in segment "${part}"` };
      if (part === '' && i !== parts.length - 1) return { error: 'empty segment ("//")' };
      segments.push({ kind: 'literal', text: caseSensitive ? part : part.toLowerCase() });
      continue;
    }
    const close = part.indexOf('}', open);
    if (close === -1 || part.indexOf('{', open + 1) !== -1 || part.indexOf('}', close + 1) !== -1) {
      return { error: `segment "${part}" must hold exactly one {name}` };
    }
    const name = part.slice(open + 1, close);
    if (!NAME.test(name)) return { error: `parameter name "${name}" must be letters, digits or _` };
    if (names.has(name)) return { error: `parameter "${name}" appears twice` };
    names.add(name);
    const prefix = part.slice(0, open);
    const suffix = part.slice(close + 1);
    segments.push({ kind: 'param', name, prefix: caseSensitive ? prefix : prefix.toLowerCase(), suffix: caseSensitive ? suffix : suffix.toLowerCase() });
  }
  // A trailing empty literal (template ends in "/") is optional when matching, as is a request's trailing "/".
  const trailingSlash = segments.length > 0 && segments.at(-1)!.kind === 'literal' && (segments.at(-1) as { text: string }).text === '';
  if (trailingSlash) segments.pop();
  const rank = segments.map((s) => (s.kind === 'literal' ? 3 : s.kind === 'rest' ? 0 : s.prefix || s.suffix ? 2 : 1));
  const hasRest = segments.at(-1)?.kind === 'rest';
  const fixed = hasRest ? segments.length - 1 : segments.length;

  return {
    source,
    rank,
    match(input) {
      let count = input.length;
      if (count > 0 && input[count - 1] === '') count--; // trailing "/"
      if (hasRest ? count < fixed : count !== fixed) return null;
      let params: Record<string, string> | null = null;
      for (let i = 0; i < fixed; i++) {
        const segment = segments[i]!;
        const value = input[i]!;
        const compare = caseSensitive ? value : value.toLowerCase();
        if (segment.kind === 'literal') {
          if (compare !== segment.text) return null;
          continue;
        }
        if (segment.kind !== 'param') return null;
        const { prefix, suffix } = segment;
        if (compare.length <= prefix.length + suffix.length || !compare.startsWith(prefix) || !compare.endsWith(suffix)) return null;
        (params ??= {})[segment.name] = value.slice(prefix.length, value.length - suffix.length);
      }
      if (hasRest) (params ??= {})['**'] = input.slice(fixed, count).join('/');
      return params ?? {};
    },
  };
}

/**
 * Orders templates most specific first, segment by segment. A template that has ended ranks between a `**` and a
 * parameter, so `/shops` beats `/shops/**` for the request `/shops`.
 */
export function compareRank(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0.5;
    const y = b[i] ?? 0.5;
    if (x !== y) return y - x;
  }
  return 0;
}
