import { MultiLevelCache, type Bar, type Logger, type Symbol, type Timeframe } from '@cte/shared';
import type { Registry } from 'prom-client';
import type { BarHistory } from './price-history';

/**
 * Warm-start history through the kit's two-level cache: a restarted replica (or a second one)
 * warms from Redis instead of asking price-stream again. Closed bars never change, so a key
 * (market, before, count) can be cached for as long as the TTL.
 */
export class CachedBarHistory implements BarHistory {
  private readonly cache: MultiLevelCache<Bar[]>;

  constructor(
    private readonly inner: BarHistory,
    o: { redisUrl: string; logger: Logger; registry: Registry; l1Max: number; ttlMs: number },
  ) {
    this.cache = new MultiLevelCache<Bar[]>({
      name: 'warm_history',
      redis: o.redisUrl,
      logger: o.logger,
      registry: o.registry,
      l1: { max: Math.max(10, Math.floor(o.l1Max / 100)), ttlMs: o.ttlMs },
      l2: { ttlMs: o.ttlMs },
    });
  }

  recentBars(symbol: Symbol, tf: Timeframe, beforeMs: number, count: number, exchange?: string): Promise<Bar[]> {
    const key = `${exchange ?? ''}|${symbol}|${tf}|${beforeMs}|${count}`;
    return this.cache.getOrLoad(key, () => this.inner.recentBars(symbol, tf, beforeMs, count, exchange), { tags: [`market:${symbol}:${tf}`] });
  }

  async close(): Promise<void> {
    await this.inner.close();
    await this.cache.close();
  }
}
