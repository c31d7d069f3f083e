/**
 * Reconnect repair against the venue emulator (in this process, every venue on 127.0.0.1, replay
 * stepped by hand), for each of the three venues: unmodified ccxt.pro → CcxtSource →
 * MarketDataEngine, with a forced socket reset in the middle. Bars (1m and 5m) are compared with
 * bars folded independently from the trades the emulator replayed from its capture.
 *
 * Already covered in ccxt-source.test.ts, not repeated here: Binance.US XRP/ETH live bars equal
 * the capture's, and a short Binance.US outage repaired from REST trades; Coinbase SKL/USD live
 * bars equal the capture's (with malformed frames in between).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type Bar, type Tick, type Timeframe } from '@cte/shared';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { VenueId } from '../../../venue-emulator/src/engine/types';
import type { LiveConfig } from '../config';
import { MarketDataEngine } from '../engine/market-data-engine';
import { CcxtSource, type DropReason, type LiveFeedEvents } from '../adapters/sources/ccxt-source';
import { SHARED_DATA_DIR } from './helpers/shared-data';

const logger = createLogger({ service: 'price-stream', level: 'fatal' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TIMEFRAMES: Timeframe[] = ['1m', '5m'];
const PERIOD: Record<string, number> = { '1m': 60_000, '5m': 300_000 };

let run: RunningEmulator;
const sources: CcxtSource[] = [];

afterEach(async () => {
  for (const s of sources.splice(0)) s.stop();
  await sleep(20);
  await run.close();
});

class Counts implements LiveFeedEvents {
  accepted_ = 0;
  reconnects = 0;
  backfilledTrades = 0;
  backfilledBars_ = 0;
  readonly drops = new Map<DropReason, number>();
  accepted(): void {
    this.accepted_++;
  }
  dropped(_e: string, _s: string, reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
  reconnected(): void {
    this.reconnects++;
  }
  backfilled(_e: string, _s: string, n: number): void {
    this.backfilledTrades += n;
  }
  backfilledBars(_e: string, _s: string, n: number): void {
    this.backfilledBars_ += n;
  }
}

interface Harness {
  venue: VenueId;
  venueSymbol: string;
  engine: MarketDataEngine;
  counts: Counts;
  closed: Bar[];
  ticks: Tick[];
}

const trades = (venue: VenueId, venueSymbol: string) => run.emu.venue(venue)?.state.market(venueSymbol)?.trades ?? [];

async function startLive(venue: VenueId, venueSymbol: string, opts: { restPageLimit?: number } = {}): Promise<Harness> {
  const live: LiveConfig = {
    exchanges: [{ id: venue, symbols: [{ venue: venueSymbol, symbol: venueSymbol }], symbolsVar: `SYMBOLS_${venue.toUpperCase()}`, baseUrl: `http://127.0.0.1:${run.ports[venue]}` }],
    staleMs: 60_000,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
  };
  const counts = new Counts();
  // The emulator's replay clock: capture time runs ahead of the wall clock when stepped by hand.
  const clock = (): number => Math.max(Date.now(), trades(venue, venueSymbol).at(-1)?.ts ?? 0);
  const source = new CcxtSource({ live, logger, events: counts, clock, ...(opts.restPageLimit ? { restPageLimit: opts.restPageLimit } : {}) });
  sources.push(source);
  await source.connect();
  const engine = new MarketDataEngine(TIMEFRAMES);
  const h: Harness = { venue, venueSymbol, engine, counts, closed: [], ticks: [] };
  void source.run((t) => {
    h.ticks.push(t);
    h.closed.push(...engine.onTick(t).bars);
  });
  await until(() => run.emu.info().find((i) => i.venue === venue)?.connections === 1, 3000, 'the socket');
  await sleep(50); // the subscription is sent
  return h;
}

/** Replays events one at a time (yielding so sockets flush) until `trades` more trades of the market were replayed, or `events` events. */
async function pump(h: Harness, opts: { trades?: number; events?: number }): Promise<void> {
  const target = trades(h.venue, h.venueSymbol).length + (opts.trades ?? Infinity);
  for (let n = 0; n < (opts.events ?? Infinity) && trades(h.venue, h.venueSymbol).length < target; n++) {
    if (run.emu.step(h.venue, 1) === 0) break;
    await new Promise((r) => (n % 50 === 49 ? setTimeout(r, 1) : setImmediate(r)));
  }
}

/**
 * Waits until every replayed trade of the market was accepted, replaying one more event now and
 * then: ccxt hands over a trade that arrived while the feed was busy only with the next message.
 */
async function catchUp(h: Harness): Promise<void> {
  const end = Date.now() + 10_000;
  for (let i = 1; h.counts.accepted_ !== trades(h.venue, h.venueSymbol).length; i++) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${trades(h.venue, h.venueSymbol).length} trades accepted (have ${h.counts.accepted_})`);
    await sleep(10);
    if (i % 20 === 0) run.emu.step(h.venue, 1);
  }
}

/** Replays without yielding: nothing reaches any socket until it returns. Returns the trades replayed. */
function replayWhileDown(h: Harness, tradeCount: number): number {
  const before = trades(h.venue, h.venueSymbol).length;
  while (trades(h.venue, h.venueSymbol).length < before + tradeCount) if (run.emu.step(h.venue, 1) === 0) break;
  return trades(h.venue, h.venueSymbol).length - before;
}

async function until(cond: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(10);
  }
}

type Shape = Pick<Bar, 'timeframe' | 'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'trades'>;

/** Bars folded directly from the emulator's replayed trades (decimal strings from the capture). */
function independentBars(h: Harness): Shape[] {
  const out: Shape[] = [];
  for (const tf of TIMEFRAMES) {
    const p = PERIOD[tf]!;
    const bars = new Map<number, Shape>();
    for (const t of trades(h.venue, h.venueSymbol)) {
      const price = Number(t.price);
      const size = Number(t.size);
      const openTime = Math.floor(t.ts / p) * p;
      const b = bars.get(openTime);
      if (!b) bars.set(openTime, { timeframe: tf, openTime, open: price, high: price, low: price, close: price, volume: size, trades: 1 });
      else {
        b.high = Math.max(b.high, price);
        b.low = Math.min(b.low, price);
        b.close = price;
        b.volume += size;
        b.trades++;
      }
    }
    out.push(...bars.values());
  }
  return sortShapes(out);
}

function engineBars(h: Harness): Shape[] {
  return sortShapes([...h.closed, ...h.engine.aggregator.openBars()].map(({ timeframe, openTime, open, high, low, close, volume, trades: n }) => ({ timeframe, openTime, open, high, low, close, volume, trades: n })));
}

const sortShapes = (bars: Shape[]): Shape[] => bars.sort((a, b) => a.timeframe.localeCompare(b.timeframe) || a.openTime - b.openTime);
const ohlcv = (bars: Shape[]) => bars.map(({ trades: _n, ...b }) => ({ ...b, volume: Number(b.volume.toFixed(9)) }));

/** Minutes that got synthetic candle points (no trade id) — the only ones whose trade count may differ. */
function filledMinutes(h: Harness): Set<number> {
  return new Set(h.ticks.filter((t) => t.tradeId === undefined).map((t) => Math.floor(t.ts / 60_000) * 60_000));
}

function overlaps(bar: Shape, minutes: Set<number>): boolean {
  for (const m of minutes) if (m >= bar.openTime && m < bar.openTime + PERIOD[bar.timeframe]!) return true;
  return false;
}

/**
 * Waits for the engine to catch up with the replay, replaying one more event now and then: ccxt
 * hands over trades it has buffered only with the next message, and a minute waiting for its
 * candle is filled once a later trade shows the venue has moved past it.
 */
async function expectSameBars(h: Harness): Promise<void> {
  const same = (): boolean => JSON.stringify(ohlcv(engineBars(h))) === JSON.stringify(ohlcv(independentBars(h)));
  const end = Date.now() + 15_000;
  for (let i = 1; !same(); i++) {
    if (Date.now() > end) throw new Error(`timed out waiting for equal bars (counts ${JSON.stringify({ ...h.counts, drops: [...h.counts.drops] })})`);
    await sleep(10);
    if (i % 5 === 0) run.emu.step(h.venue, 1);
  }
  const mine = engineBars(h);
  const want = independentBars(h);
  expect(ohlcv(mine)).toEqual(ohlcv(want));
  const filled = filledMinutes(h);
  expect(mine.filter((b) => !overlaps(b, filled)).map((b) => [b.timeframe, b.openTime, b.trades])).toEqual(want.filter((b) => !overlaps(b, filled)).map((b) => [b.timeframe, b.openTime, b.trades]));
}

/** Drops the venue's sockets, replays `gap` trades while no socket is up, and lets the feed reconnect. */
async function outage(h: Harness, gap: number): Promise<{ from: number; to: number }> {
  const from = trades(h.venue, h.venueSymbol).at(-1)!.ts;
  expect(run.emu.drop(h.venue, 'reset')).toBe(1);
  expect(replayWhileDown(h, gap)).toBe(gap);
  const to = trades(h.venue, h.venueSymbol).at(-1)!.ts;
  await until(() => h.counts.reconnects >= 1, 3000, 'a reconnect');
  await until(() => run.emu.info().find((i) => i.venue === h.venue)?.connections === 1, 3000, 'the new socket');
  await sleep(100); // the new subscription is sent
  return { from, to };
}

describe('live bars equal the capture (KuCoin; Binance.US and Coinbase are in ccxt-source.test.ts)', () => {
  it('KuCoin DAPPT/BTC over several laps: 1m and 5m bars equal bars folded from the replayed capture, which is the capture file', async () => {
    run = await startEmulator({ venues: ['kucoin'], loop: true });
    const h = await startLive('kucoin', 'DAPPT/BTC');
    await pump(h, { trades: 12 * 12 });
    await catchUp(h);
    const replayed = trades('kucoin', 'DAPPT/BTC');
    await expectSameBars(h);
    expect(new Set(engineBars(h).filter((b) => b.timeframe === '1m').map((b) => b.openTime)).size).toBeGreaterThan(2);
    expect(h.counts.backfilledBars_ + h.counts.backfilledTrades + h.counts.reconnects).toBe(0);
    expect(filledMinutes(h).size).toBe(0);
    // The replayed trades are the capture's /market/match messages for DAPPT-BTC, lap after lap.
    const capture = fs
      .readFileSync(path.join(SHARED_DATA_DIR, 'ws', 'KUCOIN.ws.1.0'), 'utf8')
      .split('\n')
      .map((line) => /"data":(\{"symbol":"DAPPT-BTC"[^}]*"type":"match"[^}]*\})/.exec(line)?.[1])
      .filter((x): x is string => x !== undefined)
      .map((x) => JSON.parse(x) as { price: string; size: string });
    expect(capture.length).toBe(12);
    expect(replayed.map((t) => `${t.price} ${t.size}`)).toEqual(replayed.map((_t, i) => `${capture[i % 12]!.price} ${capture[i % 12]!.size}`));
  });
});

describe('a forced disconnect in the middle gives the bars of an undisturbed run', () => {
  it.each([
    ['coinbase', 'SKL/USD', 30],
    ['kucoin', 'DAPPT/BTC', 40],
  ] as const)('%s %s: a gap of %i trades is recovered from REST trades, deduplicated by trade key, with no candle', async (venue, symbol, gap) => {
    run = await startEmulator({ venues: [venue], loop: true });
    const h = await startLive(venue, symbol);
    await pump(h, { trades: 60 });
    await catchUp(h);
    await outage(h, gap);
    await pump(h, { trades: 200 });
    await expectSameBars(h);
    expect(h.counts.backfilledTrades).toBeGreaterThanOrEqual(gap);
    expect(h.counts.backfilledBars_).toBe(0);
    expect(filledMinutes(h).size).toBe(0);
    // Every replayed trade reached the engine exactly once.
    expect(h.ticks.length).toBe(trades(venue, symbol).length);
    expect(new Set(h.ticks.map((t) => t.tradeId)).size).toBe(h.ticks.length);
  });

  it.each([
    // Binance.US XRP/ETH trades are ~17 s apart: 300 of them span about 85 minutes (and two aggTrades windows of an hour).
    ['binanceus', 'XRP/ETH', 300, 100],
    // Coinbase SKL/USD: 52 trades a 31 s lap; more than a page of trades in the gap.
    ['coinbase', 'SKL/USD', 160, 100],
    // KuCoin DAPPT/BTC: 12 trades a 31 s lap; its REST history is the latest 100 trades only.
    ['kucoin', 'DAPPT/BTC', 150, undefined],
  ] as const)('%s %s: a gap of %i trades beyond the REST trade history is filled from 1m candles', async (venue, symbol, gap, restPageLimit) => {
    run = await startEmulator({ venues: [venue], loop: venue !== 'binanceus' });
    const h = await startLive(venue, symbol, restPageLimit === undefined ? {} : { restPageLimit });
    await pump(h, { trades: 40 });
    await catchUp(h);
    const { from, to } = await outage(h, gap);
    await pump(h, { trades: 150 });
    await expectSameBars(h);
    const filled = [...filledMinutes(h)];
    expect(h.counts.backfilledBars_).toBeGreaterThan(0);
    expect(filled.length).toBe(h.counts.backfilledBars_);
    // Only minutes of the outage came from candles.
    expect(filled.every((m) => m >= Math.floor(from / 60_000) * 60_000 && m <= to)).toBe(true);
    // Trades of filled minutes never reached the engine besides their candle.
    expect(h.ticks.filter((t) => t.tradeId !== undefined && filled.includes(Math.floor(t.ts / 60_000) * 60_000) && t.ts > from)).toEqual([]);
  });
});
