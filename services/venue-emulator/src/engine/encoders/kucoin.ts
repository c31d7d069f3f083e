import type { URLSearchParams } from 'node:url';
import { describeValue } from '@cte/shared/core';
/**
 * KuCoin spot public REST (api/v1, v2 symbols, v3 currencies), the bullet-public token, and the
 * WebSocket topics /market/match, /market/ticker, /market/snapshot, /market/level2 and
 * /market/candles, in the shapes of ws/KUCOIN.ws.1.0 and ws/KUCOIN.http.0.0.
 */
import { decDiv, decNorm, decSub } from '../decimal';
import type { MarketState, VenueState, VenueUpdate } from '../market-state';
import { TIMEFRAME_MS, type Level, type MarketDef, type TickerStats, type TradeEvent } from '../types';
import { findByVenueId, intParam, newSession, parseFrame, subKey, type RestReply, type RestRequest, type Subscription, type VenueCodec, type WsSession } from './codec';

const OK = '200000';
const TYPES: Readonly<Record<string, string>> = {
  '1min': '1m',
  '3min': '3m',
  '5min': '5m',
  '15min': '15m',
  '30min': '30m',
  '1hour': '1h',
  '2hour': '2h',
  '4hour': '4h',
  '6hour': '6h',
  '8hour': '8h',
  '12hour': '12h',
  '1day': '1d',
  '1week': '1w',
};
const MAX_TOPIC_MARKETS = 100;
/** The token bullet-public hands out; the WebSocket endpoint refuses connections without one. */
export const KUCOIN_PUBLIC_TOKEN_PREFIX = 'emulator-public-';

function marketId(def: MarketDef): string {
  return `${def.base}-${def.quote}`;
}

const ok = (data: unknown): RestReply => ({ status: 200, body: { code: OK, data } });
const bad = (msg: string): RestReply => ({ status: 400, body: { code: '400100', msg } });
/**
 * KuCoin's nanosecond times. Half a millisecond is added because clients that scale by 1e-6 in
 * floating point (ccxt) would otherwise read an exact-millisecond time as the millisecond before.
 */
const nanos = (ms: number): string => `${ms}500000`;

function symbolInfo(def: MarketDef): Record<string, unknown> {
  return {
    symbol: marketId(def),
    name: marketId(def),
    baseCurrency: def.base,
    quoteCurrency: def.quote,
    feeCurrency: def.quote,
    market: def.quote === 'USDT' || def.quote === 'USDC' ? 'USDS' : def.quote,
    baseMinSize: '0.00001',
    quoteMinSize: '0.1',
    baseMaxSize: '10000000000',
    quoteMaxSize: '99999999',
    baseIncrement: '0.00000001',
    quoteIncrement: '0.000001',
    priceIncrement: '0.0000000001',
    priceLimitRate: '0.1',
    minFunds: '0.1',
    isMarginEnabled: false,
    enableTrading: true,
    feeCategory: 1,
    makerFeeCoefficient: '1.00',
    takerFeeCoefficient: '1.00',
    st: false,
    callauctionIsEnabled: false,
    callauctionPriceFloor: null,
    callauctionPriceCeiling: null,
    callauctionFirstStageStartTime: null,
    callauctionSecondStageStartTime: null,
    callauctionThirdStageStartTime: null,
    tradingStartTime: null,
  };
}

function changeRate(t: TickerStats): string {
  if (t.open === undefined || t.last === undefined || decNorm(t.open) === '0') return '0';
  return decDiv(decSub(t.last, t.open), t.open, 4);
}

function stats(m: MarketState, now: number): Record<string, unknown> {
  const t = m.ticker();
  return {
    time: now,
    symbol: marketId(m.def),
    buy: t.bestBid?.[0] ?? null,
    sell: t.bestAsk?.[0] ?? null,
    changeRate: changeRate(t),
    changePrice: t.open && t.last ? decSub(t.last, t.open) : '0',
    high: t.high ?? null,
    low: t.low ?? null,
    vol: t.volume,
    volValue: t.quoteVolume,
    last: t.last ?? null,
    averagePrice: t.volume === '0' ? null : decDiv(t.quoteVolume, t.volume, 8),
    takerFeeRate: '0.001',
    makerFeeRate: '0.001',
    takerCoefficient: '1',
    makerCoefficient: '1',
  };
}

function allTickerItem(m: MarketState, now: number): Record<string, unknown> {
  const s = stats(m, now);
  const t = m.ticker();
  return {
    symbol: s['symbol'],
    symbolName: s['symbol'],
    buy: s['buy'],
    bestBidSize: t.bestBid?.[1] ?? null,
    sell: s['sell'],
    bestAskSize: t.bestAsk?.[1] ?? null,
    changeRate: s['changeRate'],
    changePrice: s['changePrice'],
    high: s['high'],
    low: s['low'],
    vol: s['vol'],
    volValue: s['volValue'],
    last: s['last'],
    averagePrice: s['averagePrice'],
    takerFeeRate: s['takerFeeRate'],
    makerFeeRate: s['makerFeeRate'],
    takerCoefficient: s['takerCoefficient'],
    makerCoefficient: s['makerCoefficient'],
  };
}

function currency(code: string): Record<string, unknown> {
  return {
    currency: code,
    name: code,
    fullName: code,
    precision: 8,
    confirms: null,
    contractAddress: null,
    isMarginEnabled: false,
    isDebitEnabled: false,
    chains: [
      {
        chainName: code,
        withdrawalMinSize: '0.001',
        depositMinSize: null,
        withdrawFeeRate: '0',
        withdrawalMinFee: '0.0005',
        isWithdrawEnabled: true,
        isDepositEnabled: true,
        confirms: 3,
        preConfirms: 1,
        contractAddress: '',
        withdrawPrecision: 8,
        maxWithdraw: null,
        maxDeposit: null,
        needTag: false,
        chainId: code.toLowerCase(),
      },
    ],
  };
}

function book(m: MarketState, depth: number, now: number): RestReply {
  const s = m.book.snapshot(depth);
  return ok({ time: m.lastBookTs ?? now, sequence: String(s.sequence), bids: s.bids.map((l) => [...l]), asks: s.asks.map((l) => [...l]) });
}

function rest(req: RestRequest, state: VenueState, now: number): RestReply {
  const q = req.query;
  const one = (): MarketState | undefined => {
    const def = findByVenueId(state, codec, q.get('symbol'));
    return def ? state.market(def.symbol) : undefined;
  };
  if (req.method === 'POST' && req.path === '/api/v1/bullet-public') {
    const host = req.headers['host'] ?? '127.0.0.1';
    return ok({
      token: `${KUCOIN_PUBLIC_TOKEN_PREFIX}${now.toString(36)}`,
      instanceServers: [{ endpoint: `ws://${host}/endpoint`, encrypt: false, protocol: 'websocket', pingInterval: 18000, pingTimeout: 10000 }],
    });
  }
  if (req.method !== 'GET') return { status: 404, body: { code: '404000', msg: 'Not Found' } };
  switch (req.path) {
    case '/api/v1/timestamp':
      return ok(now);
    case '/api/v2/symbols':
    case '/api/v1/symbols':
      return ok([...state.markets.values()].map((m) => symbolInfo(m.def)));
    case '/api/v1/contracts/active':
      return ok([]);
    case '/api/v3/currencies': {
      const codes = new Set<string>();
      for (const m of state.markets.values()) codes.add(m.def.base).add(m.def.quote);
      return ok([...codes].sort().map(currency));
    }
    case '/api/v1/market/allTickers':
      return ok({ time: now, ticker: [...state.markets.values()].map((m) => allTickerItem(m, now)) });
    case '/api/v1/market/stats': {
      const m = one();
      return m ? ok(stats(m, now)) : bad('Unsupported trading pair.');
    }
    case '/api/v1/market/orderbook/level1': {
      const m = one();
      if (!m) return bad('Unsupported trading pair.');
      const t = m.ticker();
      return ok({ time: now, sequence: String(m.book.sequence), price: t.last ?? null, size: t.lastSize ?? null, bestBid: t.bestBid?.[0] ?? null, bestBidSize: t.bestBid?.[1] ?? null, bestAsk: t.bestAsk?.[0] ?? null, bestAskSize: t.bestAsk?.[1] ?? null });
    }
    case '/api/v1/market/orderbook/level2_20':
    case '/api/v1/market/orderbook/level2_100':
    case '/api/v3/market/orderbook/level2': {
      const m = one();
      if (!m) return bad('Unsupported trading pair.');
      const depth = req.path.endsWith('_20') ? 20 : req.path.endsWith('_100') ? 100 : Number.MAX_SAFE_INTEGER;
      return book(m, depth, now);
    }
    case '/api/v1/market/histories': {
      const m = one();
      if (!m) return bad('Unsupported trading pair.');
      return ok(m.recentTrades({ limit: 100 }).map((t) => ({ sequence: String(t.id), price: t.price, size: t.size, side: t.side, time: Number(nanos(t.ts)) })));
    }
    case '/api/v1/market/candles': {
      const m = one();
      if (!m) return bad('Unsupported trading pair.');
      const tf = TYPES[q.get('type') ?? ''];
      if (tf === undefined) return bad('Unsupported candle type.');
      const startAt = intParam(q, 'startAt');
      const endAt = intParam(q, 'endAt');
      const cs = m.candles(TIMEFRAME_MS[tf] as number, { since: startAt === undefined ? undefined : startAt * 1000, until: endAt === undefined ? undefined : endAt * 1000, limit: 1500 });
      return ok(cs.reverse().map((c) => [String(c.start / 1000), c.open, c.close, c.high, c.low, c.volume, c.quoteVolume]));
    }
    default:
      return { status: 404, body: { code: '404000', msg: 'Not Found' } };
  }
}

function message(topic: string, subject: string, data: unknown): string {
  return JSON.stringify({ data, subject, topic, type: 'message' });
}

function hex24(n: number, salt: number): string {
  return (BigInt(n) * 16n + BigInt(salt)).toString(16).padStart(24, '0').slice(-24);
}

function match(def: MarketDef, t: TradeEvent): Record<string, unknown> {
  return {
    symbol: marketId(def),
    sequence: String(t.id),
    side: t.side,
    size: t.size,
    price: t.price,
    takerOrderId: hex24(t.id, 1),
    time: nanos(t.ts),
    type: 'match',
    makerOrderId: hex24(t.id, 2),
    tradeId: hex24(t.id, 3),
  };
}

function tickerData(m: MarketState, ts: number): Record<string, unknown> {
  const t = m.ticker();
  return {
    sequence: String(m.book.sequence),
    bestAsk: t.bestAsk?.[0] ?? null,
    size: t.lastSize ?? null,
    bestBidSize: t.bestBid?.[1] ?? null,
    price: t.last ?? null,
    time: ts,
    bestAskSize: t.bestAsk?.[1] ?? null,
    bestBid: t.bestBid?.[0] ?? null,
  };
}

function snapshotData(m: MarketState, ts: number): Record<string, unknown> {
  const t = m.ticker();
  const s = stats(m, ts);
  return {
    sequence: String(m.book.sequence),
    data: {
      averagePrice: s['averagePrice'],
      baseCurrency: m.def.base,
      board: 1,
      buy: s['buy'],
      changePrice: s['changePrice'],
      changeRate: s['changeRate'],
      close: t.last ?? null,
      datetime: ts,
      high: t.high ?? null,
      lastTradedPrice: t.last ?? null,
      low: t.low ?? null,
      makerCoefficient: 1,
      makerFeeRate: 0.001,
      marginTrade: false,
      mark: 0,
      market: m.def.quote,
      markets: [m.def.quote],
      open: t.open ?? null,
      quoteCurrency: m.def.quote,
      sell: s['sell'],
      sort: 100,
      symbol: marketId(m.def),
      symbolCode: marketId(m.def),
      takerCoefficient: 1,
      takerFeeRate: 0.001,
      trading: true,
      vol: Number(t.volume),
      volValue: Number(t.quoteVolume),
    },
  };
}

function withSeqs(levels: readonly Level[], first: number): string[][] {
  return levels.map(([p, s], i) => [p, s, String(first + i)]);
}

function encodeUpdate(session: WsSession, u: VenueUpdate): string[] {
  const out: string[] = [];
  const def = u.market.def;
  const id = marketId(def);
  for (const sub of session.subs.forSymbol(def.symbol)) {
    if (u.kind === 'trade') {
      const t = u.trade;
      if (sub.channel === 'trades') out.push(message(`/market/match:${id}`, 'trade.l3match', match(def, t)));
      else if (sub.channel === 'ticker') out.push(message(`/market/ticker:${id}`, 'trade.ticker', tickerData(u.market, t.ts)));
      else if (sub.channel === 'snapshot') out.push(message(`/market/snapshot:${id}`, 'trade.snapshot', snapshotData(u.market, t.ts)));
      else if (sub.channel.startsWith('candles:')) {
        const type = sub.channel.slice('candles:'.length);
        const tf = TIMEFRAME_MS[TYPES[type] as string] as number;
        const c = u.market.candles(tf, { since: Math.floor(t.ts / tf) * tf })[0];
        if (c) out.push(message(`/market/candles:${id}_${type}`, 'trade.candles.update', { symbol: id, candles: [String(c.start / 1000), c.open, c.close, c.high, c.low, c.volume, c.quoteVolume], time: Number(nanos(t.ts)) }));
      }
    } else if (sub.channel === 'book') {
      const { firstSeq, lastSeq, bids, asks } = u.update;
      out.push(
        message(`/market/level2:${id}`, 'trade.l2update', {
          sequenceStart: firstSeq,
          symbol: id,
          changes: { asks: withSeqs(asks, firstSeq + bids.length), bids: withSeqs(bids, firstSeq) },
          sequenceEnd: lastSeq,
        }),
      );
    }
  }
  return out;
}

function parseTopic(state: VenueState, topic: string): Subscription[] | undefined {
  const m = /^\/market\/(match|ticker|snapshot|level2|candles):(.+)$/.exec(topic);
  if (!m) return undefined;
  const kind = m[1] as string;
  const out: Subscription[] = [];
  for (const part of (m[2] as string).split(',')) {
    let idPart = part;
    let channel = kind === 'match' ? 'trades' : kind === 'level2' ? 'book' : kind;
    if (kind === 'candles') {
      const cm = /^(.+)_(\w+)$/.exec(part);
      if (!cm || TYPES[cm[2] as string] === undefined) return undefined;
      idPart = cm[1] as string;
      channel = `candles:${cm[2]}`;
    }
    const def = findByVenueId(state, codec, idPart);
    if (!def) return undefined;
    out.push({ channel, symbol: def.symbol, name: topic });
  }
  return out;
}

function wsMessage(session: WsSession, text: string, state: VenueState, now: number): string[] {
  const msg = parseFrame(text);
  const id = typeof msg?.['id'] === 'string' || typeof msg?.['id'] === 'number' ? String(msg['id']) : undefined;
  const type = msg?.['type'];
  const err = (code: number, data: string): string[] => [JSON.stringify({ id: id ?? '', type: 'error', code, data })];
  if (!msg || id === undefined) return err(400, 'invalid message: expected an object with id and type');
  if (type === 'ping') return [JSON.stringify({ id, type: 'pong', timestamp: now * 1000 })];
  if (type !== 'subscribe' && type !== 'unsubscribe') return err(404, `unknown type ${describeValue(type, 40)}`);
  const topic = msg['topic'];
  // KuCoin takes at most 100 comma-joined markets in one subscribe.
  if (typeof topic === 'string' && topic.split(',').length > MAX_TOPIC_MARKETS) return err(509, `exceed max subscription count limitation of ${MAX_TOPIC_MARKETS} per time`);
  const subs = typeof topic === 'string' ? parseTopic(state, topic) : undefined;
  if (!subs) return err(404, `topic ${describeValue(topic)} is not found`);
  for (const s of subs) {
    if (type === 'subscribe') session.subs.set(subKey(s), s);
    else session.subs.delete(subKey(s));
  }
  return msg['response'] === false ? [] : [JSON.stringify({ id, type: 'ack' })];
}

function wsOpen(path: string, query: URLSearchParams): ReturnType<VenueCodec['wsOpen']> {
  if (path !== '/endpoint') return undefined;
  const token = query.get('token') ?? '';
  if (!token.startsWith(KUCOIN_PUBLIC_TOKEN_PREFIX)) return undefined;
  // KuCoin echoes the client's connectId in the welcome.
  return { session: newSession('kucoin'), frames: [JSON.stringify({ id: query.get('connectId') ?? token.slice(KUCOIN_PUBLIC_TOKEN_PREFIX.length), type: 'welcome' })] };
}

export const codec: VenueCodec = { venue: 'kucoin', marketId, rest, wsOpen, wsMessage, encodeUpdate: (s, u) => encodeUpdate(s, u), heartbeat: () => [] };
