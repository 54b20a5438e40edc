/**
 * One layer of percent-decoding, tolerant as backends are: `%XX` bytes (decoded as UTF-8, invalid sequences
 * becoming U+FFFD) and IIS-style `%uXXXX` code units. A malformed escape (`%zz`, `%4`) stays as written. Returns the
 * same string when there is nothing to decode. Overlong UTF-8 (`%C0%AE`) must be mapped before this layer
 * (overlong-utf8.ts), since here it becomes U+FFFD.
 */
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

export function decodePercent(value: string): string {
  const at = value.indexOf('%');
  if (at === -1) return value;
  const n = value.length;
  let out = '';
  /** Escaped bytes not yet decoded: only once a byte ≥ 0x80 is seen (ASCII bytes are appended directly). */
  let bytes: number[] = [];
  let runStart = 0;
  let changed = false;
  const flush = (): void => {
    if (bytes.length > 0) { out += utf8.decode(Uint8Array.from(bytes)); bytes = []; }
  };
  for (let i = at; i < n; i++) {
    if (value.charCodeAt(i) !== 0x25) continue;
    const hi = hexValue(value.charCodeAt(i + 1));
    const lo = hi < 0 ? -1 : hexValue(value.charCodeAt(i + 2));
    if (hi >= 0 && lo >= 0) {
      if (i > runStart) { flush(); out += value.slice(runStart, i); }
      const byte = hi * 16 + lo;
      if (byte < 0x80 && bytes.length === 0) out += String.fromCharCode(byte);
      else bytes.push(byte);
      i += 2;
      runStart = i + 1;
      changed = true;
      continue;
    }
    const u = value.charCodeAt(i + 1);
    if (u === 0x75 || u === 0x55) {
      let unit = 0;
      let k = 2;
      for (; k < 6; k++) {
        const d = hexValue(value.charCodeAt(i + k));
        if (d < 0) break;
        unit = unit * 16 + d;
      }
      if (k === 6) {
        flush();
        out += value.slice(runStart, i) + String.fromCharCode(unit);
        i += 5;
        runStart = i + 1;
        changed = true;
      }
    }
  }
  if (!changed) return value;
  if (runStart < n) { flush(); out += value.slice(runStart); } else flush();
  return out;
}
