/**
 * The phases of one exchange, in order. `log` always runs: after a forward, a block, an error or a client abort.
 *
 * ```
 * connection ─▶ requestHead ─▶ requestBody* ─▶ (upstream) ─▶ responseHead ─▶ responseBody* ─▶ log
 *        └─────────── block / error at any step ──▶ local reply ─────────────────────────────▶ log
 * ```
 * `*` only when an enabled protection asked for that body; bodies are always capped and never partly inspected.
 */
export const PHASES = ['connection', 'requestHead', 'requestBody', 'responseHead', 'responseBody', 'log'] as const;
export type Phase = (typeof PHASES)[number];
