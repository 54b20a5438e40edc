import { Type, type TBoolean, type TObject, type TOptional, type TProperties } from '@sinclair/typebox';

/** `enforce` answers blocks locally; `monitor` records them as "would have blocked" and forwards the request. */
export const ModeSchema = Type.Union([Type.Literal('enforce'), Type.Literal('monitor')], {
  description: '`enforce` blocks; `monitor` only records what would have been blocked and forwards the request.',
});

/**
 * A secret given inline (discouraged), from an environment variable (`{ env: NAME }`) or from a file
 * (`{ file: PATH }`, trailing newline removed). Resolved at load; the value is never logged.
 */
export const SecretSchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ env: Type.String({ minLength: 1, description: 'Environment variable holding the secret.' }) }, { additionalProperties: false }),
  Type.Object({ file: Type.String({ minLength: 1, description: 'File holding the secret.' }) }, { additionalProperties: false }),
], { description: 'A secret: a string, `{ env: NAME }` or `{ file: PATH }`.' });

/** Wraps a protection's own keys with the keys every protection has (`enabled`, `mode`). */
export function protectionConfigSchema<P extends TProperties>(properties: P, description: string) {
  return Type.Object({
    enabled: Type.Optional(Type.Boolean({ description: 'Set to false to switch the protection off (on a route: the global one too).' })),
    mode: Type.Optional(ModeSchema),
    ...properties,
  }, { additionalProperties: false, description }) as TObject<P & {
    enabled: TOptional<TBoolean>;
    mode: TOptional<typeof ModeSchema>;
  }>;
}
