import { InvalidArgumentError } from '@cte/shared/core';
import type { Bar } from '@cte/shared/core';

/** Throws InvalidArgumentError unless prices are finite and > 0, volume finite and ≥ 0, and low ≤ open, close ≤ high. */
export function checkBarValues(bar: Bar): void {
  const { open: o, high: h, low: l, close: c, volume: v, openTime: t } = bar;
  if (!(o > 0 && h > 0 && l > 0 && c > 0 && h < Infinity)) {
    throw new InvalidArgumentError(`bar prices must be finite and > 0 (open ${o} high ${h} low ${l} close ${c})`, { openTime: t });
  }
  if (!(v >= 0 && v < Infinity)) throw new InvalidArgumentError(`bar volume must be finite and >= 0, got ${v}`, { openTime: t });
  if (!(l <= o && l <= c && o <= h && c <= h)) {
    throw new InvalidArgumentError(`inconsistent bar: open ${o} high ${h} low ${l} close ${c}`, { openTime: t });
  }
}

/** Throws InvalidArgumentError unless `t` is a finite time later than `previous` (NaN: no previous bar). */
export function checkBarOrder(t: number, previous: number): void {
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`bar openTime must be a finite epoch ms, got ${t}`, { openTime: t });
  if (previous === previous && !(t > previous)) {
    throw new InvalidArgumentError(
      `bar at ${new Date(t).toISOString()} is not later than the previous bar at ${new Date(previous).toISOString()}`,
      { openTime: t, previousOpenTime: previous },
    );
  }
}
