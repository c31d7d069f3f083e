import type { Tick } from '@cte/shared';

/**
 * What the ingest pipeline needs from a market data source. Replay is the first
 * implementation; the live ccxt pro source implements the same interface.
 *
 * The sink may return a promise: that is backpressure, and a source that can wait
 * (replay) awaits it before emitting more. A live source cannot pause the exchange,
 * so it ignores the promise and the pipeline buffers instead.
 */
export type TickSink = (tick: Tick) => void | Promise<void>;

export interface MarketSource {
  readonly name: string;
  /** Runs until the data ends or `stop()` is called. */
  run(sink: TickSink): Promise<void>;
  stop(): void;
  /** The source's notion of the current time (data time for replay); drives time-based bar closes. */
  now(): number;
  /** Wall-clock time of the last emitted tick, for the staleness metric; undefined before the first. */
  lastTickWallMs(): number | undefined;
}
