import type { SignalMessage } from '@cte/shared';

export const MIN = 60_000;
/** 2018-04-04T00:00Z: data time in the past, like the bundled replay. */
export const T0 = Date.UTC(2018, 3, 4);
/** Wall clock for validation: well after every bar_time used in tests. */
export const WALL = Date.UTC(2026, 0, 1);

let n = 0;

/** A valid 1m signal; asOf = bar_time + 1 min, due = asOf + horizon. */
export function sig(over: Partial<SignalMessage> = {}): SignalMessage {
  n++;
  return {
    id: `sig-${n}`,
    agent_id: 'agent_a',
    source_type: 'ml_model',
    symbol: 'BTC/USD',
    timeframe: '1m',
    side: 'BUY',
    confidence: 1,
    horizon_ms: 5 * MIN,
    price: '100',
    bar_time: T0,
    created_at: T0 + MIN,
    trace_id: `trace-${String(n).padStart(8, '0')}`,
    ...over,
  };
}
