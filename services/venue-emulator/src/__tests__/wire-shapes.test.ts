/**
 * Where ../shared/data holds a real capture in a current format, the emulator's output has exactly
 * its shape (keys and value types): Binance REST replies (exchange-messages/binance, LGPL, read in
 * place), Binance.US stream frames (ws/BINANCE_US.ws.1.0) and KuCoin's REST and WebSocket frames
 * (ws/KUCOIN.http.0.0, ws/KUCOIN.ws.1.0).
 */
import fs from 'node:fs';
import { sharedData } from '@cte/testkit';
import { shapeOf } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { RawClient } from './helpers/raw-ws';

const real = (name: string): unknown => JSON.parse(fs.readFileSync(sharedData('exchange-messages', 'binance', 'http_responses', `${name}.json`), 'utf8')) as unknown;

/** The first received frame in a cryptofeed capture for which `pick` returns something. */
function fromCapture(file: string, pick: (m: Record<string, unknown>) => unknown): unknown {
  for (const line of fs.readFileSync(sharedData('ws', file), 'utf8').split('\n')) {
    const colon = line.indexOf(': ');
    if (!/^\d/.test(line) && !line.includes(' -> ')) continue;
    try {
      const v = pick(JSON.parse(line.slice(colon + 2)) as Record<string, unknown>);
      if (v !== undefined) return v;
    } catch {
      continue;
    }
  }
  throw new Error(`nothing picked from ${file}`);
}

let run: RunningEmulator;
beforeAll(async () => {
  run = await startEmulator();
  run.emu.step(undefined, 100_000);
});
afterAll(() => run.close());

async function get(venue: 'binanceus' | 'kucoin', path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${run.ports[venue]}${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe('Binance REST replies have the shape of the real ones', () => {
  it.each([
    ['http_spot_market_agg_trades', '/api/v3/aggTrades?symbol=OMGBUSD&limit=5'],
    ['http_spot_market_trades', '/api/v3/trades?symbol=OMGBUSD&limit=5'],
    ['http_spot_market_depth', '/api/v3/depth?symbol=OMGBUSD&limit=5'],
    ['http_spot_market_klines', '/api/v3/klines?symbol=XRPETH&interval=1m&limit=5'],
    ['http_spot_market_ticker_price', '/api/v3/ticker/price?symbol=OMGBUSD'],
    ['http_spot_market_book_ticker', '/api/v3/ticker/bookTicker?symbol=OMGBUSD'],
    ['http_spot_market_time', '/api/v3/time'],
  ])('%s', async (file, path) => {
    expect(shapeOf(await get('binanceus', path))).toEqual(shapeOf(real(file)));
  });

  it('exchangeInfo: top level and symbol entries', async () => {
    const mine = (await get('binanceus', '/api/v3/exchangeInfo')) as { symbols: Record<string, unknown>[] };
    const theirs = real('http_spot_market_exchange_info') as { symbols: Record<string, unknown>[] };
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    const keys = (o: Record<string, unknown>): string[] => Object.keys(o).sort();
    // Newer Binance adds fields per symbol; every field the emulator sends is a real one with the real type.
    for (const k of keys(mine.symbols[0] as Record<string, unknown>)) {
      const real0 = theirs.symbols.find((s) => k in s);
      expect(real0).toBeDefined();
      if (k !== 'filters' && k !== 'orderTypes' && k !== 'permissions') expect([k, typeof (mine.symbols[0] as Record<string, unknown>)[k]]).toEqual([k, typeof real0?.[k]]);
    }
    const realFilters = new Map(theirs.symbols.flatMap((s) => s['filters'] as Record<string, unknown>[]).map((f) => [f['filterType'], shapeOf(f)]));
    for (const f of (mine.symbols[0] as { filters: Record<string, unknown>[] }).filters) expect(shapeOf(f)).toEqual(realFilters.get(f['filterType']));
  });
});

describe('Binance.US stream frames have the shape of the Binance.US capture', () => {
  it.each(['depthUpdate', 'aggTrade', 'kline', 'bookTicker'])('%s', async (kind) => {
    const stream = { depthUpdate: 'depth@100ms', aggTrade: 'aggTrade', kline: 'kline_1m', bookTicker: 'bookTicker' }[kind] as string;
    const full = (m: Record<string, unknown>): boolean => {
      const d = m['data'] as Record<string, unknown[]>;
      return kind !== 'depthUpdate' || ((d['a']?.length ?? 0) > 0 && (d['b']?.length ?? 0) > 0);
    };
    const captured = fromCapture('BINANCE_US.ws.1.0', (m) => (typeof m['stream'] === 'string' && m['stream'].endsWith(`@${stream}`) && full(m) ? m : undefined));
    const r = await RawClient.open(`ws://127.0.0.1:${run.ports.binanceus}/stream?streams=omgbusd@${stream}`);
    try {
      // A trade (for aggTrade/kline) or a book change (depth/bookTicker) on OMG/BUSD, replayed now.
      const m = run.emu.venue('binanceus')?.state.market('OMG/BUSD');
      const trade = m?.trades.at(-1);
      const server = run.emu.venue('binanceus')?.server;
      if (kind === 'aggTrade' || kind === 'kline') server?.publish({ kind: 'trade', market: m as never, trade: trade as never });
      else server?.publish({ kind: 'book', market: m as never, ts: 1, update: m?.book.apply([['13.7', '1']], [['13.9', '2']]) as never, snapshot: false });
      await r.until(() => r.frames.length > 0, 3000, kind);
      expect(shapeOf(JSON.parse(r.frames[0] as string))).toEqual(shapeOf(captured));
    } finally {
      r.close();
    }
  });
});

describe('KuCoin replies and frames have the shape of the KuCoin captures', () => {
  it('REST level2 snapshot', async () => {
    const captured = fromCapture('KUCOIN.http.0.0', (m) => m);
    expect(shapeOf(await get('kucoin', '/api/v3/market/orderbook/level2?symbol=SNX-BTC'))).toEqual(shapeOf(captured));
  });

  it.each([
    ['trade.l3match', '/market/match:DAPPT-BTC'],
    ['trade.l2update', '/market/level2:BCHSV-USDT'],
    ['trade.ticker', '/market/ticker:DAPPT-BTC'],
  ])('%s', async (subject, topic) => {
    const bothSides = (m: Record<string, unknown>): boolean => {
      const ch = (m['data'] as { changes?: { asks: unknown[]; bids: unknown[] } }).changes;
      // The capture has no update touching both sides: compare an asks-only one with an asks-only one.
      return ch === undefined || (ch.asks.length > 0 && ch.bids.length === 0);
    };
    const captured = fromCapture('KUCOIN.ws.1.0', (m) => (m['subject'] === subject && bothSides(m) ? m : undefined));
    const r = await RawClient.open(`ws://127.0.0.1:${run.ports.kucoin}/endpoint?token=emulator-public-t&connectId=c`);
    try {
      await r.until(() => r.frames.length > 0, 3000, 'welcome');
      expect(shapeOf(JSON.parse(r.frames[0] as string))).toEqual(shapeOf(fromCapture('KUCOIN.ws.1.0', (m) => (m['type'] === 'welcome' ? m : undefined))));
      r.send({ id: 1, type: 'subscribe', topic, privateChannel: false, response: true });
      await r.until(() => r.frames.length > 1, 3000, 'ack');
      expect(shapeOf(JSON.parse(r.frames[1] as string))).toEqual(shapeOf(fromCapture('KUCOIN.ws.1.0', (m) => (m['type'] === 'ack' ? m : undefined))));
      const sym = topic.endsWith('BCHSV-USDT') ? 'BCHSV/USDT' : 'DAPPT/BTC';
      const m = run.emu.venue('kucoin')?.state.market(sym);
      const server = run.emu.venue('kucoin')?.server;
      if (subject === 'trade.l2update') server?.publish({ kind: 'book', market: m as never, ts: 1, update: m?.book.apply([], [['250.2', '2']]) as never, snapshot: false });
      else server?.publish({ kind: 'trade', market: m as never, trade: m?.trades.at(-1) as never });
      await r.until(() => r.frames.length > 2, 3000, subject);
      expect(shapeOf(JSON.parse(r.frames[2] as string))).toEqual(shapeOf(captured));
    } finally {
      r.close();
    }
  });
});
