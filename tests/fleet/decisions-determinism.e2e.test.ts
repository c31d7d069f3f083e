/**
 * Issue 13, end to end: the consensus decisions are a function of the data, not of timing. The
 * same week of real hourly bars is replayed twice, each time into a fresh database and bus
 * namespace, through real price-stream, signal-generator and signals-aggregator processes, at two
 * replay speeds 20x apart; the decisions (one per bar: side, reason, confidence, agreement, sources,
 * price, data time) must be identical, with no late signals. (Fills are not compared: the paper
 * venue's fill price and risk's stale-price guard still depend on timing; see the README.)
 * Needs `make build` first (make test does it).
 */
import path from 'node:path';
import { createLogger, type ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, metricValue, startService, waitFor, type RunningService, type TestDatabase, peerAddressEnv } from '@cte/testkit';
import { countRows, settleCount, tearDownOnSharedRedis } from './helpers/shared';

const REPO = path.resolve(__dirname, '..', '..');
const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');
const HISTORY_END = Date.UTC(2019, 5, 15);
const DAYS = 7;
const apiKey = `e2e-det-key-${Date.now()}`;
const logger = createLogger({ service: 'test', level: 'silent' });
const SERVICES_UP: ServiceName[] = ['signals-aggregator', 'signal-generator'];

interface Decision {
  timeframe: string;
  bar_time: string | number;
  side: string;
  reason: string;
  confidence: string;
  agreement: string;
  sources: number;
  price: string;
  ts: string | number;
}

/** One replay at `speed` into its own database and namespace; returns its decisions and late count. */
async function replayAt(speed: number): Promise<{ decisions: Decision[]; late: number; stale: number }> {
  const tdb: TestDatabase = await createTestDatabase(logger);
  const ns = `test-e2e-det-${speed}-${Math.random().toString(36).slice(2)}:`;
  const ports = new Map<ServiceName, { http: number; grpc: number }>();
  const running = new Map<ServiceName, RunningService>();
  for (const n of [...SERVICES_UP, 'price-stream'] as ServiceName[]) ports.set(n, { http: await freePort(), grpc: await freePort() });
  const start = async (name: ServiceName, extra: Record<string, string> = {}): Promise<RunningService> => {
    const p = ports.get(name)!;
    const env: Record<string, string> = {
      MYSQL_URL: tdb.url,
      BUS_NAMESPACE: ns,
      ...peerAddressEnv((n) => ports.get(n)?.grpc),
      ...(name === 'price-stream' ? { REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50' } : {}),
      ...(name === 'signal-generator' ? { MODEL_DIR, WARM_START_BARS: '300', SIGNAL_TIMEFRAMES: '1h' } : {}),
      ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h', CONSENSUS_EXPECTED_SOURCES: '4' } : {}),
      ...extra,
    };
    const svc = await startService(name, { apiKey, httpPort: p.http, grpcPort: p.grpc, env, readyTimeoutMs: 60_000 });
    running.set(name, svc);
    return svc;
  };
  try {
    const history = await start('price-stream', { REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: String(HISTORY_END - 1), REPLAY_SPEED: '0' });
    await waitFor('history', async () => ((await countRows(tdb.db, "SELECT COUNT(*) AS n FROM crypto_prices WHERE timeframe = '1h'")) >= 300 ? true : undefined), 30_000);
    expect(await history.stop()).toBe(0);
    running.delete('price-stream');
    for (const n of SERVICES_UP) await start(n);
    await start('price-stream', { REPLAY_START: String(HISTORY_END), REPLAY_END: String(HISTORY_END + DAYS * 86_400_000 - 1), REPLAY_SPEED: String(speed) });
    await waitFor('replay finished', () => running.get('price-stream')!.logs().includes('"replay finished"') || undefined, 60_000);
    // Every bar of the week decided (the last one too: all four sources report on it).
    await waitFor('every bar decided', async () => ((await countRows(tdb.db, 'SELECT COUNT(*) AS n FROM consensus_signals')) >= DAYS * 24 - 1 ? true : undefined), 60_000);
    await settleCount(tdb.db, 'SELECT COUNT(*) AS n FROM consensus_signals', 1500, 30_000);
    const decisions = await tdb.db.query<Decision>(
      'SELECT timeframe, bar_time, side, reason, confidence, agreement, sources, price, ts FROM consensus_signals ORDER BY timeframe, bar_time',
    );
    const text = await (await fetch(`${running.get('signals-aggregator')!.httpUrl}/metrics`)).text();
    return { decisions, late: metricValue(text, 'cte_signals_late_total'), stale: metricValue(text, 'cte_signals_rejected_total', { reason: 'stale' }) };
  } finally {
    await tearDownOnSharedRedis(running.values(), ns, tdb);
  }
}

it('the same week of bars at two replay speeds gives the same decision on every bar', async () => {
  const fast = await replayAt(1_000_000);
  const slow = await replayAt(50_000);
  expect(fast.decisions.length).toBeGreaterThanOrEqual(DAYS * 24 - 1);
  // One decision per bar.
  expect(new Set(fast.decisions.map((d) => `${d.timeframe}|${d.bar_time}`)).size).toBe(fast.decisions.length);
  // Decisions with contributing sources, not only empty bars.
  expect(fast.decisions.some((d) => Number(d.sources) > 0)).toBe(true);
  expect(fast.late + slow.late).toBe(0);
  expect(fast.stale + slow.stale).toBe(0);
  expect(slow.decisions).toEqual(fast.decisions);
}, 170_000);
