import { floatSumToDecimalString, numberToDecimalString, type Bar, type Tick } from '@cte/shared';
import type { Alert } from '../../engine/price-monitor';

import type { AlertMessage, BarMessage, PriceMessage } from '@cte/shared';

/** Payloads on the bus and over REST are the shared channel contracts (shared/src/channels.ts). */
export type { AlertMessage, BarMessage, PriceMessage };

export function toPriceMessage(t: Tick): PriceMessage {
  return { exchange: t.exchange, symbol: t.symbol, price: numberToDecimalString(t.price), ts: t.ts };
}

export function toBarMessage(b: Bar): BarMessage {
  return {
    exchange: b.exchange,
    symbol: b.symbol,
    timeframe: b.timeframe,
    open_time: b.openTime,
    close_time: b.closeTime,
    open: numberToDecimalString(b.open),
    high: numberToDecimalString(b.high),
    low: numberToDecimalString(b.low),
    close: numberToDecimalString(b.close),
    volume: floatSumToDecimalString(b.volume),
    trades: b.trades,
  };
}

export function toAlertMessage(a: Alert, id: string, traceId: string): AlertMessage {
  return {
    id,
    monitor_id: a.monitorId,
    exchange: a.exchange,
    symbol: a.symbol,
    direction: a.direction,
    change_pct: Number(a.changePct.toFixed(6)),
    reference_price: numberToDecimalString(a.referencePrice),
    price: numberToDecimalString(a.price),
    window_ms: a.windowMs,
    ts: a.ts,
    trace_id: traceId,
  };
}
