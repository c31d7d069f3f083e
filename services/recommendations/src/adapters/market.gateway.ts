import { Dec, type GrpcClient, type PriceStreamClient, type Timeframe } from '@cte/shared';
import type { AtrBar } from '../engine/atr';

export interface MarketPort {
  /** Closed bars of `symbol` with open time in [from, to], oldest first. */
  bars(symbol: string, timeframe: Timeframe, from: number, to: number): Promise<AtrBar[]>;
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** price-stream's `GetBars`, used to warm a symbol's ATR after a (re)start. */
export class MarketGateway implements MarketPort {
  constructor(private readonly client: GrpcClient<PriceStreamClient>) {}

  async bars(symbol: string, timeframe: Timeframe, from: number, to: number): Promise<AtrBar[]> {
    const res = await this.client.unary('GetBars', { symbol, timeframe, from: String(from), to: String(to), limit: 5000, cursor: '', exchange: '' });
    const out: AtrBar[] = [];
    for (const b of res.bars ?? []) {
      const openTime = Number(b.open_time);
      if (!Number.isSafeInteger(openTime) || ![b.high, b.low, b.close].every((v) => typeof v === 'string' && DECIMAL.test(v))) continue;
      const bar = { openTime, high: new Dec(b.high), low: new Dec(b.low), close: new Dec(b.close) };
      if (bar.high.lt(bar.low)) continue;
      out.push(bar);
    }
    return out.sort((a, b) => a.openTime - b.openTime);
  }
}
