/**
 * The cluster-wide rate-limit budget against the venue emulator's Coinbase private side (30
 * requests per second per API key, fixed one-second windows): two CcxtVenues with the same key,
 * as two processes would hold, fire a burst of REST calls well over the limit. Without a budget
 * the emulator answers 429; with one shared Redis token bucket per key (each venue on its own
 * Redis connection) not one request earns a 429.
 */
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { createLogger, RedisTokenBucket, createRateBudgetMetrics, type RateBudget } from '@cte/shared';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { Credentials } from '../../../venue-emulator/src/adapters/private/types';
import { CcxtVenue, createCcxtExchange } from '../adapters/ccxt-venue';
import { Secret } from '../config';
import { REDIS_URL } from './helpers/harness';

const SYMBOL = 'NMR/EUR';
/** Per venue; 2 × 45 = 90 calls, three times the venue's 30 a second. */
const BURST = 45;

let emu: RunningEmulator;
/** One emulator account (API key) per test: the venue counts each key's requests apart. */
let unbudgeted: Credentials;
let budgeted: Credentials;
const conns: Redis[] = [];
const logger = createLogger({ service: 'execution-test', level: 'fatal' });

beforeAll(async () => {
  emu = await startEmulator({ venues: ['coinbase'] });
  const side = emu.emu.privateSides.get('coinbase');
  if (!side) throw new Error('the emulator has no coinbase private side');
  unbudgeted = side.createAccount({ balances: { EUR: '1000', NMR: '10' } }).credentials;
  budgeted = side.createAccount({ balances: { EUR: '1000', NMR: '10' } }).credentials;
});

afterAll(async () => {
  await Promise.all(conns.map((c) => c.quit()));
  await emu?.close();
});

async function venueWith(creds: Credentials, budget: RateBudget | undefined): Promise<CcxtVenue> {
  const exchange = await createCcxtExchange(
    { id: 'coinbase', symbols: [SYMBOL], baseUrl: `http://127.0.0.1:${emu.ports.coinbase}`, credentials: { apiKey: new Secret(creds.apiKey), secret: new Secret(creds.secret) } },
    5000,
  );
  // Only the shared budget paces (ccxt's pacing is per process and would not see the other one).
  exchange.enableRateLimit = false;
  const venue = new CcxtVenue({
    id: 'coinbase',
    exchange,
    symbols: [SYMBOL],
    secrets: [creds.apiKey, creds.secret],
    policy: { maxSends: 1, maxLookups: 1, settleMs: 10, lookupBackoffMs: 10 },
    reconcileMs: 0,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
    logger,
    ...(budget ? { budget } : {}),
  });
  await venue.start();
  return venue;
}

/** Fires BURST fetchOpenOrders on each venue at once; returns how many failed with a 429. */
async function burst(venues: CcxtVenue[]): Promise<{ ok: number; tooMany: number; other: string[] }> {
  const results = await Promise.allSettled(venues.flatMap((v) => [...Array(BURST).keys()].map(() => v.fetchOpenOrders(SYMBOL))));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  const tooMany = errors.filter((m) => /RateLimitExceeded|rate_limit_exceeded|Too many requests/i.test(m));
  return { ok: results.length - errors.length, tooMany: tooMany.length, other: errors.filter((m) => !tooMany.includes(m)) };
}

describe('CcxtVenue with a shared rate-limit budget (emulated Coinbase, 30 req/s per key)', () => {
  it('without a budget, two processes sharing a key earn 429s on a burst (the check below can fail)', async () => {
    const venues = [await venueWith(unbudgeted, undefined), await venueWith(unbudgeted, undefined)];
    try {
      const r = await burst(venues);
      expect(r.tooMany).toBeGreaterThan(0);
    } finally {
      await Promise.all(venues.map((v) => v.close()));
    }
  });

  it('with one Redis bucket per key shared by both, the same burst earns no 429, and the waits are counted', async () => {
    const registry = new Registry();
    const metrics = createRateBudgetMetrics(registry);
    const buckets = [0, 1].map(() => {
      const redis = new Redis(REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
      conns.push(redis);
      return new RedisTokenBucket({ redis, venue: 'coinbase', apiKey: budgeted.apiKey, metrics });
    });
    const venues = [await venueWith(budgeted, buckets[0]), await venueWith(budgeted, buckets[1])];
    try {
      const r = await burst(venues);
      expect(r.other).toEqual([]);
      expect(r.tooMany).toBe(0);
      expect(r.ok).toBe(2 * BURST);
      const delayed = (await metrics.delayed.get()).values.find((v) => v.labels.priority === 'low')?.value ?? 0;
      expect(delayed).toBeGreaterThan(0);
      const text = await registry.metrics();
      expect(text).not.toContain(budgeted.apiKey);
    } finally {
      await Promise.all(venues.map((v) => v.close()));
      for (const b of buckets) b.close();
    }
  });
});
