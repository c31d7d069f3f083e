/**
 * Market data for a backtest, as ticks in data-time order, read the way price-stream reads it:
 * - files (CSV, Lean zip, trades JSON, pandas JSON; whatever price-stream's readers accept):
 *   price-stream's own ReplaySource at speed 0 (as fast as possible, no loop), so merging files,
 *   filtering by symbol and window, and turning bars into ticks (barToTicks) are price-stream's;
 * - `crypto_prices` in MySQL: price-stream's BarRepository, bars turned into ticks by the same
 *   barToTicks.
 */
import { createLogger, createPool, parseSymbol, parseTimeframe, type Bar, type Symbol, type Tick, type Timeframe } from '@cte/shared';
import { barToTicks } from '@cte/price-stream/engine';
import { BarRepository, type StoredBar } from '@cte/price-stream/dist/adapters/bar-repository';
import { ReplaySource } from '@cte/price-stream/dist/adapters/sources/replay-source';

export type TickSink = (tick: Tick) => void;

/** Ticks, oldest first, handed to the sink one at a time. */
export interface MarketInput {
  /** What was read, for the report. */
  readonly description: string;
  run(sink: TickSink): Promise<void>;
}

export interface FileInputOptions {
  files: readonly string[];
  startMs?: number | undefined;
  endMs?: number | undefined;
  /** Only these symbols; empty = all in the files. */
  symbols: readonly Symbol[];
  /** Exchange id given to the data (REPLAY_EXCHANGE). */
  exchange: string;
}

const silent = createLogger({ service: 'backtest', level: 'silent' });

export function fileInput(o: FileInputOptions): MarketInput {
  const source = new ReplaySource({ files: o.files, speed: 0, startMs: o.startMs, endMs: o.endMs, loop: false, symbols: o.symbols, exchange: o.exchange, logger: silent });
  return {
    description: `files ${o.files.join(', ')}`,
    run: (sink) => source.run((t) => sink(t)),
  };
}

export interface MysqlInputOptions {
  url: string;
  exchange: string;
  symbols: readonly Symbol[];
  /** The stored bars' timeframe to replay (e.g. 1m or 1h). */
  timeframe: Timeframe;
  startMs?: number | undefined;
  endMs?: number | undefined;
}

const PAGE = 5000;

/** Stored bars of `crypto_prices` (price-stream's BarRepository) between start and end, replayed as ticks. */
export function mysqlInput(o: MysqlInputOptions): MarketInput {
  if (o.symbols.length === 0) throw new Error('a MySQL backtest needs the symbols to read (--symbols)');
  return {
    description: `crypto_prices ${o.exchange} ${o.symbols.join(',')} ${o.timeframe}`,
    async run(sink) {
      const db = createPool({ url: o.url, logger: silent });
      const ticks: Tick[] = [];
      try {
        const repo = new BarRepository(db);
        for (const symbol of o.symbols) {
          let cursor: string | undefined;
          do {
            const page = await repo.getBars({ exchange: o.exchange, symbol, timeframe: o.timeframe, fromMs: o.startMs, toMs: o.endMs, limit: PAGE, cursor });
            for (const b of page.bars) for (const t of barToTicks(toBar(b))) if (o.endMs === undefined || t.ts <= o.endMs) ticks.push(t);
            cursor = page.nextCursor;
          } while (cursor !== undefined);
        }
      } finally {
        await db.close();
      }
      // Stable: each symbol's own order for equal timestamps, like ReplaySource.
      ticks.sort((a, b) => a.ts - b.ts);
      for (const t of ticks) sink(t);
    },
  };
}

function toBar(b: StoredBar): Bar {
  return {
    exchange: b.exchange,
    symbol: parseSymbol(b.symbol),
    timeframe: parseTimeframe(b.timeframe),
    openTime: b.openTime,
    closeTime: b.closeTime,
    open: Number(b.open),
    high: Number(b.high),
    low: Number(b.low),
    close: Number(b.close),
    volume: Number(b.volume),
    trades: b.trades ?? 0,
  };
}
