import { parseSymbol, symbolToChannelKey, type Bus, type Envelope, type Logger, type Subscription, type Timeframe } from '@cte/shared';
import type { ConsensusEngine } from '../engine/consensus-engine';
import { isUnsignedDecimal } from '../engine/decimal';
import type { ScoredSignal } from '../engine/track-record';
import type { TraceTimes } from '@cte/shared';

export interface PriceFeedOptions {
  bus: Bus;
  engine: ConsensusEngine;
  logger: Logger;
  timeframe: Timeframe;
  ticks: boolean;
  traceTimes: TraceTimes;
  onScored(scored: ScoredSignal[]): void;
  /** Score signals on these prices (per-signal mode); per-bar decisions score at decided bars. Default true. */
  score?: boolean;
  /** Every valid price's data time (the bar decider's optional price deadline). */
  onPriceTime?(symbol: string, ts: number): void;
}

/** price-stream's closed bar (`data.bars.{tf}.{BASE-QUOTE}`). */
interface BarData {
  symbol?: unknown;
  close?: unknown;
  close_time?: unknown;
}

/** price-stream's conflated tick (`data.ticks.{BASE-QUOTE}`). */
interface TickData {
  symbol?: unknown;
  price?: unknown;
  ts?: unknown;
}

export const barPattern = (tf: Timeframe): string => `data.bars.${tf}.*`;
export const TICK_PATTERN = 'data.ticks.*';

/**
 * Prices from price-stream over Redis pub/sub: a bar's close counts at its close_time, a tick's
 * price at its ts (both data time). Each makes its symbol known, advances the symbol's data
 * time and scores the signals that have come due. Malformed messages are dropped with a warning.
 */
export class PriceFeed {
  private subs: Subscription[] = [];
  private dropped = 0;

  constructor(private readonly o: PriceFeedOptions) {}

  async start(): Promise<void> {
    this.subs.push(await this.o.bus.subscribe<BarData>(barPattern(this.o.timeframe), (env, channel) => this.onBar(env, channel)));
    if (this.o.ticks) this.subs.push(await this.o.bus.subscribe<TickData>(TICK_PATTERN, (env, channel) => this.onTick(env, channel)));
  }

  async stop(): Promise<void> {
    const subs = this.subs;
    this.subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe()));
  }

  onBar(env: Envelope<BarData>, channel: string): void {
    const d = env.data;
    this.price(env, channel, d?.symbol, d?.close, d?.close_time);
  }

  onTick(env: Envelope<TickData>, channel: string): void {
    const d = env.data;
    this.price(env, channel, d?.symbol, d?.price, d?.ts);
  }

  private price(env: Envelope<unknown>, channel: string, rawSymbol: unknown, price: unknown, ts: unknown): void {
    let symbol: string;
    try {
      symbol = parseSymbol(rawSymbol);
    } catch {
      return this.drop(channel, 'bad symbol');
    }
    if (!channel.endsWith(`.${symbolToChannelKey(symbol)}`)) return this.drop(channel, 'symbol does not match the channel');
    if (!isUnsignedDecimal(price)) return this.drop(channel, 'bad price');
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return this.drop(channel, 'bad time');
    this.o.traceTimes.note(env.trace_id, env.ts);
    const scored = this.o.engine.onPrice(symbol, price, ts, this.o.score ?? true);
    if (scored.length > 0) this.o.onScored(scored);
    this.o.onPriceTime?.(symbol, ts);
  }

  private drop(channel: string, reason: string): void {
    // One warning per 1,000 drops: a misbehaving publisher must not flood the log.
    if (this.dropped++ % 1000 === 0) this.o.logger.warn({ channel, reason, dropped: this.dropped }, 'dropped malformed price message');
  }
}
