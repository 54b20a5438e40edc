/**
 * JavaScript string escapes (ECMA-262 §12.9.4), tolerant: `\xHH`, `\uHHHH`, `\u{H...}`, legacy octal `\NNN`
 * (up to `\377`), the single-character escapes (`\n` `\t` `\r` `\b` `\f` `\v`), line continuations removed, and
 * a backslash before any other character dropped (`\'` → `'`, `\a` → `a`). A malformed `\x` or `\u` stays as
 * written. Same string when nothing is decoded.
 */
import { hexValue } from './percent.ts';

function hexRun(value: string, at: number, count: number): number {
  let code = 0;
  for (let k = 0; k < count; k++) {
    const d = hexValue(value.charCodeAt(at + k));
    if (d < 0) return -1;
    code = code * 16 + d;
  }
  return code;
}

export function decodeJsEscapes(value: string): string {
  let i = value.indexOf('\\');
  if (i === -1) return value;
  const n = value.length;
  let out = '';
  let runStart = 0;
  for (; i < n - 1; i++) {
    if (value.charCodeAt(i) !== 0x5c) continue;
    const e = value.charCodeAt(i + 1);
    let decoded: string;
    let end: number;
    if (e === 0x78) {
      const code = hexRun(value, i + 2, 2);
      if (code < 0) continue;
      decoded = String.fromCharCode(code);
      end = i + 4;
    } else if (e === 0x75) {
      if (value.charCodeAt(i + 2) === 0x7b) {
        let k = i + 3;
        let code = 0;
        for (; k < n && k - i < 12; k++) {
          const d = hexValue(value.charCodeAt(k));
          if (d < 0) break;
          code = code * 16 + d;
        }
        if (k === i + 3 || value.charCodeAt(k) !== 0x7d || code > 0x10ffff) continue;
        decoded = String.fromCodePoint(code);
        end = k + 1;
      } else {
        const code = hexRun(value, i + 2, 4);
        if (code < 0) continue;
        decoded = String.fromCharCode(code);
        end = i + 6;
      }
    } else if (e >= 0x30 && e <= 0x37) {
      let code = e - 0x30;
      let k = i + 2;
      const maxDigits = e <= 0x33 ? 3 : 2;
      while (k - (i + 1) < maxDigits) {
        const d = value.charCodeAt(k);
        if (!(d >= 0x30 && d <= 0x37)) break;
        code = code * 8 + (d - 0x30);
        k++;
      }
      decoded = String.fromCharCode(code);
      end = k;
    } else if (e === 0x0d || e === 0x0a || e === 0x2028 || e === 0x2029) {
      decoded = '';
      end = e === 0x0d && value.charCodeAt(i + 2) === 0x0a ? i + 3 : i + 2;
    } else {
      decoded = e === 0x6e ? '\n' : e === 0x74 ? '\t' : e === 0x72 ? '\r' : e === 0x62 ? '\b' : e === 0x66 ? '\f' : e === 0x76 ? '\v' : value[i + 1]!;
      end = i + 2;
    }
    out += value.slice(runStart, i) + decoded;
    runStart = end;
    i = end - 1;
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}
