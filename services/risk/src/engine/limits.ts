/**
 * Risk limits: names, defaults, validation of every value (the same rules for env variables,
 * PUT /limits, UpdateLimits and rows read back from risk_limits), the wire form (decimal
 * strings, as in proto Limits) and the prepared form the engine checks against.
 */
import { describeValue, Dec, InvalidArgumentError, parseSymbol, type Symbol, type TradableSymbols } from '@cte/shared/core';
import type { PreparedLimits, RiskLimits } from './types';

/** The wire form: what GET /limits and GetLimits return. */
export interface WireLimits {
  max_position_pct: string;
  max_gross_exposure_pct: string;
  max_trades_per_day: string;
  max_trades_per_day_per_symbol: string;
  max_order_notional: string;
  min_order_notional: string;
  max_daily_loss_pct: string;
  max_drawdown_pct: string;
  max_price_age_ms: string;
  allowed_symbols: string[];
}
export type LimitName = keyof WireLimits;

/** Limit name → RiskLimits field. */
export const LIMIT_FIELDS: Readonly<Record<LimitName, keyof RiskLimits>> = {
  max_position_pct: 'maxPositionPct',
  max_gross_exposure_pct: 'maxGrossExposurePct',
  max_trades_per_day: 'maxTradesPerDay',
  max_trades_per_day_per_symbol: 'maxTradesPerDayPerSymbol',
  max_order_notional: 'maxOrderNotional',
  min_order_notional: 'minOrderNotional',
  max_daily_loss_pct: 'maxDailyLossPct',
  max_drawdown_pct: 'maxDrawdownPct',
  max_price_age_ms: 'maxPriceAgeMs',
  allowed_symbols: 'allowedSymbols',
};
export const LIMIT_NAMES = Object.keys(LIMIT_FIELDS) as LimitName[];

export function isLimitName(name: string): name is LimitName {
  return Object.prototype.hasOwnProperty.call(LIMIT_FIELDS, name);
}

/** Defaults when neither the environment nor risk_limits says otherwise. */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  max_position_pct: '5',
  max_gross_exposure_pct: '80',
  max_trades_per_day: '100',
  max_trades_per_day_per_symbol: '20',
  max_order_notional: '50000',
  min_order_notional: '10',
  max_daily_loss_pct: '5',
  max_drawdown_pct: '20',
  max_price_age_ms: '60000',
  allowed_symbols: [],
});

const DECIMAL = /^(?:0|[1-9]\d{0,17})(?:\.\d{1,18})?$/;
const INTEGER = /^(?:0|[1-9]\d{0,15})$/;
const MAX_SYMBOLS = 1000;

type Kind = { kind: 'decimal'; min: Dec; minInclusive: boolean; max: Dec } | { kind: 'int'; min: number; max: number } | { kind: 'symbols' };

const dec = (min: string, minInclusive: boolean, max: string): Kind => ({ kind: 'decimal', min: new Dec(min), minInclusive, max: new Dec(max) });
const MAX_MONEY = '1000000000000000000';

const KINDS: Readonly<Record<LimitName, Kind>> = {
  max_position_pct: dec('0', false, '100'),
  max_gross_exposure_pct: dec('0', false, '1000'),
  max_trades_per_day: { kind: 'int', min: 0, max: 100_000_000 },
  max_trades_per_day_per_symbol: { kind: 'int', min: 0, max: 100_000_000 },
  max_order_notional: dec('0', false, MAX_MONEY),
  min_order_notional: dec('0', true, MAX_MONEY),
  max_daily_loss_pct: dec('0', false, '100'),
  max_drawdown_pct: dec('0', false, '100'),
  max_price_age_ms: { kind: 'int', min: 0, max: 30 * 86_400_000 },
  allowed_symbols: { kind: 'symbols' },
};

/** What each limit accepts, for error messages and the README. */
export function describeLimit(name: LimitName): string {
  const k = KINDS[name];
  if (k.kind === 'symbols') return 'a list of symbols such as BTC/USDT (empty = all)';
  if (k.kind === 'int') return `an integer in [${k.min}, ${k.max}]`;
  return `a decimal ${k.minInclusive ? '>=' : '>'} ${k.min.toFixed()} and <= ${k.max.toFixed()} (at most 18 decimals)`;
}

/**
 * Validates one limit value from an untrusted source (JSON number or decimal string; an array
 * of symbols, or a comma-separated string, for allowed_symbols) and returns its canonical wire
 * form. Throws InvalidArgumentError naming the limit. allowed_symbols must name tradable symbols
 * (`symbols`); only values read back from risk_limits pass undefined, because dropping a stored
 * entry could widen the set and refusing it would stop the start.
 */
export function parseLimitValue(name: LimitName, raw: unknown, symbols: TradableSymbols | undefined): string | string[] {
  const k = KINDS[name];
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`${name} must be ${describeLimit(name)}${why ? `: ${why}` : ''}, got ${describeValue(raw)}`);
  };
  if (k.kind === 'symbols') {
    const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : bad('');
    if (items.length > MAX_SYMBOLS) bad(`at most ${MAX_SYMBOLS} symbols`);
    const out = new Set<string>();
    for (const item of items) {
      let symbol: Symbol;
      try {
        symbol = parseSymbol(item);
      } catch (err) {
        return bad((err as Error).message);
      }
      if (symbols !== undefined) symbols.check(symbol, name);
      out.add(symbol);
    }
    return [...out].sort();
  }
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) bad('not finite');
    text = String(raw);
    if (/e/i.test(text)) text = new Dec(text).toFixed();
  } else if (typeof raw === 'string') {
    text = raw.trim();
  } else {
    return bad('');
  }
  if (text.startsWith('-')) bad('negative');
  if (k.kind === 'int') {
    if (!INTEGER.test(text)) bad('');
    const n = Number(text);
    if (n < k.min || n > k.max) bad('out of range');
    return String(n);
  }
  if (!DECIMAL.test(text)) bad('');
  const v = new Dec(text);
  if (k.minInclusive ? v.lt(k.min) : v.lte(k.min)) bad('out of range');
  if (v.gt(k.max)) bad('out of range');
  return v.toFixed();
}

/** The engine's limits from a complete, already validated wire form. */
export function limitsFromWire(w: WireLimits): RiskLimits {
  return {
    maxPositionPct: new Dec(w.max_position_pct),
    maxGrossExposurePct: new Dec(w.max_gross_exposure_pct),
    maxTradesPerDay: Number(w.max_trades_per_day),
    maxTradesPerDayPerSymbol: Number(w.max_trades_per_day_per_symbol),
    maxOrderNotional: new Dec(w.max_order_notional),
    minOrderNotional: new Dec(w.min_order_notional),
    maxDailyLossPct: new Dec(w.max_daily_loss_pct),
    maxDrawdownPct: new Dec(w.max_drawdown_pct),
    maxPriceAgeMs: Number(w.max_price_age_ms),
    allowedSymbols: [...w.allowed_symbols] as Symbol[],
  };
}

export function limitsToWire(l: RiskLimits): WireLimits {
  return {
    max_position_pct: l.maxPositionPct.toFixed(),
    max_gross_exposure_pct: l.maxGrossExposurePct.toFixed(),
    max_trades_per_day: String(l.maxTradesPerDay),
    max_trades_per_day_per_symbol: String(l.maxTradesPerDayPerSymbol),
    max_order_notional: l.maxOrderNotional.toFixed(),
    min_order_notional: l.minOrderNotional.toFixed(),
    max_daily_loss_pct: l.maxDailyLossPct.toFixed(),
    max_drawdown_pct: l.maxDrawdownPct.toFixed(),
    max_price_age_ms: String(l.maxPriceAgeMs),
    allowed_symbols: [...l.allowedSymbols],
  };
}

/** Cross-limit rules of a complete set; throws InvalidArgumentError. */
export function validateLimitSet(w: WireLimits): void {
  if (new Dec(w.min_order_notional).gt(new Dec(w.max_order_notional))) {
    throw new InvalidArgumentError(`min_order_notional (${w.min_order_notional}) must not exceed max_order_notional (${w.max_order_notional})`);
  }
}

/** A validated partial update: values to set, and names to reset to their environment default. */
export interface LimitsPatch {
  set: Partial<Record<LimitName, string | string[]>>;
  reset: LimitName[];
}

/**
 * Validates a PUT /limits body: an object of known limit names; each value valid for its limit,
 * or null to drop the stored override (back to the env default). Unknown keys, negative, NaN,
 * non-numeric and out-of-range values are InvalidArgumentError naming the key; nothing is applied.
 */
export function parseLimitsPatch(body: unknown, symbols: TradableSymbols): LimitsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('body must be a JSON object of limits');
  const entries = Object.entries(body as Record<string, unknown>);
  const unknown = entries.map(([k]) => k).filter((k) => !isLimitName(k));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown limit(s): ${unknown.join(', ')}; known: ${LIMIT_NAMES.join(', ')}`);
  if (entries.length === 0) throw new InvalidArgumentError('body names no limit');
  const patch: LimitsPatch = { set: {}, reset: [] };
  for (const [k, v] of entries) {
    const name = k as LimitName;
    if (v === null) patch.reset.push(name);
    else patch.set[name] = parseLimitValue(name, v, symbols);
  }
  return patch;
}

const HUNDRED = new Dec(100);

/** Precomputes what every check needs (fractions of equity, the allow-set). */
export function prepareLimits(limits: RiskLimits): PreparedLimits {
  return {
    limits,
    positionFraction: limits.maxPositionPct.div(HUNDRED),
    grossFraction: limits.maxGrossExposurePct.div(HUNDRED),
    dailyLossFraction: limits.maxDailyLossPct.div(HUNDRED),
    drawdownFraction: limits.maxDrawdownPct.div(HUNDRED),
    allowed: limits.allowedSymbols.length > 0 ? new Set(limits.allowedSymbols) : undefined,
  };
}
