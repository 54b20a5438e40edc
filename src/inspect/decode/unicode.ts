/**
 * Unicode folding: invisible characters removed (zero-width space, non-joiner and joiner U+200B-U+200D, word
 * joiner U+2060, BOM/zero-width no-break space U+FEFF, soft hyphen U+00AD, Mongolian vowel separator U+180E), then
 * NFKC, which maps full-width forms (`＜ｓｃｒｉｐｔ＞` → `<script>`), ligatures and compatibility digits to their
 * plain forms. The dotted capital I (U+0130) becomes `I`: it is the one character whose lower case is longer than
 * itself (`i` + a combining dot), which would shift every position a detector takes from a lower-cased copy, and
 * `İ;system('id')` would otherwise hide what follows. The division slash and set minus become `/` and `\`, as Windows
 * reads them (see bestFitSlashes). ASCII text is returned as is without work. Same string when nothing changes.
 */
function isInvisible(c: number): boolean {
  return (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff || c === 0x00ad || c === 0x180e;
}

const DOTTED_CAPITAL_I = 0x130;

export function normalizeUnicode(value: string): string {
  let i = 0;
  const n = value.length;
  while (i < n && value.charCodeAt(i) < 0x80) i++;
  if (i === n) return value;
  let stripped = value.slice(0, i);
  let runStart = i;
  let removed = false;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (isInvisible(c) || c === DOTTED_CAPITAL_I) {
      stripped += value.slice(runStart, i) + (c === DOTTED_CAPITAL_I ? 'I' : '');
      runStart = i + 1;
      removed = true;
    }
  }
  stripped = removed ? stripped + value.slice(runStart) : value;
  const normalized = bestFitSlashes(stripped.normalize('NFKC'));
  return normalized === value ? value : normalized;
}

/**
 * The division slash and the set minus (U+2215, U+2216), which NFKC keeps, are what Windows' "best fit" conversion
 * to an ANSI code page turns into `/` and `\`: a path `..∖..∖windows∖win.ini` reaches a Windows backend climbing.
 */
function bestFitSlashes(text: string): string {
  if (!text.includes('\u2215') && !text.includes('\u2216')) return text;
  return text.replaceAll('\u2215', '/').replaceAll('\u2216', '\\');
}
