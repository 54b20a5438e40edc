/**
 * The response rewriter: walks a JSON document once (its own linear recursive-descent scanner, bounded depth) and
 * edits the original text in place, or scans a text body. Untouched parts are copied byte for byte (numbers keep
 * their precision, key order and formatting stay); a changed value is written as a JSON string; a removed member
 * or element takes its comma with it.
 *
 * Per value, in order: the response schema may remove it (`writeOnly`, or undeclared with `removeUndocumented`);
 * else the first field rule whose path matches applies (to every string and number inside, for an object or array);
 * else the detectors run on strings (keys too) and on digit-only numbers.
 */
import { PathSet } from './json-path.ts';
import { applyAction, maskText, type ActionSettings, type Hasher } from './actions.ts';
import type { DetectorAction, DetectorMatch, DetectorSet } from './detectors.ts';
import { KIND_ARRAY, KIND_OBJECT, NO_SCHEMA, elementOf, memberOf, shapeOf, type MemberView, type SchemaSet } from './response-schema.ts';

export interface CompiledField {
  /** The path as written: the rule's name in events. */
  readonly label: string;
  readonly action: 'mask' | 'redact' | 'hash' | 'remove';
  /** For mask, redact and hash. */
  readonly settings: ActionSettings | undefined;
}

export interface DetectorBehaviour {
  readonly action: DetectorAction;
  /** The replacement for mask, redact, hash; for remove-field in text bodies, the redaction. */
  readonly settings: ActionSettings;
}

/** Everything compiled from the configuration that the rewriter needs. */
export interface RewritePlan {
  readonly fields: readonly CompiledField[];
  readonly paths: PathSet;
  readonly detectors: DetectorSet;
  readonly behaviours: readonly DetectorBehaviour[];
  readonly hasher: Hasher | undefined;
  readonly removeUndocumented: boolean;
}

const NO_MATCHES: readonly DetectorMatch[] = Object.freeze([]);

const MAX_LOCATIONS = 20;
const MAX_DEPTH = 512;

/** What a rewrite did, by rule: counts and locations, never values. */
export class Findings {
  readonly rules = new Map<string, { action: string; count: number; at: string[] }>();
  private locations = 0;
  /** A detector with `block` matched. */
  blocked = false;
  /** Something was rewritten or removed (as opposed to flag-only findings). */
  changed = false;

  add(rule: string, action: string, location: string): void {
    let entry = this.rules.get(rule);
    if (entry === undefined) { entry = { action, count: 0, at: [] }; this.rules.set(rule, entry); }
    entry.count++;
    if (this.locations < MAX_LOCATIONS) { entry.at.push(location); this.locations++; }
    if (action === 'block') this.blocked = true;
    else if (action !== 'flag-only') this.changed = true;
  }

  /** No more locations are kept (callers can skip computing them). */
  get full(): boolean { return this.locations >= MAX_LOCATIONS; }

  get empty(): boolean { return this.rules.size === 0; }

  get total(): number {
    let n = 0;
    for (const entry of this.rules.values()) n += entry.count;
    return n;
  }

  /** `mask $.owner.phone x1 [/owner/phone]; mask cards x2 [/items/0/card, /items/1/card]` (at most 20 locations). */
  summary(): string {
    const parts: string[] = [];
    for (const [rule, entry] of this.rules) {
      const more = entry.count > entry.at.length ? `, +${entry.count - entry.at.length} more` : '';
      parts.push(`${entry.action} ${rule} x${entry.count} [${entry.at.join(', ')}${more}]`);
    }
    return parts.join('; ');
  }

  ruleIds(): string {
    return [...this.rules.keys()].join(',').slice(0, 200);
  }
}

/** Thrown (as this one object) when the document is not JSON. */
const INVALID = { invalid: true };

/** A JSON string literal: the text in quotes when nothing needs escaping (the usual case), else JSON.stringify. */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text);
  }
  return '"' + text + '"';
}

/** JSON pointer escaping (RFC 6901). */
function pointerToken(key: string | number): string {
  if (typeof key === 'number') return String(key);
  return key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;
}

/**
 * Applies detector matches to `value`: returns the new text (null: unchanged) and whether a `remove-field` matched
 * (only when `canRemove`; otherwise that match is redacted).
 */
export function applyMatches(plan: RewritePlan, value: string, matches: readonly DetectorMatch[], findings: Findings, location: string, canRemove: boolean):
  { text: string | null; remove: boolean } {
  let out = '';
  let copied = 0;
  let replaced = false;
  let remove = false;
  for (const m of matches) {
    const spec = plan.detectors.specs[m.detector]!;
    const behaviour = plan.behaviours[m.detector]!;
    const action = behaviour.action === 'remove-field' && !canRemove ? 'redact' : behaviour.action;
    findings.add(spec.id, behaviour.action, location);
    if (action === 'flag-only' || action === 'block') continue;
    if (action === 'remove-field') { remove = true; continue; }
    const settings = action === behaviour.settings.action ? behaviour.settings : { ...behaviour.settings, action };
    const found = value.slice(m.start, m.end);
    const normalized = action === 'hash' ? plan.detectors.normalize(m.detector, found) : found;
    out += value.slice(copied, m.start) + applyAction(settings as ActionSettings, found, plan.hasher, normalized);
    copied = m.end;
    replaced = true;
  }
  if (remove) return { text: null, remove: true };
  return { text: replaced ? out + value.slice(copied) : null, remove: false };
}

/** Scans a text body; returns the rewritten text or null when nothing changed. Locations are `@<offset>`. */
export function rewriteText(plan: RewritePlan, text: string, findings: Findings): string | null {
  if (plan.detectors.empty) return null;
  const matches = plan.detectors.scan(text);
  if (matches.length === 0) return null;
  // One event location per match: its character offset.
  let out = '';
  let copied = 0;
  for (const m of matches) {
    const result = applyMatches(plan, text.slice(m.start, m.end), [{ start: 0, end: m.end - m.start, detector: m.detector }], findings, `@${m.start}`, false);
    if (result.text === null) continue;
    out += text.slice(copied, m.start) + result.text;
    copied = m.end;
  }
  return copied === 0 ? null : out + text.slice(copied);
}

/** The result of `rewriteJson`: `invalid` when the text is not JSON (nothing was changed then). */
export type JsonRewrite = { invalid: true } | { invalid: false; text: string | null };

/** Rewrites a JSON document; `schema` is the response schema set for its status (NO_SCHEMA for none). */
export function rewriteJson(plan: RewritePlan, text: string, schema: SchemaSet, findings: Findings): JsonRewrite {
  const rewriter = new JsonRewriter(plan, text, findings);
  try {
    const out = rewriter.run(schema);
    return { invalid: false, text: out };
  } catch (error) {
    if (error === INVALID || error instanceof SyntaxError) return { invalid: true };
    throw error;
  }
}

class JsonRewriter {
  private readonly plan: RewritePlan;
  private readonly text: string;
  private readonly findings: Findings;
  private readonly detect: boolean;
  /** Numbers shorter than this cannot hold a detectable value (Infinity: no detector looks at digits). */
  private readonly minNumberLength: number;
  private pos = 0;
  /** Output pieces, and the text position up to which the input is accounted for. */
  private pieces: string[] = [];
  private copied = 0;
  /** Keys and indexes from the root to the current value, for JSON pointers. */
  private readonly keys: (string | number)[] = [];
  /** Position of the next backslash at or after the scanner (cached: keeps string scanning linear). */
  private nextBackslash = -2;
  /** Whether the last scanned string had escapes. */
  private escaped = false;

  constructor(plan: RewritePlan, text: string, findings: Findings) {
    this.plan = plan;
    this.text = text;
    this.findings = findings;
    this.detect = !plan.detectors.empty;
    this.minNumberLength = plan.detectors.minNumberLength;
  }

  run(schema: SchemaSet): string | null {
    const text = this.text;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.ws();
    const c = text.charCodeAt(this.pos);
    if (c === 0x7b) this.object(this.plan.paths.root, schema, undefined, 1);
    else if (c === 0x5b) this.array(this.plan.paths.root, schema, undefined, 1);
    else {
      const start = this.pos;
      const outcome = this.scalar(undefined, false);
      if (typeof outcome === 'string') this.splice(start, this.pos, outcome);
    }
    this.ws();
    if (this.pos !== text.length) throw INVALID;
    if (this.pieces.length === 0) return null;
    this.pieces.push(text.slice(this.copied));
    return this.pieces.join('');
  }

  /** The current location for an event, or '' once enough locations are kept. */
  private where(): string {
    return this.findings.full ? '' : this.pointer();
  }

  private pointer(): string {
    let out = '';
    for (const key of this.keys) out += '/' + pointerToken(key);
    return out === '' ? '/' : out;
  }

  private ws(): void {
    const text = this.text;
    let p = this.pos;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** Emits the input up to `start`, then `replacement` instead of [start, end). */
  private splice(start: number, end: number, replacement: string): void {
    this.pieces.push(this.text.slice(this.copied, start), replacement);
    this.copied = end;
  }

  /** Deletes [start, end); a deletion may extend the previous one. */
  private erase(start: number, end: number): void {
    if (start >= this.copied) {
      this.pieces.push(this.text.slice(this.copied, start));
      this.copied = end;
    } else if (end > this.copied) {
      this.copied = end;
    }
  }

  /** Scans the string at `pos` (a quote); leaves `pos` after its closing quote and sets `escaped`. */
  private scanString(): void {
    const text = this.text;
    let i = this.pos + 1;
    this.escaped = false;
    for (;;) {
      const quote = text.indexOf('"', i);
      if (quote === -1) throw INVALID;
      if (this.nextBackslash !== -1 && this.nextBackslash < i) this.nextBackslash = text.indexOf('\\', i);
      const bs = this.nextBackslash;
      if (bs === -1 || bs > quote) { this.pos = quote + 1; return; }
      this.escaped = true;
      i = bs + 2;
    }
  }

  private decode(start: number, end: number, escaped: boolean): string {
    return escaped ? JSON.parse(this.text.slice(start, end)) as string : this.text.slice(start + 1, end - 1);
  }

  private scanNumber(): void {
    const text = this.text;
    let p = this.pos;
    const first = text.charCodeAt(p);
    if (first !== 0x2d && !(first >= 0x30 && first <= 0x39)) throw INVALID;
    p++;
    for (;;) {
      const c = text.charCodeAt(p);
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) p++;
      else break;
    }
    this.pos = p;
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw INVALID;
    this.pos += word.length;
  }

  /** Skips one value (a removed member's) without looking inside beyond bracket balance. */
  private skipValue(): void {
    const text = this.text;
    const c = text.charCodeAt(this.pos);
    if (c === 0x22) { this.scanString(); return; }
    if (c !== 0x7b && c !== 0x5b) {
      if (c === 0x74) this.literal('true');
      else if (c === 0x66) this.literal('false');
      else if (c === 0x6e) this.literal('null');
      else this.scanNumber();
      return;
    }
    let level = 0;
    for (;;) {
      const d = text.charCodeAt(this.pos);
      if (Number.isNaN(d)) throw INVALID;
      if (d === 0x22) { this.scanString(); continue; }
      if (d === 0x7b || d === 0x5b) level++;
      else if (d === 0x7d || d === 0x5d) { level--; if (level === 0) { this.pos++; return; } }
      this.pos++;
    }
  }

  /**
   * A scalar at `pos`: returns its replacement text (null: unchanged) and advances. `forced` is the field rule that
   * applies (set on the value or an ancestor). With `canRemove`, a detector's `remove-field` returns REMOVE.
   */
  private scalar(forced: CompiledField | undefined, canRemove: boolean): string | null | typeof REMOVE {
    const text = this.text;
    const start = this.pos;
    const c = text.charCodeAt(start);
    if (c === 0x22) {
      this.scanString();
      if (forced === undefined && !this.detect) return null;
      const value = this.decode(start, this.pos, this.escaped);
      if (forced !== undefined) return quote(applyAction(forced.settings!, value, this.plan.hasher));
      const matches = this.plan.detectors.scan(value);
      if (matches.length === 0) return null;
      const result = applyMatches(this.plan, value, matches, this.findings, this.where(), canRemove);
      if (result.remove) return REMOVE;
      return result.text === null ? null : quote(result.text);
    }
    if (c === 0x74) { this.literal('true'); return null; }
    if (c === 0x66) { this.literal('false'); return null; }
    if (c === 0x6e) { this.literal('null'); return null; }
    this.scanNumber();
    if (forced !== undefined) return quote(applyAction(forced.settings!, text.slice(start, this.pos), this.plan.hasher));
    if (this.pos - start < this.minNumberLength) return null;
    const raw = text.slice(start, this.pos);
    const matches = this.plan.detectors.scan(raw);
    if (matches.length === 0) return null;
    const result = applyMatches(this.plan, raw, matches, this.findings, this.where(), canRemove);
    if (result.remove) return REMOVE;
    return result.text === null ? null : quote(result.text);
  }

  // The outcome of `decide`, in fields rather than a fresh object per member (read before descending).
  private removeLabel: string | undefined = undefined;
  private nextStates: readonly number[] = PathSet.NONE;
  private nextSchema: SchemaSet = NO_SCHEMA;
  private nextForced: CompiledField | undefined = undefined;

  /**
   * Decides what happens to one member or element before its value is read: removal by schema or field rule
   * (`removeLabel`), or the path states, schemas and field rule to descend with (`next*`).
   */
  private decide(view: MemberView | undefined, states: readonly number[], key: string | number, forced: CompiledField | undefined): void {
    this.removeLabel = undefined;
    this.nextStates = PathSet.NONE;
    this.nextSchema = NO_SCHEMA;
    this.nextForced = forced;
    if (view !== undefined) {
      if (view.writeOnly) { this.removeLabel = 'schema:writeOnly'; return; }
      if (!view.documented && this.plan.removeUndocumented) { this.removeLabel = 'schema:undocumented'; return; }
      this.nextSchema = view.child;
    }
    if (forced !== undefined || states.length === 0) return;
    const next = this.plan.paths.step(states, key);
    const rule = next.length === 0 ? -1 : this.plan.paths.matched(next);
    if (rule < 0) { this.nextStates = next; return; }
    const field = this.plan.fields[rule]!;
    if (field.action === 'remove') { this.removeLabel = field.label; return; }
    // null, true and false are left as they are: nothing to report for them.
    const c = this.text.charCodeAt(this.pos);
    if (c !== 0x6e && c !== 0x74 && c !== 0x66) this.findings.add(field.label, field.action, this.where());
    this.nextForced = field;
  }

  private object(states: readonly number[], schema: SchemaSet, forced: CompiledField | undefined, depth: number): void {
    if (depth > MAX_DEPTH) throw INVALID;
    const text = this.text;
    this.pos++;
    const shape = schema.length === 0 ? undefined : shapeOf(schema, KIND_OBJECT);
    const needKey = states.length > 0 || shape !== undefined || (this.detect && forced === undefined);
    let keptAny = false;
    let pendingLead = false;
    let prevKeptEnd = 0; // end of the last kept value (used once one is kept)
    this.ws();
    if (text.charCodeAt(this.pos) === 0x7d) { this.pos++; return; }
    for (;;) {
      this.ws();
      if (text.charCodeAt(this.pos) !== 0x22) throw INVALID;
      const keyStart = this.pos;
      this.scanString();
      const keyEnd = this.pos;
      const key = needKey ? this.decode(keyStart, keyEnd, this.escaped) : '';
      this.ws();
      if (text.charCodeAt(this.pos) !== 0x3a) throw INVALID;
      this.pos++;
      this.ws();
      this.keys.push(key);
      this.decide(shape === undefined ? undefined : memberOf(shape, key), states, key, forced);
      let remove = this.removeLabel;
      const childStates = this.nextStates;
      const childSchema = this.nextSchema;
      const childForced = this.nextForced;
      let keyReplacement: string | null = null;
      if (remove !== undefined) {
        this.findings.add(remove, 'remove', this.where());
      } else if (this.detect && childForced === undefined) {
        // Keys can carry data too (maps keyed by e-mail or phone). Most keys are plain field names, which the
        // cheap test rules out.
        const matches = this.plan.detectors.mayMatch(key) ? this.plan.detectors.scan(key) : NO_MATCHES;
        if (matches.length > 0) {
          // The location names the member by its cloaked name: the key itself is the sensitive value (and so is
          // every pointer below it).
          this.keys[this.keys.length - 1] = maskText(key, 0, 0, '*');
          const result = applyMatches(this.plan, key, matches, this.findings, this.findings.full ? '' : this.pointer() + ' (key)', true);
          if (result.text !== null) this.keys[this.keys.length - 1] = result.text;
          if (result.remove) remove = 'detector';
          else if (result.text !== null) keyReplacement = quote(result.text);
        }
      }
      const valueStart = this.pos;
      if (remove !== undefined) {
        this.skipValue();
        if (keptAny) this.erase(prevKeptEnd, this.pos); else { this.erase(pendingLead ? this.copied : keyStart, this.pos); pendingLead = true; }
      } else {
        const c = text.charCodeAt(this.pos);
        if (c === 0x7b || c === 0x5b) {
          if (pendingLead && !keptAny) this.erase(this.copied, keyStart);
          keptAny = true;
          if (keyReplacement !== null) this.splice(keyStart, keyEnd, keyReplacement);
          if (c === 0x7b) this.object(childStates, childSchema, childForced, depth + 1);
          else this.array(childStates, childSchema, childForced, depth + 1);
          prevKeptEnd = this.pos;
        } else {
          const outcome = this.scalar(childForced, true);
          if (outcome === REMOVE) {
            if (keptAny) this.erase(prevKeptEnd, this.pos); else { this.erase(pendingLead ? this.copied : keyStart, this.pos); pendingLead = true; }
          } else {
            if (pendingLead && !keptAny) this.erase(this.copied, keyStart);
            keptAny = true;
            if (keyReplacement !== null) this.splice(keyStart, keyEnd, keyReplacement);
            if (outcome !== null) this.splice(valueStart, this.pos, outcome);
            prevKeptEnd = this.pos;
          }
        }
      }
      this.keys.pop();
      this.ws();
      const d = text.charCodeAt(this.pos);
      if (d === 0x2c) { this.pos++; continue; }
      if (d === 0x7d) { this.pos++; return; }
      throw INVALID;
    }
  }

  private array(states: readonly number[], schema: SchemaSet, forced: CompiledField | undefined, depth: number): void {
    if (depth > MAX_DEPTH) throw INVALID;
    const text = this.text;
    this.pos++;
    const shape = schema.length === 0 ? undefined : shapeOf(schema, KIND_ARRAY);
    let keptAny = false;
    let pendingLead = false;
    let prevKeptEnd = 0; // end of the last kept value (used once one is kept)
    this.ws();
    if (text.charCodeAt(this.pos) === 0x5d) { this.pos++; return; }
    for (let index = 0; ; index++) {
      this.ws();
      const valueStart = this.pos;
      this.keys.push(index);
      this.decide(shape === undefined ? undefined : elementOf(shape, index), states, index, forced);
      const remove = this.removeLabel;
      const childStates = this.nextStates;
      const childSchema = this.nextSchema;
      const childForced = this.nextForced;
      if (remove !== undefined) {
        this.findings.add(remove, 'remove', this.where());
        this.skipValue();
        if (keptAny) this.erase(prevKeptEnd, this.pos); else { this.erase(pendingLead ? this.copied : valueStart, this.pos); pendingLead = true; }
      } else {
        const c = text.charCodeAt(this.pos);
        if (c === 0x7b || c === 0x5b) {
          if (pendingLead && !keptAny) this.erase(this.copied, valueStart);
          keptAny = true;
          if (c === 0x7b) this.object(childStates, childSchema, childForced, depth + 1);
          else this.array(childStates, childSchema, childForced, depth + 1);
          prevKeptEnd = this.pos;
        } else {
          const outcome = this.scalar(childForced, true);
          if (outcome === REMOVE) {
            if (keptAny) this.erase(prevKeptEnd, this.pos); else { this.erase(pendingLead ? this.copied : valueStart, this.pos); pendingLead = true; }
          } else {
            if (pendingLead && !keptAny) this.erase(this.copied, valueStart);
            keptAny = true;
            if (outcome !== null) this.splice(valueStart, this.pos, outcome);
            prevKeptEnd = this.pos;
          }
        }
      }
      this.keys.pop();
      this.ws();
      const d = text.charCodeAt(this.pos);
      if (d === 0x2c) { this.pos++; continue; }
      if (d === 0x5d) { this.pos++; return; }
      throw INVALID;
    }
  }
}

/** Returned by `scalar` when a detector asked for the member to go. */
const REMOVE = Symbol('remove');
