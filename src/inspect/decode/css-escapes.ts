/**
 * CSS escapes (CSS Syntax Level 3 §4.3.7): a backslash and 1 to 6 hex digits, plus one optional white space
 * (CRLF counts as one), is that code point (0, surrogates and values past U+10FFFF become U+FFFD); a backslash
 * before a newline is removed (a string continuation); before any other character it is dropped. A trailing
 * backslash stays. Same string when nothing is decoded.
 */
import { hexValue } from './percent.ts';

export function decodeCssEscapes(value: string): string {
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
    if (hexValue(e) >= 0) {
      let k = i + 1;
      let code = 0;
      while (k < n && k - i <= 6) {
        const d = hexValue(value.charCodeAt(k));
        if (d < 0) break;
        code = code * 16 + d;
        k++;
      }
      const w = value.charCodeAt(k);
      if (w === 0x0d && value.charCodeAt(k + 1) === 0x0a) k += 2;
      else if (w === 0x20 || w === 0x09 || w === 0x0a || w === 0x0d || w === 0x0c) k++;
      decoded = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? '\ufffd' : String.fromCodePoint(code);
      end = k;
    } else if (e === 0x0a || e === 0x0c || e === 0x0d) {
      decoded = '';
      end = e === 0x0d && value.charCodeAt(i + 2) === 0x0a ? i + 3 : i + 2;
    } else {
      decoded = value[i + 1]!;
      end = i + 2;
    }
    out += value.slice(runStart, i) + decoded;
    runStart = end;
    i = end - 1;
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}
