import {
  createGrpcClient,
  loadProto,
  parseSymbol,
  timeframeMs,
  type Bar,
  type MarketProtoGrpcType,
  type PriceStreamClient,
  type Symbol,
  type Timeframe,
} from '@cte/shared';

/** Where warm-start history comes from. */
export interface BarHistory {
  /** Up to `count` closed bars of (symbol, tf) opening before `beforeMs`, oldest first. */
  recentBars(symbol: Symbol, tf: Timeframe, beforeMs: number, count: number, exchange?: string): Promise<Bar[]>;
  /** Callers await it: a caching implementation closes its cache too. */
  close(): void | Promise<void>;
}

const PAGE = 5000;

/** price-stream's `GetBars` over gRPC (idempotent, so retried on UNAVAILABLE). */
export class PriceStreamHistory implements BarHistory {
  private readonly client;

  constructor(address: string, apiKey: string) {
    const proto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
    this.client = createGrpcClient<PriceStreamClient>(proto.cte.market.v1.PriceStream, address, {
      apiKey,
      deadlineMs: 5000,
      idempotentMethods: ['GetBars'],
    });
  }

  async recentBars(symbol: Symbol, tf: Timeframe, beforeMs: number, count: number, exchange?: string): Promise<Bar[]> {
    if (count <= 0) return [];
    // Gaps mean fewer bars than periods; ask for twice the span and keep the last `count`.
    const from = beforeMs - 2 * count * timeframeMs(tf);
    const out: Bar[] = [];
    let cursor = '';
    do {
      const page = await this.client.unary('GetBars', {
        symbol,
        timeframe: tf,
        from: String(Math.max(1, from)),
        to: String(beforeMs - 1),
        limit: PAGE,
        cursor,
        exchange: exchange ?? '',
      });
      for (const b of page.bars) {
        out.push({
          exchange: b.exchange,
          symbol: parseSymbol(b.symbol),
          timeframe: tf,
          openTime: Number(b.open_time),
          closeTime: Number(b.close_time),
          open: Number(b.open),
          high: Number(b.high),
          low: Number(b.low),
          close: Number(b.close),
          volume: Number(b.volume),
          trades: b.trades,
        });
      }
      cursor = page.next_cursor;
    } while (cursor);
    return out.slice(-count);
  }

  close(): void {
    this.client.close();
  }
}
