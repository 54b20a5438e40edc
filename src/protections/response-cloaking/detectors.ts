/**
 * Sensitive-value detectors: hand-written linear scanners with checksums, no regular expressions.
 *
 * - Digit runs (groups of digits separated by single `-`, ` ` or `.`) are found once per text; payment cards (issuer
 *   prefix, length 13-19, Luhn), Korean resident and foreigner registration numbers (birth date, 7th digit, check
 *   digit) and Korean phone numbers (mobile, landline, +82) are checked on each run and its sub-runs.
 * - E-mail addresses are found from each `@`.
 * - Templates (bank accounts, custom) are tried at the start of each token.
 * Matches never overlap: earlier start wins, then the longer one, then the detector listed first.
 */
import { canStartWith, isAlnum, markStarts, isAsciiDigit, isAsciiLetter, matchesAt, templateLength, type CompiledTemplate } from './templates.ts';

export type DetectorAction = 'mask' | 'redact' | 'hash' | 'remove-field' | 'flag-only' | 'block';

/** What the scanner reports: where, and which detector (index into the set's detectors). */
export interface DetectorMatch {
  start: number;
  end: number;
  detector: number;
}

export type DetectorKind = 'cards' | 'residentNumbers' | 'phones' | 'emails' | 'templates';

export interface DetectorSpec {
  /** Name in events: `cards`, `residentNumbers`, `phones`, `emails`, `bankAccounts`, `custom:<name>`. */
  readonly id: string;
  readonly kind: DetectorKind;
  readonly requireChecksum?: boolean;
  readonly mobile?: boolean;
  readonly landline?: boolean;
  readonly templates?: readonly CompiledTemplate[];
  /** Lower-cased context words; one must appear shortly before a template match. */
  readonly context?: readonly string[];
}

const CONTEXT_WINDOW = 48;
const NO_MATCHES: DetectorMatch[] = [];
Object.freeze(NO_MATCHES);
const MAX_GROUPS = 16;

/** Korean area codes (3 digits; `02` is handled apart) and 070 internet telephony. */
const AREA_CODES = new Set(['031', '032', '033', '041', '042', '043', '044', '051', '052', '053', '054', '055', '061', '062', '063', '064', '070']);
const MOBILE_PREFIXES = new Set(['010', '011', '016', '017', '018', '019']);
const RRN_WEIGHTS = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];

/** Luhn check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A card number by issuer prefix, length and Luhn (digits only). */
export function isCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const first = digits.charCodeAt(0) - 0x30;
  if (first === 2) {
    // Mastercard 2-series: 2221-2720, 16 digits.
    const four = Number(digits.slice(0, 4));
    if (n !== 16 || four < 2221 || four > 2720) return false;
  } else if (first !== 3 && first !== 4 && first !== 5 && first !== 6 && first !== 9) {
    return false;
  }
  return luhnValid(digits);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A Korean resident (7th digit 1-4) or foreigner (5-8) registration number, 13 digits: the birth date must exist
 * (century from the 7th digit: 1, 2, 5, 6 for the 1900s, 3, 4, 7, 8 for the 2000s) and, when `requireChecksum`, the
 * check digit must be (11 - Σ dᵢ·wᵢ mod 11) mod 10 with weights 2..9,2..5. Numbers issued since October 2020 have
 * random last digits and pass only without the checksum requirement.
 */
export function isResidentNumber(digits: string, requireChecksum: boolean): boolean {
  if (digits.length !== 13) return false;
  const g = digits.charCodeAt(6) - 0x30;
  if (g < 1 || g > 8) return false;
  const year = (g === 1 || g === 2 || g === 5 || g === 6 ? 1900 : 2000) + Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  const day = Number(digits.slice(4, 6));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (!requireChecksum) return true;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (digits.charCodeAt(i) - 0x30) * RRN_WEIGHTS[i]!;
  return (11 - (sum % 11)) % 10 === digits.charCodeAt(12) - 0x30;
}

/** A digit run: groups of digits and the separator before each (0 for the first). */
interface Run {
  /** Position of a leading `+`, or -1. */
  plus: number;
  count: number;
  starts: number[];
  ends: number[];
  seps: number[];
}

export class DetectorSet {
  readonly specs: readonly DetectorSpec[];
  private readonly cards: number;
  private readonly rrn: number;
  private readonly phones: number;
  private readonly emails: number;
  private readonly templated: readonly number[];
  /** ASCII codes some template can start with (templates start with a letter or digit). */
  private readonly templateStarts = new Uint8Array(128);
  private readonly digitRuns: boolean;
  /** Reused buffers (the scanner is synchronous and not re-entered). */
  private scratch: DetectorMatch[] = [];
  private readonly run: Run = { plus: -1, count: 0, starts: [], ends: [], seps: [] };

  constructor(specs: readonly DetectorSpec[]) {
    this.specs = specs;
    this.cards = specs.findIndex((s) => s.kind === 'cards');
    this.rrn = specs.findIndex((s) => s.kind === 'residentNumbers');
    this.phones = specs.findIndex((s) => s.kind === 'phones');
    this.emails = specs.findIndex((s) => s.kind === 'emails');
    this.templated = specs.flatMap((s, i) => (s.kind === 'templates' ? [i] : []));
    this.digitRuns = this.cards >= 0 || this.rrn >= 0 || this.phones >= 0;
    // Cards and resident numbers have 13 digits or more; phones cannot be JSON numbers (leading 0).
    let shortest = this.cards >= 0 || this.rrn >= 0 ? 13 : Infinity;
    for (const i of this.templated) {
      for (const t of specs[i]!.templates!) {
        shortest = Math.min(shortest, templateLength(t));
        markStarts(t, this.templateStarts);
      }
    }
    this.minNumberLength = shortest;
  }

  get empty(): boolean { return this.specs.length === 0; }

  /** The shortest JSON number token worth scanning (Infinity: no detector can match a number). */
  readonly minNumberLength: number;

  /**
   * A cheap test before `scan` for short texts such as object keys: false when no detector could start a match in
   * `text` (no digit, no `@`, no character a template starts with).
   */
  mayMatch(text: string): boolean {
    const digits = this.digitRuns;
    const at = this.emails >= 0;
    const starts = this.templateStarts;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) continue;
      if ((digits && c >= 0x30 && c <= 0x39) || (at && c === 0x40) || starts[c] === 1) return true;
    }
    return false;
  }

  /** The non-overlapping matches in `text`, ordered by position (a shared empty array when there are none). */
  scan(text: string): DetectorMatch[] {
    // The scratch array is left empty after each scan, so most scans (no match) allocate nothing.
    const found = this.scratch;
    if (this.digitRuns) this.scanDigitRuns(text, found);
    if (this.emails >= 0 && text.includes('@')) this.scanEmails(text, found);
    if (this.templated.length > 0) this.scanTemplates(text, found);
    if (found.length === 0) return NO_MATCHES;
    this.scratch = [];
    if (found.length === 1) return found;
    found.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start) || a.detector - b.detector);
    const kept: DetectorMatch[] = [];
    let end = -1;
    for (const m of found) {
      if (m.start < end) continue;
      kept.push(m);
      end = m.end;
    }
    return kept;
  }

  /** Digits of a match, for hashing: card, resident and phone numbers are joined whatever their separators. */
  normalize(detector: number, value: string): string {
    const kind = this.specs[detector]!.kind;
    if (kind === 'emails') return value.toLowerCase();
    if (kind === 'templates') return value;
    let digits = '';
    for (let i = 0; i < value.length; i++) if (isAsciiDigit(value.charCodeAt(i))) digits += value[i];
    if (kind === 'phones' && value.startsWith('+82')) digits = digits.startsWith('820') ? digits.slice(2) : '0' + digits.slice(2);
    return digits;
  }

  private scanDigitRuns(text: string, found: DetectorMatch[]): void {
    const n = text.length;
    const run = this.run;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      const plus = c === 0x2b && isAsciiDigit(text.charCodeAt(i + 1));
      if (!isAsciiDigit(c) && !plus) { i++; continue; }
      if (i > 0 && isAlnum(text.charCodeAt(i - 1))) {
        // Inside a token (`ab123`, `a+1`): skip the token.
        i++;
        while (i < n && isAlnum(text.charCodeAt(i))) i++;
        continue;
      }
      run.plus = plus ? i : -1;
      run.count = 0;
      let j = plus ? i + 1 : i;
      for (;;) {
        const groupStart = j;
        while (j < n && isAsciiDigit(text.charCodeAt(j))) j++;
        run.starts[run.count] = groupStart;
        run.ends[run.count] = j;
        run.seps[run.count] = run.count === 0 ? 0 : text.charCodeAt(groupStart - 1);
        run.count++;
        const s = text.charCodeAt(j);
        if ((s === 0x2d || s === 0x20 || s === 0x2e) && isAsciiDigit(text.charCodeAt(j + 1)) && run.count < MAX_GROUPS) { j++; continue; }
        break;
      }
      // A run glued to a letter (`5678abc`) cannot end with its last group.
      const usable = j < n && isAsciiLetter(text.charCodeAt(j)) ? run.count - 1 : run.count;
      this.matchRun(text, run, usable, found);
      i = j;
      while (i < n && isAlnum(text.charCodeAt(i))) i++;
    }
  }

  /** Tries the digit detectors at each group of the run, longest first; a match skips the groups it covers. */
  private matchRun(text: string, run: Run, usable: number, found: DetectorMatch[]): void {
    let g = 0;
    while (g < usable) {
      // A match may start after a space or dash, never inside a decimal (`0.4111…`).
      if (g > 0 && run.seps[g] === 0x2e) { g++; continue; }
      // Every detector here needs at least 9 digits from g on: phones (02 + 7), the others 13.
      let digits = 0;
      for (let k = g; k < usable && digits < 9; k++) digits += run.ends[k]! - run.starts[k]!;
      if (digits < 9) return;
      const k = this.longestAt(text, run, g, usable, found);
      g += k > 0 ? k : 1;
    }
  }

  /** The number of groups matched from group `g` (0: none); records the match. */
  private longestAt(text: string, run: Run, g: number, usable: number, found: DetectorMatch[]): number {
    const { starts, ends, seps } = run;
    // Resident numbers: 6-7 with a dash, or 13 digits.
    if (this.rrn >= 0) {
      const strict = this.specs[this.rrn]!.requireChecksum !== false;
      if (g + 1 < usable && groupLength(run, g) === 6 && groupLength(run, g + 1) === 7 && seps[g + 1] === 0x2d && endsCleanly(run, g + 1)
        && isResidentNumber(joinDigits(text, run, g, g + 1), strict)) {
        found.push({ start: starts[g]!, end: ends[g + 1]!, detector: this.rrn });
        return 2;
      }
      if (groupLength(run, g) === 13 && endsCleanly(run, g) && isResidentNumber(text.slice(starts[g], ends[g]), strict)) {
        found.push({ start: starts[g]!, end: ends[g]!, detector: this.rrn });
        return 1;
      }
    }
    // Cards: 13-19 digits, or groups of 4 then 3-6 with one separator kind (space or dash).
    if (this.cards >= 0) {
      const first = groupLength(run, g);
      if (first >= 13 && first <= 19 && endsCleanly(run, g) && isCardNumber(text.slice(starts[g], ends[g]))) {
        found.push({ start: starts[g]!, end: ends[g]!, detector: this.cards });
        return 1;
      }
      if (first === 4 && g + 1 < usable && (seps[g + 1] === 0x20 || seps[g + 1] === 0x2d)) {
        // The longest grouping first: at most 4 more groups, each 3-6 digits, 13-19 in all.
        let last = g;
        let total = 4;
        for (let k = g + 1; k < usable && k < g + 5; k++) {
          const length = groupLength(run, k);
          if (seps[k] !== seps[g + 1] || length < 3 || length > 6 || total + length > 19) break;
          total += length;
          last = k;
        }
        for (let end = last; end > g; end--) {
          if (total >= 13 && endsCleanly(run, end) && isCardNumber(joinDigits(text, run, g, end))) {
            found.push({ start: starts[g]!, end: ends[end]!, detector: this.cards });
            return end - g + 1;
          }
          total -= groupLength(run, end);
        }
      }
    }
    return this.phones >= 0 ? this.phoneAt(text, run, g, usable, found) : 0;
  }

  /** Whether `first` (with its leading 0) is a prefix matched, with a middle group of `middle` digits. */
  private prefixOk(first: string, middle: number): boolean {
    const spec = this.specs[this.phones]!;
    if (MOBILE_PREFIXES.has(first)) return spec.mobile !== false && (middle === 4 || (middle === 3 && first !== '010'));
    if (first === '02' || AREA_CODES.has(first)) return spec.landline !== false && (middle === 3 || middle === 4);
    return false;
  }

  /** Contiguous digits starting with 0: mobile 10-11, Seoul 9-10, other areas 10-11. */
  private contiguousOk(d: string): boolean {
    if (d.length < 9 || d.length > 11 || d.charCodeAt(0) !== 0x30) return false;
    if (d.charCodeAt(1) === 0x32) return this.prefixOk('02', d.length - 6);
    return this.prefixOk(d.slice(0, 3), d.length - 7);
  }

  private phoneAt(text: string, run: Run, g: number, usable: number, found: DetectorMatch[]): number {
    const { starts, ends } = run;
    const group = (k: number) => text.slice(starts[k], ends[k]);
    // +82: the country code, then the number without its leading 0 (or with it, as some write it).
    if (g === 0 && run.plus >= 0 && text.startsWith('82', starts[0]!)) {
      if (groupLength(run, 0) > 2) {
        // +821012345678
        const rest = text.slice(starts[0]! + 2, ends[0]);
        if (!endsCleanly(run, 0) || !this.contiguousOk(rest.startsWith('0') ? rest : '0' + rest)) return 0;
        found.push({ start: run.plus, end: ends[0]!, detector: this.phones });
        return 1;
      }
      if (usable < 2) return 0;
      if (usable >= 4 && endsCleanly(run, 3)) {
        const area = group(1).startsWith('0') ? group(1) : '0' + group(1);
        if (groupLength(run, 3) === 4 && this.prefixOk(area, groupLength(run, 2))) {
          found.push({ start: run.plus, end: ends[3]!, detector: this.phones });
          return 4;
        }
      }
      if (endsCleanly(run, 1)) {
        const d = group(1);
        if (this.contiguousOk(d.startsWith('0') ? d : '0' + d)) {
          found.push({ start: run.plus, end: ends[1]!, detector: this.phones });
          return 2;
        }
      }
      return 0;
    }
    if (text.charCodeAt(starts[g]!) !== 0x30) return 0; // Korean numbers start with 0
    if (g + 2 < usable && endsCleanly(run, g + 2) && groupLength(run, g + 2) === 4 && this.prefixOk(group(g), groupLength(run, g + 1))) {
      found.push({ start: starts[g]!, end: ends[g + 2]!, detector: this.phones });
      return 3;
    }
    if (endsCleanly(run, g) && this.contiguousOk(group(g))) {
      found.push({ start: starts[g]!, end: ends[g]!, detector: this.phones });
      return 1;
    }
    return 0;
  }

  private scanEmails(text: string, found: DetectorMatch[]): void {
    const n = text.length;
    let from = 0;
    for (;;) {
      const at = text.indexOf('@', from);
      if (at === -1) return;
      // Local part: letters, digits and . _ % + - (at most 64), not starting or ending with a dot.
      let start = at;
      while (start > 0 && at - start < 65 && isLocalChar(text.charCodeAt(start - 1))) start--;
      const bounded = start === 0 || !isLocalChar(text.charCodeAt(start - 1));
      while (start < at && text.charCodeAt(start) === 0x2e) start++;
      // Domain: labels of letters, digits and -, separated by dots; the last one letters only, 2 or more.
      let end = at + 1;
      while (end < n && end - at <= 254 && isDomainChar(text.charCodeAt(end))) end++;
      const overlong = end < n && isDomainChar(text.charCodeAt(end));
      while (end > at + 1 && (text.charCodeAt(end - 1) === 0x2e || text.charCodeAt(end - 1) === 0x2d)) end--;
      from = Math.max(end, at + 1);
      if (!bounded || overlong || start === at || text.charCodeAt(at - 1) === 0x2e) continue;
      let lastDot = end - 1;
      while (lastDot > at && text.charCodeAt(lastDot) !== 0x2e) lastDot--;
      if (lastDot <= at + 1 || end - lastDot - 1 < 2) continue;
      let tld = true;
      for (let k = lastDot + 1; k < end; k++) if (!isAsciiLetter(text.charCodeAt(k))) { tld = false; break; }
      if (!tld || text.slice(at + 1, end).includes('..')) continue;
      found.push({ start, end, detector: this.emails });
    }
  }

  private scanTemplates(text: string, found: DetectorMatch[]): void {
    const n = text.length;
    let lower: string | undefined;
    const starts = this.templateStarts;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || starts[c] === 0 || (i > 0 && isAlnum(text.charCodeAt(i - 1)))) continue;
      for (const detector of this.templated) {
        const spec = this.specs[detector]!;
        for (const template of spec.templates!) {
          if (!canStartWith(template, c) || !matchesAt(template, text, i)) continue;
          const end = i + templateLength(template);
          if (end < n && isAlnum(text.charCodeAt(end))) continue;
          if (spec.context !== undefined) {
            lower ??= text.toLowerCase();
            const window = lower.slice(Math.max(0, i - CONTEXT_WINDOW), i);
            if (!spec.context.some((word) => window.includes(word))) continue;
          }
          found.push({ start: i, end, detector });
          break;
        }
      }
    }
  }
}

function groupLength(run: Run, k: number): number {
  return run.ends[k]! - run.starts[k]!;
}

/** A match ending with group `last` must not be followed by `.digits` (a decimal part). */
function endsCleanly(run: Run, last: number): boolean {
  return last + 1 >= run.count || run.seps[last + 1] !== 0x2e;
}

function joinDigits(text: string, run: Run, from: number, to: number): string {
  let s = '';
  for (let k = from; k <= to; k++) s += text.slice(run.starts[k], run.ends[k]);
  return s;
}

function isLocalChar(code: number): boolean {
  return isAlnum(code) || code === 0x2e || code === 0x5f || code === 0x25 || code === 0x2b || code === 0x2d;
}

function isDomainChar(code: number): boolean {
  return isAlnum(code) || code === 0x2d || code === 0x2e;
}
