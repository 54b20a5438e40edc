/**
 * What a protection decides about one request. A verdict is a value, never an exception: exceptions mean a fault.
 *
 * - `pass`: nothing to say.
 * - `allow`: trusted; the remaining protections of this request are skipped (only ip-list bypass entries use it).
 * - `flag`: suspicious, recorded, forwarded.
 * - `block`: answered locally with `status`; the request goes no further.
 * - `challenge`: answered locally with a challenge the client can solve (bot defence); treated like a block here.
 */
export type Verdict = Pass | Allow | Flag | Block | Challenge;

/** Where a finding was made and what it saw; excerpts are redacted and truncated before they are logged. */
export interface FindingDetail {
  /** Input location, e.g. `path`, `query:id`, `header:user-agent`, `body:$.items[2].name`. */
  location?: string;
  /** The matched input, as seen; truncated and redacted when written. */
  excerpt?: string;
  /** Rule identifier, for detectors with many rules. */
  ruleId?: string;
  /** Human-readable explanation for operators (never shown to clients). */
  message?: string;
  /**
   * Every finding that counted, for detectors that add findings up (attack detection): rule, category and location,
   * never the matched text. What `portcullis exclusions` reads to suggest exclusions.
   */
  matches?: readonly { readonly ruleId: string; readonly category: string; readonly location: string }[];
}

export interface Pass { readonly action: 'pass' }
export interface Allow { readonly action: 'allow'; readonly reason: string; readonly detail?: FindingDetail }
export interface Flag { readonly action: 'flag'; readonly reason: string; readonly detail?: FindingDetail }
export interface Block {
  readonly action: 'block';
  readonly status: number;
  /** Stable snake_case code: the same string in the reply, the logs and the metrics. */
  readonly reason: string;
  readonly detail?: FindingDetail;
  /** Extra response headers, e.g. `Allow` on 405 or `Retry-After` on 429. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra problem+json members safe to show the client (never secrets, never upstream content). */
  readonly problem?: Readonly<Record<string, unknown>>;
}
export interface Challenge { readonly action: 'challenge'; readonly kind: string; readonly reason: string; readonly status: number; readonly detail?: FindingDetail }

const PASS: Pass = Object.freeze({ action: 'pass' });

export function pass(): Pass { return PASS; }
export function allow(reason: string, detail?: FindingDetail): Allow { return { action: 'allow', reason, detail }; }
export function flag(reason: string, detail?: FindingDetail): Flag { return { action: 'flag', reason, detail }; }
export function block(status: number, reason: string, extra: Omit<Block, 'action' | 'status' | 'reason'> = {}): Block {
  return { action: 'block', status, reason, ...extra };
}
export function challenge(kind: string, reason: string, status = 403, detail?: FindingDetail): Challenge {
  return { action: 'challenge', kind, reason, status, detail };
}

/** A verdict that stops the request (after monitor mode has been applied). */
export function isStopping(verdict: Verdict): verdict is Block | Challenge {
  return verdict.action === 'block' || verdict.action === 'challenge';
}
