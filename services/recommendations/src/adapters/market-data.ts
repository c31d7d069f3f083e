import { Dec, parseBarMessage, parseSymbol, symbolToChannelKey, timeframeMs, type Bus, type Envelope, type Logger, type Subscription, type Timeframe } from '@cte/shared';
import { AtrBook } from '../engine/atr';
import type { MarketPort } from './market.gateway';

export interface MarketDataOptions {
  bus: Pick<Bus, 'subscribe'>;
  logger: Logger;
  timeframe: Timeframe;
  atrPeriod: number;
  /** Follow `data.ticks.*` for the latest price. */
  ticks: boolean;
  /** When given, a symbol without an ATR is warmed from price-stream's stored bars. */
  market?: MarketPort | undefined;
  onWarmupFailed?: () => void;
}

interface LatestPrice {
  price: Dec;
  ts: number;
}

const DECIMAL = /^\d+(\.\d+)?$/;
/** After a failed (or useless) warm-up, the symbol is not warmed again for this long. */
const WARMUP_RETRY_MS = 60_000;

/**
 * What this service knows of the market, from price-stream over pub/sub: the ATR of each
 * symbol over closed `REC_TIMEFRAME` bars (`data.bars.{tf}.*`, incremental Wilder ATR), and the
 * latest tick price (`data.ticks.*`). Malformed messages are dropped.
 */
export class MarketData {
  readonly atr: AtrBook;
  private readonly prices = new Map<string, LatestPrice>();
  private readonly warmupAfter = new Map<string, number>();
  private subs: Subscription[] = [];
  private dropped = 0;

  constructor(private readonly o: MarketDataOptions) {
    this.atr = new AtrBook(o.atrPeriod);
  }

  async start(): Promise<void> {
    this.subs.push(await this.o.bus.subscribe(`data.bars.${this.o.timeframe}.*`, (env, channel) => this.onBar(env, channel)));
    if (this.o.ticks) this.subs.push(await this.o.bus.subscribe('data.ticks.*', (env, channel) => this.onTick(env, channel)));
  }

  async stop(): Promise<void> {
    const subs = this.subs;
    this.subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe()));
  }

  onBar(env: Envelope<unknown>, channel: string): void {
    const d = env.data as Record<string, unknown> | null;
    try {
      const bar = parseBarMessage(d);
      if (bar.timeframe !== this.o.timeframe || !channel.endsWith(`.${symbolToChannelKey(bar.symbol)}`)) return this.drop(channel, 'timeframe or symbol does not match the channel');
      this.atr.push(bar.symbol, { openTime: bar.openTime, high: new Dec(d!.high as string), low: new Dec(d!.low as string), close: new Dec(d!.close as string) });
    } catch (err) {
      this.drop(channel, (err as Error).message);
    }
  }

  onTick(env: Envelope<unknown>, channel: string): void {
    const d = env.data as Record<string, unknown> | null;
    let symbol: string;
    try {
      symbol = parseSymbol(d?.symbol);
    } catch {
      return this.drop(channel, 'bad symbol');
    }
    if (!channel.endsWith(`.${symbolToChannelKey(symbol)}`)) return this.drop(channel, 'symbol does not match the channel');
    if (typeof d?.price !== 'string' || !DECIMAL.test(d.price) || !/[1-9]/.test(d.price)) return this.drop(channel, 'bad price');
    const ts = d.ts;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return this.drop(channel, 'bad ts');
    const prev = this.prices.get(symbol);
    if (!prev || ts >= prev.ts) this.prices.set(symbol, { price: new Dec(d.price), ts });
  }

  /** The latest tick price when it is at least as recent as `asOf` (data time), else undefined. */
  latestPrice(symbol: string, asOf = 0): Dec | undefined {
    const p = this.prices.get(symbol);
    return p && p.ts >= asOf ? p.price : undefined;
  }

  /**
   * The symbol's ATR, warming it first from price-stream's bars up to `asOf` (data time) when
   * it has none yet (at most once per minute per symbol).
   */
  async atrOf(symbol: string, asOf: number, now = Date.now()): Promise<Dec | undefined> {
    const have = this.atr.value(symbol);
    if (have !== undefined || !this.o.market) return have;
    if ((this.warmupAfter.get(symbol) ?? 0) > now) return undefined;
    this.warmupAfter.set(symbol, now + WARMUP_RETRY_MS);
    const tf = timeframeMs(this.o.timeframe);
    try {
      const bars = await this.o.market.bars(symbol, this.o.timeframe, Math.max(0, asOf - (3 * this.o.atrPeriod + 2) * tf), asOf);
      this.atr.seed(symbol, bars);
    } catch (err) {
      this.o.onWarmupFailed?.();
      this.o.logger.warn({ err: (err as Error).message, symbol }, 'ATR warm-up from price-stream failed; stop-loss/take-profit wait for live bars');
    }
    return this.atr.value(symbol);
  }

  private drop(channel: string, reason: string): void {
    if (this.dropped++ % 1000 === 0) this.o.logger.warn({ channel, reason, dropped: this.dropped }, 'dropped malformed market message');
  }
}
