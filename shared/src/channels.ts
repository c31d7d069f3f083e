/**
 * Typed payloads of the fleet's channels (DESIGN principle 2), and their validation at the
 * receiving boundary. Prices travel as decimal strings, times as epoch ms.
 */
import { InvalidArgumentError } from './errors';
import { parseSymbol, type Symbol } from './domain/symbol';
import { isTimeframe, type Timeframe } from './domain/timeframe';

export const CHANNELS = {
  /** Raw signals from signal-generator (ML models and strategy agents). Durable stream. */
  signalsRaw: 'signals.raw',
  /** Consensus per symbol from signals-aggregator. Pub/sub. */
  signalsConsensus: 'signals.consensus',
} as const;

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
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

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
    if (typeof v !== 'string' || !re.test(v)) throw new InvalidArgumentError(`signal.${k} is invalid: ${JSON.stringify(v)}`);
    return v;
  };
  const num = (k: string, min: number, max: number): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new InvalidArgumentError(`signal.${k} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const symbol = parseSymbol(r.symbol);
  if (opts.knownSymbols && !opts.knownSymbols.has(symbol)) throw new InvalidArgumentError(`signal.symbol ${symbol} is not a known symbol`);
  if (!isTimeframe(r.timeframe)) throw new InvalidArgumentError(`signal.timeframe is invalid: ${JSON.stringify(r.timeframe)}`);
  const side = r.side;
  if (side !== 'BUY' && side !== 'SELL' && side !== 'HOLD') throw new InvalidArgumentError(`signal.side must be BUY, SELL or HOLD, got ${JSON.stringify(side)}`);
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
    price: str('price', DECIMAL),
    bar_time: num('bar_time', 0, latest),
    created_at: num('created_at', 0, latest),
    trace_id: str('trace_id', /^[A-Za-z0-9-]{8,64}$/),
  };
  if (r.model_version !== undefined && r.model_version !== null) msg.model_version = str('model_version', /^[\w.:-]{1,64}$/);
  if (r.features_ref !== undefined && r.features_ref !== null) msg.features_ref = str('features_ref', /^[\w.:/-]{1,200}$/);
  return msg;
}
