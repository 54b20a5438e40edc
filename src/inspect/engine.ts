import type { Category, Detector, DetectorContext, Finding, InspectedInput, Paranoia } from './finding.ts';
import { surveyChars } from './value-chars.ts';

/** One decoded form of a value, and the layers that produced it (`[]` for the value as received). */
export interface Variant { value: string; layers: readonly string[] }

/** A finding at a place in the request. */
export interface Match extends Finding {
  readonly location: string;
  readonly layers: readonly string[];
}

/** Per-category settings, compiled from the protection's configuration. */
export interface CategorySettings {
  /** Highest paranoia level whose rules count for this category. */
  readonly paranoia: Paranoia;
  /** `monitor`: matches are recorded but never count toward the blocking score. */
  readonly monitor: boolean;
}

/** Everything the engine needs, compiled once per policy load. */
/** A finding remembered for a value, with the layers of the variant it came from. */
export interface CachedFinding { readonly finding: Finding; readonly layers: readonly string[] }

export interface EngineSettings {
  readonly detectors: readonly Detector[];
  readonly categories: ReadonlyMap<Category, CategorySettings>;
  /** Highest paranoia of any category: rules above it are never reported. */
  readonly paranoia: Paranoia;
  /**
   * Decoded forms of a value, the value itself first; `chars` is the value's character survey (value-chars.ts).
   * Undefined when the value is its only form.
   */
  variants(value: string, chars: number): readonly Variant[] | undefined;
  /** True when a rule is switched off for a location (exclusions). */
  isExcluded(ruleId: string, category: Category, location: string): boolean;
  /**
   * Optional memo of detector results for short values, keyed by source, name and value: detection is a pure
   * function of those (and of this compiled configuration), and headers, paths and parameters repeat a lot.
   */
  readonly cache?: FindingMemo;
  /**
   * Longest time, in milliseconds, one call may spend inspecting: past it the call throws InspectionTimeExceeded
   * and the caller refuses the request (fail closed). The clock is read after each stretch of CHECK_EVERY
   * characters of detector work, so a call overruns by at most one detector on one value. Undefined: no limit.
   */
  readonly maxInspectionMs?: number;
}

/** Thrown by inspectInputs when inspecting took longer than `maxInspectionMs`; nothing of the call is remembered. */
export class InspectionTimeExceeded extends Error {
  readonly elapsedMs: number;
  constructor(elapsedMs: number) {
    super(`inspection took ${elapsedMs.toFixed(0)} ms`);
    this.name = 'InspectionTimeExceeded';
    this.elapsedMs = elapsedMs;
  }
}

/** Characters of detector work between two readings of the clock (see maxInspectionMs). */
const CHECK_EVERY = 16 * 1024;

/** Reads the clock: throws InspectionTimeExceeded past the budget, else returns 0 (the count starts again). */
function checkClock(startedAt: number, budget: number): number {
  const elapsed = performance.now() - startedAt;
  if (elapsed > budget) throw new InspectionTimeExceeded(elapsed);
  return 0;
}

/**
 * Runs every enabled detector over every decoded variant of every input, and returns the matches that count at
 * the configured paranoia levels and are not excluded. A rule is reported once per location: the highest-scoring
 * finding of any variant (a raw value may give a weak finding and its decoded form a critical one).
 *
 * Two passes: the first gathers the distinct decoded values of every input (replaying remembered results for values
 * seen before), the second runs each detector over all of them in turn. Detector after detector, rather than value
 * after value, keeps one detector's code and tables hot: on a 10 KB JSON body it is about a third faster.
 */
export function inspectInputs(inputs: Iterable<InspectedInput>, settings: EngineSettings): Match[] {
  const budget = settings.maxInspectionMs;
  const startedAt = budget === undefined ? 0 : performance.now();
  const matches: Match[] = [];
  let seen: Map<string, number> | undefined;
  const cache = settings.cache;
  const record = (finding: Finding, location: string, findingLayers: readonly string[]) => {
    const key = `${finding.ruleId}\u0000${location}`;
    seen ??= new Map();
    const earlier = seen.get(key);
    if (earlier !== undefined && matches[earlier]!.score >= finding.score) return;
    if (settings.isExcluded(finding.ruleId, finding.category, location)) return;
    const match = { ...finding, matched: finding.matched.slice(0, 120), location, layers: findingLayers };
    if (earlier === undefined) { seen.set(key, matches.length); matches.push(match); } else matches[earlier] = match;
  };

  // Pass 1: the work, one item per distinct decoded value, held in the parallel lists of `work` (see there): the
  // value, its character survey, its detector context, the input it came from and the findings list it feeds.
  const { values, chars, contexts, owners, recordings } = work;
  let count = 0;
  const pendingInputs: InspectedInput[] = [];
  const pendingFindings: CachedFinding[][] = [];
  const pendingHashes: (number | undefined)[] = [];
  try {
    for (const input of inputs) {
      if (input.value.length === 0) continue;
      let recording: CachedFinding[] | null = null;
      if (cache && (input.source === 'body'
        ? input.value.length <= CACHEABLE_BODY_LENGTH && cache.seenBefore(input.value)
        : input.value.length <= CACHEABLE_LENGTH)) {
        // Body values by the hash seenBefore just computed, others by themselves (see FindingMemo.lastHash).
        const hash = input.source === 'body' ? cache.lastHash : undefined;
        const cached = cache.get(input.value, input, hash);
        if (cached !== undefined) {
          // Replay (exclusions depend on the location, so they apply here, not when remembered).
          for (let k = 0; k < cached.length; k++) record(cached[k]!.finding, input.location, cached[k]!.layers);
          continue;
        }
        recording = [];
        pendingInputs.push(input);
        pendingFindings.push(recording);
        pendingHashes.push(hash);
      }
      const rawChars = surveyChars(input.value);
      const variants = settings.variants(input.value, rawChars);
      const isName = input.isName === true;
      if (variants === undefined) {
        // The value is its only form.
        setItem(count++, input.value, rawChars, input, isName, NO_LAYERS, settings.paranoia, recording);
        continue;
      }
      let previous: string | undefined;
      for (let v = 0; v < variants.length; v++) {
        const variant = variants[v]!;
        // Variants are distinct by construction except when a layer undoes another; skip exact repeats cheaply.
        if (variant.value === previous || (v > 1 && repeatsEarlier(variants, v))) continue;
        previous = variant.value;
        // (the first variant is the value itself)
        setItem(count++, variant.value, v === 0 ? rawChars : surveyChars(variant.value), input, isName, variant.layers, settings.paranoia, recording);
      }
    }

    // Pass 2: each enabled detector over every item. `report` reads the current item and category (no closure per
    // call).
    let item = 0;
    let category: CategorySettings;
    const report = (finding: Finding) => {
      if (finding.paranoia > category.paranoia) return;
      const layers = contexts[item]!.layers;
      recordings[item]?.push({ finding, layers });
      record(finding, owners[item]!.location, layers);
    };
    // (characters detectors read since the clock was last read; with no budget the count never gets there)
    let sinceClock = budget === undefined ? -Infinity : 0;
    for (const detector of settings.detectors) {
      const own = settings.categories.get(detector.category);
      if (own === undefined) continue;
      category = own;
      const needs = detector.needs;
      if (needs === undefined) {
        for (item = 0; item < count; item++) {
          const value = values[item]!;
          detector.detect(value, contexts[item]!, report);
          if ((sinceClock += value.length) > CHECK_EVERY) sinceClock = checkClock(startedAt, budget!);
        }
      } else {
        for (item = 0; item < count; item++) {
          if ((chars[item]! & needs) === 0) continue;
          const value = values[item]!;
          detector.detect(value, contexts[item]!, report);
          if ((sinceClock += value.length) > CHECK_EVERY) sinceClock = checkClock(startedAt, budget!);
        }
      }
    }
  } finally {
    // The lists keep their room for the next call, not this request's values.
    for (let k = 0; k < count; k++) {
      values[k] = '';
      owners[k] = null;
      recordings[k] = null;
      const context = contexts[k]!;
      context.name = '';
      context.layers = NO_LAYERS;
    }
  }
  for (let k = 0; k < pendingInputs.length; k++) cache!.set(pendingInputs[k]!.value, pendingInputs[k]!, pendingFindings[k]!, pendingHashes[k]);
  return matches;
}

const NO_LAYERS: readonly string[] = [];

/** A detector context the engine reuses from call to call (detectors read it during their call only). */
interface WorkContext { source: DetectorContext['source']; name: string; isName: boolean; paranoia: Paranoia; layers: readonly string[] }

/**
 * The work lists of inspectInputs, kept from call to call (it is never re-entered, and clears them when done): a
 * 10 KB JSON body has a few hundred items, and lists and contexts made for each call were a fifth of what
 * inspecting it allocated.
 */
const work = {
  values: [] as string[],
  chars: [] as number[],
  contexts: [] as WorkContext[],
  owners: [] as (InspectedInput | null)[],
  recordings: [] as (CachedFinding[] | null)[],
};

/** Sets work item `k` (at most one past the end of the lists). */
function setItem(k: number, value: string, surveyed: number, owner: InspectedInput, isName: boolean, layers: readonly string[], paranoia: Paranoia, recording: CachedFinding[] | null): void {
  work.values[k] = value;
  work.chars[k] = surveyed;
  work.owners[k] = owner;
  work.recordings[k] = recording;
  const context = work.contexts[k];
  if (context === undefined) work.contexts[k] = { source: owner.source, name: owner.name, isName, paranoia, layers };
  else {
    context.source = owner.source;
    context.name = owner.name;
    context.isName = isName;
    context.paranoia = paranoia;
    context.layers = layers;
  }
}

/** True when variants[v] has the value of an earlier variant. */
function repeatsEarlier(variants: readonly Variant[], v: number): boolean {
  const value = variants[v]!.value;
  for (let w = 0; w < v; w++) if (variants[w]!.value === value) return true;
  return false;
}

/** Values up to this length are remembered with their findings (headers, paths and parameters repeat a lot). */
const CACHEABLE_LENGTH = 512;
/**
 * Body values repeat across requests far less (keys, enums, codes and small numbers do; identifiers, names and most
 * text do not): they are remembered only from their second sighting (FindingMemo.seenBefore), so that what will not
 * come again pays neither for a lookup nor for being stored, only for a hash of its characters. Up to this
 * length: the memo then holds at most ~10 MB of values (10,000 entries; twice that for text past Latin-1).
 */
const CACHEABLE_BODY_LENGTH = 1024;

/** A memo entry: detection depends on the value and on where it was found (source, name, whether it is a name). */
interface MemoEntry {
  /** The value (an entry keyed by its hash is checked against it). */
  readonly value: string;
  readonly source: string;
  readonly name: string;
  readonly isName: boolean;
  readonly findings: readonly CachedFinding[];
}

/**
 * A bounded memo of findings per value, in two generations: new entries go to the young map; when it holds its
 * share of `generation` entries it becomes the old map and the previous old map is dropped; a hit in the old map is
 * copied back to the young one. Values in use stay, values not seen for two generations go, and every operation is
 * O(1) (a Map used as an LRU by deleting its oldest key degrades: V8 walks the deleted slots at its front). Keyed by
 * the value itself (no composed key string to build and hash); an entry for the same value at another source or
 * name is a miss and is replaced.
 *
 * The entries are spread over SHARDS pairs of maps, chosen by the value's length and last character. A Map grows by
 * rehashing everything it holds into a table twice as large, all in one call: one map of 5,000 entries spent ~0.5 ms
 * of a single request on its rehash at 4,096 (the table then outgrows V8's regular object size), which set the p99
 * of a 10 KB JSON inspection. Shards of a few hundred entries rehash in tens of microseconds each, and their
 * generations differ in size, so that shards filled at the same rate do not all turn, nor rehash, in the same request.
 */
export class FindingMemo {
  /** Keyed by the value, or for body values by the hash seenBefore computed (see lastHash). */
  private readonly young: Map<string | number, MemoEntry>[] = [];
  private readonly old: Map<string | number, MemoEntry>[] = [];
  /**
   * The hash of the value last given to seenBefore. Body values are looked up and stored by it, with the value kept in
   * the entry to check: a Map keyed by a string hashes it again (in the engine's runtime, a call per value), and a
   * 10 KB list of transactions has a few hundred repeated values (codes, currencies, memos) to look up.
   */
  lastHash = 0;
  /** Body values seen, a bit per hash, in two generations (see seenBefore). */
  private sightings = new Uint32Array(1 << (SIGHTING_BITS_LOG2 - 5));
  private previousSightings = new Uint32Array(1 << (SIGHTING_BITS_LOG2 - 5));
  private sighted = 0;
  /** Entries of each shard's young map at which it turns: shard s has a share SHARDS + s of the generation. */
  private readonly turnAt: number[] = [];

  constructor(generation = 5_000) {
    const shares = SHARDS * SHARDS + (SHARDS * (SHARDS - 1)) / 2;
    for (let s = 0; s < SHARDS; s++) {
      this.young.push(new Map());
      this.old.push(new Map());
      this.turnAt.push(Math.max(1, Math.floor((generation * (SHARDS + s)) / shares)));
    }
  }

  /** The findings remembered for `value` at `at`; `hash`: the value's lastHash from seenBefore (body values). */
  get(value: string, at: Pick<InspectedInput, 'source' | 'name' | 'isName'>, hash?: number): readonly CachedFinding[] | undefined {
    const key = hash ?? value;
    const shard = hash === undefined ? shardOf(value) : hash & (SHARDS - 1);
    let entry = this.young[shard]!.get(key);
    if (entry === undefined) {
      entry = this.old[shard]!.get(key);
      if (entry !== undefined) this.put(shard, key, entry);
    }
    if (entry === undefined || entry.source !== at.source || entry.name !== at.name || entry.isName !== (at.isName === true)) return undefined;
    if (hash !== undefined && entry.value !== value) return undefined; // another value with the same hash
    return entry.findings;
  }

  /**
   * Remembers `findings` for `value`. The value and the findings' excerpts are stored as copies of their own: a value
   * cut from a request body may be a view into the whole body's text, and a remembered view would keep every such
   * body alive for as long as the memo keeps the value.
   */
  set(value: string, at: Pick<InspectedInput, 'source' | 'name' | 'isName'>, findings: readonly CachedFinding[], hash?: number): void {
    const kept = findings.length === 0 ? findings
      : findings.map(({ finding, layers }) => ({ finding: { ...finding, matched: detached(finding.matched) }, layers }));
    const own = detached(value);
    const entry = { value: own, source: at.source, name: at.name, isName: at.isName === true, findings: kept };
    if (hash === undefined) this.put(shardOf(value), own, entry);
    else this.put(hash & (SHARDS - 1), hash, entry);
  }

  /**
   * True when `value` (at most CACHEABLE_BODY_LENGTH characters) was offered here before, in this or the previous
   * generation of the sightings filter; either way it is now recorded as seen. The filter is a bit per hash of the
   * value, so a value never seen may pass (another value set its bit), which only costs a lookup: admission decides
   * whether the memo is consulted, never what it answers. Without it, every unique short body value (an order number,
   * a name) was looked up, missed, stored and kept alive through garbage collections for nothing: on bodies of such
   * values the memo cost more than it saved.
   */
  seenBefore(value: string): boolean {
    // Every character counts: values that differ in one digit of an identifier inside the same text (a note with
    // its order number, a templated message) must not share a bit, and a per-character integer loop costs less
    // than the lookup and the stored entry that a false sighting brings.
    const n = value.length;
    let h = Math.imul(0x811c9dc5 ^ n, 0x01000193); // (an int32 from the start: the loop stays in integer arithmetic)
    for (let i = 0; i < n; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    this.lastHash = h;
    const bit = h >>> (32 - SIGHTING_BITS_LOG2);
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    if ((this.sightings[word]! & mask) !== 0) return true;
    const before = (this.previousSightings[word]! & mask) !== 0;
    this.sightings[word] = this.sightings[word]! | mask;
    if (++this.sighted >= SIGHTINGS_PER_GENERATION) {
      const spent = this.previousSightings;
      this.previousSightings = this.sightings;
      spent.fill(0);
      this.sightings = spent;
      this.sighted = 0;
    }
    return before;
  }

  private put(shard: number, key: string | number, entry: MemoEntry): void {
    let young = this.young[shard]!;
    if (young.size >= this.turnAt[shard]!) {
      this.old[shard] = young;
      young = this.young[shard] = new Map();
    }
    young.set(key, entry);
  }

  /** Entries held (at most twice the generation). */
  get size(): number {
    let total = 0;
    for (let s = 0; s < SHARDS; s++) total += this.young[s]!.size + this.old[s]!.size;
    return total;
  }
}

/**
 * The sightings filter has 2^20 bits per generation (128 KB) and turns after 2^14 new sightings, so that at most
 * ~3% of its bits are set when it turns and a value never seen passes for a seen one about 1 time in 20 (both
 * generations count). With 2^16 bits (a quarter full at the turn) a third of the unique values of a 10 KB order
 * document passed, and each paid for a lookup, a stored entry and its garbage.
 */
const SIGHTING_BITS_LOG2 = 20;
const SIGHTINGS_PER_GENERATION = 1 << 14;

/**
 * A copy of `s` that refers to no other string. V8 may represent a substring as a view into its parent; prepending a
 * character makes a new string that is flattened into fresh memory when sliced, and the slice then refers to that.
 */
function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Shards of the memo (a power of two). */
const SHARDS = 16;

/** The memo shard of a non-empty value: length and last character spread keys, numbers and words alike. */
function shardOf(value: string): number {
  return (value.length * 7 + value.charCodeAt(value.length - 1)) & (SHARDS - 1);
}

/**
 * The anomaly score of a set of matches: each rule counts once (its highest score), monitored categories not at
 * all. A request is blocked when its score reaches the route's threshold.
 */
export function anomalyScore(matches: readonly Match[], categories: ReadonlyMap<Category, CategorySettings>): number {
  const byRule = new Map<string, number>();
  for (const match of matches) {
    if (categories.get(match.category)?.monitor) continue;
    byRule.set(match.ruleId, Math.max(byRule.get(match.ruleId) ?? 0, match.score));
  }
  let total = 0;
  for (const score of byRule.values()) total += score;
  return total;
}
