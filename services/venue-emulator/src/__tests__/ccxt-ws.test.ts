/**
 * ccxt.pro (unmodified, URLs only on 127.0.0.1) watching the emulator's WebSocket feeds:
 * watchTrades, watchOrderBook, watchTicker and watchOHLCV on each venue. Values are checked
 * against the emulator's own state, which the replayed capture built.
 */
import type { VenueId } from '../engine/types';
import { client, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { pumpUntil } from './helpers/pump';

const SYMBOL: Record<VenueId, string> = { binanceus: 'OMG/BUSD', coinbase: 'SKL/USD', kucoin: 'DAPPT/BTC' };
const VENUES: VenueId[] = ['binanceus', 'coinbase', 'kucoin'];

let run: RunningEmulator;
const opened: CcxtExchange[] = [];

beforeEach(async () => {
  run = await startEmulator();
});

afterEach(async () => {
  for (const ex of opened.splice(0)) await ex.close();
  await run.close();
});

async function ccxtFor(venue: VenueId): Promise<CcxtExchange> {
  const ex = client(venue, run.ports[venue]);
  opened.push(ex);
  // ccxt needs an http agent for non-TLS ws:// URLs (wss:// to a real venue needs none).
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  // Part of the capture first, so books and tickers exist when the subscription's snapshot is sent.
  // (Binance.US's session is short: 50 events build the books and leave its trades to come.)
  run.emu.step(venue, venue === 'binanceus' ? 50 : 300);
  return ex;
}

describe.each(VENUES)('%s', (venue) => {
  const symbol = SYMBOL[venue];

  it('watchTrades delivers the replayed trades with their ids, prices and sides', async () => {
    const ex = await ccxtFor(venue);
    const trades = await pumpUntil(run, venue, ex.watchTrades(symbol));
    expect(trades.length).toBeGreaterThan(0);
    const replayed = run.emu.venue(venue)?.state.market(symbol)?.trades ?? [];
    const last = trades[trades.length - 1];
    const match = replayed.find((t) => String(t.id) === last?.id || (venue === 'kucoin' && t.ts === last?.timestamp && Number(t.price) === last?.price));
    if (!match) throw new Error(`no replayed trade like ${JSON.stringify({ ...last, info: undefined })}; replayed ${JSON.stringify(replayed.slice(-3))}`);
    expect(last?.symbol).toBe(symbol);
    expect(last?.price).toBe(Number(match?.price));
    expect(last?.amount).toBe(Number(match?.size));
    expect(last?.side).toBe(match?.side);
    expect(last?.timestamp).toBe(match?.ts);
  });

  it('watchOrderBook syncs with the REST snapshot and equals the emulator book', async () => {
    const ex = await ccxtFor(venue);
    let book = await pumpUntil(run, venue, ex.watchOrderBook(symbol));
    // A few more updates through the synchronised book.
    for (let i = 0; i < 3; i++) book = await pumpUntil(run, venue, ex.watchOrderBook(symbol));
    const mine = run.emu.venue(venue)?.state.market(symbol)?.book.snapshot();
    const asNumbers = (ls: readonly (readonly [string, string])[]): number[][] => ls.map(([p, s]) => [Number(p), Number(s)]);
    expect(book.bids.map((l) => [l[0], l[1]])).toEqual(asNumbers(mine?.bids ?? []).slice(0, book.bids.length));
    expect(book.asks.map((l) => [l[0], l[1]])).toEqual(asNumbers(mine?.asks ?? []).slice(0, book.asks.length));
    expect(book.bids.length).toBeGreaterThan(0);
    expect(book.asks.length).toBeGreaterThan(0);
    if (venue !== 'coinbase') expect(book.nonce).toBe(mine?.sequence);
  });

  it('watchTicker reports the last trade price and the best bid and ask', async () => {
    const ex = await ccxtFor(venue);
    const ticker = await pumpUntil(run, venue, ex.watchTicker(symbol));
    const t = run.emu.venue(venue)?.state.market(symbol)?.ticker();
    expect(ticker.symbol).toBe(symbol);
    expect(ticker.last).toBe(Number(t?.last));
    if (venue !== 'binanceus') {
      expect(ticker.bid).toBe(Number(t?.bestBid?.[0]));
      expect(ticker.ask).toBe(Number(t?.bestAsk?.[0]));
    }
  });

  it('watchOHLCV streams the current bar built from the replayed trades', async () => {
    const ex = await ccxtFor(venue);
    if (venue === 'coinbase') {
      // ccxt has no watchOHLCV for Coinbase Advanced Trade (the candles channel is tested on the raw socket).
      expect(ex.has['watchOHLCV']).toBe(false);
      return;
    }
    const bars = await pumpUntil(run, venue, ex.watchOHLCV(symbol, '1m'));
    const last = bars[bars.length - 1] as number[];
    const m = run.emu.venue(venue)?.state.market(symbol);
    const mine = m?.candles(60_000).find((c) => c.start === last[0]);
    expect(mine).toBeDefined();
    expect(last.slice(1, 6)).toEqual([mine?.open, mine?.high, mine?.low, mine?.close, mine?.volume].map(Number));
  });
});
