/**
 * Synthetic markets (VENUE_EMULATOR_SYNTHETIC_MARKETS) through unmodified ccxt on each venue:
 * listed by loadMarkets next to the captured ones, and live on WebSocket like any market, one
 * market at a time and many on one connection.
 */
import type { VenueId } from '../engine/types';
import { client, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { pumpUntil } from './helpers/pump';
import { RawClient } from './helpers/raw-ws';

const VENUES: VenueId[] = ['binanceus', 'coinbase', 'kucoin'];
const QUOTE: Record<VenueId, string> = { binanceus: 'USDT', coinbase: 'USD', kucoin: 'USDT' };
const SYNTHETIC = /^S\d{4}\//;

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

describe.each(VENUES)('%s', (venue) => {
  const name = (n: number): string => `S${String(n).padStart(4, '0')}/${QUOTE[venue]}`;

  it('lists N synthetic markets next to the captured ones, and serves their trades and book', async () => {
    run = await startEmulator({ venues: [venue], syntheticMarkets: 6, loop: true });
    const ex = await ccxtFor(venue);
    const symbols = Object.keys(ex.markets ?? {});
    const synthetic = symbols.filter((s) => SYNTHETIC.test(s)).sort();
    expect(synthetic).toEqual([1, 2, 3, 4, 5, 6].map(name));
    expect(symbols.length - synthetic.length).toBe(run.emu.info()[0]!.markets.length - 6);
    // Books first, so each subscription's snapshot has levels.
    run.emu.step(venue, venue === 'binanceus' ? 200 : 1000);
    const state = run.emu.venue(venue)!.state;
    for (const symbol of [name(1), name(2), name(3)]) {
      const trades = await pumpUntil(run, venue, ex.watchTrades(symbol), 200_000);
      expect(trades.length).toBeGreaterThan(0);
      const last = trades[trades.length - 1]!;
      expect(last.symbol).toBe(symbol);
      const mine = state.market(symbol)!.trades;
      expect(mine.some((t) => t.ts === last.timestamp && Number(t.price) === last.price && Number(t.size) === last.amount)).toBe(true);
    }
    const symbol = name(4);
    let book = await pumpUntil(run, venue, ex.watchOrderBook(symbol), 200_000);
    book = await pumpUntil(run, venue, ex.watchOrderBook(symbol), 200_000);
    const snap = state.market(symbol)!.book.snapshot();
    expect(book.bids.length).toBeGreaterThan(0);
    expect(book.bids.map((l) => [l[0], l[1]])).toEqual(snap.bids.slice(0, book.bids.length).map(([p, s]) => [Number(p), Number(s)]));
  });

  it('lists 340 extra markets and carries many subscriptions on one connection', async () => {
    run = await startEmulator({ venues: [venue], syntheticMarkets: 340, loop: true });
    const ex = await ccxtFor(venue);
    expect(Object.keys(ex.markets ?? {}).filter((s) => SYNTHETIC.test(s))).toHaveLength(340);
    run.emu.step(venue, 2000);
    const symbols = Array.from({ length: 100 }, (_, i) => name(i + 1));
    const trades = await pumpUntil(run, venue, ex.watchTradesForSymbols(symbols), 400_000);
    expect(trades.length).toBeGreaterThan(0);
    expect(symbols).toContain(trades[0]!.symbol);
    expect(run.emu.venue(venue)!.server.connections).toBe(1);
  });
});

describe('KuCoin subscribe limits', () => {
  it('takes 100 comma-joined markets in one subscribe and refuses 101, as KuCoin does', async () => {
    run = await startEmulator({ venues: ['kucoin'], syntheticMarkets: 101 });
    const r = await RawClient.open(`ws://127.0.0.1:${run.ports.kucoin}/endpoint?token=emulator-public-x`);
    try {
      const ids = (n: number): string => Array.from({ length: n }, (_, i) => `S${String(i + 1).padStart(4, '0')}-USDT`).join(',');
      r.send({ id: 'a', type: 'subscribe', topic: `/market/match:${ids(100)}`, response: true });
      r.send({ id: 'b', type: 'subscribe', topic: `/market/match:${ids(101)}`, response: true });
      await r.until(() => r.frames.length >= 3, 3000, 'welcome, ack and error');
      expect(r.json().slice(1)).toEqual([
        { id: 'a', type: 'ack' },
        { id: 'b', type: 'error', code: 509, data: 'exceed max subscription count limitation of 100 per time' },
      ]);
    } finally {
      r.close();
    }
  });
});
