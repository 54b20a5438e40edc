import { hexValue } from './percent.ts';

/**
 * Maps overlong UTF-8 forms to the character they spell (`%C0%AE` → `.`, `%C0%AF` → `/`, `%E0%80%AE` → `.`,
 * `%F0%80%80%AE` → `.`), as lenient decoders (old IIS, some Java stacks) do, so `..%c0%af` is seen as `../`.
 * Works on the percent-escaped form and on a Latin-1 view of raw bytes (`\u00C0\u00AE`), before percent-decoding
 * (which turns overlong bytes into U+FFFD). Only overlong sequences are touched. Same string when none.
 */
export function decodeOverlongUtf8(value: string): string {
  const n = value.length;
  let out = '';
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      const lead = byteAt(value, i);
      if (lead < 0xc0) continue;
      const len = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf8 ? 4 : 0;
      if (len === 0) continue;
      let code = lead & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
      let k = 1;
      for (; k < len; k++) {
        const b = byteAt(value, i + 3 * k);
        if (b < 0 || (b & 0xc0) !== 0x80) break;
        code = (code << 6) | (b & 0x3f);
      }
      if (k < len || !isOverlong(code, len)) continue;
      out += value.slice(runStart, i) + String.fromCharCode(code);
      i += 3 * len - 1;
      runStart = i + 1;
    } else if (c === 0xc0 || c === 0xc1 || c === 0xe0 || c === 0xf0) {
      // Raw bytes seen as Latin-1 characters.
      const len = c < 0xe0 ? 2 : c === 0xe0 ? 3 : 4;
      let code = c & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
      let k = 1;
      for (; k < len; k++) {
        const b = value.charCodeAt(i + k);
        if (!(b >= 0x80 && b <= 0xbf)) break;
        code = (code << 6) | (b & 0x3f);
      }
      if (k < len || !isOverlong(code, len)) continue;
      out += value.slice(runStart, i) + String.fromCharCode(code);
      i += len - 1;
      runStart = i + 1;
    }
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}

/** The byte of a `%XX` escape at `i`, or -1. */
function byteAt(value: string, i: number): number {
  if (value.charCodeAt(i) !== 0x25) return -1;
  const hi = hexValue(value.charCodeAt(i + 1));
  const lo = hexValue(value.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function isOverlong(code: number, len: number): boolean {
  return len === 2 ? code < 0x80 : len === 3 ? code < 0x800 : code < 0x10000;
}
