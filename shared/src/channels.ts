/**
 * Typed payloads of the fleet's channels (DESIGN principle 2), and their validation at the
 * receiving boundary. Prices travel as decimal strings, times as epoch ms.
 */
import { describeValue } from './describe';
import { MESSAGE_TRACE_ID_RE } from './trace';
import { ID_RE } from './domain/fields';
import { InvalidArgumentError } from './errors';
import { MONEY_COLUMN, parseDecimalColumn } from './domain/decimal-column';
import { parseSymbol, symbolToChannelKey, type Symbol } from './domain/symbol';
import { isTimeframe, type Timeframe } from './domain/timeframe';
import type { Bar } from './domain/market';

export const CHANNELS = {
  /** Raw signals from signal-generator (ML models and strategy agents). Durable stream. */
  signalsRaw: 'signals.raw',
  alerts: 'data.alerts',
  /** Consensus per symbol from signals-aggregator. Pub/sub. */
  signalsConsensus: 'signals.consensus',
} as const;

/** `data.ticks.BTC-USDT`: conflated prices of one symbol. */
export const tickChannel = (symbol: Symbol): string => `data.ticks.${symbolToChannelKey(symbol)}`;
/** `data.bars.1h.BTC-USDT`: closed bars of one timeframe and symbol; subscribe to `data.bars.1h.*` for all. */
export const barChannel = (tf: Timeframe, symbol: Symbol): string => `data.bars.${tf}.${symbolToChannelKey(symbol)}`;

/** `data.ticks.{BASE-QUOTE}`: conflated latest price. */
export interface PriceMessage {
  exchange: string;
  symbol: string;
  price: string;
  ts: number;
}

/** `data.bars.{tf}.{BASE-QUOTE}`: a closed bar. */
export interface BarMessage {
  exchange: string;
  symbol: string;
  timeframe: string;
  open_time: number;
  close_time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

/** `data.alerts`: a price monitor fired. */
export interface AlertMessage {
  id: string;
  monitor_id: string;
  exchange: string;
  symbol: string;
  direction: 'up' | 'down';
  change_pct: number;
  reference_price: string;
  price: string;
  window_ms: number;
  ts: number;
  trace_id: string;
}

/** Validates a bar from the bus and converts it to the engine's numeric `Bar`. */
export function parseBarMessage(raw: unknown): Bar {
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError('bar must be an object');
  const r = raw as Record<string, unknown>;
  const price = (k: string): number => {
    const v = r[k];
    const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`bar.${k} must be a decimal string, got ${describeValue(v)}`);
    return n;
  };
  const time = (k: string): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`bar.${k} must be epoch ms, got ${describeValue(v)}`);
    return v;
  };
  if (!isTimeframe(r.timeframe)) throw new InvalidArgumentError(`bar.timeframe is invalid: ${describeValue(r.timeframe)}`);
  if (typeof r.exchange !== 'string' || r.exchange === '') throw new InvalidArgumentError('bar.exchange is required');
  const bar: Bar = {
    exchange: r.exchange,
    symbol: parseSymbol(r.symbol),
    timeframe: r.timeframe,
    openTime: time('open_time'),
    closeTime: time('close_time'),
    open: price('open'),
    high: price('high'),
    low: price('low'),
    close: price('close'),
    volume: price('volume'),
    trades: typeof r.trades === 'number' && Number.isFinite(r.trades) ? r.trades : 0,
  };
  if (bar.closeTime <= bar.openTime || bar.high < bar.low) throw new InvalidArgumentError('bar is inconsistent (close_time <= open_time or high < low)');
  return bar;
}

export type SignalSide = 'BUY' | 'SELL' | 'HOLD';
export const SIGNAL_SIDES: readonly SignalSide[] = ['BUY', 'SELL', 'HOLD'];

/** One signal of one source (`agent_id`) for one symbol and bar. */
export interface SignalMessage {
  id: string;
  agent_id: string;
  /** Agent type, e.g. ml_model, trend_follower. */
  source_type: string;
  symbol: Symbol;
  timeframe: Timeframe;
  side: SignalSide;
  /** 0..1 */
  confidence: number;
  /** How far ahead the signal looks, in ms (the aggregator scores it over this horizon). */
  horizon_ms: number;
  /** Close price of the bar the signal was made on (decimal string). */
  price: string;
  model_version?: string | undefined;
  /** Reference to the stored feature vector, when there is one. */
  features_ref?: string | undefined;
  /** Epoch ms: open time of the bar the signal was made on. */
  bar_time: number;
  /** Epoch ms when the signal was made. */
  created_at: number;
  trace_id: string;
}

export interface ConsensusMessage {
  id: string;
  symbol: Symbol;
  side: SignalSide;
  /** 0..1 */
  confidence: number;
  /** Weight share of the winning side among contributing signals, 0..1. */
  agreement: number;
  /** Number of distinct sources that contributed. */
  sources: number;
  signal_ids: string[];
  /** Close price the consensus refers to (decimal string). */
  price: string;
  ts: number;
  trace_id: string;
  /** The bar the decision is for (one decision per symbol, timeframe and bar); absent from older producers. */
  timeframe?: Timeframe | undefined;
  /** Epoch ms: open time of that bar; `ts` is its close (bar_time + timeframe). */
  bar_time?: number | undefined;
}

const ID = ID_RE;
const DECIMAL = /^\d+(\.\d+)?$/;

/** `v` unchanged when the money columns it ends up in (DECIMAL(36,18)) store it exactly; throws otherwise. */
function fitsMoney(v: string, field: string): string {
  parseDecimalColumn(v, field, MONEY_COLUMN);
  return v;
}

export interface SignalValidationOptions {
  /** Now, for the future-timestamp check. */
  nowMs: number;
  /** How far in the future a bar_time/created_at may be (clock skew). Default 60 s. */
  maxClockSkewMs?: number;
  /** When given, the symbol must be one of these. */
  knownSymbols?: ReadonlySet<string>;
}

/**
 * Validates an untrusted signal (from the bus); throws InvalidArgumentError naming the field.
 * Rejects confidence outside 0..1 or NaN, unknown symbols, future timestamps, bad sides.
 */
export function parseSignalMessage(raw: unknown, opts: SignalValidationOptions): SignalMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('signal must be an object');
  const r = raw as Record<string, unknown>;
  const str = (k: string, re: RegExp = ID): string => {
    const v = r[k];
    if (typeof v !== 'string' || !re.test(v)) throw new InvalidArgumentError(`signal.${k} is invalid: ${describeValue(v)}`);
    return v;
  };
  const num = (k: string, min: number, max: number): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new InvalidArgumentError(`signal.${k} must be a number in [${min}, ${max}], got ${describeValue(v)}`);
    }
    return v;
  };
  const symbol = parseSymbol(r.symbol);
  if (opts.knownSymbols && !opts.knownSymbols.has(symbol)) throw new InvalidArgumentError(`signal.symbol ${symbol} is not a known symbol`);
  if (!isTimeframe(r.timeframe)) throw new InvalidArgumentError(`signal.timeframe is invalid: ${describeValue(r.timeframe)}`);
  const side = r.side;
  if (side !== 'BUY' && side !== 'SELL' && side !== 'HOLD') throw new InvalidArgumentError(`signal.side must be BUY, SELL or HOLD, got ${describeValue(side)}`);
  const skew = opts.maxClockSkewMs ?? 60_000;
  const latest = opts.nowMs + skew;
  const msg: SignalMessage = {
    id: str('id'),
    agent_id: str('agent_id'),
    source_type: str('source_type', /^[a-z][a-z0-9_]{0,31}$/),
    symbol,
    timeframe: r.timeframe,
    side,
    confidence: num('confidence', 0, 1),
    horizon_ms: num('horizon_ms', 1, 30 * 86_400_000),
    price: fitsMoney(str('price', DECIMAL), 'signal.price'),
    bar_time: num('bar_time', 0, latest),
    created_at: num('created_at', 0, latest),
    trace_id: str('trace_id', MESSAGE_TRACE_ID_RE),
  };
  if (r.model_version !== undefined && r.model_version !== null) msg.model_version = str('model_version', /^[\w.:-]{1,64}$/);
  if (r.features_ref !== undefined && r.features_ref !== null) msg.features_ref = str('features_ref', /^[\w.:/-]{1,200}$/);
  return msg;
}

// ---------------------------------------------------------------------------
// The trading path
// ---------------------------------------------------------------------------

export const TRADING_CHANNELS = {
  /** Order lifecycle events from execution. Pub/sub. */
  orders: 'events.orders',
  /** Fills from execution. Durable stream, appended only after the database commit. */
  fills: 'events.fills',
  /** The fleet-wide trading state (kill switch) from risk. Pub/sub; the state is also persisted and queryable. */
  tradingState: 'commands.trading_state',
} as const;

export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';
export const TRADING_STATES: readonly TradingStateName[] = ['ACTIVE', 'REDUCING', 'HALTED'];

/** `commands.trading_state` */
export interface TradingStateMessage {
  state: TradingStateName;
  reason: string;
  updated_at: number;
  updated_by: string;
}

export type OrderSide = 'buy' | 'sell';
export type OrderStatus = 'NEW' | 'SUBMITTED' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

/** `events.fills`: one execution of (part of) an order. Unique per (venue, venue_trade_id). */
export interface FillMessage {
  /** Our id of the fill (trades.id). */
  fill_id: string;
  venue: string;
  venue_trade_id: string;
  order_id: string;
  client_order_id: string;
  symbol: Symbol;
  side: OrderSide;
  /** Base quantity, decimal string > 0. */
  qty: string;
  /** Decimal string > 0. */
  price: string;
  /** Decimal string >= 0. */
  fee: string;
  fee_currency: string;
  liquidity: 'maker' | 'taker';
  /** Epoch ms of the fill at the venue. */
  ts: number;
  trace_id: string;
}

/** `events.orders` */
export interface OrderEventMessage {
  event: 'created' | 'submitted' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired' | 'failed';
  order_id: string;
  client_order_id: string;
  recommendation_id: string;
  symbol: Symbol;
  side: OrderSide;
  status: OrderStatus;
  qty: string;
  filled_qty: string;
  avg_fill_price: string;
  reason: string;
  ts: number;
  trace_id: string;
}

const POSITIVE_DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** Validates a fill from the bus (the ledger's input); throws InvalidArgumentError naming the field. */
export function parseFillMessage(raw: unknown): FillMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('fill must be an object');
  const r = raw as Record<string, unknown>;
  const str = (k: string, re: RegExp): string => {
    const v = r[k];
    if (typeof v !== 'string' || !re.test(v)) throw new InvalidArgumentError(`fill.${k} is invalid: ${describeValue(v)}`);
    return v;
  };
  const positive = (k: string): string => {
    const v = str(k, POSITIVE_DECIMAL);
    if (!/[1-9]/.test(v)) throw new InvalidArgumentError(`fill.${k} must be > 0`);
    return fitsMoney(v, `fill.${k}`);
  };
  if (r.side !== 'buy' && r.side !== 'sell') throw new InvalidArgumentError(`fill.side must be buy or sell, got ${describeValue(r.side)}`);
  if (r.liquidity !== 'maker' && r.liquidity !== 'taker') throw new InvalidArgumentError('fill.liquidity must be maker or taker');
  if (typeof r.ts !== 'number' || !Number.isSafeInteger(r.ts) || r.ts <= 0) throw new InvalidArgumentError('fill.ts must be epoch ms');
  return {
    fill_id: str('fill_id', ID),
    venue: str('venue', /^[a-z0-9_]{1,32}$/),
    venue_trade_id: str('venue_trade_id', /^[\w.:-]{1,128}$/),
    order_id: str('order_id', ID),
    client_order_id: str('client_order_id', ID),
    symbol: parseSymbol(r.symbol),
    side: r.side,
    qty: positive('qty'),
    price: positive('price'),
    fee: fitsMoney(str('fee', POSITIVE_DECIMAL), 'fill.fee'),
    fee_currency: str('fee_currency', /^[A-Z0-9]{1,20}$/),
    liquidity: r.liquidity,
    ts: r.ts,
    trace_id: str('trace_id', MESSAGE_TRACE_ID_RE),
  };
}
