import { SCORE, type Category, type Finding, type Paranoia } from '../finding.ts';

/** A candidate finding of a detector, with the span of the value it is about. */
export interface RuleVerdict {
  readonly rule: string;
  readonly paranoia: Paranoia;
  readonly score: number;
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Keeps one verdict per rule for a value: the lowest paranoia level, then the highest score. Verdicts above the
 * paranoia in force are dropped. `flush` reports them with an excerpt of at most 120 characters.
 */
export class BestPerRule {
  private readonly best = new Map<string, RuleVerdict>();
  private readonly paranoia: Paranoia;

  constructor(paranoia: Paranoia) {
    this.paranoia = paranoia;
  }

  /** Rules kept so far. */
  get size(): number {
    return this.best.size;
  }

  /** True when a verdict for `rule` at `paranoia` could still improve on what is kept (lets costly checks be skipped). */
  wants(rule: string, paranoia: number): boolean {
    if (paranoia > this.paranoia) return false;
    const old = this.best.get(rule);
    return old === undefined || paranoia < old.paranoia || (paranoia === old.paranoia && old.score < SCORE.critical);
  }

  values(): IterableIterator<RuleVerdict> {
    return this.best.values();
  }

  keep(v: RuleVerdict): void {
    if (v.paranoia > this.paranoia) return;
    const old = this.best.get(v.rule);
    if (old === undefined || v.paranoia < old.paranoia || (v.paranoia === old.paranoia && v.score > old.score)) this.best.set(v.rule, v);
  }

  flush(report: (finding: Finding) => void, category: Category, text: string): void {
    for (const v of this.best.values()) {
      report({
        ruleId: v.rule, category, paranoia: v.paranoia, score: v.score, message: v.message,
        matched: text.slice(Math.max(0, v.start), Math.min(text.length, v.end, v.start + 120)),
      });
    }
  }
}
