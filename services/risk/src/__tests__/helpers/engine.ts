import { Dec, type Symbol, type TradingStateName } from '@cte/shared';
import { DEFAULT_WIRE_LIMITS, limitsFromWire, prepareLimits, type WireLimits } from '../../engine/limits';
import type { CheckContext, CheckInput, ExposureSnapshot, PendingExposure, SymbolPosition } from '../../engine/types';

export const BTC = 'BTC/USDT' as Symbol;
export const ETH = 'ETH/USDT' as Symbol;

export const d = (v: string | number): Dec => new Dec(v);

export function limits(over: Partial<WireLimits> = {}) {
  return prepareLimits(limitsFromWire({ ...DEFAULT_WIRE_LIMITS, ...over }));
}

export function exposure(o: {
  equity?: string;
  gross?: string;
  positions?: Record<string, [qty: string, notional: string]>;
  sod?: string;
  peak?: string;
} = {}): ExposureSnapshot {
  const symbols = new Map<Symbol, SymbolPosition>();
  let gross = new Dec(0);
  for (const [s, [qty, notional]] of Object.entries(o.positions ?? {})) {
    symbols.set(s, { qty: d(qty), notional: d(notional) });
    gross = gross.plus(d(notional).abs());
  }
  const equity = o.equity ?? '100000';
  return {
    equity: d(equity),
    grossExposure: o.gross !== undefined ? d(o.gross) : gross,
    symbols,
    startOfDayEquity: d(o.sod ?? equity),
    peakEquity: d(o.peak ?? equity),
  };
}

export function ctx(o: {
  limits?: Partial<WireLimits>;
  state?: TradingStateName;
  exposure?: ExposureSnapshot;
  price?: string | null;
  ageMs?: number;
  feedSilenceMs?: number;
  tradesToday?: number;
  tradesTodaySymbol?: number;
  pending?: PendingExposure;
} = {}): CheckContext {
  const price = o.price === undefined ? '100' : o.price;
  return {
    limits: limits(o.limits),
    state: o.state ?? 'ACTIVE',
    exposure: o.exposure ?? exposure(),
    price: price === null ? undefined : { price: d(price), ageMs: o.ageMs ?? 0, feedSilenceMs: o.feedSilenceMs ?? 0 },
    tradesToday: o.tradesToday ?? 0,
    tradesTodaySymbol: o.tradesTodaySymbol ?? 0,
    pending: o.pending,
  };
}

export function order(side: 'buy' | 'sell', qty: string, symbol: Symbol = BTC, price?: string): CheckInput {
  return { symbol, side, qty: d(qty), price: price === undefined ? undefined : d(price) };
}
