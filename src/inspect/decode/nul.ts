/**
 * Removes NUL and the other C0 control characters except tab, CR and LF: `<scr\0ipt>` and `sel\x01ect` are read
 * by some backends (C string APIs, lenient parsers) as if the byte were not there. Same string when none.
 */
function isStripped(c: number): boolean {
  return c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d;
}

export function removeControlChars(value: string): string {
  const n = value.length;
  let i = 0;
  while (i < n && !isStripped(value.charCodeAt(i))) i++;
  if (i === n) return value;
  let out = value.slice(0, i);
  let runStart = i + 1;
  for (i++; i < n; i++) {
    if (isStripped(value.charCodeAt(i))) {
      out += value.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return out + value.slice(runStart);
}
