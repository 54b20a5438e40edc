import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema, protectionConfigSchema } from '../../config/common-schema.ts';
import { CATEGORIES } from '../../inspect/finding.ts';

const Paranoia = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)], {
  description: 'Paranoia level 1 to 3: 1 finds clear attacks with very few false positives; 2 and 3 find more and misfire more.',
});

const CategoryName = Type.Union(CATEGORIES.map((c) => Type.Literal(c)), { description: 'An attack category.' });

const CategorySettings = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Set to false to switch this detector off.' })),
  paranoia: Type.Optional(Paranoia),
  mode: Type.Optional(ModeSchema),
}, { additionalProperties: false });

const Exclusion = Type.Object({
  rules: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[a-z0-9-]{1,64}$' }), { minItems: 1, description: 'Rule ids (e.g. `sqli-tautology`).' })),
  categories: Type.Optional(Type.Array(CategoryName, { minItems: 1, description: 'Whole categories (e.g. `xss`).' })),
  locations: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
    minItems: 1,
    description: 'Input locations, exact (`body:$.content`, `query:q`, `header:referer`) or a prefix ending in `*` (`body:$.article.*`).',
  })),
  reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why this exclusion exists (for reviewers; not used).' })),
}, {
  additionalProperties: false,
  description: 'Turns rules off where they misfire. Every key given must match (rules/categories AND locations); an entry with only `locations` skips all detection there.',
});

export const AttackDetectionConfigSchema = protectionConfigSchema({
  paranoia: Type.Optional(Paranoia),
  threshold: Type.Optional(Type.Integer({
    minimum: 1, maximum: 1000,
    description: 'Anomaly score at which a request is blocked (each rule counts once: critical 5, error 4, warning 3, notice 2). Default 5.',
  })),
  categories: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(CATEGORIES.map((c) => [c, CategorySettings]))), {
    additionalProperties: false, description: 'Per-detector settings: enabled, paranoia, mode.',
  })),
  exclusions: Type.Optional(Type.Array(Exclusion, { maxItems: 10_000 })),
  skipHeaders: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9-]{1,100}$' }), {
    description: 'Headers not to inspect. Every header is inspected except framing and connection headers, credentials ' +
      '(Authorization), Cookie (inspected cookie by cookie), Content-Type (parsed strictly) and cache validators.',
  })),
  inspectBody: Type.Optional(Type.Boolean({
    description: 'Inspect request bodies (default true). When true, bodies are buffered up to `maxInspectedBodyBytes`; larger ones get 413.',
  })),
  maxInspectedBodyBytes: Type.Optional(Type.Integer({
    minimum: 1024, maximum: 64 * 1024 * 1024,
    description: 'Largest body inspected; a larger one is refused with 413 `body_too_large_to_inspect` (never partly inspected). Default 1 MiB.',
  })),
  unknownBodyTypes: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('inspect')], {
    description: 'A body with no Content-Type or one no parser knows: `reject` with 415 (default) or `inspect` it with every parser.',
  })),
  uninspectedBodyTypes: Type.Optional(Type.Array(Type.String({ minLength: 3, pattern: '^[a-z0-9!#$&^_.+-]+/(?:\\*|[a-z0-9!#$&^_.+-]+)$' }), {
    description: 'Media types forwarded without body inspection (e.g. `application/octet-stream`, `image/*`) on purpose. Default none.',
  })),
  maxInputs: Type.Optional(Type.Integer({ minimum: 10, maximum: 100_000, description: 'Most inputs (parameters, fields, headers) inspected per request; more gets 400 `too_many_inputs`. Default 20000.' })),
  maxValueBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 16 * 1024 * 1024, description: 'Longest single value inspected; longer gets 413 `input_too_large_to_inspect`. Default 1 MiB.' })),
  maxInspectionMs: Type.Optional(Type.Integer({
    minimum: 0, maximum: 60_000,
    description: 'Longest time inspecting one phase of a request (its head, its body) may take; past it the request is refused with 503 `inspection_time_exceeded` (fail closed) instead of holding the event loop. 0 turns the limit off. Default 500.',
  })),
}, 'Attack detection: semantic detectors (SQL, HTML/JS, shell grammars and more) run on every decoded input; a route blocks when the anomaly score reaches its threshold.');

export type AttackDetectionConfig = Static<typeof AttackDetectionConfigSchema>;
