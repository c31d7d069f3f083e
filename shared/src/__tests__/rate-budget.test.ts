import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { createRateBudgetMetrics, parseRateLimitsOverride, RateBudgets, rateBudgetKey, RedisTokenBucket, UnavailableError, VENUE_RATE_LIMITS, type RateBucketLimits } from '..';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const conns: Redis[] = [];
const buckets: RedisTokenBucket[] = [];

function conn(): Redis {
  const r = new Redis(REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  conns.push(r);
  return r;
}

function bucket(apiKey: string, limits: RateBucketLimits, maxWaitMs = 10_000, redis = conn()): RedisTokenBucket {
  const b = new RedisTokenBucket({ redis, venue: 'testvenue', apiKey, limits, maxWaitMs });
  buckets.push(b);
  return b;
}

async function redisNowMs(r: Redis): Promise<number> {
  const [s, us] = await r.time();
  return Number(s) * 1000 + Number(us) / 1000;
}

afterAll(async () => {
  for (const b of buckets) b.close();
  const admin = conn();
  const keys = await admin.keys('ratebudget:testvenue:*');
  if (keys.length > 0) await admin.del(...keys);
  await Promise.all(conns.map((c) => c.quit()));
});

describe('RedisTokenBucket', () => {
  it('keys the bucket by a hash of the API key, never the key itself', async () => {
    const apiKey = `secret-key-${randomUUID()}`;
    const b = bucket(apiKey, { capacity: 5, refillPerSec: 1, reserveShare: 0 });
    await b.take(1, 'normal');
    expect(b.key).toMatch(/^ratebudget:testvenue:[0-9a-f]{16}$/);
    expect(b.key).toBe(rateBudgetKey('testvenue', apiKey));
    const keys = await conn().keys('ratebudget:*');
    expect(keys).toContain(b.key);
    expect(keys.join(' ')).not.toContain(apiKey);
    expect(rateBudgetKey('testvenue', `${apiKey}x`)).not.toBe(b.key);
  });

  it('two instances on separate connections sharing a key never take more than capacity + refill', async () => {
    const apiKey = randomUUID();
    const limits = { capacity: 5, refillPerSec: 50, reserveShare: 0 };
    const a = bucket(apiKey, limits);
    const b = bucket(apiKey, limits);
    const clock = conn();
    const perInstance = 20;
    const start = await redisNowMs(clock);
    await Promise.all([...Array(perInstance).keys()].flatMap(() => [a.take(1, 'normal'), b.take(1, 'normal')]));
    const elapsedMs = (await redisNowMs(clock)) - start;
    // 40 tokens from a bucket of 5 refilled at 50/s cannot all be had in less than 0.7 s
    // (two separate buckets would allow it in half that).
    const total = 2 * perInstance;
    expect(elapsedMs).toBeGreaterThanOrEqual(((total - limits.capacity) / limits.refillPerSec) * 1000 - 2);
  });

  it('lets critical use the reserve; normal leaves it, low leaves twice it', async () => {
    const b = bucket(randomUUID(), { capacity: 10, refillPerSec: 0.01, reserveShare: 0.2 }, 30);
    expect([b.floorOf('critical'), b.floorOf('normal'), b.floorOf('low')]).toEqual([0, 2, 4]);
    await b.take(6, 'low'); // 4 left
    await expect(b.take(1, 'low')).rejects.toBeInstanceOf(UnavailableError);
    await b.take(2, 'normal'); // 2 left
    await expect(b.take(1, 'normal')).rejects.toBeInstanceOf(UnavailableError);
    await b.take(2, 'critical'); // 0 left
    await expect(b.take(1, 'critical')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('lets a cost above what the priority may hold through when full, as debt later takers wait for', async () => {
    const b = bucket(randomUUID(), { capacity: 10, refillPerSec: 0.01, reserveShare: 0.2 }, 30);
    await b.take(12, 'normal'); // 8 is the most normal may hold: granted, 10 - 12 = -2 left
    expect(Number(await conn().hget(b.key, 'tokens'))).toBeCloseTo(-2, 1);
    await expect(b.take(1, 'critical')).rejects.toBeInstanceOf(UnavailableError);
    await expect(b.take(0, 'normal')).rejects.toThrow(/cost/);
  });

  it('serves concurrent takers of one priority in order, delaying and counting those that waited', async () => {
    const registry = new Registry();
    const metrics = createRateBudgetMetrics(registry);
    const redis = conn();
    const b = new RedisTokenBucket({ redis, venue: 'testvenue', apiKey: randomUUID(), limits: { capacity: 3, refillPerSec: 100, reserveShare: 0 }, metrics });
    buckets.push(b);
    const done: number[] = [];
    const start = await redisNowMs(redis);
    await Promise.all([...Array(20).keys()].map((i) => b.take(1, 'normal').then(() => done.push(i))));
    const elapsedMs = (await redisNowMs(redis)) - start;
    expect(done).toEqual([...Array(20).keys()]);
    expect(elapsedMs).toBeGreaterThanOrEqual(((20 - 3) / 100) * 1000 - 2);
    const delayed = (await metrics.delayed.get()).values.find((v) => v.labels.priority === 'normal')?.value ?? 0;
    // How many wait depends on how fast the takers come (a loaded machine refills between them): some must.
    expect(delayed).toBeGreaterThan(0);
    const used = (await metrics.used.get()).values.find((v) => v.labels.priority === 'normal')?.value;
    expect(used).toBe(20);
    const text = await registry.metrics();
    expect(text).toContain('cte_rate_budget_wait_seconds_count{venue="testvenue",priority="normal"} 20');
  });

  it('rejects pending takes on close', async () => {
    const b = bucket(randomUUID(), { capacity: 1, refillPerSec: 0.01, reserveShare: 0 });
    await b.take(1, 'critical');
    const pending = b.take(1, 'critical');
    b.close();
    await expect(pending).rejects.toThrow(/closed/);
  });

  it('recovers when Redis forgot the script', async () => {
    const redis = conn();
    const b = bucket(randomUUID(), { capacity: 5, refillPerSec: 1, reserveShare: 0 }, 1000, redis);
    await b.take(1, 'normal');
    // As after a Redis restart: the cached SHA is unknown (SCRIPT FLUSH would hit other tests' scripts).
    (b as unknown as { sha: string }).sha = '0'.repeat(40);
    await b.take(1, 'normal');
    expect(Number(await redis.hget(b.key, 'tokens'))).toBeLessThan(4);
  });

  it('lets requests through, counted, when Redis cannot be reached', async () => {
    const registry = new Registry();
    const metrics = createRateBudgetMetrics(registry);
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const b = new RedisTokenBucket({ redis: down, venue: 'testvenue', apiKey: randomUUID(), limits: { capacity: 1, refillPerSec: 1, reserveShare: 0 }, metrics });
    await b.take(1, 'critical');
    await b.take(1, 'critical');
    expect((await metrics.redisErrors.get()).values[0]?.value).toBe(2);
    down.disconnect();
  });

  it('RateBudgets hands out buckets on one connection and closes it', async () => {
    const budgets = new RateBudgets(REDIS_URL, new Registry());
    const b = budgets.forKey('coinbase', `k-${randomUUID()}`);
    expect(b.limits).toEqual(VENUE_RATE_LIMITS['coinbase']);
    await b.take(1, 'normal');
    await conn().del(b.key);
    await budgets.close();
    await expect(b.take(1, 'normal')).rejects.toThrow(/closed/);
  });

  it('has published defaults within 90% of each venue window, and validates overrides', () => {
    const window: Record<string, { w: number; t: number }> = { binanceus: { w: 1200, t: 60 }, coinbase: { w: 30, t: 1 }, kucoin: { w: 4000, t: 30 } };
    for (const [venue, { w, t }] of Object.entries(window)) {
      const l = VENUE_RATE_LIMITS[venue] as RateBucketLimits;
      expect(l.capacity + l.refillPerSec * t).toBeLessThanOrEqual(0.9 * w);
    }
    expect(parseRateLimitsOverride('capacity=4, refillPerSec=20', VENUE_RATE_LIMITS['coinbase'] as RateBucketLimits)).toEqual({ capacity: 4, refillPerSec: 20, reserveShare: 0.2 });
    expect(() => parseRateLimitsOverride('capacity=-1', VENUE_RATE_LIMITS['coinbase'] as RateBucketLimits)).toThrow();
    expect(() => parseRateLimitsOverride('apiKey=1', VENUE_RATE_LIMITS['coinbase'] as RateBucketLimits)).toThrow();
  });
});
