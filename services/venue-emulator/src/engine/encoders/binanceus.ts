import type { URLSearchParams } from 'node:url';
/**
 * Binance.US public REST (api/v3) and WebSocket streams, in the shapes of the real captures in
 * ../shared/data (exchange-messages/binance/*, ws/BINANCE_US.ws.1.0).
 */
import { decDiv, decFixed, decMul, decSub } from '../decimal';
import type { MarketState, VenueState, VenueUpdate } from '../market-state';
import { TIMEFRAME_MS, type Candle, type Level, type MarketDef, type TickerStats, type TradeEvent } from '../types';
import { findByVenueId, intParam, newSession, parseFrame, subKey, type RestReply, type RestRequest, type Subscription, type VenueCodec, type WsSession } from './codec';

const P = 8;
const f8 = (s: string | undefined): string => decFixed(s ?? '0', P);
const levels = (ls: readonly Level[]): string[][] => ls.map(([p, q]) => [f8(p), f8(q)]);

const INVALID_SYMBOL = { code: -1121, msg: 'Invalid symbol.' };

function marketId(def: MarketDef): string {
  return `${def.base}${def.quote}`;
}

function symbolInfo(def: MarketDef): Record<string, unknown> {
  return {
    symbol: marketId(def),
    status: 'TRADING',
    baseAsset: def.base,
    baseAssetPrecision: 8,
    quoteAsset: def.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.00000100', maxPrice: '1000000.00000000', tickSize: '0.00000100' },
      { filterType: 'PERCENT_PRICE', multiplierUp: '5', multiplierDown: '0.2', avgPriceMins: 5 },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
      { filterType: 'MIN_NOTIONAL', minNotional: '10.00000000', applyToMarket: true, avgPriceMins: 5 },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: ['SPOT'],
  };
}

function aggTrade(t: TradeEvent): Record<string, unknown> {
  return { a: t.id, p: f8(t.price), q: f8(t.size), f: t.id, l: t.id, T: t.ts, m: t.side === 'sell', M: true };
}

function rawTrade(t: TradeEvent): Record<string, unknown> {
  return { id: t.id, price: f8(t.price), qty: f8(t.size), quoteQty: f8(decMul(t.price, t.size)), time: t.ts, isBuyerMaker: t.side === 'sell', isBestMatch: true };
}

function kline(c: Candle, tfMs: number): unknown[] {
  return [c.start, f8(c.open), f8(c.high), f8(c.low), f8(c.close), f8(c.volume), c.start + tfMs - 1, f8(c.quoteVolume), c.count, f8(c.takerBuyVolume), f8(c.takerBuyQuoteVolume), '0'];
}

function ticker24h(def: MarketDef, s: TickerStats, now: number): Record<string, unknown> {
  const last = s.last ?? '0';
  const open = s.open ?? last;
  const change = decSub(last, open);
  const pct = open === '0' ? '0' : decDiv(decMul(change, '100'), open, 3);
  const vwap = s.volume === '0' ? '0' : decDiv(s.quoteVolume, s.volume, 8);
  return {
    symbol: marketId(def),
    priceChange: f8(change),
    priceChangePercent: decFixed(pct, 3),
    weightedAvgPrice: f8(vwap),
    prevClosePrice: f8(open),
    lastPrice: f8(last),
    lastQty: f8(s.lastSize),
    bidPrice: f8(s.bestBid?.[0]),
    bidQty: f8(s.bestBid?.[1]),
    askPrice: f8(s.bestAsk?.[0]),
    askQty: f8(s.bestAsk?.[1]),
    openPrice: f8(open),
    highPrice: f8(s.high ?? last),
    lowPrice: f8(s.low ?? last),
    volume: f8(s.volume),
    quoteVolume: f8(s.quoteVolume),
    openTime: s.openTime ?? now,
    closeTime: s.closeTime ?? now,
    firstId: s.firstTradeId ?? -1,
    lastId: s.lastTradeId ?? -1,
    count: s.count,
  };
}

const INTERVALS = new Set(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '1w']);

function rest(req: RestRequest, state: VenueState, now: number): RestReply {
  if (req.method !== 'GET') return { status: 404, body: { code: -1000, msg: 'Unknown route.' } };
  const q = req.query;
  const path = req.path.replace(/^\/api\/v1\//, '/api/v3/');
  const one = (): MarketState | undefined => {
    const def = findByVenueId(state, codec, q.get('symbol'));
    return def ? state.market(def.symbol) : undefined;
  };
  switch (path) {
    case '/api/v3/ping':
      return { status: 200, body: {} };
    case '/api/v3/time':
      return { status: 200, body: { serverTime: now } };
    case '/api/v3/exchangeInfo':
      return {
        status: 200,
        body: {
          timezone: 'UTC',
          serverTime: now,
          rateLimits: [
            { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
            { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
            { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 6100 },
          ],
          exchangeFilters: [],
          symbols: [...state.markets.values()].map((m) => symbolInfo(m.def)),
        },
      };
    case '/api/v3/depth': {
      const m = one();
      if (!m) return { status: 400, body: INVALID_SYMBOL };
      const snap = m.book.snapshot(Math.min(intParam(q, 'limit') ?? 100, 5000));
      return { status: 200, body: { lastUpdateId: snap.sequence, bids: levels(snap.bids), asks: levels(snap.asks) } };
    }
    case '/api/v3/trades':
    case '/api/v3/aggTrades': {
      const m = one();
      if (!m) return { status: 400, body: INVALID_SYMBOL };
      const trades = m.recentTrades({ since: intParam(q, 'startTime'), until: endExclusive(q), limit: Math.min(intParam(q, 'limit') ?? 500, 1000) });
      return { status: 200, body: trades.map(path === '/api/v3/trades' ? rawTrade : aggTrade) };
    }
    case '/api/v3/klines': {
      const m = one();
      if (!m) return { status: 400, body: INVALID_SYMBOL };
      const interval = q.get('interval') ?? '';
      if (!INTERVALS.has(interval)) return { status: 400, body: { code: -1120, msg: 'Invalid interval.' } };
      const tf = TIMEFRAME_MS[interval] as number;
      const cs = m.candles(tf, { since: intParam(q, 'startTime'), until: endExclusive(q), limit: Math.min(intParam(q, 'limit') ?? 500, 1000) });
      return { status: 200, body: cs.map((c) => kline(c, tf)) };
    }
    case '/api/v3/ticker/24hr':
    case '/api/v3/ticker/price':
    case '/api/v3/ticker/bookTicker': {
      const render = (m: MarketState): Record<string, unknown> => {
        const t = m.ticker();
        if (path === '/api/v3/ticker/24hr') return ticker24h(m.def, t, now);
        if (path === '/api/v3/ticker/price') return { symbol: marketId(m.def), price: f8(t.last) };
        return { symbol: marketId(m.def), bidPrice: f8(t.bestBid?.[0]), bidQty: f8(t.bestBid?.[1]), askPrice: f8(t.bestAsk?.[0]), askQty: f8(t.bestAsk?.[1]) };
      };
      if (q.has('symbol')) {
        const m = one();
        return m ? { status: 200, body: render(m) } : { status: 400, body: INVALID_SYMBOL };
      }
      let ms = [...state.markets.values()];
      const list = q.get('symbols');
      if (list !== null) {
        let ids: unknown;
        try {
          ids = JSON.parse(list);
        } catch {
          ids = undefined;
        }
        if (!Array.isArray(ids)) return { status: 400, body: { code: -1100, msg: "Illegal characters found in parameter 'symbols'." } };
        ms = ms.filter((m) => ids.includes(marketId(m.def)));
      }
      return { status: 200, body: ms.map(render) };
    }
    default:
      return { status: 404, body: { code: -1000, msg: 'Unknown route.' } };
  }
}

function endExclusive(q: URLSearchParams): number | undefined {
  const e = intParam(q, 'endTime');
  return e === undefined ? undefined : e + 1;
}

/** `btcusdt@depth@100ms` → canonical subscription. */
function parseStream(state: VenueState, stream: string): Subscription | undefined {
  const m = /^([a-z0-9]+)@(trade|aggTrade|depth(?:@100ms|@1000ms)?|bookTicker|ticker|miniTicker|kline_(\w+))$/.exec(stream);
  if (!m) return undefined;
  const def = findByVenueId(state, codec, (m[1] ?? '').toUpperCase());
  if (!def) return undefined;
  const kind = m[2] ?? '';
  let channel: string;
  if (kind.startsWith('depth')) channel = 'book';
  else if (kind.startsWith('kline_')) {
    if (!INTERVALS.has(m[3] ?? '')) return undefined;
    channel = `candles:${m[3]}`;
  } else channel = kind;
  return { channel, symbol: def.symbol, name: stream };
}

function frame(session: WsSession, sub: Subscription, data: unknown): string {
  return JSON.stringify(session.combined ? { stream: sub.name, data } : data);
}

function encodeUpdate(session: WsSession, u: VenueUpdate, now: number): string[] {
  const out: string[] = [];
  const def = u.market.def;
  const id = marketId(def);
  for (const sub of session.subs.forSymbol(def.symbol)) {
    if (u.kind === 'trade') {
      const t = u.trade;
      if (sub.channel === 'trade') {
        out.push(frame(session, sub, { e: 'trade', E: t.ts + 1, s: id, t: t.id, p: f8(t.price), q: f8(t.size), b: t.id * 2, a: t.id * 2 + 1, T: t.ts, m: t.side === 'sell', M: true }));
      } else if (sub.channel === 'aggTrade') {
        out.push(frame(session, sub, { e: 'aggTrade', E: t.ts + 1, s: id, ...aggTrade(t) }));
      } else if (sub.channel === 'ticker') {
        const r = ticker24h(def, u.market.ticker(), now);
        out.push(
          frame(session, sub, {
            e: '24hrTicker', E: t.ts + 1, s: id, p: r['priceChange'], P: r['priceChangePercent'], w: r['weightedAvgPrice'], x: r['prevClosePrice'],
            c: r['lastPrice'], Q: r['lastQty'], b: r['bidPrice'], B: r['bidQty'], a: r['askPrice'], A: r['askQty'], o: r['openPrice'], h: r['highPrice'],
            l: r['lowPrice'], v: r['volume'], q: r['quoteVolume'], O: r['openTime'], C: r['closeTime'], F: r['firstId'], L: r['lastId'], n: r['count'],
          }),
        );
      } else if (sub.channel === 'miniTicker') {
        const r = ticker24h(def, u.market.ticker(), now);
        out.push(frame(session, sub, { e: '24hrMiniTicker', E: t.ts + 1, s: id, c: r['lastPrice'], o: r['openPrice'], h: r['highPrice'], l: r['lowPrice'], v: r['volume'], q: r['quoteVolume'] }));
      } else if (sub.channel.startsWith('candles:')) {
        const interval = sub.channel.slice('candles:'.length);
        const tf = TIMEFRAME_MS[interval] as number;
        const c = u.market.candles(tf, { since: Math.floor(t.ts / tf) * tf })[0];
        if (!c) continue;
        const first = u.market.recentTrades({ since: c.start })[0]?.id ?? t.id;
        out.push(
          frame(session, sub, {
            e: 'kline', E: t.ts + 1, s: id,
            k: { t: c.start, T: c.start + tf - 1, s: id, i: interval, f: first, L: t.id, o: f8(c.open), c: f8(c.close), h: f8(c.high), l: f8(c.low), v: f8(c.volume), n: c.count, x: false, q: f8(c.quoteVolume), V: f8(c.takerBuyVolume), Q: f8(c.takerBuyQuoteVolume), B: '0' },
          }),
        );
      }
    } else if (sub.channel === 'book') {
      out.push(frame(session, sub, { e: 'depthUpdate', E: u.ts, s: id, U: u.update.firstSeq, u: u.update.lastSeq, b: levels(u.update.bids), a: levels(u.update.asks) }));
    } else if (sub.channel === 'bookTicker') {
      const { bid, ask } = u.market.book.best();
      out.push(frame(session, sub, { u: u.update.lastSeq, s: id, b: f8(bid?.[0]), B: f8(bid?.[1]), a: f8(ask?.[0]), A: f8(ask?.[1]) }));
    }
  }
  return out;
}

function wsMessage(session: WsSession, text: string, state: VenueState): string[] {
  const msg = parseFrame(text);
  const id = msg?.['id'];
  const idOk = typeof id === 'number' || typeof id === 'string' || id === null;
  const method = msg?.['method'];
  const params = msg?.['params'];
  if (!msg || !idOk || typeof method !== 'string') return [JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected an object with method and id' }, id: null })];
  if (method === 'LIST_SUBSCRIPTIONS') return [JSON.stringify({ result: [...session.subs.values()].map((s) => s.name), id })];
  if (method !== 'SUBSCRIBE' && method !== 'UNSUBSCRIBE') return [JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown variant \`${method.slice(0, 40)}\`` }, id })];
  if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) return [JSON.stringify({ error: { code: 2, msg: 'Invalid request: params must be a list of stream names' }, id })];
  const subs: Subscription[] = [];
  for (const p of params) {
    const s = parseStream(state, p);
    if (!s) return [JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${p.slice(0, 60)}` }, id })];
    subs.push(s);
  }
  for (const s of subs) {
    if (method === 'SUBSCRIBE') session.subs.set(subKey(s), s);
    else session.subs.delete(subKey(s));
  }
  return [JSON.stringify({ result: null, id })];
}

function wsOpen(path: string, query: URLSearchParams, state: VenueState): ReturnType<VenueCodec['wsOpen']> {
  if (path === '/stream') {
    const session = newSession('binanceus', true);
    for (const name of (query.get('streams') ?? '').split('/').filter(Boolean)) {
      const s = parseStream(state, name);
      if (s) session.subs.set(subKey(s), s);
    }
    return { session, frames: [] };
  }
  if (path === '/ws' || path.startsWith('/ws/')) {
    const session = newSession('binanceus', false);
    const s = parseStream(state, path.slice('/ws/'.length));
    if (s) session.subs.set(subKey(s), s);
    return { session, frames: [] };
  }
  return undefined;
}

export const codec: VenueCodec = {
  venue: 'binanceus',
  marketId,
  rest,
  wsOpen,
  wsMessage,
  encodeUpdate,
  heartbeat: () => [],
};
