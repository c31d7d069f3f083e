import { unary, serverStream, untilAborted, type AlertProto, type MonitorProto, type PriceStreamHandlers } from '@cte/shared';
import type { StoredMonitor } from './monitor-repository';
import type { IngestLoop } from './ingest';
import type { PriceStreamApi } from './price-stream-api';
import type { AlertMessage, PriceMessage } from './dto/messages';

/** proto3 scalars default to 0/'' when unset; the API treats those as "not given". */
const given = (v: string | number): string | undefined => (v === '' || v === '0' || v === 0 ? undefined : String(v));
/** A string field is unset only when empty ("0" is a value, and an invalid one). */
const givenText = (v: string): string | undefined => (v === '' ? undefined : v);

export function priceStreamGrpcHandlers(api: PriceStreamApi, ingest: IngestLoop): PriceStreamHandlers {
  return {
    GetPrice: unary(async (req) => api.getPrice(req.symbol)),
    GetPrices: unary(async (req) => api.getPrices(req.symbols)),
    GetBars: unary(async (req) => {
      const page = await api.getBars({
        symbol: req.symbol,
        timeframe: req.timeframe,
        from: given(req.from),
        to: given(req.to),
        limit: given(req.limit),
        cursor: givenText(req.cursor),
        exchange: givenText(req.exchange),
      });
      return {
        bars: page.bars.map((b) => ({
          exchange: b.exchange,
          symbol: b.symbol,
          timeframe: b.timeframe,
          open_time: String(b.openTime),
          close_time: String(b.closeTime),
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
          trades: b.trades ?? 0,
        })),
        next_cursor: page.nextCursor ?? '',
      };
    }),
    StartMonitor: unary(async (req) =>
      toMonitorProto(await api.startMonitor({ symbol: req.symbol, thresholdPct: req.threshold_pct, windowMs: Number(req.window_ms) })),
    ),
    StopMonitor: unary(async (req) => toMonitorProto(await api.stopMonitor(req.id))),
    IsMonitorActive: unary(async (req) => ({ active: await api.isMonitorActive(req.id) })),
    ListMonitors: unary(async (req) => ({ monitors: (await api.listMonitors(req.include_inactive)).map(toMonitorProto) })),
    StreamPrices: serverStream(async (call, ctx) => {
      const filter = api.parseStreamSymbols(call.request.symbols);
      const onPrice = (p: PriceMessage) => {
        if (filter.size === 0 || filter.has(p.symbol)) call.write(p);
      };
      ingest.events.on('price', onPrice);
      try {
        await untilAborted(ctx.signal);
      } finally {
        ingest.events.off('price', onPrice);
      }
    }),
    StreamAlerts: serverStream(async (call, ctx) => {
      const filter = api.parseStreamSymbols(call.request.symbols);
      const onAlert = (a: AlertMessage) => {
        if (filter.size === 0 || filter.has(a.symbol)) call.write(toAlertProto(a));
      };
      ingest.events.on('alert', onAlert);
      try {
        await untilAborted(ctx.signal);
      } finally {
        ingest.events.off('alert', onAlert);
      }
    }),
  };
}

function toMonitorProto(m: StoredMonitor): MonitorProto {
  return { id: m.id, symbol: m.symbol, threshold_pct: m.thresholdPct, window_ms: String(m.windowMs), active: m.active, created_at: String(m.createdAt) };
}

function toAlertProto(a: AlertMessage): AlertProto {
  return {
    id: a.id,
    monitor_id: a.monitor_id,
    symbol: a.symbol,
    direction: a.direction,
    change_pct: a.change_pct,
    reference_price: a.reference_price,
    price: a.price,
    window_ms: String(a.window_ms),
    ts: String(a.ts),
    trace_id: a.trace_id,
  };
}
