/**
 * "A stall is reported within its threshold and clears when data resumes", end to end: the built
 * price-stream (MARKET_SOURCE=ccxt) against the venue emulator in this process, the built risk
 * service and a portfolio double, on the real Redis and MariaDB. The emulator stalls its socket
 * (`ws_stall`: open, sending nothing); price-stream publishes the feed stale on data.feeds, risk
 * rejects orders on the symbol with stale_price and names it in /ready; when data resumes the feed
 * is published live and risk approves again. Needs `npm run build` first (price-stream and risk).
 */
import { createLogger, FEED_CHANNELS, parseFeedStatusMessage, RedisBus, type FeedStatusMessage } from '@cte/shared';
import { createTestDatabase, metricValue, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import { startPortfolioDouble, type PortfolioDouble } from '../../../risk/src/__tests__/helpers/portfolio-double';
import { startPriceStream } from './helpers/service-process';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const NS = `test-ps-feeds-${Math.random().toString(36).slice(2)}:`;
const API_KEY = `feed-status-key-${Math.random().toString(36).slice(2)}-0123456789`;
const SYMBOL = 'SKL/USD';
/** FEED_STALE_MS: long enough that a trade every FEED_PACE_MS keeps the feed live on a loaded machine. */
const STALE_MS = 4000;
const FEED_PACE_MS = 300;
/** "Within its threshold": reported by threshold + the check period, plus this much slack for a busy CI machine. */
const MARGIN_MS = 20_000;

let tdb: TestDatabase;
let run: RunningEmulator;
let portfolio: PortfolioDouble;
let bus: RedisBus;
let risk: RunningService | undefined;
let ps: RunningService | undefined;
const statuses: Array<{ msg: FeedStatusMessage; at: number }> = [];
let feeder: { stop(): Promise<void> } | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sklTrades = (): number => run.emu.venue('coinbase')?.state.market(SYMBOL)?.trades.length ?? 0;

/** Replays the capture until the emulator has sent one more SKL/USD trade (to whoever is subscribed); false when the capture is exhausted. */
async function oneTrade(): Promise<boolean> {
  const before = sklTrades();
  while (sklTrades() === before) {
    if (run.emu.step('coinbase', 1) === 0) return false;
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

/** Keeps the feed flowing: one trade every FEED_PACE_MS while the venue has a subscriber. */
function startFeeder(): { stop(): Promise<void> } {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const connected = (run.emu.info().find((i) => i.venue === 'coinbase')?.connections ?? 0) > 0;
      if (connected && !(await oneTrade())) throw new Error('the coinbase capture ran out of SKL/USD trades');
      await sleep(FEED_PACE_MS);
    }
  })();
  done.catch(() => undefined); // reported by stop()
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function checkOrder(what: string): Promise<{ decision: string; reasons: string[] }> {
  const price = Number(run.emu.venue('coinbase')?.state.market(SYMBOL)?.trades.at(-1)?.price ?? 1);
  // Worth about 20 quote: above min_order_notional (10), far below max_position_pct of 100000.
  const qty = String(Math.ceil(20 / price));
  const res = await fetch(`${risk!.httpUrl}/check`, {
    method: 'POST',
    headers: { 'X-TRADING-API-KEY': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ recommendation_id: `feeds-${what}-${Math.random().toString(36).slice(2)}`, symbol: SYMBOL, side: 'buy', qty }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { decision: string; reasons: string[] };
}

const readyDetail = async (s: RunningService): Promise<{ ok: boolean; detail?: string; error?: string } | undefined> =>
  ((await (await fetch(`${s.httpUrl}/ready`)).json()) as { checks: Record<string, { ok: boolean; detail?: string; error?: string }> }).checks['market_feeds'];

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  run = await startEmulator({ venues: ['coinbase'] });
  portfolio = await startPortfolioDouble(API_KEY);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: NS });
  await bus.subscribe(FEED_CHANNELS.status, (env) => void statuses.push({ msg: parseFeedStatusMessage(env.data), at: Date.now() }));
  risk = await startService('risk', {
    apiKey: API_KEY,
    env: {
      MYSQL_URL: tdb.url,
      REDIS_URL,
      BUS_NAMESPACE: NS,
      PORTFOLIO_GRPC_ADDR: portfolio.address,
      TRADABLE_SYMBOLS: SYMBOL,
      EXPOSURE_TTL_MS: '0',
      PENDING_TTL_MS: '0',
      STATE_BROADCAST_MS: '0',
      EVENTS_FLUSH_MS: '10',
    },
    readyLog: 'risk ready',
  });
  feeder = startFeeder();
  ps = await startPriceStream({
    MYSQL_URL: tdb.url,
    REDIS_URL,
    BUS_NAMESPACE: NS,
    MARKET_SOURCE: 'ccxt',
    TRADABLE_SYMBOLS: SYMBOL,
    EXCHANGES: 'coinbase',
    VENUE_URL_COINBASE: `http://127.0.0.1:${run.ports.coinbase}`,
    TIMEFRAMES: '1m',
    TICK_CONFLATE_MS: '50',
    FEED_STALE_MS: String(STALE_MS),
    FEED_STATUS_INTERVAL_MS: '500',
  });
}, 90_000);

afterAll(async () => {
  await feeder?.stop().catch(() => undefined);
  await ps?.stop();
  await risk?.stop();
  await portfolio?.stop();
  await bus?.close();
  await run?.close();
  await tdb?.drop();
}, 60_000);

it('a stall is reported within its threshold and clears when data resumes (price-stream → data.feeds → risk)', async () => {
  // Live: statuses flow, risk prices the symbol and approves.
  await waitFor('a live status after a trade', () => statuses.some((s) => !s.msg.stale && s.msg.last_message_ms !== null), 30_000);
  expect(statuses[0]?.msg).toMatchObject({ exchange: 'coinbase', symbol: SYMBOL, threshold_ms: STALE_MS, interval_ms: 500 });
  await waitFor('risk approves an order on the live symbol', async () => (await checkOrder('live')).decision === 'APPROVED', 30_000);
  expect(await readyDetail(risk!)).toEqual({ ok: true, detail: '1 symbols with live feeds' });

  const transitions = async (to: string): Promise<number> =>
    metricValue(await (await fetch(`${ps!.httpUrl}/metrics`)).text(), 'cte_feed_stale_transitions_total', { exchange: 'coinbase', symbol: SYMBOL, to });
  const [toStale, toLive] = [await transitions('stale'), await transitions('live')];

  // Stall: the socket stays open, the venue keeps trading, nothing arrives.
  await feeder!.stop();
  feeder = undefined;
  run.emu.stall('coinbase', 3_600_000);
  const stalledAt = Date.now();
  expect(await oneTrade()).toBe(true);
  const stale = await waitFor('a stale status', () => statuses.find((s) => s.msg.stale && s.at >= stalledAt), STALE_MS + MARGIN_MS);
  expect(stale.msg).toMatchObject({ exchange: 'coinbase', symbol: SYMBOL, stale: true });
  // Not before its threshold: the status says how long the feed had been silent.
  expect(stale.msg.age_ms).toBeGreaterThan(STALE_MS);
  expect((await readyDetail(ps!))?.error).toMatch(/^stale: coinbase SKL\/USD \(\d+ s\)/);
  await waitFor('risk names the stale symbol in /ready', async () => /^stale, orders rejected: SKL\/USD \(coinbase, \d+ s\)/.test((await readyDetail(risk!))?.detail ?? ''), MARGIN_MS);
  expect(await checkOrder('stale')).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
  expect(await transitions('stale')).toBe(toStale + 1);
  expect(metricValue(await (await fetch(`${risk!.httpUrl}/metrics`)).text(), 'cte_risk_symbol_stale_info', { symbol: SYMBOL })).toBe(1);

  // Data resumes: live again on the bus, in risk, and orders pass.
  run.emu.faults.clear('coinbase');
  feeder = startFeeder();
  const live = await waitFor('a live status after the stall', () => statuses.find((s) => !s.msg.stale && s.msg.ts > stale.msg.ts), STALE_MS + MARGIN_MS);
  expect(live.msg.last_message_ms).toBeGreaterThan(stalledAt);
  await waitFor('risk sees the feed live', async () => (await readyDetail(risk!))?.detail === '1 symbols with live feeds', MARGIN_MS);
  expect(await checkOrder('resumed')).toMatchObject({ decision: 'APPROVED' });
  expect(await transitions('live')).toBe(toLive + 1);
  expect(await readyDetail(ps!)).toEqual({ ok: true, detail: '1 feeds live' });
}, 120_000);
