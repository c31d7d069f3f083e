import type { Bar, Symbol, Tick, Timeframe } from '@cte/shared/core';
import { BarAggregator } from './bar-aggregator';
import { MonitorEngine, type Alert } from './price-monitor';
import { TickConflator } from './tick-conflator';

export interface TickOutcome {
  bars: readonly Bar[];
  alerts: readonly Alert[];
}

/**
 * price-stream's domain core: latest prices, bar aggregation, conflation and
 * price monitors behind one `onTick`. Pure and synchronous, so the same object
 * runs inside the service and inside a backtest.
 */
export class MarketDataEngine {
  readonly aggregator: BarAggregator;
  readonly conflator = new TickConflator();
  readonly monitors = new MonitorEngine();
  private readonly latest = new Map<string, Tick>();

  constructor(timeframes: readonly Timeframe[]) {
    this.aggregator = new BarAggregator(timeframes);
  }

  onTick(tick: Tick): TickOutcome {
    const prev = this.latest.get(tick.symbol);
    if (prev === undefined || tick.ts >= prev.ts) this.latest.set(tick.symbol, tick);
    this.conflator.add(tick);
    return { bars: this.aggregator.onTick(tick), alerts: this.monitors.onTick(tick) };
  }

  latestPrice(symbol: Symbol): Tick | undefined {
    return this.latest.get(symbol);
  }

  /** Symbols that have a price. */
  symbols(): Symbol[] {
    return [...this.latest.keys()];
  }
}
