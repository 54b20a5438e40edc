/**
 * `v.toLowerCase()` for the value being inspected, made on first use and kept for the next caller: detectors run one
 * after another on the same value, most never need its lower case, and those that do (java, php) share one copy.
 */
let lowerOfValue: string | undefined;
let lowerText = '';

export function lowerOf(v: string): string {
  if (lowerOfValue !== v) {
    lowerText = v.toLowerCase();
    lowerOfValue = v;
  }
  return lowerText;
}
