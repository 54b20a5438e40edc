import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Ban, ConsumeRequest, RateDecision } from './store.ts';
import { GuardedStores, type SharedBackend } from './guarded-stores.ts';
import { capacityOf, SLOTS } from './algorithms.ts';
import type { StoreSettings } from './config.ts';

/**
 * The `redis` store. Counters are updated by one Lua script per request, so every limit of the request is read,
 * decided and written atomically on the Redis server, with the Redis server's clock (`TIME`): instances with
 * skewed clocks still count in one time line. The script mirrors `algorithms.ts` (sliding window over 20 slots,
 * token bucket) and is all or nothing across the limits of one request. Scripts are called with EVALSHA and sent
 * whole (EVAL) only when the server does not know them yet (`NOSCRIPT`, e.g. after a restart or a SCRIPT FLUSH).
 *
 * Keys: `<prefix>rl:sw:<key>` (hash: `w` = slot width, `c<slot>` = admitted and `t<slot>` = newest admission per slot) and `<prefix>rl:tb:<key>` (hash:
 * `tokens`, `at`), each with a PEXPIRE at the moment its state becomes worthless; `<prefix>bans` (hash: banned key to
 * JSON ban).
 */

const CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots_per_window = ${SLOTS}

local function evaluate(i, cost)
  local b = (i - 1) * 5
  local algo = ARGV[b + 1]
  local limit = tonumber(ARGV[b + 2])
  local window = tonumber(ARGV[b + 3])
  local key = KEYS[i]
  if algo == 'tb' then
    local capacity = tonumber(ARGV[b + 4])
    local per_ms = limit / window
    local tokens = capacity
    local state = redis.call('HMGET', key, 'tokens', 'at')
    if state[1] and state[2] then
      local elapsed = now - tonumber(state[2])
      if elapsed < 0 then elapsed = 0 end
      tokens = math.min(capacity, tonumber(state[1]) + elapsed * per_ms)
    end
    local allowed = cost <= tokens
    if allowed then tokens = tokens - cost end
    local reset = math.ceil((capacity - tokens) / per_ms)
    local retry = 0
    if not allowed then
      if cost > capacity then retry = window else retry = math.max(1, math.ceil((cost - tokens) / per_ms)) end
    end
    local remaining = math.max(0, math.floor(tokens))
    return { allowed and 1 or 0, capacity, remaining, reset, retry }, { algo = 'tb', tokens = tokens, reset = reset }
  end
  local width = math.max(1, math.ceil(window / slots_per_window))
  local current = math.floor(now / width)
  local raw = redis.call('HGETALL', key)
  local fields = {}
  for j = 1, #raw, 2 do fields[raw[j]] = raw[j + 1] end
  local same_width = tonumber(fields['w']) == width
  -- Slot k is two fields: 'c'..k (admitted) and 't'..k (newest admission, epoch ms); it counts while t > now - window.
  local slots = {}
  local stale = {}
  for name, value in pairs(fields) do
    if string.sub(name, 1, 1) == 'c' then
      local k = string.sub(name, 2)
      local newest = tonumber(fields['t' .. k])
      if same_width and newest and newest > now - window then
        slots[#slots + 1] = { tonumber(k), tonumber(value), newest }
      else
        stale[#stale + 1] = name
        stale[#stale + 1] = 't' .. k
      end
    end
  end
  table.sort(slots, function(x, y) return x[1] < y[1] end)
  local used = 0
  for j = 1, #slots do used = used + slots[j][2] end
  local allowed = used + cost <= limit
  local newest_all = nil
  if #slots > 0 then newest_all = slots[#slots][3] end
  if allowed and cost > 0 then
    used = used + cost
    newest_all = now
  end
  local reset = 0
  if newest_all then reset = math.max(0, newest_all + window - now) end
  local retry = 0
  if not allowed then
    if cost > limit then retry = window else
      local need = used + cost - limit
      local freed = 0
      for j = 1, #slots do
        freed = freed + slots[j][2]
        if freed >= need then
          retry = math.max(1, slots[j][3] + window - now)
          break
        end
      end
    end
  end
  return { allowed and 1 or 0, limit, math.max(0, limit - used), reset, retry },
    { algo = 'sw', width = width, current = current, stale = stale, reset = reset }
end

local out = {}
local plans = {}
local all = true
for i = 1, #KEYS do
  local cost = tonumber(ARGV[(i - 1) * 5 + 5])
  local decision, plan = evaluate(i, cost)
  out[i] = decision
  plans[i] = plan
  if decision[1] == 0 then all = false end
end
for i = 1, #KEYS do
  local plan = plans[i]
  if plan.algo == 'sw' and #plan.stale > 0 then redis.call('HDEL', KEYS[i], unpack(plan.stale)) end
end
if all then
  for i = 1, #KEYS do
    local plan = plans[i]
    local cost = tonumber(ARGV[(i - 1) * 5 + 5])
    if plan.algo == 'tb' then
      redis.call('HSET', KEYS[i], 'tokens', tostring(plan.tokens), 'at', now)
      redis.call('PEXPIRE', KEYS[i], math.max(1, plan.reset))
    elseif cost > 0 then
      local k = string.format('%d', plan.current)
      redis.call('HSET', KEYS[i], 'w', plan.width, 't' .. k, now)
      redis.call('HINCRBY', KEYS[i], 'c' .. k, cost)
      redis.call('PEXPIRE', KEYS[i], math.max(1, plan.reset))
    end
  end
else
  for i = 1, #KEYS do
    if out[i][1] == 1 then out[i] = evaluate(i, 0) end
  end
end
local flat = {}
for i = 1, #KEYS do
  for j = 1, 5 do flat[#flat + 1] = out[i][j] end
end
return flat
`;

const LIST_BANS = `
local now = tonumber(ARGV[1])
local raw = redis.call('HGETALL', KEYS[1])
local live = {}
for j = 1, #raw, 2 do
  local ok, ban = pcall(cjson.decode, raw[j + 1])
  if ok and type(ban) == 'table' and tonumber(ban['until']) and tonumber(ban['until']) > now then
    live[#live + 1] = raw[j + 1]
  else
    redis.call('HDEL', KEYS[1], raw[j])
  end
end
return live
`;

const UNBAN = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local ok, ban = pcall(cjson.decode, value)
if ok and type(ban) == 'table' and tonumber(ban['until']) and tonumber(ban['until']) > tonumber(ARGV[2]) then return 1 end
return 0
`;

interface Script { text: string; sha: string }
const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const SCRIPTS = { consume: script(CONSUME), listBans: script(LIST_BANS), unban: script(UNBAN) };

function isBan(value: unknown): value is Ban {
  const ban = value as Ban | null;
  return ban !== null && typeof ban === 'object' && typeof ban.key === 'string' && typeof ban.reason === 'string' &&
    typeof ban.since === 'number' && typeof ban.until === 'number';
}

/**
 * ioredis, loaded on first use: only policies with a `redis` store pay for it. Loading it measurably slowed the
 * CPU-bound inspection of request bodies in the same process (bench:micro, 10 KB JSON body: p50 2.7 → 4.5 ms on
 * 2026-11-27; cause inside the client library not yet found), so the default stores must not import it.
 */
let RedisClient: typeof Redis | undefined;
function redisClient(): typeof Redis {
  RedisClient ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
  return RedisClient;
}

export class RedisBackend implements SharedBackend {
  readonly client: Redis;
  private readonly prefix: string;
  private opened = false;
  /** Settles once the first connection attempt is over (ready, or given up after the connect timeout). */
  private firstConnection: Promise<void> | undefined;
  private readonly connectTimeoutMs: number;

  constructor(settings: StoreSettings, password: string | undefined) {
    const redis = settings.redis;
    this.prefix = redis.keyPrefix;
    this.connectTimeoutMs = redis.connectTimeoutMs;
    const Client = redisClient();
    this.client = new Client(redis.url, {
      lazyConnect: true,
      username: redis.username,
      password,
      connectTimeout: redis.connectTimeoutMs,
      commandTimeout: redis.commandTimeoutMs,
      // Fail at once while disconnected (the guard then counts locally) rather than queueing requests.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => redis.retryMs,
      enableAutoPipelining: true,
      connectionName: 'portcullis',
    });
    // Connection errors surface as failed calls (counted and logged by the guard); without a listener they would crash.
    this.client.on('error', () => {});
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.firstConnection = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.connectTimeoutMs);
      timer.unref();
      const settle = () => { clearTimeout(timer); resolve(); };
      this.client.once('ready', settle);
      this.client.once('error', settle); // refused, unknown host, ...: no use waiting
      this.client.once('end', settle);
    });
    this.client.connect().catch(() => { /* retried by retryStrategy; reported through failed calls */ });
  }

  /**
   * Calls made while the first connection is being set up wait for it (at most the connect timeout); later, a
   * disconnected client fails at once, so requests never queue behind an outage.
   */
  private async connected(): Promise<void> {
    if (!this.opened) this.open();
    if (this.client.status !== 'ready') await this.firstConnection;
  }

  private async run(which: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    await this.connected();
    try {
      return await this.client.evalsha(which.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(which.text, keys.length, ...keys, ...args);
    }
  }

  counterKey(request: ConsumeRequest): string {
    return `${this.prefix}rl:${request.spec.algorithm === 'token-bucket' ? 'tb' : 'sw'}:${request.key}`;
  }

  async consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]> {
    const keys = requests.map((r) => this.counterKey(r));
    const args: (string | number)[] = [];
    for (const { spec, cost } of requests) {
      args.push(spec.algorithm === 'token-bucket' ? 'tb' : 'sw', spec.limit, spec.windowMs, capacityOf(spec), cost ?? 1);
    }
    const flat = await this.run(SCRIPTS.consume, keys, args) as number[];
    return requests.map((_, index) => {
      const [allowed, limit, remaining, resetMs, retryAfterMs] = flat.slice(index * 5, index * 5 + 5) as number[];
      return { allowed: allowed === 1, limit: limit!, remaining: remaining!, resetMs: resetMs!, retryAfterMs: retryAfterMs! };
    });
  }

  async putBan(ban: Ban): Promise<void> {
    await this.connected();
    await this.client.hset(`${this.prefix}bans`, ban.key, JSON.stringify(ban));
  }

  async removeBan(key: string): Promise<boolean> {
    return await this.run(SCRIPTS.unban, [`${this.prefix}bans`], [key, Date.now()]) === 1;
  }

  async listBans(): Promise<Ban[]> {
    const values = await this.run(SCRIPTS.listBans, [`${this.prefix}bans`], [Date.now()]) as string[];
    const bans: Ban[] = [];
    for (const value of values) {
      try {
        const ban: unknown = JSON.parse(value);
        if (isBan(ban)) bans.push(Object.freeze({ key: ban.key, reason: ban.reason, since: ban.since, until: ban.until }));
      } catch { /* a foreign or damaged entry: ignored */ }
    }
    return bans;
  }

  async close(): Promise<void> {
    this.client.disconnect(false);
  }
}

export function createRedisStores(settings: StoreSettings, password: string | undefined): GuardedStores {
  return new GuardedStores(new RedisBackend(settings, password), {
    kind: 'redis',
    onUnavailable: settings.onUnavailable,
    retryMs: settings.redis.retryMs,
    banRefreshMs: settings.redis.banRefreshMs,
    maxLocalKeys: settings.maxLocalKeys,
  });
}
