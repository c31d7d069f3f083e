/**
 * What every strategy shares: the read-only view of a bar's features it
 * evaluates, and the decision it returns. Pure: no I/O, no clocks.
 */
import type { SignalSide } from '@cte/shared/core';

/**
 * A bar's features by name (close, ema_12, rsi_14, ...). A feature that is not
 * known yet, or not warm (too few bars), reads as NaN.
 */
export interface FeatureView {
  get(name: string): number;
}

export interface StrategyDecision {
  side: SignalSide;
  /** 0..1. HOLD carries 0: no directional conviction. */
  confidence: number;
  /** Why, in a few words (for agent logs and debugging). */
  reason: string;
}

/** A FeatureView over a plain record; missing names read as NaN. */
export function featureViewFrom(values: Readonly<Record<string, number>>): FeatureView {
  return {
    get(name: string): number {
      const v = values[name];
      return typeof v === 'number' ? v : Number.NaN;
    },
  };
}

/** Clamps to [0, 1]; NaN becomes 0. */
export function clamp01(x: number): number {
  if (!(x > 0)) return 0;
  return x > 1 ? 1 : x;
}

export function hold(reason: string): StrategyDecision {
  return { side: 'HOLD', confidence: 0, reason };
}

/**
 * Reads `names` from the view; returns undefined (after naming the first cold
 * feature in `missing`) when any is not a finite number.
 */
export function readFeatures<N extends string>(view: FeatureView, names: readonly N[]): Record<N, number> | { missing: N } {
  const out = {} as Record<N, number>;
  for (const n of names) {
    const v = view.get(n);
    if (!Number.isFinite(v)) return { missing: n };
    out[n] = v;
  }
  return out;
}

export function isMissing<N extends string>(r: Record<N, number> | { missing: N }): r is { missing: N } {
  return typeof (r as { missing?: unknown }).missing === 'string';
}

/** Rounds a confidence for stable output (8 decimals, the column's scale) and clamps it. */
export function confidence(x: number): number {
  return Math.round(clamp01(x) * 1e8) / 1e8;
}
