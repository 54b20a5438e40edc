/**
 * The vocabulary shared by the attack-detection engine and its detectors. Pure types: no Node APIs here, so the
 * whole of `src/inspect/` can be tested and benchmarked without sockets.
 */

/** Attack families. Stable strings: they appear in policies (exclusions), events and metrics. */
export const CATEGORIES = [
  'sqli', 'xss', 'cmdi', 'lfi', 'rfi', 'ssrf', 'xxe', 'ssti', 'nosqli', 'ldapi', 'crlf', 'jndi',
  'prototype-pollution', 'java', 'php', 'code', 'ssi', 'mail', 'scanner', 'protocol', 'session-fixation', 'xpathi',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Where an input sits in the request. */
export type InputSource = 'path' | 'query' | 'header' | 'cookie' | 'body';

/** One value to inspect, with its location (`query:id`, `header:user-agent`, `body:$.items[2].name`). */
export interface InspectedInput {
  readonly source: InputSource;
  /** Parameter, header, cookie or field name; for JSON the key (not the path); '' when none. */
  readonly name: string;
  /** Full location for events and exclusions. */
  readonly location: string;
  readonly value: string;
  /** True when `value` is a name (a query parameter name, a JSON key) rather than a value. */
  readonly isName?: boolean;
}

/** Severity scores, as in anomaly scoring: a route blocks when the sum of its findings reaches its threshold. */
export const SCORE = { critical: 5, error: 4, warning: 3, notice: 2 } as const;

/** Paranoia levels: 1 is for everyone (very few false positives), 3 finds more and misfires more. */
export type Paranoia = 1 | 2 | 3;

/** What a detector reports. */
export interface Finding {
  /** Stable rule id, `<category>-<name>` (e.g. `sqli-tautology`), used in exclusions and events. */
  readonly ruleId: string;
  readonly category: Category;
  /** Lowest paranoia level at which this finding counts. */
  readonly paranoia: Paranoia;
  readonly score: number;
  /** Short explanation for operators (never shown to clients). */
  readonly message: string;
  /** The part of the (decoded) value that matched, for the excerpt in events. */
  readonly matched: string;
}

/** Facts about the value a detector is looking at. */
export interface DetectorContext {
  readonly source: InputSource;
  readonly name: string;
  readonly isName: boolean;
  /** The highest paranoia level in force: detectors may skip work for rules above it. */
  readonly paranoia: Paranoia;
  /** Names of the decoding layers that produced this value from the raw input (e.g. ['url', 'html']). */
  readonly layers: readonly string[];
}

/**
 * A detector finds one family of attacks in one value. It must run in time linear in the value's length (the
 * engine bounds the length), never throw on any input, and use no regular expression that can backtrack badly
 * (test/security/regex-safety.test.ts checks every pattern in src/).
 */
export interface Detector {
  readonly category: Category;
  /**
   * Characters (the bits of value-chars.ts) at least one of which every finding of this detector needs, read from its
   * own first checks: the engine does not call `detect` for a value that has none of them. Omitted: every value.
   */
  readonly needs?: number;
  /** Reports zero or more findings for `value` through `report`. */
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void;
}
