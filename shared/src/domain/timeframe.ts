import { describeValue } from '../describe';
import { InvalidArgumentError } from '../errors';

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

const MS: Record<Timeframe, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

export function isTimeframe(x: unknown): x is Timeframe {
  return typeof x === 'string' && (TIMEFRAMES as readonly string[]).includes(x);
}

export function parseTimeframe(x: unknown): Timeframe {
  if (!isTimeframe(x)) {
    throw new InvalidArgumentError(`invalid timeframe ${describeValue(x)}: expected one of ${TIMEFRAMES.join(', ')}`);
  }
  return x;
}

export function timeframeMs(tf: Timeframe): number {
  return MS[tf];
}

/** Start of the UTC-aligned period of `tf` containing `ts` (epoch ms). */
export function alignToTimeframe(ts: number, tf: Timeframe): number {
  const ms = MS[tf];
  return ts - (((ts % ms) + ms) % ms);
}
