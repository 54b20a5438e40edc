/**
 * Unicode folding: invisible characters removed (zero-width space, non-joiner and joiner U+200B-U+200D, word
 * joiner U+2060, BOM/zero-width no-break space U+FEFF, soft hyphen U+00AD, Mongolian vowel separator U+180E), then
 * NFKC, which maps full-width forms (`＜ｓｃｒｉｐｔ＞` → `<script>`), ligatures and compatibility digits to their
 * plain forms. ASCII text is returned as is without work. Same string when nothing changes.
 */
function isInvisible(c: number): boolean {
  return (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff || c === 0x00ad || c === 0x180e;
}

export function normalizeUnicode(value: string): string {
  let i = 0;
  const n = value.length;
  while (i < n && value.charCodeAt(i) < 0x80) i++;
  if (i === n) return value;
  let stripped = value.slice(0, i);
  let runStart = i;
  let removed = false;
  for (; i < n; i++) {
    if (isInvisible(value.charCodeAt(i))) {
      stripped += value.slice(runStart, i);
      runStart = i + 1;
      removed = true;
    }
  }
  stripped = removed ? stripped + value.slice(runStart) : value;
  const normalized = stripped.normalize('NFKC');
  return normalized === value ? value : normalized;
}
