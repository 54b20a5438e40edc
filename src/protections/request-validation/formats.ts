import { isIPv4, isIPv6 } from 'node:net';

/**
 * The `format` values request validation checks, written as plain character checks (no regular expressions, no
 * backtracking). Formats not listed here are annotations: any value passes, as JSON Schema allows.
 */
export interface FormatDefinition {
  readonly type: 'string' | 'number';
  readonly validate: (value: never) => boolean;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const c = text.charCodeAt(at + k);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** RFC 3339 full-date: `2026-11-27`, with a real day of the month. */
export function isDate(text: string): boolean {
  if (text.length !== 10 || text[4] !== '-' || text[7] !== '-') return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** RFC 3339 full-time from `at` to the end: `10:20:30`, optional fraction, `Z` or `+09:00`. */
function isTimeAt(text: string, at: number): boolean {
  if (text.length - at < 9 || text[at + 2] !== ':' || text[at + 5] !== ':') return false;
  const hour = digitsAt(text, at, 2);
  const minute = digitsAt(text, at + 3, 2);
  const second = digitsAt(text, at + 6, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  let i = at + 8;
  if (text[i] === '.') {
    const start = ++i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === start) return false;
  }
  const zone = text[i];
  if (zone === 'Z' || zone === 'z') return i + 1 === text.length;
  if (zone !== '+' && zone !== '-') return false;
  if (text.length - i !== 6 || text[i + 3] !== ':') return false;
  const offsetHour = digitsAt(text, i + 1, 2);
  const offsetMinute = digitsAt(text, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

export function isTime(text: string): boolean { return isTimeAt(text, 0); }

export function isDateTime(text: string): boolean {
  const t = text[10];
  return text.length > 10 && (t === 'T' || t === 't') && isDate(text.slice(0, 10)) && isTimeAt(text, 11);
}

/** A DNS host name (RFC 1123): labels of letters, digits and `-`, not starting or ending with `-`. */
export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  let labelLength = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (labelLength === 0 || text.charCodeAt(i - 1) === 0x2d) return false;
      labelLength = 0;
      continue;
    }
    if (!(isAlpha(c) || isDigit(c) || (c === 0x2d && labelLength > 0))) return false;
    if (++labelLength > 63) return false;
  }
  return labelLength > 0 && text.charCodeAt(text.length - 1) !== 0x2d;
}

const ATEXT_EXTRA = "!#$%&'*+-/=?^_`{|}~";

/** An address `local@domain`: dot-atom local part (no quoted forms), host-name domain with a dot. */
export function isEmail(text: string): boolean {
  if (text.length > 254) return false;
  const at = text.lastIndexOf('@');
  if (at <= 0 || at > 64) return false;
  let previousDot = true;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) { if (previousDot) return false; previousDot = true; continue; }
    if (!(isAlpha(c) || isDigit(c) || ATEXT_EXTRA.includes(text[i]!))) return false;
    previousDot = false;
  }
  if (previousDot) return false;
  const domain = text.slice(at + 1);
  return domain.includes('.') && isHostname(domain);
}

/** 8-4-4-4-12 hexadecimal digits. */
export function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) { if (c !== 0x2d) return false; } else if (!isHex(c)) return false;
  }
  return true;
}

/** URI characters (RFC 3986 reserved and unreserved), with well-formed percent escapes. */
function isUriText(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (isAlpha(c) || isDigit(c) || "-._~:/?#[]@!$&'()*+,;=".includes(text[i]!)) continue;
    return false;
  }
  return true;
}

/** The length of a URI scheme at the start of `text` followed by `:`, or 0. */
function schemeLength(text: string): number {
  if (!isAlpha(text.charCodeAt(0))) return 0;
  let i = 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  return text[i] === ':' ? i : 0;
}

export function isUri(text: string): boolean {
  const scheme = schemeLength(text);
  return scheme > 0 && isUriText(text, scheme + 1);
}

export function isUriReference(text: string): boolean {
  return isUriText(text, 0);
}

/** RFC 4648 base64 with padding (the OpenAPI `byte` format). */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) { padding++; if (padding > 2 || i < text.length - 2) return false; continue; }
    if (padding > 0) return false;
    if (!(isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2f)) return false;
  }
  return true;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export const FORMATS: Readonly<Record<string, FormatDefinition>> = {
  'date': { type: 'string', validate: isDate as (value: never) => boolean },
  'time': { type: 'string', validate: isTime as (value: never) => boolean },
  'date-time': { type: 'string', validate: isDateTime as (value: never) => boolean },
  'email': { type: 'string', validate: isEmail as (value: never) => boolean },
  'hostname': { type: 'string', validate: isHostname as (value: never) => boolean },
  'ipv4': { type: 'string', validate: ((text: string) => isIPv4(text)) as (value: never) => boolean },
  'ipv6': { type: 'string', validate: ((text: string) => isIPv6(text)) as (value: never) => boolean },
  'uuid': { type: 'string', validate: isUuid as (value: never) => boolean },
  'uri': { type: 'string', validate: isUri as (value: never) => boolean },
  'uri-reference': { type: 'string', validate: isUriReference as (value: never) => boolean },
  'byte': { type: 'string', validate: isBase64 as (value: never) => boolean },
  // OpenAPI numeric formats: int64 is limited to what a JSON number keeps exactly in most parsers.
  'int32': { type: 'number', validate: ((n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) as (value: never) => boolean },
  'int64': { type: 'number', validate: ((n: number) => Number.isSafeInteger(n)) as (value: never) => boolean },
  'float': { type: 'number', validate: ((n: number) => Number.isFinite(n)) as (value: never) => boolean },
  'double': { type: 'number', validate: ((n: number) => Number.isFinite(n)) as (value: never) => boolean },
};
