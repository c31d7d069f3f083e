/**
 * Readers for the real captures in ../shared/data (read in place at run time, never copied: some
 * are GPL/LGPL, see its PROVENANCE.md). Each turns one file into canonical events for one venue.
 * Lines that do not parse are counted and skipped, never fatal.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { BookEvent, FeedEvent, Level, MarketDef, Side, TradeEvent, VenueId } from '../engine/types';

export interface CaptureSource {
  /** Which file it came from, relative to the data folder. */
  file: string;
  events: FeedEvent[];
  markets: MarketDef[];
  skippedLines: number;
}

/**
 * Files replayed per venue, relative to the data folder. Files in one group were recorded in the
 * same session and keep their relative timing; each group is rebased to the replay start on its own.
 */
export const CAPTURE_FILES: Readonly<Record<VenueId, readonly (readonly string[])[]>> = {
  binanceus: [['ws/BINANCE_US.ws.1.0'], ['trades/binance_xrpeth_trades.json.gz']],
  coinbase: [['ws/COINBASE.ws.28.0']],
  kucoin: [['ws/KUCOIN.http.0.0', 'ws/KUCOIN.ws.1.0']],
};

const QUOTES = ['USDT', 'BUSD', 'USDC', 'USD', 'BTC', 'ETH', 'BNB', 'EUR', 'GBP'];

function splitConcatenated(id: string): MarketDef | undefined {
  const quote = QUOTES.find((q) => id.endsWith(q) && id.length > q.length);
  return quote ? def(id.slice(0, -quote.length), quote) : undefined;
}

function splitDashed(id: string): MarketDef | undefined {
  const [base, quote, extra] = id.split('-');
  return base && quote && extra === undefined ? def(base, quote) : undefined;
}

function def(base: string, quote: string): MarketDef {
  return { symbol: `${base}/${quote}`, base, quote };
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
const DECIMAL = /^\d+(\.\d+)?$/;

function levels(v: unknown): Level[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Level[] = [];
  for (const l of v) {
    if (!Array.isArray(l)) return undefined;
    const p = str(l[0]);
    const s = str(l[1]);
    if (!p || !s || !DECIMAL.test(p) || !DECIMAL.test(s)) return undefined;
    if (Number(p) === 0) continue; // KuCoin marks sequence-only changes with price "0"
    out.push([p, s]);
  }
  return out;
}

/** `<epoch_s>: <json>` lines of a cryptofeed ws capture, and `<url> -> <epoch_s>: <json>` of an http one. */
function* captureLines(text: string): Generator<{ recvMs: number; url: string | undefined; json: unknown } | 'bad'> {
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.includes(' <-> ') || line.includes(' <- ')) continue;
    // Split by hand: a regex with an optional URL prefix backtracks badly on 100 kB snapshot lines.
    const arrow = /^\d/.test(line) ? -1 : line.indexOf(' -> ');
    const rest = arrow < 0 ? line : line.slice(arrow + 4);
    const colon = rest.indexOf(': ');
    const ts = colon > 0 ? rest.slice(0, colon) : '';
    if (!/^\d+(\.\d+)?$/.test(ts)) {
      yield 'bad';
      continue;
    }
    try {
      yield { recvMs: Math.round(Number(ts) * 1000), url: arrow < 0 ? undefined : line.slice(0, arrow), json: JSON.parse(rest.slice(colon + 2)) as unknown };
    } catch {
      yield 'bad';
    }
  }
}

class Collector {
  readonly events: FeedEvent[] = [];
  readonly markets = new Map<string, MarketDef>();
  skipped = 0;
  /** The capture's lines whose JSON is an object; the others are counted as skipped. */
  *objectLines(text: string): Generator<{ recvMs: number; url: string | undefined; json: Json }> {
    for (const l of captureLines(text)) {
      if (l === 'bad' || !isObj(l.json)) this.skipped += 1;
      else yield { recvMs: l.recvMs, url: l.url, json: l.json };
    }
  }
  add(m: MarketDef | undefined, e: Omit<TradeEvent, 'symbol'> | Omit<BookEvent, 'symbol'> | undefined): void {
    if (!m || !e) {
      this.skipped += 1;
      return;
    }
    this.markets.set(m.symbol, m);
    this.events.push({ ...e, symbol: m.symbol });
  }
  done(file: string): CaptureSource {
    this.events.sort((a, b) => a.ts - b.ts);
    return { file, events: this.events, markets: [...this.markets.values()], skippedLines: this.skipped };
  }
}

function trade(ts: unknown, id: unknown, price: unknown, size: unknown, side: Side | undefined): Omit<TradeEvent, 'symbol'> | undefined {
  const p = str(price);
  const s = str(size);
  const n = typeof id === 'number' ? id : Number(str(id));
  if (typeof ts !== 'number' || !Number.isFinite(ts) || !Number.isSafeInteger(n) || !p || !s || !DECIMAL.test(p) || !DECIMAL.test(s) || !side) return undefined;
  return { kind: 'trade', ts: Math.round(ts), id: n, price: p, size: s, side };
}

function book(ts: number, bids: Level[] | undefined, asks: Level[] | undefined, snapshot: boolean): Omit<BookEvent, 'symbol'> | undefined {
  return bids && asks ? { kind: 'book', ts, bids, asks, snapshot } : undefined;
}

export function readBinanceUs(text: string, file: string): CaptureSource {
  const c = new Collector();
  for (const l of captureLines(text)) {
    if (l === 'bad') {
      c.skipped += 1;
      continue;
    }
    const d = isObj(l.json) && isObj(l.json['data']) ? l.json['data'] : undefined;
    const e = d?.['e'];
    if (!d || (e !== 'aggTrade' && e !== 'trade' && e !== 'depthUpdate')) continue; // bookTicker and kline are derived by the emulator
    const m = splitConcatenated(str(d['s']) ?? '');
    if (e === 'depthUpdate') c.add(m, book(Number(d['E']), levels(d['b']), levels(d['a']), false));
    else c.add(m, trade(d['T'], e === 'aggTrade' ? d['a'] : d['t'], d['p'], d['q'], d['m'] === true ? 'sell' : d['m'] === false ? 'buy' : undefined));
  }
  return c.done(file);
}

/** freqtrade's `[ts_ms, id, order, side, price, amount, cost]` rows (a Binance XRP/ETH capture). */
export function readFreqtradeTrades(rows: unknown, market: MarketDef, file: string): CaptureSource {
  const c = new Collector();
  for (const r of Array.isArray(rows) ? rows : []) {
    if (!Array.isArray(r)) {
      c.skipped += 1;
      continue;
    }
    const row = r as unknown[];
    const side = row[3] === 'buy' ? 'buy' : row[3] === 'sell' ? 'sell' : undefined;
    c.add(market, trade(row[0], row[1], row[4], row[5], side));
  }
  return c.done(file);
}

export function readCoinbasePro(text: string, file: string): CaptureSource {
  const c = new Collector();
  for (const l of c.objectLines(text)) {
    const j = l.json;
    const m = splitDashed(str(j['product_id']) ?? '');
    switch (j['type']) {
      case 'snapshot':
        c.add(m, book(l.recvMs, levels(j['bids']), levels(j['asks']), true));
        break;
      case 'l2update': {
        const ch = Array.isArray(j['changes']) ? (j['changes'] as unknown[]) : undefined;
        const ts = Date.parse(str(j['time']) ?? '');
        const bids = levels(ch?.filter((x) => Array.isArray(x) && x[0] === 'buy').map((x) => (x as unknown[]).slice(1)));
        const asks = levels(ch?.filter((x) => Array.isArray(x) && x[0] === 'sell').map((x) => (x as unknown[]).slice(1)));
        c.add(m, Number.isFinite(ts) ? book(ts, bids, asks, false) : undefined);
        break;
      }
      // last_match repeats an earlier trade (its time precedes the session): not replayed.
      case 'match': {
        // Coinbase Pro's `side` is the maker's; the canonical side is the taker's.
        const taker = j['side'] === 'sell' ? 'buy' : j['side'] === 'buy' ? 'sell' : undefined;
        c.add(m, trade(Date.parse(str(j['time']) ?? ''), j['trade_id'], j['price'], j['size'], taker));
        break;
      }
      default:
        break; // ticker, subscriptions: derived or protocol
    }
  }
  return c.done(file);
}

export function readKucoin(text: string, file: string): CaptureSource {
  const c = new Collector();
  for (const l of c.objectLines(text)) {
    const j = l.json;
    const d = isObj(j['data']) ? j['data'] : undefined;
    if (l.url !== undefined) {
      // REST: /api/v3/market/orderbook/level2?symbol=... snapshots.
      const sym = /[?&]symbol=([A-Z0-9-]+)/.exec(l.url)?.[1];
      if (sym && d) c.add(splitDashed(sym), book(l.recvMs, levels(d['bids']), levels(d['asks']), true));
      continue;
    }
    if (!d || j['type'] !== 'message') continue;
    const m = splitDashed(str(d['symbol']) ?? '');
    if (j['subject'] === 'trade.l3match') {
      const side = d['side'] === 'buy' || d['side'] === 'sell' ? d['side'] : undefined;
      c.add(m, trade(Math.floor(Number(str(d['time']) ?? 'x') / 1e6), d['sequence'], d['price'], d['size'], side));
    } else if (j['subject'] === 'trade.l2update') {
      const ch = isObj(d['changes']) ? d['changes'] : {};
      c.add(m, book(l.recvMs, levels(ch['bids']), levels(ch['asks']), false));
    }
  }
  return c.done(file);
}

function readOne(dataDir: string, venue: VenueId, rel: string): CaptureSource {
  const full = path.join(dataDir, rel);
  if (rel.endsWith('.json.gz')) {
    const rows: unknown = JSON.parse(zlib.gunzipSync(fs.readFileSync(full)).toString('utf8'));
    return readFreqtradeTrades(rows, def('XRP', 'ETH'), rel);
  }
  const text = fs.readFileSync(full, 'utf8');
  if (venue === 'binanceus') return readBinanceUs(text, rel);
  if (venue === 'coinbase') return readCoinbasePro(text, rel);
  return readKucoin(text, rel);
}

/** Reads every capture group of `venue` from the data folder (one source per group). */
export function loadVenueCaptures(dataDir: string, venue: VenueId): CaptureSource[] {
  return CAPTURE_FILES[venue].map((group) => {
    const parts = group.map((rel) => readOne(dataDir, venue, rel));
    const markets = new Map<string, MarketDef>();
    for (const p of parts) for (const m of p.markets) markets.set(m.symbol, m);
    return {
      file: group.join('+'),
      events: parts.flatMap((p) => p.events).sort((a, b) => a.ts - b.ts),
      markets: [...markets.values()],
      skippedLines: parts.reduce((n, p) => n + p.skippedLines, 0),
    };
  });
}
