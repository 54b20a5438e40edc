import { defineProtection, type CreateContext } from '../../pipeline/protection.ts';
import { block, pass, type Block, type Verdict } from '../../pipeline/verdict.ts';
import type { ConnectionInfo, Exchange } from '../../pipeline/exchange.ts';
import { compileCidrSet } from '../../net/cidr.ts';
import { systemLog } from '../../observe/system-log.ts';
import { addBanCounter } from '../../observe/metrics.ts';
import { errorSummary } from '../../pipeline/run-phase.ts';
import { StoreUnavailableError, type Ban, type LimitSpec, type RateDecision } from '../../store/store.ts';
import { FloodDefenceConfigSchema, type FloodDefenceConfig } from './config.ts';
import { addressKey, clientKey, parseDuration } from './ban-keys.ts';

const NAME = 'flood-defence';
const SECOND = 1000;
const DAY = 86_400_000;
const DEFAULT_IPV6_PREFIX = 64;
/** Past bans remembered for escalation: more than this many are treated as this many. */
const MAX_REMEMBERED_BANS = 1000;

/** Keys of this process that a ban is being decided for: concurrent refusals of one client set one ban. */
const banning = new Set<string>();

/** What a client address is counted and banned under, computed once per address (bounded memo). */
interface ClientKeys { client: string; exact: string }

/**
 * Flood (L7 DDoS) defence.
 *
 * Protects against: request floods from one client (per-IP rate) and from everyone at once (global rate), and
 * clients that keep flooding after being refused (temporary bans, escalating). It cannot tell a flood from a
 * popular moment, nor see clients behind an untrusted proxy as different clients: the rates must fit the traffic.
 * Phases: connection (banned TCP peers are closed before any byte is read), request head (bans and rates, against
 * the client address after trusted-proxy resolution), log (per-IP refusals counted towards a ban, after the reply,
 * so the client's reply never waits for it). Buffers nothing. Counters and bans are in the shared store.
 */
export const floodDefence = defineProtection<FloodDefenceConfig>({
  name: NAME,
  key: 'floodDefence',
  schema: FloodDefenceConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'counters and bans through the shared store (`store.kind`): each worker alone with `local`, ' +
    'exact across workers with `cluster`, across instances with `redis`',
  // Without rates this only refuses clients an operator banned through the admin API: it cannot hurt normal traffic.
  defaultConfig: {},
  create(config, context) {
    if (context.scope !== 'global') checkRouteBlock(context);
    const durations = readDurations(config, context);
    const ipv6Prefix = config.ipv6Prefix ?? DEFAULT_IPV6_PREFIX;
    const exemptList = compileCidrSet(config.exempt ?? []);
    for (const { index, message } of exemptList.errors) context.issue(`/exempt/${index}`, message);
    const exempt = exemptList.set;
    // Banning or counting a trusted proxy would refuse every client behind it.
    const trusted = compileCidrSet(context.policy.clientAddress?.trustedProxies ?? []).set;
    const { counters, bans } = context.stores;
    const removeBanCounter = context.scope === 'global' ? addBanCounter(async () => (await bans.list()).length) : undefined;

    const perIp: LimitSpec | undefined = config.perIp && durations.perIpWindow
      ? { algorithm: 'sliding-window', limit: config.perIp.limit, windowMs: durations.perIpWindow }
      : undefined;
    const global: LimitSpec | undefined = config.global && durations.globalWindow
      ? { algorithm: 'sliding-window', limit: config.global.limit, windowMs: durations.globalWindow }
      : undefined;
    const banPolicy = config.ban && durations.ban
      ? { ...durations.ban, after: config.ban.after, escalate: config.ban.escalate ?? 1 }
      : undefined;
    if (config.ban && !config.perIp) context.issue('/ban', 'needs `perIp`: a ban follows repeated per-IP refusals');
    const violations: LimitSpec | undefined = banPolicy
      ? { algorithm: 'sliding-window', limit: banPolicy.after, windowMs: banPolicy.withinMs }
      : undefined;

    const memo = new Map<string, ClientKeys | null>();
    const keysOf = (address: string): ClientKeys | null => {
      let keys = memo.get(address);
      if (keys !== undefined) return keys;
      const client = clientKey(address, ipv6Prefix);
      const exact = addressKey(address);
      keys = client === null || exact === null ? null : { client, exact };
      if (memo.size >= 10_000) memo.clear();
      memo.set(address, keys);
      return keys;
    };
    const isExempt = (address: string) => exempt.has(address) || trusted.has(address);
    /** The ban in force on this address or on its IPv6 network, as this process knows it. */
    const banOf = (keys: ClientKeys): Ban | undefined =>
      bans.isBanned(keys.exact) ?? (keys.client === keys.exact ? undefined : bans.isBanned(keys.client));

    const onRequestHead = (exchange: Exchange): Verdict | Promise<Verdict> => {
      const address = exchange.clientIp;
      if (isExempt(address)) return pass();
      const keys = keysOf(address);
      if (keys === null) return pass();
      const ban = banOf(keys);
      if (ban) {
        return block(429, 'banned', {
          // The connection goes too: its next request would be refused the same way, a new one at accept.
          headers: { 'retry-after': String(secondsUntil(ban.until)), connection: 'close' },
          detail: { location: 'client-ip', excerpt: address, ruleId: ban.key, message: `banned until ${new Date(ban.until).toISOString()}: ${ban.reason}` },
        });
      }
      if (perIp === undefined && global === undefined) return pass();
      return checkRates(keys.client, address);
    };

    // One round trip for both limits. A request refused by one counts against neither, so a client over its own
    // rate does not use up the global budget; a client over both is told about its own.
    const limits = [
      ...(perIp ? [{ reason: 'flood_per_ip' as const, spec: perIp, per: `${perIp.limit} requests per ${config.perIp!.window}` }] : []),
      ...(global ? [{ reason: 'flood_global' as const, spec: global, per: `${global.limit} requests per ${config.global!.window} from all clients` }] : []),
    ];
    async function checkRates(key: string, address: string): Promise<Verdict> {
      let decisions: RateDecision[];
      try {
        decisions = await counters.consumeMany(limits.map(({ reason, spec }) => ({ key: reason === 'flood_global' ? 'flood:global' : `flood:${key}`, spec })));
      } catch (error) {
        // Only with `store.onUnavailable: fail-closed`; any other error is a fault (503 protection_error).
        if (error instanceof StoreUnavailableError) return block(503, 'store_unavailable', { detail: { message: error.message } });
        throw error;
      }
      for (const [index, decision] of decisions.entries()) {
        if (!decision.allowed) return refusal(limits[index]!.reason, decision, address, `over ${limits[index]!.per}`);
      }
      return pass();
    }

    /**
     * Counts an enforced per-IP refusal towards a ban and sets the ban when the count is reached. Never throws.
     * Violations are counted per ban generation (the number of bans of this client still remembered): a client whose
     * ban ended, or was lifted by an operator, starts again from zero instead of being banned by its next refusal.
     */
    async function countViolation(key: string, reason: ViolationReason): Promise<void> {
      const policy = banPolicy!;
      const history: LimitSpec = { algorithm: 'sliding-window', limit: MAX_REMEMBERED_BANS, windowMs: policy.escalateWithinMs };
      try {
        const remembered = await counters.consume(`flood-bans:${key}`, history, 0); // cost 0: reads, counts nothing
        const generation = remembered.limit - remembered.remaining;
        const decision = await counters.consume(`flood-violations:${key}:${generation}`, violations!);
        if (decision.allowed && decision.remaining > 0) return;
        if (banning.has(key) || bans.isBanned(key)) return;
        banning.add(key);
        try {
          const durationMs = Math.round(Math.min(policy.maxDurationMs, policy.durationMs * policy.escalate ** generation));
          await counters.consume(`flood-bans:${key}`, history);
          await bans.ban(key, durationMs, reason);
          // No address in the system log (it carries no request data); GET /bans on the admin listener lists it.
          systemLog.warn('flood_ban', { durationMs, reason, repeat: generation });
        } finally {
          banning.delete(key);
        }
      } catch (error) {
        systemLog.warn('flood_ban_failed', { error: errorSummary(error) });
      }
    }

    const instance: {
      onConnection?: (connection: ConnectionInfo, peerAddress: string) => Verdict;
      onRequestHead: typeof onRequestHead;
      onLog?: (exchange: Exchange) => void;
      close(): void;
    } = {
      onRequestHead,
      // The stores outlive the pipeline (they are not closed here); only the gauge stops reading through this one.
      close: () => removeBanCounter?.(),
    };

    if (config.dropBannedConnections !== false && context.scope === 'global') {
      // The listener runs this only in enforce mode and never for trusted proxies; it only reads a Map.
      instance.onConnection = (_connection, peerAddress) => {
        if (exempt.has(peerAddress)) return pass();
        const keys = keysOf(peerAddress);
        const ban = keys === null ? undefined : banOf(keys);
        return ban ? block(429, 'banned', { detail: { location: 'client-ip', excerpt: peerAddress, ruleId: ban.key } }) : pass();
      };
    }

    if (banPolicy && perIp) {
      // Only enforced refusals count: in monitor mode the runner records the block as a flag and nobody is banned.
      // A request refused because inspecting it took past attack detection's `maxInspectionMs` is one too: a client
      // that keeps sending values made to be slow spends the gateway's time as a flood does, at a lower rate.
      instance.onLog = (exchange) => {
        for (const verdict of exchange.verdicts) {
          if (verdict.action !== 'block') continue;
          const reason = violationOf(verdict.protection, verdict.reason);
          if (reason === undefined) continue;
          const keys = keysOf(exchange.clientIp);
          if (keys !== null) void countViolation(keys.client, reason);
          return;
        }
      };
    }
    return instance;
  },
});

/** Refusals that count towards a ban, and the reason the ban is given. */
type ViolationReason = 'flood_per_ip' | 'inspection_time_exceeded';

function violationOf(protection: string, reason: string): ViolationReason | undefined {
  if (protection === NAME && reason === 'flood_per_ip') return 'flood_per_ip';
  if (protection === 'attack-detection' && reason === 'inspection_time_exceeded') return 'inspection_time_exceeded';
  return undefined;
}

function refusal(reason: 'flood_per_ip' | 'flood_global', decision: RateDecision, address: string, message: string): Block {
  return block(429, reason, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / SECOND))) },
    detail: { location: 'client-ip', excerpt: address, message },
  });
}

function secondsUntil(until: number): number {
  return Math.max(1, Math.ceil((until - Date.now()) / SECOND));
}

/** On a route, only `enabled` and `mode` may be set: counters and bans are per client across every route. */
function checkRouteBlock(context: CreateContext): void {
  const routes = context.policy.routes ?? [];
  const index = routes.findIndex((route, i) => (route.name ?? `route-${i}`) === context.scope);
  const own = (routes[index]?.protections as Record<string, Record<string, unknown> | undefined> | undefined)?.floodDefence;
  for (const key of Object.keys(own ?? {})) {
    if (key !== 'enabled' && key !== 'mode') {
      context.issue(`/${key}`, 'is a global setting: flood rates and bans count each client across every route');
    }
  }
}

interface Durations {
  perIpWindow?: number;
  globalWindow?: number;
  ban?: { withinMs: number; durationMs: number; escalateWithinMs: number; maxDurationMs: number };
}

/** Parses and bounds every duration; problems are reported at their pointer. */
function readDurations(config: FloodDefenceConfig, context: CreateContext): Durations {
  const read = (text: string | undefined, fallback: string, pointer: string, min: number, max: number, range: string): number | undefined => {
    const value = parseDuration(text ?? fallback);
    if (value === null || value < min || value > max) {
      context.issue(pointer, `must be a duration from ${range} (e.g. \`10s\`, \`5m\`)`);
      return undefined;
    }
    return value;
  };
  const result: Durations = {};
  if (config.perIp) result.perIpWindow = read(config.perIp.window, '', '/perIp/window', 100, 3_600_000, '100ms to 1h');
  if (config.global) result.globalWindow = read(config.global.window, '', '/global/window', 100, 3_600_000, '100ms to 1h');
  if (config.ban) {
    const withinMs = read(config.ban.within, '', '/ban/within', SECOND, DAY, '1s to 24h');
    const durationMs = read(config.ban.duration, '', '/ban/duration', SECOND, 30 * DAY, '1s to 30d');
    const escalateWithinMs = read(config.ban.escalateWithin, '24h', '/ban/escalateWithin', 60_000, 30 * DAY, '1m to 30d');
    const maxDurationMs = config.ban.maxDuration === undefined
      ? Math.max(DAY, durationMs ?? 0)
      : read(config.ban.maxDuration, '', '/ban/maxDuration', SECOND, 30 * DAY, '1s to 30d');
    if (durationMs !== undefined && maxDurationMs !== undefined && maxDurationMs < durationMs) {
      context.issue('/ban/maxDuration', 'must not be shorter than `duration`');
    } else if (withinMs !== undefined && escalateWithinMs !== undefined && escalateWithinMs < withinMs) {
      context.issue('/ban/escalateWithin', 'must not be shorter than `within`');
    } else if (withinMs !== undefined && durationMs !== undefined && escalateWithinMs !== undefined && maxDurationMs !== undefined) {
      result.ban = { withinMs, durationMs, escalateWithinMs, maxDurationMs };
    }
  }
  return result;
}
