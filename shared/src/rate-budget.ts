/**
 * A cluster-wide rate-limit budget: one Redis token bucket per (venue, API key), shared by every
 * process that uses that key. The bucket lives in a single Redis hash updated by one Lua script
 * (atomic; Redis TIME is the clock, so processes need not agree on theirs).
 *
 * Sizing: the venues count requests in fixed windows (W per T). A bucket of capacity C refilled at
 * r per second lets through at most C + r*T in any window of length T, so C + r*T must stay under W;
 * the defaults keep it at or below 90% of W, leaving room for requests granted at the end of one window and
 * arriving in the next.
 *
 * Priorities: 'critical' (cancels, risk-reducing orders) may take the bucket down to empty;
 * 'normal' (new orders) must leave the critical reserve; 'low' (market data, backfill,
 * reconciliation lookups) must leave twice that. A cancel is therefore never starved by polling.
 *
 * The API key itself never reaches Redis, logs or metrics: the bucket is keyed by the first 16 hex
 * digits of its SHA-256.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { Counter, Histogram, type Registry } from 'prom-client';
import { InvalidArgumentError, UnavailableError } from './errors';
import { Sleeper } from './sleeper';

export type RatePriority = 'critical' | 'normal' | 'low';
export const RATE_PRIORITIES: readonly RatePriority[] = ['critical', 'normal', 'low'];

export interface RateBucketLimits {
  /** Tokens the bucket holds when full (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSec: number;
  /** Share of the capacity only 'critical' may use (0..0.5); 'low' leaves twice this share. */
  reserveShare: number;
}

/**
 * Defaults from the venues' published limits, at or below 90% of each window:
 * - binanceus: REQUEST_WEIGHT 1200 per minute per IP (GET /api/v3/exchangeInfo `rateLimits`;
 *   Binance.US API docs "Limits"). Tokens are request weight. 240 + 14/s * 60 s = 1080.
 * - coinbase: Advanced Trade private endpoints 30 requests per second per API key (Coinbase
 *   Advanced Trade API docs "Rate Limits"). 6 + 18/s * 1 s = 24 (80%: with one-second windows a
 *   request granted late in one window and sent ~0.1 s later lands in the next).
 * - kucoin: spot resource pool 4000 per 30 s for VIP0 (KuCoin API docs "Rate Limit", new
 *   resource-pool model). Tokens are pool weight. 800 + 93/s * 30 s = 3590.
 */
export const VENUE_RATE_LIMITS: Readonly<Record<string, RateBucketLimits>> = {
  binanceus: { capacity: 240, refillPerSec: 14, reserveShare: 0.2 },
  coinbase: { capacity: 6, refillPerSec: 18, reserveShare: 0.2 },
  kucoin: { capacity: 800, refillPerSec: 93, reserveShare: 0.2 },
};

/** Consumes `capacity`, `refillPerSec`, `reserveShare` overrides, e.g. `RATE_BUDGET_COINBASE=capacity=5,refillPerSec=20`. */
export function parseRateLimitsOverride(text: string, base: RateBucketLimits): RateBucketLimits {
  const out = { ...base };
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^(capacity|refillPerSec|reserveShare)=([0-9]+(?:\.[0-9]+)?)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`rate budget override: expected capacity|refillPerSec|reserveShare=<number>, got ${JSON.stringify(part.slice(0, 60))}`);
    out[m[1] as keyof RateBucketLimits] = Number(m[2]);
  }
  return checkLimits(out);
}

function checkLimits(l: RateBucketLimits): RateBucketLimits {
  if (!(Number.isFinite(l.capacity) && l.capacity > 0)) throw new InvalidArgumentError('rate budget capacity must be > 0');
  if (!(Number.isFinite(l.refillPerSec) && l.refillPerSec > 0)) throw new InvalidArgumentError('rate budget refillPerSec must be > 0');
  if (!(l.reserveShare >= 0 && l.reserveShare <= 0.5)) throw new InvalidArgumentError('rate budget reserveShare must be within 0..0.5');
  return l;
}

/** The Redis key of a (venue, API key) bucket; the key appears only as a hash prefix. */
export function rateBudgetKey(venue: string, apiKey: string): string {
  if (!/^[a-z0-9_-]{1,40}$/.test(venue)) throw new InvalidArgumentError('rate budget venue must match [a-z0-9_-]{1,40}');
  const h = createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
  return `ratebudget:${venue}:${h}`;
}

/**
 * KEYS[1] bucket; ARGV capacity, refill per ms, cost, floor (tokens that must remain), ttl ms.
 * Returns {1, tokens left} when granted, else {0, ms until enough tokens}. Tokens may go below 0
 * (a cost larger than the bucket, e.g. loading markets): later takers wait until it is paid back.
 */
const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local floor = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil or ts == nil then tokens = cap; ts = now end
if now > ts then
  tokens = math.min(cap, tokens + (now - ts) * rate)
  ts = now
end
-- A cost above what this priority may ever hold goes through at the most it may hold, as debt.
local need = math.min(cost, cap - floor)
local granted = 0
if tokens - need >= floor - 1e-9 then
  tokens = tokens - cost
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ttl)
if granted == 1 then return {1, tostring(tokens)} end
return {0, tostring(math.ceil((need + floor - tokens) / rate))}
`;

export interface RateBudgetMetrics {
  wait: Histogram<'venue' | 'priority'>;
  delayed: Counter<'venue' | 'priority'>;
  used: Counter<'venue' | 'priority'>;
  redisErrors: Counter<'venue'>;
}

/** The budget's metrics in the caller's registry; labels are fixed (venue, priority), never the key. */
export function createRateBudgetMetrics(registry: Registry): RateBudgetMetrics {
  const registers = [registry];
  return {
    wait: new Histogram({
      name: 'cte_rate_budget_wait_seconds',
      help: 'Time a venue request waited for the shared rate-limit budget (0 when served at once)',
      labelNames: ['venue', 'priority'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    delayed: new Counter({
      name: 'cte_rate_budget_delayed_total',
      help: 'Venue requests that had to wait for the shared rate-limit budget',
      labelNames: ['venue', 'priority'],
      registers,
    }),
    used: new Counter({
      name: 'cte_rate_budget_used_tokens_total',
      help: 'Budget tokens (requests, or request weight on weighted venues) taken from the shared rate-limit budget',
      labelNames: ['venue', 'priority'],
      registers,
    }),
    redisErrors: new Counter({
      name: 'cte_rate_budget_redis_errors_total',
      help: 'Budget takes that found Redis unreachable and let the request through unpaced by the shared budget (ccxt still paces per process)',
      labelNames: ['venue'],
      registers,
    }),
  };
}

export interface RateBudget {
  /** Waits until `cost` tokens may be taken at `priority`; rejects (UnavailableError) past the wait cap. */
  take(cost: number, priority: RatePriority): Promise<void>;
}

export interface RedisTokenBucketOptions {
  redis: Redis;
  venue: string;
  apiKey: string;
  /** Default: VENUE_RATE_LIMITS[venue]. */
  limits?: RateBucketLimits;
  /** Longest a take waits before it gives up (default 30 s). */
  maxWaitMs?: number;
  metrics?: RateBudgetMetrics;
}

/**
 * The shared token bucket of one (venue, API key). Takers of one priority in this process are
 * served in order. When Redis cannot be reached a take lets the request through (counted).
 */
export class RedisTokenBucket implements RateBudget {
  readonly key: string;
  readonly limits: RateBucketLimits;
  private readonly maxWaitMs: number;
  private sha: string | undefined;
  private readonly sleeper = new Sleeper();
  private readonly queues = new Map<RatePriority, Promise<void>>();
  private closed = false;

  constructor(private readonly o: RedisTokenBucketOptions) {
    this.key = rateBudgetKey(o.venue, o.apiKey);
    const limits = o.limits ?? VENUE_RATE_LIMITS[o.venue];
    if (!limits) throw new InvalidArgumentError(`rate budget: no published limits known for venue ${o.venue}; pass limits`);
    this.limits = checkLimits({ ...limits });
    this.maxWaitMs = o.maxWaitMs ?? 30_000;
  }

  /** Tokens a priority must leave in the bucket. */
  floorOf(priority: RatePriority): number {
    const reserve = this.limits.capacity * this.limits.reserveShare;
    return priority === 'critical' ? 0 : priority === 'normal' ? reserve : 2 * reserve;
  }

  take(cost: number, priority: RatePriority): Promise<void> {
    if (!(Number.isFinite(cost) && cost > 0)) return Promise.reject(new InvalidArgumentError('rate budget cost must be > 0'));
    const prev = this.queues.get(priority) ?? Promise.resolve();
    const mine = prev.then(() => this.takeNow(cost, priority));
    const tail = mine.catch(() => undefined);
    this.queues.set(priority, tail);
    void tail.then(() => {
      if (this.queues.get(priority) === tail) this.queues.delete(priority);
    });
    return mine;
  }

  private async takeNow(cost: number, priority: RatePriority): Promise<void> {
    const started = performance.now();
    const labels = { venue: this.o.venue, priority };
    let delayed = false;
    for (;;) {
      if (this.closed) throw new UnavailableError('rate budget closed');
      let reply: [number, string];
      try {
        reply = await this.eval(cost, this.floorOf(priority));
      } catch {
        // Redis down must not stop a cancel (or anything else): fail open, counted.
        this.o.metrics?.redisErrors.inc({ venue: this.o.venue });
        return;
      }
      const [ok, value] = reply;
      if (ok === 1) {
        this.o.metrics?.used.inc(labels, cost);
        this.o.metrics?.wait.observe(labels, (performance.now() - started) / 1000);
        if (delayed) this.o.metrics?.delayed.inc(labels);
        return;
      }
      delayed = true;
      const waited = performance.now() - started;
      if (waited >= this.maxWaitMs) {
        this.o.metrics?.delayed.inc(labels);
        throw new UnavailableError(`rate budget for ${this.o.venue} exhausted: waited ${Math.round(waited)} ms`);
      }
      await this.sleeper.sleep(Math.max(1, Math.min(Number(value), this.maxWaitMs - waited)));
    }
  }

  private async eval(cost: number, floor: number): Promise<[number, string]> {
    const ttlMs = Math.ceil((this.limits.capacity / this.limits.refillPerSec) * 1000) + 60_000;
    const args = [this.limits.capacity, this.limits.refillPerSec / 1000, cost, floor, ttlMs].map(String);
    if (this.sha === undefined) this.sha = (await this.o.redis.script('LOAD', TAKE_LUA)) as string;
    try {
      return (await this.o.redis.evalsha(this.sha, 1, this.key, ...args)) as [number, string];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return (await this.o.redis.eval(TAKE_LUA, 1, this.key, ...args)) as [number, string];
    }
  }

  /** Rejects pending and later takes; the Redis connection stays the caller's. */
  close(): void {
    this.closed = true;
    this.sleeper.wakeAll();
  }
}

/** The budgets of one process: one Redis connection and one metrics set for all its (venue, API key) buckets. */
export class RateBudgets {
  private readonly redis: Redis;
  private readonly metrics: RateBudgetMetrics;
  private readonly buckets: RedisTokenBucket[] = [];

  constructor(redisUrl: string, registry: Registry, private readonly maxWaitMs?: number) {
    this.redis = new Redis(redisUrl, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
    this.metrics = createRateBudgetMetrics(registry);
  }

  /** The bucket of a venue's API key, sized from the venue's published limits unless `limits` is given. */
  forKey(venue: string, apiKey: string, limits?: RateBucketLimits): RedisTokenBucket {
    const b = new RedisTokenBucket({
      redis: this.redis,
      venue,
      apiKey,
      metrics: this.metrics,
      ...(limits ? { limits } : {}),
      ...(this.maxWaitMs !== undefined ? { maxWaitMs: this.maxWaitMs } : {}),
    });
    this.buckets.push(b);
    return b;
  }

  async close(): Promise<void> {
    for (const b of this.buckets) b.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
