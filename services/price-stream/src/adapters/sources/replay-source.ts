import { InvalidArgumentError, type Logger, type Symbol, type Tick } from '@cte/shared';
import { barToTicks } from '../../engine/replay-path';
import { readAnyFile } from '../readers';
import type { MarketSource, TickSink } from './market-source';

export interface ReplayOptions {
  files: readonly string[];
  /** 1 = real time; 0 = as fast as possible. */
  speed: number;
  startMs?: number | undefined;
  endMs?: number | undefined;
  loop: boolean;
  /** Only these symbols (the tracked subset of TRADABLE_SYMBOLS); empty = all. */
  symbols: readonly Symbol[];
  exchange: string;
  logger: Logger;
}

/** How many ticks an as-fast-as-possible replay emits before yielding to the event loop. */
const YIELD_EVERY = 2048;
const DAY_MS = 86_400_000;

/**
 * Replays recorded trades and bars in time order, merged across files. Bars are turned
 * into ticks along their path (open → low/high → close) so downstream sees ticks either way.
 */
export class ReplaySource implements MarketSource {
  readonly name = 'replay';
  private stopped = false;
  private dataNow = 0;
  private lastWall: number | undefined;
  private readonly ticks: Tick[];

  constructor(private readonly opts: ReplayOptions) {
    const { ticks, skipped } = loadTicks(opts);
    this.ticks = ticks;
    if (skipped.size > 0) {
      opts.logger.warn({ skipped: [...skipped].sort().slice(0, 20), tracked: opts.symbols }, 'replay data of symbols outside TRADABLE_SYMBOLS (or SYMBOLS) skipped');
    }
    if (this.ticks.length === 0) {
      throw new InvalidArgumentError('replay has no ticks: check REPLAY_FILES, TRADABLE_SYMBOLS, SYMBOLS, REPLAY_START and REPLAY_END');
    }
    this.dataNow = this.ticks[0]!.ts;
    const symbols = [...new Set(this.ticks.map((t) => t.symbol))];
    opts.logger.info(
      { ticks: this.ticks.length, symbols, from: new Date(this.ticks[0]!.ts).toISOString(), to: new Date(this.ticks.at(-1)!.ts).toISOString() },
      'replay loaded',
    );
  }

  /** The symbols present in the replay data. */
  symbols(): Symbol[] {
    return [...new Set(this.ticks.map((t) => t.symbol))];
  }

  now(): number {
    return this.dataNow;
  }

  lastTickWallMs(): number | undefined {
    return this.lastWall;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(sink: TickSink): Promise<void> {
    const ticks = this.ticks;
    const first = ticks[0]!.ts;
    // Each loop shifts time forward by the data's span rounded up to whole UTC days, so time
    // keeps increasing, no bar of one loop mixes with the next, and time of day is preserved.
    const span = Math.ceil((ticks.at(-1)!.ts - first + 1) / DAY_MS) * DAY_MS;
    let offset = 0;
    do {
      const wallStart = Date.now();
      for (let i = 0; i < ticks.length && !this.stopped; i++) {
        const src = ticks[i]!;
        const tick = offset === 0 ? src : { ...src, ts: src.ts + offset };
        if (this.opts.speed > 0) {
          const due = wallStart + (src.ts - first) / this.opts.speed;
          const wait = due - Date.now();
          if (wait > 1) await sleep(wait);
        } else if (i % YIELD_EVERY === YIELD_EVERY - 1) {
          await new Promise<void>((r) => setImmediate(r));
        }
        this.dataNow = tick.ts;
        this.lastWall = Date.now();
        const backpressure = sink(tick);
        if (backpressure) await backpressure;
      }
      offset += span;
    } while (this.opts.loop && !this.stopped);
    this.opts.logger.info({ stopped: this.stopped }, 'replay finished');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function loadTicks(opts: ReplayOptions): { ticks: Tick[]; skipped: Set<string> } {
  const wanted = new Set(opts.symbols);
  const skipped = new Set<string>();
  const all: Tick[] = [];
  for (const file of opts.files) {
    const data = readAnyFile(file, { exchange: opts.exchange });
    const ticks = data.kind === 'ticks' ? data.ticks : data.bars.flatMap((b) => barToTicks(b, b.exchange));
    for (const t of ticks) {
      if (wanted.size > 0 && !wanted.has(t.symbol)) {
        skipped.add(t.symbol);
        continue;
      }
      if (opts.startMs !== undefined && t.ts < opts.startMs) continue;
      if (opts.endMs !== undefined && t.ts > opts.endMs) continue;
      all.push(t);
    }
  }
  // Stable sort keeps each file's order for equal timestamps.
  return { ticks: all.sort((a, b) => a.ts - b.ts), skipped };
}
