/**
 * Crash safety of the compiled service: SIGKILL in the middle of a stream of fills (with duplicates
 * re-appended), more fills arriving while it is down, restart. Every fill must be applied exactly
 * once — none missing, none doubled — in stream order, and the books must equal independent
 * recomputations (SQL over the test's own trades table, and a BigInt replay) digit for digit.
 * Build first: `npx tsc -b services/portfolio` (make test does).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger, RedisBus, type FillMessage } from '@cte/shared';
import { createTestDatabase, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { canon } from './helpers/reference-ledger';
import { createTradesTable, expectBooksMatch, recordTrades, referenceBooks, serviceBooks, sqlBooks } from './helpers/books';
import { countFlips, generateFills, prng } from './helpers/fills';
import { startPortfolio } from './helpers/service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const tag = randomBytes(4).toString('hex');
const NAMESPACE = `test-pf-crash-${tag}:`;
const STREAM = `${NAMESPACE}events.fills`;
const API_KEY = `test-key-${tag}-${randomBytes(8).toString('hex')}`;
const SEED = { USD: '100000' };

let tdb: TestDatabase;
let bus: RedisBus;
let redis: Redis;
let svc: RunningService | undefined;

const env = (): Record<string, string> => ({ MYSQL_URL: tdb.url, REDIS_URL, BUS_NAMESPACE: NAMESPACE, INITIAL_CAPITAL: '100000', SNAPSHOT_INTERVAL_MS: '200' });

async function appliedCount(): Promise<number> {
  const [row] = await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM applied_fills');
  return Number(row!.n);
}

async function appendAll(entries: FillMessage[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 200) {
    await Promise.all(entries.slice(i, i + 200).map((f) => bus.append('events.fills', { type: 'fill', data: f, trace_id: f.trace_id })));
  }
}

/** Fills, with ~10 % of the entries re-sending an earlier fill of `pool` (redeliveries, a producer retrying). */
function withDuplicates(fills: FillMessage[], pool: FillMessage[], seed: number): { entries: FillMessage[]; duplicates: number } {
  const rnd = prng(seed);
  const entries: FillMessage[] = [];
  let duplicates = 0;
  const seen: FillMessage[] = [...pool];
  for (const f of fills) {
    entries.push(f);
    seen.push(f);
    if (rnd() < 0.1) {
      entries.push(seen[Math.floor(rnd() * seen.length)]!);
      duplicates++;
    }
  }
  return { entries, duplicates };
}

/** [k1, v1, k2, v2, ...] → {k1: v1, ...} (Redis XINFO replies). */
function pairs(row: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < row.length; i += 2) out[String(row[i])] = row[i + 1];
  return out;
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  await createTradesTable(tdb.db);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: NAMESPACE });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}, 60_000);

afterAll(async () => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await bus?.close();
  if (redis) {
    await redis.del(STREAM, `${STREAM}.dlq`).catch(() => undefined);
    redis.disconnect();
  }
  await tdb?.drop();
});

it('SIGKILL mid-stream, then restart: every fill applied exactly once, in order, books exact', async () => {
  const fills = generateFills({ n: 3000, symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD'], seed: 31337, idPrefix: `k${tag}`, ts0: Date.now() });
  expect(countFlips(fills)).toBeGreaterThan(100);
  await recordTrades(tdb.db, fills);
  const first = withDuplicates(fills.slice(0, 2000), [], 1);
  const second = withDuplicates(fills.slice(2000), fills.slice(0, 2000), 2);
  expect(first.duplicates + second.duplicates).toBeGreaterThan(200);

  svc = await startPortfolio({ env: env(), apiKey: API_KEY });
  await appendAll(first.entries);
  await waitFor('some fills applied', async () => (await appliedCount()) >= 300, 60_000);
  svc.child.kill('SIGKILL');
  await svc.exited;
  const atKill = await appliedCount();
  // Killed in the middle of the stream, not after it.
  expect(atKill).toBeLessThan(2000);

  // More fills (and re-sent old ones) arrive while portfolio is down.
  await appendAll(second.entries);
  svc = await startPortfolio({ env: env(), apiKey: API_KEY });
  await waitFor('every fill applied', async () => (await appliedCount()) === 3000, 120_000);
  const [lastId] = ((await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>)[0]!;
  await waitFor('every entry handled and acked', async () => {
    const groups = (await redis.call('XINFO', 'GROUPS', STREAM)) as unknown[][];
    const g = groups.map(pairs).find((x) => x.name === 'portfolio');
    return g !== undefined && g['last-delivered-id'] === lastId && Number(g.pending) === 0;
  }, 60_000);
  expect(await appliedCount()).toBe(3000);

  const service = await serviceBooks(tdb.db);
  expectBooksMatch(service, await sqlBooks(tdb.db, SEED), await referenceBooks(tdb.db, SEED));

  // The restarted process serves exactly what is in MySQL.
  const p = (await (await fetch(`${svc.httpUrl}/portfolio`, { headers: { 'X-TRADING-API-KEY': API_KEY } })).json()) as {
    fills_applied: number;
    balances: Array<{ asset: string; total: string }>;
    positions: Array<{ symbol: string; qty: string; avg_entry_price: string; realized_pnl: string; fees: string }>;
  };
  expect(p.fills_applied).toBe(3000);
  expect(p.balances.map((b) => [b.asset, b.total])).toEqual([...service.balances.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, t]) => [a, canon(t)]));
  for (const pos of p.positions) {
    const row = service.positions.get(pos.symbol)!;
    expect({ qty: pos.qty, avg: pos.avg_entry_price, realized: pos.realized_pnl, fees: pos.fees }).toEqual({ qty: row.qty, avg: row.avg_entry_price, realized: row.realized_pnl, fees: row.fees });
  }
  expect(await svc.stop()).toBe(0);
}, 240_000);
