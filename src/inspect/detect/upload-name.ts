/**
 * Upload file names, as the detectors that look for server-side script uploads (php, code) read them (which fields
 * hold one is field-name.ts's question).
 */

/**
 * The names a server may store an upload under, lower case: the last path segment, cut at a NUL byte (C file APIs
 * stop there: `shell.php\0.jpg` is `shell.php`), without the trailing dots and blanks Windows drops; and, when it
 * holds a `;`, also the name cut there (IIS reads `shell.asp;.jpg` as `shell.asp`).
 */
export function storedUploadNames(v: string): string[] {
  let end = v.length;
  const nul = v.indexOf('\u0000');
  if (nul >= 0) end = nul;
  const base = Math.max(v.lastIndexOf('/', end - 1), v.lastIndexOf('\\', end - 1)) + 1;
  const name = trimmedName(v, base, end);
  const semicolon = v.indexOf(';', base);
  return semicolon >= 0 && semicolon < end ? [name, trimmedName(v, base, semicolon)] : [name];
}

function trimmedName(v: string, base: number, end: number): string {
  while (end > base && (v[end - 1] === '.' || isBlank(v.charCodeAt(end - 1)))) end--;
  return v.slice(base, end).toLowerCase();
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}
