/**
 * Bundled bars as a replay source (VENUE_EMULATOR_BARS), seen through unmodified ccxt on each
 * venue: the market is listed, fetchOHLCV at the bar timeframe gives the source bars back,
 * watchTrades delivers trades that are all in the past with REBASE=end, and a non-looping replay
 * reports when it is done.
 */
import path from 'node:path';
import type { Bar } from '@cte/shared';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { parseBarsItem } from '../adapters/bars';
import type { VenueId } from '../engine/types';
import { client, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { pumpUntil } from './helpers/pump';

const CSV = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const HOUR = 3_600_000;
const START = Date.parse('2019-10-14T00:00:00Z');
const END = Date.parse('2019-10-15T23:59:59Z');
const SYMBOL: Record<VenueId, string> = { binanceus: 'BTC/USDT', coinbase: 'BTC/USD', kucoin: 'BTC/USDT' };
const VENUES: VenueId[] = ['binanceus', 'coinbase', 'kucoin'];

/** The source bars of the window, as price-stream's reader gives them. */
function sourceBars(): Bar[] {
  const data = readAnyFile(CSV, { symbol: 'BTC/USD', exchange: 'coinbase' });
  if (data.kind !== 'bars') throw new Error('expected bars');
  return data.bars.filter((b) => b.openTime >= START && b.openTime <= END).sort((a, b) => a.openTime - b.openTime);
}

let run: RunningEmulator;
const opened: CcxtExchange[] = [];

afterEach(async () => {
  for (const ex of opened.splice(0)) await ex.close();
  await run.close();
});

async function ccxtFor(venue: VenueId): Promise<CcxtExchange> {
  const ex = client(venue, run.ports[venue]);
  opened.push(ex);
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  return ex;
}

const statusOf = (venue: VenueId): NonNullable<ReturnType<RunningEmulator['emu']['info']>[number]>['replay'] => {
  const v = run.emu.info().find((i) => i.venue === venue);
  if (!v) throw new Error(`${venue} not served`);
  return v.replay;
};

describe.each(VENUES)('%s', (venue) => {
  const symbol = SYMBOL[venue];

  beforeEach(async () => {
    run = await startEmulator({
      venues: [venue],
      useCaptures: false,
      bars: [parseBarsItem(`${venue}:${symbol}=${CSV}`)],
      barsWindow: { startMs: START, endMs: END },
      rebase: 'end',
      loop: false,
    });
  });

  it('lists only the bar market (captures off), with sensible precision and limits', async () => {
    const ex = await ccxtFor(venue);
    expect(Object.keys(ex.markets ?? {})).toEqual([symbol]);
    const m = ex.market(symbol);
    expect(m.spot).toBe(true);
    expect(m.active).not.toBe(false);
    expect(m.precision.price).toBeGreaterThan(0);
    expect(m.precision.amount).toBeGreaterThan(0);
    expect(run.emu.info().find((i) => i.venue === venue)?.bar_markets).toEqual([symbol]);
  });

  it('fetchOHLCV at 1h gives the source bars back, moved whole hours into the past', async () => {
    const ex = await ccxtFor(venue);
    const src = sourceBars();
    expect(src).toHaveLength(48);
    run.emu.step(venue, 1_000_000);
    const st = statusOf(venue);
    const first = st.first_event_ts as number;
    const offset = first - (src[0] as Bar).openTime;
    expect(offset % HOUR).toBe(0);
    expect(st.last_event_ts as number).toBeLessThanOrEqual(Date.now());
    const bars = await ex.fetchOHLCV(symbol, '1h', first, 48);
    expect(bars).toEqual(src.map((b) => [b.openTime + offset, b.open, b.high, b.low, b.close, b.volume]));
  });

  it('watchTrades with REBASE=end delivers the replayed trades, every timestamp in the past', async () => {
    const ex = await ccxtFor(venue);
    const seen = new Map<string, { timestamp: number; price: number }>();
    for (let i = 0; i < 5; i++) {
      const trades = await pumpUntil(run, venue, ex.watchTrades(symbol));
      for (const t of trades) seen.set(String(t.timestamp) + ':' + String(t.price), { timestamp: t.timestamp as number, price: t.price as number });
    }
    expect(seen.size).toBeGreaterThan(1);
    const now = Date.now();
    const replayed = run.emu.venue(venue)?.state.market(symbol)?.trades ?? [];
    for (const t of seen.values()) {
      expect(t.timestamp).toBeLessThanOrEqual(now);
      expect(replayed.some((r) => r.ts === t.timestamp && Number(r.price) === t.price)).toBe(true);
    }
  });

  it('reports replay.done once a non-looping replay has replayed everything', () => {
    const before = statusOf(venue);
    expect(before).toMatchObject({ done: false, loop: false, replayed: 0, events: 48 * 4 * 2 });
    run.emu.step(venue, 1_000_000);
    expect(statusOf(venue)).toMatchObject({ done: true, replayed: 48 * 4 * 2, next_event_ts: null });
  });
});

describe('captures under REBASE=end', () => {
  it('end at the emulator start: every captured event is in the past, in the captured order', async () => {
    const before = Date.now();
    run = await startEmulator({ venues: ['kucoin'], rebase: 'end' });
    const st = statusOf('kucoin');
    expect(st.last_event_ts as number).toBeGreaterThanOrEqual(before);
    expect(st.last_event_ts as number).toBeLessThanOrEqual(Date.now());
    expect(st.first_event_ts as number).toBeLessThan(st.last_event_ts as number);
    expect(run.emu.start).toBe(st.first_event_ts);
    const events = run.emu.step('kucoin', 1_000_000);
    expect(events).toBe(st.events);
    const m = run.emu.venue('kucoin')!.state.market('DAPPT/BTC')!;
    expect(m.trades.length).toBeGreaterThan(0);
    expect(m.trades.every((t, i) => t.ts <= (st.last_event_ts as number) && (i === 0 || t.ts >= m.trades[i - 1]!.ts))).toBe(true);
  });
});
