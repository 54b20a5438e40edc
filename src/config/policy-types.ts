import type { Static } from '@sinclair/typebox';
import type { PolicySchema, GlobalLimitsSchema, RouteLimitsSchema } from './policy-schema.ts';

export type Mode = 'enforce' | 'monitor';
/** A validated policy with defaults applied and secrets resolved; deep-frozen. */
export type Policy = Static<typeof PolicySchema>;
export type GlobalLimits = Static<typeof GlobalLimitsSchema>;
export type RouteLimits = Static<typeof RouteLimitsSchema>;
export type RoutePolicy = Policy['routes'][number];
export type UpstreamPolicy = Policy['upstreams'][string];
/** Limits that apply to one route after its overrides. */
export type EffectiveRouteLimits = Pick<GlobalLimits, keyof RouteLimits>;
