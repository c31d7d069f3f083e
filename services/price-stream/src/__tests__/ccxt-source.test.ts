/**
 * MARKET_SOURCE=ccxt against the venue emulator (in this process, every venue on 127.0.0.1, replay
 * stepped by hand): unmodified ccxt.pro → CcxtSource → MarketDataEngine. Bars are compared with
 * bars folded independently from the trades the emulator replayed from the capture.
 */
import { createLogger, type Bar, type Tick } from '@cte/shared';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { VenueId } from '../../../venue-emulator/src/engine/types';
import type { LiveConfig } from '../config';
import { MarketDataEngine } from '../engine/market-data-engine';
import { CcxtSource, type DropReason, type LiveFeedEvents } from '../adapters/sources/ccxt-source';

const logger = createLogger({ service: 'price-stream', level: 'fatal' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let run: RunningEmulator;
const sources: CcxtSource[] = [];

beforeEach(async () => {
  run = await startEmulator();
});
afterEach(async () => {
  for (const s of sources.splice(0)) s.stop();
  await sleep(20);
  await run.close();
});

class Counts implements LiveFeedEvents {
  accepted_ = 0;
  reconnects = 0;
  backfilledTrades = 0;
  readonly drops = new Map<string, number>();
  accepted(): void {
    this.accepted_++;
  }
  dropped(_e: string, symbol: string, reason: DropReason): void {
    const k = `${symbol}:${reason}`;
    this.drops.set(k, (this.drops.get(k) ?? 0) + 1);
  }
  reconnected(): void {
    this.reconnects++;
  }
  backfilled(_e: string, _s: string, n: number): void {
    this.backfilledTrades += n;
  }
  dropCount(reason: DropReason): number {
    let n = 0;
    for (const [k, v] of this.drops) if (k.endsWith(`:${reason}`)) n += v;
    return n;
  }
}

interface Harness {
  source: CcxtSource;
  engine: MarketDataEngine;
  counts: Counts;
  closed: Bar[];
  ticks: Tick[];
  done: Promise<void>;
}

/**
 * The emulator's replay clock: capture time runs ahead of the wall clock when stepped by hand. The
 * emulator records a trade before it sends it, so its newest trade is never behind what ccxt delivers.
 */
function replayClock(venue: VenueId, venueSymbol: string): () => number {
  return () => Math.max(Date.now(), run.emu.venue(venue)?.state.market(venueSymbol)?.trades.at(-1)?.ts ?? 0);
}

async function startLive(venue: VenueId, venueSymbol: string, fleetSymbol: string, opts: { staleMs?: number; clock?: () => number } = {}): Promise<Harness> {
  const live: LiveConfig = {
    exchanges: [{ id: venue, symbols: [{ venue: venueSymbol, symbol: fleetSymbol }], symbolsVar: `SYMBOLS_${venue.toUpperCase()}`, baseUrl: `http://127.0.0.1:${run.ports[venue]}` }],
    staleMs: opts.staleMs ?? 60_000,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
  };
  const counts = new Counts();
  const source = new CcxtSource({ live, logger, events: counts, ...(opts.clock ? { clock: opts.clock } : {}) });
  sources.push(source);
  assertLocalOnly(source, venue);
  await source.connect();
  const engine = new MarketDataEngine(['1m']);
  const closed: Bar[] = [];
  const ticks: Tick[] = [];
  const done = source.run((t) => {
    ticks.push(t);
    closed.push(...engine.onTick(t).bars);
  });
  await sleep(50); // the subscription is sent
  return { source, engine, counts, closed, ticks, done };
}

function assertLocalOnly(source: CcxtSource, venue: VenueId): void {
  const urls: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && /^[a-z]+:\/\//.test(v)) urls.push(v);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
  };
  walk(source.client(venue)?.urls['api']);
  expect(urls.length).toBeGreaterThan(0);
  expect(urls.filter((u) => !/^(http|ws):\/\/127\.0\.0\.1:\d+(\/|$)/.test(u))).toEqual([]);
}

/** Replays `events` events (all when undefined) one at a time, letting sockets flush between them. */
async function pump(venue: VenueId, events = Infinity, shouldStop: () => boolean = () => false): Promise<number> {
  let n = 0;
  while (n < events && !shouldStop()) {
    if (run.emu.step(venue, 1) === 0) break;
    n++;
    await new Promise((r) => (n % 50 === 0 ? setTimeout(r, 1) : setImmediate(r)));
  }
  return n;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** 1-minute bars folded directly from the emulator's replayed trades (strings from the capture). */
function independentBars(venue: VenueId, venueSymbol: string): Array<Pick<Bar, 'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'trades'>> {
  const trades = run.emu.venue(venue)?.state.market(venueSymbol)?.trades ?? [];
  const bars = new Map<number, { openTime: number; open: number; high: number; low: number; close: number; volume: number; trades: number }>();
  for (const t of trades) {
    const price = Number(t.price);
    const size = Number(t.size);
    const openTime = Math.floor(t.ts / 60_000) * 60_000;
    const b = bars.get(openTime);
    if (!b) bars.set(openTime, { openTime, open: price, high: price, low: price, close: price, volume: size, trades: 1 });
    else {
      b.high = Math.max(b.high, price);
      b.low = Math.min(b.low, price);
      b.close = price;
      b.volume += size;
      b.trades++;
    }
  }
  return [...bars.values()].sort((a, b) => a.openTime - b.openTime);
}

function missing(h: Harness): string {
  const got = new Set(h.ticks.map((t) => t.tradeId));
  const all = run.emu.venue('binanceus')?.state.market('XRP/ETH')?.trades ?? [];
  return JSON.stringify(all.map((t, i) => ({ i, id: String(t.id) })).filter((t) => !got.has(t.id)).slice(0, 5));
}

function engineBars(h: Harness): Array<Pick<Bar, 'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'trades'>> {
  return [...h.closed, ...h.engine.aggregator.openBars()]
    .map(({ openTime, open, high, low, close, volume, trades }) => ({ openTime, open, high, low, close, volume, trades }))
    .sort((a, b) => a.openTime - b.openTime);
}

const round = <T extends { volume: number }>(bars: T[]): T[] => bars.map((b) => ({ ...b, volume: Number(b.volume.toFixed(9)) }));

describe('MARKET_SOURCE=ccxt against the venue emulator', () => {
  it('Binance.US XRP/ETH: bars from the live path equal bars folded independently from the replayed capture', async () => {
    const h = await startLive('binanceus', 'XRP/ETH', 'XRP/ETH', { clock: replayClock('binanceus', 'XRP/ETH') });
    await pump('binanceus');
    const replayed = run.emu.venue('binanceus')?.state.market('XRP/ETH')?.trades.length ?? 0;
    expect(replayed).toBeGreaterThan(10_000);
    await until(() => h.counts.accepted_ === replayed, 5000, `${replayed} trades accepted (have ${h.counts.accepted_})`);
    const mine = engineBars(h);
    expect(mine.length).toBeGreaterThan(100);
    expect(round(mine)).toEqual(round(independentBars('binanceus', 'XRP/ETH')));
    expect(h.ticks.every((t) => t.exchange === 'binanceus' && t.symbol === 'XRP/ETH')).toBe(true);
    expect(h.counts.dropCount('malformed') + h.counts.dropCount('out_of_range')).toBe(0);
  });

  it('files a venue market under its mapped fleet symbol (BCHSV/USDT listed by ccxt as BSV/USDT → BSV/USD)', async () => {
    const h = await startLive('kucoin', 'BSV/USDT', 'BSV/USD');
    await pump('kucoin');
    await until(() => h.ticks.length > 0, 3000, 'a KuCoin trade');
    expect(new Set(h.ticks.map((t) => `${t.exchange} ${t.symbol}`))).toEqual(new Set(['kucoin BSV/USD']));
  });

  it.each(['truncated', 'not_json', 'wrong_types'] as const)('Coinbase: %s frames are counted and dropped, never reach a bar, and the feed goes on', async (kind) => {
    const h = await startLive('coinbase', 'SKL/USD', 'SKL/USD');
    await pump('coinbase', Infinity, () => h.ticks.length >= 5);
    await until(() => h.ticks.length >= 5, 3000, 'five trades');
    const before = h.ticks.length;
    const dropsBefore = h.counts.dropCount('malformed');
    expect(run.emu.malformed('coinbase', kind, 3)).toBe(3);
    await until(() => h.counts.dropCount('malformed') >= dropsBefore + 3, 3000, `three ${kind} frames counted (have ${h.counts.dropCount('malformed') - dropsBefore})`);
    expect(h.ticks.length).toBe(before);
    expect(h.ticks.every((t) => Number.isFinite(t.price) && t.price > 0 && Number.isFinite(t.qty))).toBe(true);
    await pump('coinbase');
    await until(() => h.ticks.length > before, 3000, 'trades after the malformed frames');
    expect(h.counts.reconnects).toBe(0);
    expect(round(engineBars(h))).toEqual(round(independentBars('coinbase', 'SKL/USD')));
  });

  it('reports a stalled feed as stale within its threshold, and clears when data resumes', async () => {
    const staleMs = 300;
    const h = await startLive('coinbase', 'SKL/USD', 'SKL/USD', { staleMs });
    await pump('coinbase', Infinity, () => h.ticks.length >= 3);
    await until(() => h.ticks.length >= 3, 3000, 'three trades');
    expect(h.source.readiness()).toBe('1 feeds live');
    run.emu.stall('coinbase', 1500);
    const stalledAt = Date.now();
    // Replay goes on but the stalled socket sends nothing.
    const feeding = pump('coinbase', 200);
    let staleAfter = 0;
    await until(() => {
      try {
        h.source.readiness();
        return false;
      } catch (err) {
        staleAfter = Date.now() - stalledAt;
        return /stale: coinbase SKL\/USD/.test((err as Error).message);
      }
    }, 3000, 'the feed reported stale');
    await feeding;
    // Not stale before the threshold. No upper bound asserted (a latency): the wait above is the liveness check.
    expect(staleAfter).toBeGreaterThan(staleMs - 50);
    expect(h.source.staleFeeds().map((f) => f.symbol)).toEqual(['SKL/USD']);
    await sleep(1600 - (Date.now() - stalledAt));
    const before = h.ticks.length;
    await pump('coinbase', Infinity, () => h.ticks.length > before);
    await until(() => h.ticks.length > before, 3000, 'trades after the stall');
    expect(h.source.readiness()).toBe('1 feeds live');
    expect(h.source.staleFeeds()).toEqual([]);
  });

  it('reconnects after a forced drop, backfills the gap over REST, and ends with the bars of an undisturbed run', async () => {
    const h = await startLive('binanceus', 'XRP/ETH', 'XRP/ETH', { clock: replayClock('binanceus', 'XRP/ETH') });
    await pump('binanceus', 3000);
    await until(() => h.counts.accepted_ > 100, 3000, 'trades before the drop');
    expect(run.emu.drop('binanceus', 'reset')).toBe(1);
    // Trades replayed while the socket is down reach the stream of no one: only the backfill recovers them.
    await pump('binanceus', 200);
    await until(() => h.counts.reconnects >= 1, 3000, 'a reconnect');
    await until(() => run.emu.info().find((i) => i.venue === 'binanceus')?.connections === 1, 3000, 'the new socket');
    await pump('binanceus');
    const replayed = run.emu.venue('binanceus')?.state.market('XRP/ETH')?.trades.length ?? 0;
    await until(() => h.counts.accepted_ === replayed, 5000, `${replayed} trades accepted (have ${h.counts.accepted_}; ${JSON.stringify([...h.counts.drops])} r=${h.counts.reconnects} b=${h.counts.backfilledTrades}) missing ${missing(h)}`);
    // Trades replayed while the socket was down came back over REST (without them the bars differ).
    expect(h.counts.backfilledTrades).toBeGreaterThan(0);
    expect(round(engineBars(h))).toEqual(round(independentBars('binanceus', 'XRP/ETH')));
  });
});
