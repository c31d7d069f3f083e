/**
 * Issue 13, the real process (default CONSENSUS_DECISION=bar) against real MariaDB and Redis: one
 * decision per (symbol, timeframe, bar), carrying the bar; the same signals in a different arrival
 * order (one source lagging bars behind, prices racing ahead) give the same decisions; a late
 * signal is stored and counted, never decided on; a bar is never decided twice, also across a
 * restart. Needs `npm run build` first (make test does it).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger, RedisBus, type ConsensusMessage, type SignalMessage } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { metricValue, startAggregator, waitFor, type RunningService } from './helpers/service-process';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const H = 3_600_000;
const T0 = Date.UTC(2019, 7, 20);
const tag = randomBytes(4).toString('hex').toUpperCase();
const SYM_A = `QD${tag}/USD`;
const SYM_B = `QE${tag}/USD`;
const STREAM = `test.signals.${tag}`;
const CONSENSUS = `test.consensus.${tag}`;
const BUS_NAMESPACE = `test-sab-${tag.toLowerCase()}:`;
const AGENTS = ['agent_ml', 'agent_trend'] as const;
const BARS = 6;

let tdb: TestDatabase;
let bus: RedisBus;
let svc: RunningService;
const seen: ConsensusMessage[] = [];

const env = (): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE,
  SIGNALS_STREAM: STREAM,
  CONSENSUS_CHANNEL: CONSENSUS,
  PRICE_TIMEFRAME: '1h',
  CONSENSUS_MIN_QUORUM: '2',
  CONSENSUS_MIN_AGREEMENT: '0.6',
  CONSENSUS_EXPECTED_SOURCES: '2',
  STATS_FLUSH_MS: '50',
  TRADABLE_SYMBOLS: `${SYM_A},${SYM_B}`,
});

/** Bar b's signal of `agent` for `symbol`: sides vary by bar so decisions differ. */
function signal(symbol: string, agent: (typeof AGENTS)[number], b: number): SignalMessage {
  const side = (['BUY', 'SELL', 'BUY', 'HOLD', 'SELL', 'BUY'] as const)[b % 6]!;
  return {
    id: `bd-${tag}-${symbol.slice(0, 2)}-${agent}-${b}`,
    // Sources per symbol: a source's track record spans symbols, and A is decided before B.
    agent_id: `${agent}_${symbol.slice(0, 2).toLowerCase()}`,
    source_type: agent === 'agent_ml' ? 'ml_model' : 'trend_follower',
    symbol,
    timeframe: '1h',
    side: agent === 'agent_trend' && b % 4 === 1 ? 'BUY' : side,
    confidence: 0.5 + b / 20,
    horizon_ms: H,
    price: String(10_000 + 10 * b),
    bar_time: T0 + b * H,
    created_at: T0 + (b + 1) * H,
    trace_id: `trace-${tag}-${b}`,
  };
}

const append = (s: SignalMessage) => bus.append(STREAM, { type: 'signal', data: s, trace_id: s.trace_id });

async function publishBar(symbol: string, b: number): Promise<void> {
  const close = String(10_000 + 10 * b);
  const data = { exchange: 'test', symbol, timeframe: '1h', open_time: T0 + b * H, close_time: T0 + (b + 1) * H, open: close, high: close, low: close, close, volume: '1', trades: 1 };
  await bus.publish(`data.bars.1h.${symbol.replace('/', '-')}`, { type: 'bar', data });
}

const decisionsOf = (symbol: string) =>
  seen
    .filter((c) => c.symbol === symbol)
    .map((c) => ({ bar_time: c.bar_time, timeframe: c.timeframe, ts: c.ts, side: c.side, confidence: c.confidence, agreement: c.agreement, sources: c.sources, price: c.price }));

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: BUS_NAMESPACE });
  await bus.subscribe<ConsensusMessage>(CONSENSUS, (e) => void seen.push(e.data));
  svc = await startAggregator(env());
}, 60_000);

afterAll(async () => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await bus?.close();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.del(BUS_NAMESPACE + STREAM).catch(() => undefined);
  redis.disconnect();
  await tdb?.drop();
});

it('one decision per bar, the same whatever the arrival order; late signals counted, never decided; no bar decided twice across a restart', async () => {
  // Symbol A: the sources in lockstep, bar by bar.
  for (let b = 0; b < BARS; b++) for (const a of AGENTS) await append(signal(SYM_A, a, b));
  // Symbol B: the same signals, but prices race ahead (every bar published first) and the trend
  // source lags the ML source by three bars.
  for (let b = 0; b < BARS; b++) await publishBar(SYM_B, b);
  const ml = Array.from({ length: BARS }, (_, b) => signal(SYM_B, 'agent_ml', b));
  const trend = Array.from({ length: BARS }, (_, b) => signal(SYM_B, 'agent_trend', b));
  for (let i = 0; i < BARS + 3; i++) {
    if (i < BARS) await append(ml[i]!);
    if (i >= 3) await append(trend[i - 3]!);
  }
  await waitFor('a decision per bar of both symbols', () => decisionsOf(SYM_A).length === BARS && decisionsOf(SYM_B).length === BARS, 20_000);

  const a = decisionsOf(SYM_A);
  expect(a.map((c) => c.bar_time)).toEqual(Array.from({ length: BARS }, (_, b) => T0 + b * H));
  expect(a.every((c) => c.timeframe === '1h' && c.ts === c.bar_time! + H && c.sources === 2)).toBe(true);
  expect(new Set(a.map((c) => c.side)).size).toBeGreaterThan(1);
  expect(decisionsOf(SYM_B)).toEqual(a);
  const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
  expect(metricValue(text, 'cte_signals_rejected_total', { reason: 'stale' })).toBe(0);
  expect(metricValue(text, 'cte_consensus_decisions_total', { reason: 'complete' })).toBe(2 * BARS);

  // A late signal for a decided bar: stored, counted, no decision.
  const late = { ...signal(SYM_A, 'agent_ml', 2), id: `bd-${tag}-late`, agent_id: 'agent_late', source_type: 'breakout', side: 'SELL' as const };
  await append(late);
  await waitFor('late counted', async () => metricValue(await (await fetch(`${svc.httpUrl}/metrics`)).text(), 'cte_signals_late_total') === 1);
  expect(await tdb.db.query('SELECT COUNT(*) AS n FROM aggregator_signals WHERE id = ?', [late.id])).toEqual([{ n: 1 }]);

  // Stored once per bar, keyed by it; after a restart, re-sent signals decide nothing again.
  const rows = await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM consensus_signals WHERE symbol IN (?, ?) GROUP BY symbol, timeframe, bar_time HAVING n > 1', [SYM_A, SYM_B]);
  expect(rows).toEqual([]);
  expect(await svc.stop()).toBe(0);
  svc = await startAggregator(env());
  const before = seen.length;
  for (const a2 of AGENTS) await append({ ...signal(SYM_A, a2, BARS - 1), id: `bd-${tag}-again-${a2}` });
  // The next bar, complete: decided once; the re-sent bar is late.
  for (const a2 of AGENTS) await append(signal(SYM_A, a2, BARS));
  await waitFor('the next bar decided', () => seen.length > before, 20_000);
  expect(seen.slice(before).map((c) => [c.symbol, c.bar_time])).toEqual([[SYM_A, T0 + BARS * H]]);
  await waitFor('re-sent signals late', async () => metricValue(await (await fetch(`${svc.httpUrl}/metrics`)).text(), 'cte_signals_late_total') === 2);
  expect(await tdb.db.query('SELECT COUNT(*) AS n FROM consensus_signals WHERE symbol = ?', [SYM_A])).toEqual([{ n: BARS + 1 }]);
}, 90_000);
