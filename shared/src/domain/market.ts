import type { Symbol } from './symbol';
import type { Timeframe } from './timeframe';

export type Side = 'buy' | 'sell';

export function isSide(x: unknown): x is Side {
  return x === 'buy' || x === 'sell';
}

/**
 * A trade or price update. Prices are numbers inside engines (fast, exact for
 * the values a venue prints); they cross process boundaries as decimal strings.
 */
export interface Tick {
  exchange: string;
  symbol: Symbol;
  /** Epoch milliseconds. */
  ts: number;
  price: number;
  /** Base-asset quantity traded; 0 for a pure price update. */
  qty: number;
  side?: Side;
  tradeId?: string;
}

export interface Bar {
  exchange: string;
  symbol: Symbol;
  timeframe: Timeframe;
  /** Epoch ms, UTC-aligned start of the period. */
  openTime: number;
  /** Epoch ms, exclusive end of the period. */
  closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}
