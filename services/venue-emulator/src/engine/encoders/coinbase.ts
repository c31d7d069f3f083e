/**
 * Coinbase Advanced Trade: public REST (api/v3/brokerage, plus the v2 time/currency endpoints
 * ccxt calls while loading markets) and the WebSocket channels market_trades, ticker, level2
 * (sent as l2_data), candles and heartbeats. The retired Coinbase Pro capture is replayed through it.
 */
import { describeValue } from '@cte/shared/core';
import { decAdd, decDiv, decMul, decNorm, decSub } from '../decimal';
import type { MarketState, VenueState, VenueUpdate } from '../market-state';
import { TIMEFRAME_MS, type Level, type MarketDef, type TickerStats, type TradeEvent } from '../types';
import { findByVenueId, intParam, newSession, parseFrame, subKey, type RestReply, type RestRequest, type Subscription, type VenueCodec, type WsSession } from './codec';

const FIAT = new Set(['USD', 'EUR', 'GBP']);
const GRANULARITY: Readonly<Record<string, string>> = {
  ONE_MINUTE: '1m',
  FIVE_MINUTE: '5m',
  FIFTEEN_MINUTE: '15m',
  THIRTY_MINUTE: '30m',
  ONE_HOUR: '1h',
  TWO_HOUR: '2h',
  SIX_HOUR: '6h',
  ONE_DAY: '1d',
};
const CHANNELS = new Set(['market_trades', 'ticker', 'ticker_batch', 'level2', 'candles', 'heartbeats']);

function marketId(def: MarketDef): string {
  return `${def.base}-${def.quote}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** Coinbase prints nanosecond-style timestamps; microseconds are what the REST trades carry. */
const isoMicros = (ms: number): string => `${new Date(ms).toISOString().slice(0, -1)}000Z`;

function product(m: MarketState): Record<string, unknown> {
  const t = m.ticker();
  const def = m.def;
  return {
    product_id: marketId(def),
    price: t.last ?? '',
    price_percentage_change_24h: pctChange(t),
    volume_24h: t.volume,
    volume_percentage_change_24h: '0',
    base_increment: '0.00000001',
    quote_increment: '0.00000001',
    quote_min_size: '1',
    quote_max_size: '10000000',
    base_min_size: '0.00000001',
    base_max_size: '100000000',
    base_name: def.base,
    quote_name: def.quote,
    watched: false,
    is_disabled: false,
    new: false,
    status: 'online',
    cancel_only: false,
    limit_only: false,
    post_only: false,
    trading_disabled: false,
    auction_mode: false,
    product_type: 'SPOT',
    quote_currency_id: def.quote,
    base_currency_id: def.base,
    fcm_trading_session_details: null,
    mid_market_price: '',
    alias: '',
    alias_to: [],
    base_display_symbol: def.base,
    quote_display_symbol: def.quote,
    view_only: false,
    price_increment: '0.00000001',
    display_name: `${def.base}-${def.quote}`,
    product_venue: 'CBE',
    approximate_quote_24h_volume: decMul(t.volume, t.last ?? '0'),
  };
}

function pctChange(t: TickerStats): string {
  if (t.open === undefined || t.last === undefined || decNorm(t.open) === '0') return '0';
  return decDiv(decMul(decSub(t.last, t.open), '100'), t.open, 12);
}

function restTrade(def: MarketDef, t: TradeEvent): Record<string, unknown> {
  return { trade_id: String(t.id), product_id: marketId(def), price: t.price, size: t.size, time: isoMicros(t.ts), side: t.side === 'buy' ? 'BUY' : 'SELL', bid: '', ask: '' };
}

function pricebook(m: MarketState, depth: number, now: number): Record<string, unknown> {
  const s = m.book.snapshot(depth);
  const lv = (ls: Level[]): unknown[] => ls.map(([price, size]) => ({ price, size }));
  return { product_id: marketId(m.def), bids: lv(s.bids), asks: lv(s.asks), time: isoMicros(m.lastBookTs ?? now) };
}

function notFound(): RestReply {
  return { status: 404, body: { error: 'NOT_FOUND', error_details: 'product not found', message: 'product not found' } };
}

function rest(req: RestRequest, state: VenueState, now: number): RestReply {
  if (req.method !== 'GET') return { status: 404, body: { error: 'NOT_FOUND', message: 'Not Found' } };
  const q = req.query;
  if (req.path === '/v2/time') return { status: 200, body: { data: { iso: iso(now), epoch: Math.floor(now / 1000) } } };
  if (req.path === '/v2/currencies') {
    const fiat = new Set<string>();
    for (const m of state.markets.values()) for (const c of [m.def.base, m.def.quote]) if (FIAT.has(c)) fiat.add(c);
    return { status: 200, body: { data: [...fiat].sort().map((id) => ({ id, name: id, min_size: '0.01' })) } };
  }
  if (req.path === '/v2/currencies/crypto') {
    const crypto = new Set<string>();
    for (const m of state.markets.values()) for (const c of [m.def.base, m.def.quote]) if (!FIAT.has(c)) crypto.add(c);
    return {
      status: 200,
      body: { data: [...crypto].sort().map((code, i) => ({ asset_id: `00000000-0000-0000-0000-${String(i + 1).padStart(12, '0')}`, code, name: code, color: '#000000', sort_index: i, exponent: 8, type: 'crypto', address_regex: '^.+$' })) },
    };
  }
  if (req.path === '/v2/exchange-rates') {
    const rates: Record<string, string> = {};
    for (const m of state.markets.values()) if (m.def.quote === 'USD') rates[m.def.base] = m.ticker().last ? decDiv('1', m.ticker().last ?? '1', 12) : '0';
    return { status: 200, body: { data: { currency: q.get('currency') ?? 'USD', rates } } };
  }
  // Public (market/) and authenticated paths answer the same market data.
  const path = req.path.replace(/^\/api\/v3\/brokerage\/market\//, '/api/v3/brokerage/');
  if (path === '/api/v3/brokerage/time') return { status: 200, body: { iso: iso(now), epochSeconds: String(Math.floor(now / 1000)), epochMillis: String(now) } };
  if (path === '/api/v3/brokerage/products') {
    if (q.get('product_type') === 'FUTURE') return { status: 200, body: { products: [], num_products: 0 } };
    const ids = q.getAll('product_ids');
    const ms = [...state.markets.values()].filter((m) => ids.length === 0 || ids.includes(marketId(m.def)));
    return { status: 200, body: { products: ms.map(product), num_products: ms.length } };
  }
  if (path === '/api/v3/brokerage/product_book') {
    const def = findByVenueId(state, codec, q.get('product_id'));
    const m = def && state.market(def.symbol);
    if (!m) return notFound();
    const book = pricebook(m, Math.min(intParam(q, 'limit') ?? 250, 1000), now);
    const { bid, ask } = m.book.best();
    const mid = bid && ask ? decDiv(decAdd(bid[0], ask[0]), '2', 12) : '';
    const spread = bid && ask ? decSub(ask[0], bid[0]) : '';
    return {
      status: 200,
      body: { pricebook: book, last: m.ticker().last ?? '', mid_market: mid, spread_bps: bid && ask && mid ? decDiv(decMul(spread, '10000'), mid, 12) : '', spread_absolute: spread },
    };
  }
  if (path === '/api/v3/brokerage/best_bid_ask') {
    const ids = q.getAll('product_ids');
    const ms = [...state.markets.values()].filter((m) => ids.length === 0 || ids.includes(marketId(m.def)));
    return { status: 200, body: { pricebooks: ms.map((m) => pricebook(m, 1, now)) } };
  }
  const pm = /^\/api\/v3\/brokerage\/products\/([A-Za-z0-9-]+)(\/ticker|\/candles)?$/.exec(path);
  if (pm) {
    const def = findByVenueId(state, codec, pm[1]);
    const m = def && state.market(def.symbol);
    if (!m) return notFound();
    const start = intParam(q, 'start');
    const end = intParam(q, 'end');
    if (pm[2] === undefined) return { status: 200, body: product(m) };
    if (pm[2] === '/ticker') {
      const trades = m.recentTrades({ since: start === undefined ? undefined : start * 1000, until: end === undefined ? undefined : end * 1000 + 1000, limit: Math.min(intParam(q, 'limit') ?? 100, 1000) });
      const { bid, ask } = m.book.best();
      return { status: 200, body: { trades: trades.reverse().map((t) => restTrade(m.def, t)), best_bid: bid?.[0] ?? '', best_ask: ask?.[0] ?? '' } };
    }
    const tf = GRANULARITY[q.get('granularity') ?? ''];
    if (tf === undefined) return { status: 400, body: { error: 'INVALID_ARGUMENT', error_details: 'granularity is invalid', message: 'granularity is invalid' } };
    const tfMs = TIMEFRAME_MS[tf] as number;
    const cs = m.candles(tfMs, { since: start === undefined ? undefined : start * 1000, until: end === undefined ? undefined : end * 1000 + 1, limit: Math.min(intParam(q, 'limit') ?? 350, 350) });
    return {
      status: 200,
      body: { candles: cs.reverse().map((c) => ({ start: String(c.start / 1000), low: c.low, high: c.high, open: c.open, close: c.close, volume: c.volume })) },
    };
  }
  return { status: 404, body: { error: 'NOT_FOUND', error_details: 'Not Found', message: 'Not Found' } };
}

function envelope(session: WsSession, channel: string, now: number, events: unknown[]): string {
  const seq = session.outSeq;
  session.outSeq += 1;
  return JSON.stringify({ channel, client_id: '', timestamp: isoMicros(now), sequence_num: seq, events });
}

function wsTicker(m: MarketState): Record<string, unknown> {
  const t = m.ticker();
  return {
    type: 'ticker',
    product_id: marketId(m.def),
    price: t.last ?? '',
    volume_24_h: t.volume,
    low_24_h: t.low ?? '',
    high_24_h: t.high ?? '',
    low_52_w: t.low ?? '',
    high_52_w: t.high ?? '',
    price_percent_chg_24_h: pctChange(t),
    best_bid: t.bestBid?.[0] ?? '',
    best_bid_quantity: t.bestBid?.[1] ?? '',
    best_ask: t.bestAsk?.[0] ?? '',
    best_ask_quantity: t.bestAsk?.[1] ?? '',
  };
}

function l2Updates(bids: readonly Level[], asks: readonly Level[], ts: number): unknown[] {
  const t = isoMicros(ts);
  return [...bids.map(([p, s]) => ({ side: 'bid', event_time: t, price_level: p, new_quantity: s })), ...asks.map(([p, s]) => ({ side: 'offer', event_time: t, price_level: p, new_quantity: s }))];
}

function candleOf(m: MarketState, ts: number): Record<string, unknown> | undefined {
  const tf = TIMEFRAME_MS['5m'] as number;
  const c = m.candles(tf, { since: Math.floor(ts / tf) * tf })[0];
  return c && { start: String(c.start / 1000), high: c.high, low: c.low, open: c.open, close: c.close, volume: c.volume, product_id: marketId(m.def) };
}

function subscriptionsFrame(session: WsSession, now: number): string {
  const subs: Record<string, string[]> = {};
  for (const s of session.subs.values()) {
    const ch = s.channel === 'book' ? 'level2' : s.channel;
    (subs[ch] ??= []).push(marketIdOfSymbol(s.symbol));
  }
  return envelope(session, 'subscriptions', now, [{ subscriptions: subs }]);
}

function marketIdOfSymbol(symbol: string): string {
  return symbol.replace('/', '-');
}

function wsMessage(session: WsSession, text: string, state: VenueState, now: number): string[] {
  const msg = parseFrame(text);
  const type = msg?.['type'];
  const channel = msg?.['channel'];
  const ids = msg?.['product_ids'];
  const err = (message: string): string[] => [JSON.stringify({ type: 'error', message })];
  if (!msg || (type !== 'subscribe' && type !== 'unsubscribe')) return err('Failed to parse message: expected type subscribe or unsubscribe');
  if (typeof channel !== 'string' || !CHANNELS.has(channel)) return err(`channel is not supported: ${describeValue(channel, 40)}`);
  if (ids !== undefined && !(Array.isArray(ids) && ids.every((i) => typeof i === 'string'))) return err('product_ids must be a list of strings');
  const defs: MarketDef[] = [];
  for (const id of ids ?? []) {
    const def = findByVenueId(state, codec, id);
    if (!def) return err(`Failed to subscribe: product ${id.slice(0, 40)} not found`);
    defs.push(def);
  }
  if (channel === 'heartbeats' && defs.length === 0) defs.push(...[...state.markets.values()].slice(0, 1).map((m) => m.def));
  const canonical = channel === 'level2' ? 'book' : channel === 'ticker_batch' ? 'ticker' : channel;
  const subs = defs.map((def): Subscription => ({ channel: canonical, symbol: def.symbol, name: channel }));
  for (const sub of subs) {
    if (type === 'unsubscribe') session.subs.delete(subKey(sub));
    else session.subs.set(subKey(sub), sub);
  }
  // The subscriptions confirmation first, then each product's snapshot.
  const out: string[] = [subscriptionsFrame(session, now)];
  if (type === 'unsubscribe') return out;
  for (const def of defs) {
    const m = state.market(def.symbol) as MarketState;
    if (canonical === 'book') {
      const s = m.book.snapshot();
      out.push(envelope(session, 'l2_data', now, [{ type: 'snapshot', product_id: marketId(def), updates: l2Updates(s.bids, s.asks, m.lastBookTs ?? now) }]));
    } else if (canonical === 'market_trades') {
      out.push(envelope(session, 'market_trades', now, [{ type: 'snapshot', trades: m.recentTrades({ limit: 50 }).reverse().map((t) => wsTrade(def, t)) }]));
    } else if (canonical === 'ticker') {
      out.push(envelope(session, channel, now, [{ type: 'snapshot', tickers: [wsTicker(m)] }]));
    } else if (canonical === 'candles') {
      const c = candleOf(m, now);
      out.push(envelope(session, 'candles', now, [{ type: 'snapshot', candles: c ? [c] : [] }]));
    }
  }
  return out;
}

function wsTrade(def: MarketDef, t: TradeEvent): Record<string, unknown> {
  return { trade_id: String(t.id), product_id: marketId(def), price: t.price, size: t.size, side: t.side === 'buy' ? 'BUY' : 'SELL', time: isoMicros(t.ts) };
}

function encodeUpdate(session: WsSession, u: VenueUpdate, now: number): string[] {
  const out: string[] = [];
  const def = u.market.def;
  for (const sub of session.subs.forSymbol(def.symbol)) {
    if (u.kind === 'trade') {
      if (sub.channel === 'market_trades') out.push(envelope(session, 'market_trades', now, [{ type: 'update', trades: [wsTrade(def, u.trade)] }]));
      else if (sub.channel === 'ticker') out.push(envelope(session, sub.name ?? 'ticker', now, [{ type: 'update', tickers: [wsTicker(u.market)] }]));
      else if (sub.channel === 'candles') {
        const c = candleOf(u.market, u.trade.ts);
        if (c) out.push(envelope(session, 'candles', now, [{ type: 'update', candles: [c] }]));
      }
    } else if (sub.channel === 'book') {
      out.push(envelope(session, 'l2_data', now, [{ type: 'update', product_id: marketId(def), updates: l2Updates(u.update.bids, u.update.asks, u.ts) }]));
    }
  }
  return out;
}

/** Heartbeat counters are per connection. */
const heartbeats = new WeakMap<WsSession, number>();
function heartbeat(session: WsSession, now: number): string[] {
  if (![...session.subs.values()].some((s) => s.channel === 'heartbeats')) return [];
  const n = (heartbeats.get(session) ?? 0) + 1;
  heartbeats.set(session, n);
  return [envelope(session, 'heartbeats', now, [{ current_time: `${new Date(now).toISOString().replace('T', ' ').slice(0, -1)} +0000 UTC`, heartbeat_counter: String(n) }])];
}

function wsOpen(path: string): ReturnType<VenueCodec['wsOpen']> {
  if (path !== '/' && path !== '/ws') return undefined;
  return { session: newSession('coinbase'), frames: [] };
}

export const codec: VenueCodec = { venue: 'coinbase', marketId, rest, wsOpen, wsMessage, encodeUpdate, heartbeat };
