/**
 * Validation of a consensus from the bus (`signals.consensus`, untrusted input), with a small
 * fixed set of reasons (the label of `cte_consensus_invalid_total`).
 */
import { describeValue, ID_RE, InvalidArgumentError, isMessageTraceId, MONEY_COLUMN, parseDecimalColumn, parseSymbol, type ConsensusMessage, type TradableSymbols } from '@cte/shared/core';

export const INVALID_CONSENSUS_REASONS = ['malformed', 'id', 'symbol', 'side', 'confidence', 'agreement', 'sources', 'price', 'timestamp', 'future', 'trace_id'] as const;
export type InvalidConsensusReason = (typeof INVALID_CONSENSUS_REASONS)[number];

export type ConsensusValidation =
  | { ok: true; consensus: ConsensusMessage }
  | { ok: false; reason: InvalidConsensusReason; message: string };

const POSITIVE_DECIMAL = /^(?:0|[1-9]\d{0,29})(?:\.\d{1,18})?$/;
const MAX_SIGNAL_IDS = 10_000;

class Invalid extends Error {
  constructor(
    readonly reason: InvalidConsensusReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks every field; `future`: ts more than `maxClockSkewMs` ahead of `nowMs`. With `tradable`
 * (the fleet's TRADABLE_SYMBOLS), a consensus for any other symbol is invalid (`symbol`), naming it.
 */
export function validateConsensus(raw: unknown, nowMs: number, maxClockSkewMs = 60_000, tradable?: TradableSymbols): ConsensusValidation {
  try {
    return { ok: true, consensus: parse(raw, nowMs + maxClockSkewMs, tradable) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

function parse(raw: unknown, latest: number, tradable: TradableSymbols | undefined): ConsensusMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Invalid('malformed', 'consensus must be an object');
  const r = raw as Record<string, unknown>;
  const unit = (k: 'confidence' | 'agreement'): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new Invalid(k, `consensus.${k} must be a number in [0, 1], got ${describeValue(v)}`);
    return v;
  };
  if (typeof r.id !== 'string' || !ID_RE.test(r.id)) throw new Invalid('id', `consensus.id is invalid: ${describeValue(r.id)}`);
  let symbol: string;
  try {
    symbol = parseSymbol(r.symbol);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new Invalid('symbol', `consensus.symbol: ${err.message}`);
    throw err;
  }
  if (tradable !== undefined && !tradable.has(symbol)) throw new Invalid('symbol', tradable.unknown(symbol, 'consensus.symbol').message);
  const side = r.side;
  if (side !== 'BUY' && side !== 'SELL' && side !== 'HOLD') throw new Invalid('side', `consensus.side must be BUY, SELL or HOLD, got ${describeValue(side)}`);
  const confidence = unit('confidence');
  const agreement = unit('agreement');
  if (typeof r.sources !== 'number' || !Number.isInteger(r.sources) || r.sources < 0 || r.sources > 1_000_000) {
    throw new Invalid('sources', `consensus.sources must be a non-negative integer, got ${describeValue(r.sources)}`);
  }
  const ids = r.signal_ids;
  if (!Array.isArray(ids) || ids.length > MAX_SIGNAL_IDS || !ids.every((x) => typeof x === 'string' && ID_RE.test(x))) {
    throw new Invalid('malformed', 'consensus.signal_ids must be a list of ids');
  }
  if (typeof r.price !== 'string' || !POSITIVE_DECIMAL.test(r.price) || !/[1-9]/.test(r.price)) {
    throw new Invalid('price', `consensus.price must be a decimal string > 0, got ${describeValue(r.price)}`);
  }
  try {
    parseDecimalColumn(r.price, 'consensus.price', MONEY_COLUMN); // trade_recommendations.price
  } catch (err) {
    throw new Invalid('price', (err as Error).message);
  }
  if (typeof r.ts !== 'number' || !Number.isSafeInteger(r.ts) || r.ts <= 0) throw new Invalid('timestamp', `consensus.ts must be epoch ms, got ${describeValue(r.ts)}`);
  if (r.ts > latest) throw new Invalid('future', `consensus.ts ${r.ts} is in the future`);
  if (typeof r.trace_id !== 'string' || !isMessageTraceId(r.trace_id)) throw new Invalid('trace_id', `consensus.trace_id is invalid: ${describeValue(r.trace_id)}`);
  return {
    id: r.id,
    symbol,
    side,
    confidence,
    agreement,
    sources: r.sources,
    signal_ids: ids as string[],
    price: r.price,
    ts: r.ts,
    trace_id: r.trace_id,
  };
}
