/**
 * Classifies why an untrusted signal is refused, as a small fixed set of reasons (the label of
 * `cte_signals_rejected_total`). Field checks are the shared contract's (`parseSignalMessage`);
 * this module only names the outcome.
 */
import { InvalidArgumentError, parseSignalMessage, type SignalMessage } from '@cte/shared/core';

export const REJECT_REASONS = [
  /** Not an object, or a bad id, agent_id, source_type, trace_id, model_version or features_ref. */
  'malformed',
  /** Not a BASE/QUOTE symbol. */
  'symbol',
  /** A well-formed symbol nobody prices (not in SYMBOLS, never seen on price bars/ticks). */
  'unknown_symbol',
  /** Confidence missing, not a number, NaN or outside 0..1. */
  'confidence',
  'side',
  'timeframe',
  /** horizon_ms missing or outside 1 ms .. 30 days. */
  'horizon',
  /** price not an unsigned decimal string. */
  'price',
  /** bar_time/created_at missing or negative. */
  'timestamp',
  /** bar_time/created_at ahead of the wall clock (beyond skew), or the signal ahead of the symbol's data time. */
  'future',
  /** Older than the consensus max age, relative to the symbol's latest data time. */
  'stale',
  /** Same signal id already stored (a redelivery or a producer retry). */
  'duplicate',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type SignalValidation =
  | { ok: true; signal: SignalMessage }
  | { ok: false; reason: RejectReason; message: string };

const FIELD_REASON: Readonly<Record<string, RejectReason>> = {
  confidence: 'confidence',
  side: 'side',
  timeframe: 'timeframe',
  horizon_ms: 'horizon',
  price: 'price',
  symbol: 'unknown_symbol',
};

/** Structural validation (shared contract) plus the wall-clock future check; no symbol or data-time checks. */
export function validateSignalShape(raw: unknown, nowMs: number, maxClockSkewMs: number): SignalValidation {
  try {
    return { ok: true, signal: parseSignalMessage(raw, { nowMs, maxClockSkewMs }) };
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return { ok: false, reason: classify(raw, err.message, nowMs + maxClockSkewMs), message: err.message };
  }
}

function classify(raw: unknown, message: string, latestMs: number): RejectReason {
  if (message.startsWith('invalid symbol')) return 'symbol';
  const field = /^signal\.(\w+)/.exec(message)?.[1];
  if (field === undefined) return 'malformed';
  if (field === 'bar_time' || field === 'created_at') {
    const v = (raw as Record<string, unknown>)[field];
    return typeof v === 'number' && Number.isFinite(v) && v > latestMs ? 'future' : 'timestamp';
  }
  return FIELD_REASON[field] ?? 'malformed';
}
