import { createHmac, type KeyObject } from 'node:crypto';

/** How a value is rewritten: the settings of one field rule or detector, defaults applied. */
export interface ActionSettings {
  readonly action: 'mask' | 'redact' | 'hash';
  readonly keep: number;
  readonly keepStart: number;
  readonly maskChar: string;
  readonly placeholder: string;
}

/**
 * Whether a character is masked: everything but whitespace and ASCII punctuation, so that `010-1234-5678` becomes
 * `***-****-5678` and the format stays readable. Letters of any script and digits are masked.
 */
function maskable(code: number): boolean {
  if (code <= 0x20) return false;
  if (code < 0x7f) return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  // Non-ASCII: spaces and the general punctuation block stay, the rest is masked.
  return !(code === 0xa0 || code === 0x3000 || (code >= 0x2000 && code <= 0x206f));
}

/**
 * Masks `value`: every maskable character except the first `keepStart` and the last `keep` becomes `maskChar`.
 * When the value has no more maskable characters than `keepStart + keep`, all of them are masked (a short value
 * would otherwise be shown whole).
 */
export function maskText(value: string, keep: number, keepStart: number, maskChar: string): string {
  const keepSome = keep + keepStart > 0;
  let total = 0;
  if (keepSome) {
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0xdc00 && code <= 0xdfff) continue; // second half of a pair: counted with the first
      if (maskable(code)) total++;
    }
  }
  const maskAll = !keepSome || total <= keep + keepStart;
  const firstMasked = maskAll ? 0 : keepStart;
  const lastMasked = maskAll ? Infinity : total - keep; // exclusive
  let out = '';
  let seen = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < value.length;
    const char = pair ? value.slice(i, i + 2) : value[i]!;
    if (pair) i++;
    if (!maskable(code)) { out += char; continue; }
    out += seen >= firstMasked && seen < lastMasked ? maskChar : char;
    seen++;
  }
  return out;
}

/** Keyed hashing: HMAC-SHA-256, hex, truncated. Equal inputs give equal outputs under one key (joinable). */
export class Hasher {
  private readonly key: KeyObject;
  private readonly length: number;
  /** Hashes computed for the current response (a value often repeats in one response); see `forget`. */
  private readonly memo = new Map<string, string>();
  constructor(key: KeyObject, length: number) {
    this.key = key;
    this.length = length;
  }
  hash(value: string): string {
    let hex = this.memo.get(value);
    if (hex === undefined) {
      hex = createHmac('sha256', this.key).update(value, 'utf8').digest('hex').slice(0, this.length);
      if (this.memo.size < 1024) this.memo.set(value, hex);
    }
    return hex;
  }
  /** Drops the values of the response just rewritten: nothing sensitive outlives it here. */
  forget(): void {
    if (this.memo.size > 0) this.memo.clear();
  }
}

/** Applies an action to a value; `normalized` is what is hashed (e.g. digits only for numbers with separators). */
export function applyAction(settings: ActionSettings, value: string, hasher: Hasher | undefined, normalized = value): string {
  switch (settings.action) {
    case 'mask': return maskText(value, settings.keep, settings.keepStart, settings.maskChar);
    case 'redact': return settings.placeholder;
    case 'hash': return hasher!.hash(normalized);
  }
}
