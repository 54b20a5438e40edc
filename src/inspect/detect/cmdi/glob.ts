/** Shell wildcards, for paths written with `*`, `?` and `[...]` to dodge literal matching (`/???/c?t`). */

/** Shell wildcard match (`*`, `?`, `[...]`, `[!...]`), iterative with one star backtrack point. */
export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  let steps = 0;
  while (i < s.length) {
    if (++steps > 4096) return false;
    if (p < pattern.length) {
      const c = pattern.charCodeAt(p);
      if (c === 42) { starP = p++; starI = i; continue; }
      if (c === 63) { p++; i++; continue; }
      if (c === 91) {
        const close = pattern.indexOf(']', p + 2);
        if (close > p) {
          let negate = false;
          let q = p + 1;
          if (pattern[q] === '!' || pattern[q] === '^') { negate = true; q++; }
          let hit = false;
          const ch = s.charCodeAt(i);
          for (; q < close; q++) {
            if (pattern.charCodeAt(q + 1) === 45 && q + 2 < close) { // a-z
              if (ch >= pattern.charCodeAt(q) && ch <= pattern.charCodeAt(q + 2)) hit = true;
              q += 2;
            } else if (pattern.charCodeAt(q) === ch) hit = true;
          }
          if (hit !== negate) { p = close + 1; i++; continue; }
        } else if (s.charCodeAt(i) === 91) { p++; i++; continue; }
      } else if (c === s.charCodeAt(i)) { p++; i++; continue; }
    }
    if (starP >= 0) { p = starP + 1; i = ++starI; continue; }
    return false;
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/**
 * A wildcard path against a concrete path, segment by segment (a `*` never crosses a `/`), and only when the
 * pattern keeps some letters of its own: `/e??/pa*wd` matches `/etc/passwd`, `/*` and `/*\/*` match nothing.
 */
export function globPath(raw: string, path: string): boolean {
  if (raw.length > 96) return false;
  // inside brackets, `/` never matches and `?` is read as the wildcard it was meant to be: `/[e//]tc`, `pa[?]swd`
  let pattern = '';
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k]!;
    const close = c === '[' ? raw.indexOf(']', k + 1) : -1;
    if (close < 0) { pattern += c; continue; }
    const content = raw.slice(k + 1, close).replaceAll('/', '');
    pattern += content.includes('?') ? '?' : content === '' ? '' : `[${content}]`;
    k = close;
  }
  let literals = 0;
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern.charCodeAt(k);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) literals++;
  }
  if (literals < 3) return false;
  const ps = pattern.split('/');
  const ts = path.split('/');
  if (ps.length !== ts.length) return false;
  for (let k = 0; k < ps.length; k++) if (!globMatch(ps[k]!, ts[k]!)) return false;
  return true;
}
