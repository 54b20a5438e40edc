import type { CreateContext } from '../../pipeline/protection.ts';
import type { Category } from '../../inspect/finding.ts';
import type { AttackDetectionConfig } from './config.ts';

type Exclusions = NonNullable<AttackDetectionConfig['exclusions']>;

/** A location pattern: exact, or a prefix when it ends in `*`. */
function locationMatcher(pattern: string): (location: string) => boolean {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (location) => location.startsWith(prefix);
  }
  return (location) => location === pattern;
}

/**
 * Compiles exclusions into one predicate. Each entry matches when every key it has matches (rules or categories,
 * and locations); any matching entry excludes the finding.
 */
export function compileExclusions(entries: Exclusions, context: CreateContext): (ruleId: string, category: Category, location: string) => boolean {
  if (entries.length === 0) return () => false;
  const compiled = entries.map((entry, index) => {
    if (!entry.rules && !entry.categories && !entry.locations) context.issue(`/exclusions/${index}`, 'needs at least one of rules, categories, locations');
    return {
      rules: entry.rules ? new Set(entry.rules) : null,
      categories: entry.categories ? new Set<string>(entry.categories) : null,
      locations: entry.locations ? entry.locations.map(locationMatcher) : null,
    };
  });
  return (ruleId, category, location) => compiled.some((entry) =>
    (entry.rules === null && entry.categories === null || entry.rules?.has(ruleId) === true || entry.categories?.has(category) === true) &&
    (entry.locations === null || entry.locations.some((matches) => matches(location))));
}
