import { floatSumToDecimalString, numberToDecimalString, type Bar, type Tick } from '@cte/shared';
import type { Alert } from '../../engine/price-monitor';

/** Payloads on the bus and over REST; prices are decimal strings (DESIGN principle 2). */
export interface PriceMessage {
  exchange: string;
  symbol: string;
  price: string;
  ts: number;
}

export interface BarMessage {
  exchange: string;
  symbol: string;
  timeframe: string;
  open_time: number;
  close_time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

export interface AlertMessage {
  id: string;
  monitor_id: string;
  exchange: string;
  symbol: string;
  direction: 'up' | 'down';
  change_pct: number;
  reference_price: string;
  price: string;
  window_ms: number;
  ts: number;
  trace_id: string;
}

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
