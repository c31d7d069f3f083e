/**
 * The ledger's real consumer path (RedisBus consumer group → FillIntake → Ledger → MySQL) against
 * the real MariaDB and Redis: 10,000 random fills with duplicates and bad ones mixed in must give
 * books equal, digit for digit, to recomputations that share no code with the service.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { createLogger, lintMetricsText, type FillMessage } from '@cte/shared';
import { createTestDatabase, waitFor, type TestDatabase } from '@cte/testkit';
import { UNITLESS_MONEY_METRICS } from '../adapters/metrics';
import { Portfolio } from '../engine/portfolio';
import { createTradesTable, expectBooksMatch, recordTrades, referenceBooks, serviceBooks, sqlBooks } from './helpers/books';
import { countFlips, generateFills, prng } from './helpers/fills';
import { REDIS_URL, startRig, type Rig } from './helpers/rig';

const logger = createLogger({ service: 'test', level: 'silent' });
const tag = randomBytes(4).toString('hex');
const NAMESPACE = `test-pf-ledger-${tag}:`;
const STREAM = 'events.fills';
const SEED = { USD: '100000' };

let tdb: TestDatabase;
let rig: Rig;
let redis: Redis;
const sent: FillMessage[] = [];

const append = (f: unknown, traceId = `trace-${tag}-${randomBytes(4).toString('hex')}`) => rig.bus.append(STREAM, { type: 'fill', data: f, trace_id: traceId });

async function pendingCount(): Promise<number> {
  const r = (await redis.call('XPENDING', NAMESPACE + STREAM, 'portfolio')) as [number, ...unknown[]];
  return Number(r[0]);
}

/** Sends fills (recording first occurrences in test_trades) and waits until every entry was handled. */
async function sendAndSettle(entries: unknown[], fills: FillMessage[]): Promise<void> {
  await recordTrades(tdb.db, fills);
  const handledBefore = rig.outcomes.applied + rig.outcomes.duplicate + rig.outcomes.rejected;
  for (let i = 0; i < entries.length; i += 500) await Promise.all(entries.slice(i, i + 500).map((e) => append(e)));
  await waitFor('every entry handled', () => rig.outcomes.applied + rig.outcomes.duplicate + rig.outcomes.rejected - handledBefore >= entries.length, 120_000);
  await waitFor('nothing pending', async () => (await pendingCount()) === 0);
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  await createTradesTable(tdb.db);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  rig = await startRig({ db: tdb.db, namespace: NAMESPACE, stream: STREAM });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  if (redis) {
    await redis.del(NAMESPACE + STREAM, `${NAMESPACE}${STREAM}.dlq`).catch(() => undefined);
    redis.disconnect();
  }
  await tdb?.drop();
});

describe('exact accounting through the consumer path', () => {
  it('10,000 random fills (with flips, duplicates and bad fills mixed in) equal independent recomputations exactly', async () => {
    const fills = generateFills({ n: 10_000, symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD', 'XRP/USD'], seed: 20240607, idPrefix: `f${tag}` });
    expect(countFlips(fills)).toBeGreaterThan(500);
    // Redeliveries: 500 fills sent again later in the stream; 5 bad fills.
    const rnd = prng(99);
    const entries: unknown[] = [];
    let duplicates = 0;
    for (const [i, f] of fills.entries()) {
      entries.push(f);
      if (i > 0 && rnd() < 0.05) {
        entries.push(fills[Math.floor(rnd() * i)]);
        duplicates++;
      }
      if (i % 2000 === 1999) entries.push({ ...f, fill_id: `bad-${i}`, qty: '-1' });
    }
    sent.push(...fills);
    await sendAndSettle(entries, fills);

    expect(rig.outcomes).toEqual({ applied: 10_000, duplicate: duplicates, rejected: 5 });
    expect(rig.portfolio.ledger.seq).toBe(10_000);
    const service = await serviceBooks(tdb.db);
    expectBooksMatch(service, await sqlBooks(tdb.db, SEED), await referenceBooks(tdb.db, SEED));

    // What is in memory (and served) is what is in MySQL.
    const stored = await rig.repo.load();
    expect(JSON.stringify(stored!.ledger)).toBe(JSON.stringify(rig.portfolio.ledger.state()));

    // Rejects went to the dead-letter stream; nothing was left pending.
    const dlq = (await redis.call('XRANGE', `${NAMESPACE}${STREAM}.dlq`, '-', '+')) as Array<[string, string[]]>;
    expect(dlq).toHaveLength(5);
    expect(JSON.parse(dlq[0]![1][1]!)).toMatchObject({ type: 'fill_rejected', data: { reason: 'invalid', fill: { fill_id: 'bad-1999' } } });
    const text = await rig.registry.metrics();
    expect(text).toMatch(/cte_fills_applied_total\{service="portfolio"\} 10000/);
    expect(text).toMatch(new RegExp(`cte_fills_duplicate_total\\{key="fill_id",service="portfolio"\\} ${duplicates}`));
    expect(text).toMatch(/cte_fills_rejected_total\{reason="invalid",service="portfolio"\} 5/);
    expect(lintMetricsText(text).filter((p) => !UNITLESS_MONEY_METRICS.some((m) => p.startsWith(`${m}:`)))).toEqual([]);
  }, 180_000);

  it('a fresh process loads exactly the same books from MySQL', async () => {
    const stored = await rig.repo.load();
    const reloaded = new Portfolio({ quoteCurrency: 'USD', initialCapital: stored!.initialCapital, ledger: stored!.ledger, watermarks: stored!.watermarks });
    expect(reloaded.equity().toFixed()).toBe(rig.portfolio.equity().toFixed());
    expect(JSON.stringify(reloaded.valuation().positions)).toBe(JSON.stringify(rig.portfolio.valuation().positions));
  });

  it('a fill with the same venue trade under another fill id is a duplicate too', async () => {
    const first = sent[0]!;
    const before = rig.outcomes.duplicate;
    await append({ ...first, fill_id: `other-${tag}` });
    await waitFor('handled', () => rig.outcomes.duplicate === before + 1);
    const [row] = await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM applied_fills');
    expect(Number(row!.n)).toBe(10_000);
    expect(await rig.registry.getSingleMetricAsString('cte_fills_duplicate_total')).toMatch(/key="venue_trade_id"[^\n]* 1/);
  });
});

describe('durability', () => {
  it('acknowledges a fill only after its commit: while MySQL is blocked the entry stays pending and unapplied', async () => {
    const lock = await mysql.createConnection(tdb.url);
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT seq FROM portfolio_state WHERE id = 1 FOR UPDATE');
      const [f] = generateFills({ n: 1, symbols: ['BTC/USD'], seed: 5, idPrefix: `lock${tag}` });
      await recordTrades(tdb.db, [f!]);
      const applied = rig.outcomes.applied;
      await append(f);
      await waitFor('delivered', async () => (await pendingCount()) === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(await pendingCount()).toBe(1);
      expect(rig.outcomes.applied).toBe(applied);
      const [row] = await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM applied_fills WHERE fill_id = ?', [f!.fill_id]);
      expect(Number(row!.n)).toBe(0);
      await lock.query('COMMIT');
      await waitFor('applied after the lock is released', () => rig.outcomes.applied === applied + 1);
      await waitFor('acked', async () => (await pendingCount()) === 0);
      sent.push(f!);
    } finally {
      await lock.end();
    }
  });

  it('a second writer with stale books is fenced: it reloads from MySQL, and the books stay exact', async () => {
    // A second ledger instance (another replica) that loaded the books before the first moved them.
    const other = await startRig({ db: tdb.db, namespace: NAMESPACE, stream: STREAM, consumerName: 'portfolio-2', consume: false });
    try {
      const more = generateFills({ n: 20, symbols: ['BTC/USD', 'ETH/USD'], seed: 11, idPrefix: `fence${tag}` });
      await sendAndSettle(more.slice(0, 10), more.slice(0, 10));
      // The stale instance handles the next ten directly (as its own consumer would).
      await recordTrades(tdb.db, more.slice(10));
      for (const [i, f] of more.slice(10).entries()) {
        await other.intake.handle({ v: 1, type: 'fill', trace_id: f.trace_id, ts: Date.now(), data: f }, { id: `0-${i + 1}`, deliveries: 1 });
      }
      expect(other.outcomes.applied).toBe(10);
      expect(await other.registry.getSingleMetricAsString('cte_ledger_reloads_total')).toMatch(/ 1$/m);
      expectBooksMatch(await serviceBooks(tdb.db), await sqlBooks(tdb.db, SEED), await referenceBooks(tdb.db, SEED));
      // And the first instance, now stale itself, reloads on its next fill.
      const last = generateFills({ n: 1, symbols: ['SOL/USD'], seed: 12, idPrefix: `fence2${tag}` });
      await sendAndSettle(last, last);
      expectBooksMatch(await serviceBooks(tdb.db), await sqlBooks(tdb.db, SEED), await referenceBooks(tdb.db, SEED));
      expect(JSON.stringify((await rig.repo.load())!.ledger)).toBe(JSON.stringify(rig.portfolio.ledger.state()));
    } finally {
      await other.stop();
    }
  });
});
