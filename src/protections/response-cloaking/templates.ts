/**
 * Value templates for bank-account and custom detectors: a tiny fixed-length pattern language instead of regular
 * expressions built at run time. `#` a digit, `A` an ASCII letter, `X` an ASCII letter or digit, `{n}` repeats the
 * class before it n times, `\` makes the next character literal, anything else is literal (ASCII letters compared
 * without regard to case). Every template has a fixed length, so trying one at a position costs at most its length:
 * scanning a text with T templates of length L is O(text × T × L), linear in the text.
 */

/** Character classes; a literal is its own char code (always >= 0). */
const DIGIT = -1;
const ALPHA = -2;
const ALNUM = -3;

export interface CompiledTemplate {
  readonly source: string;
  /** One entry per character to match: DIGIT, ALPHA, ALNUM or a literal's code (lower-cased for ASCII letters). */
  readonly units: Int32Array;
}

export function compileTemplate(source: string): CompiledTemplate | { error: string } {
  const units: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (i + 1 >= source.length) return { error: 'ends with "\\"' };
      units.push(lowerAscii(source.charCodeAt(++i)));
      continue;
    }
    if (c === '{') {
      const close = source.indexOf('}', i);
      const text = close === -1 ? '' : source.slice(i + 1, close);
      if (close === -1 || text === '' || text.length > 3 || ![...text].every((d) => d >= '0' && d <= '9')) {
        return { error: `"{" at ${i} must be "{n}" with n a number (escape a literal brace as "\\{")` };
      }
      const count = Number(text);
      const previous = units.at(-1);
      if (previous === undefined || previous >= 0 || source[i - 1] === '}') {
        return { error: `"{n}" at ${i} must follow "#", "A" or "X"` };
      }
      if (count < 1) return { error: `repeat count at ${i} must be at least 1` };
      for (let k = 1; k < count; k++) units.push(previous);
      i = close;
      continue;
    }
    if (c === '}') return { error: `unmatched "}" at ${i} (escape it as "\\}")` };
    units.push(c === '#' ? DIGIT : c === 'A' ? ALPHA : c === 'X' ? ALNUM : lowerAscii(source.charCodeAt(i)));
  }
  if (units.length > 128) return { error: 'longer than 128 characters once repeats are expanded' };
  if (units[0]! >= 0 && !isAlnum(units[0]!) || units.at(-1)! >= 0 && !isAlnum(units.at(-1)!)) {
    return { error: 'must start and end with "#", "A", "X" or a letter or digit' };
  }
  if (!units.some((u) => u === DIGIT || u === ALPHA || u === ALNUM)) return { error: 'has no "#", "A" or "X": it would only match itself' };
  return { source, units: Int32Array.from(units) };
}

function lowerAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

export function isAsciiDigit(code: number): boolean { return code >= 0x30 && code <= 0x39; }
export function isAsciiLetter(code: number): boolean { return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a); }
export function isAlnum(code: number): boolean { return isAsciiDigit(code) || isAsciiLetter(code); }

/** True when `template` matches `text` at `at` (the whole template, no boundary check). */
export function matchesAt(template: CompiledTemplate, text: string, at: number): boolean {
  const units = template.units;
  if (at + units.length > text.length) return false;
  for (let k = 0; k < units.length; k++) {
    const c = text.charCodeAt(at + k);
    const u = units[k]!;
    if (u === DIGIT) { if (!isAsciiDigit(c)) return false; }
    else if (u === ALPHA) { if (!isAsciiLetter(c)) return false; }
    else if (u === ALNUM) { if (!isAlnum(c)) return false; }
    else if (lowerAscii(c) !== u) return false;
  }
  return true;
}

/** Marks in `mask` (indexed by ASCII code) every character this template can start with. */
export function markStarts(template: CompiledTemplate, mask: Uint8Array): void {
  for (let code = 0; code < 128; code++) if (canStartWith(template, code)) mask[code] = 1;
}

/** Whether a template can start on this character (a cheap filter before `matchesAt`). */
export function canStartWith(template: CompiledTemplate, code: number): boolean {
  const u = template.units[0]!;
  if (u === DIGIT) return isAsciiDigit(code);
  if (u === ALPHA) return isAsciiLetter(code);
  if (u === ALNUM) return isAlnum(code);
  return lowerAscii(code) === u;
}

export function templateLength(template: CompiledTemplate): number {
  return template.units.length;
}
