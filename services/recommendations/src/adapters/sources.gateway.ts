import type { GrpcClient, Logger, SignalsAggregatorClient } from '@cte/shared';
import type { SourceTrack } from '../engine/kelly-sizer';

export interface SourcesPort {
  /** The sources' track records, or undefined when unknown (then the sizer uses its prior). */
  tracks(): Promise<readonly SourceTrack[] | undefined>;
}

/** Retry delay after a failed ListSources when nothing is cached. */
const RETRY_FAILED_MS = 5_000;

/**
 * signals-aggregator's `ListSources`, cached for `cacheMs`. When the aggregator cannot be
 * reached the last answer is reused (a stale track record beats none); with no answer at all
 * the sizer falls back to its prior. Concurrent callers share one in-flight request.
 */
export class SourcesGateway implements SourcesPort {
  private cached: readonly SourceTrack[] | undefined;
  private nextFetchAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly o: {
      client: GrpcClient<SignalsAggregatorClient>;
      cacheMs: number;
      logger: Logger;
      now?: () => number;
      onError?: () => void;
    },
  ) {}

  async tracks(): Promise<readonly SourceTrack[] | undefined> {
    const now = (this.o.now ?? Date.now)();
    if (now >= this.nextFetchAt) {
      this.inflight ??= this.fetch(now).finally(() => (this.inflight = undefined));
      await this.inflight;
    }
    return this.cached;
  }

  private async fetch(now: number): Promise<void> {
    try {
      const res = await this.o.client.unary('ListSources', {});
      this.cached = (res.sources ?? []).map((s) => ({ hitRate: Number(s.hit_rate), baseWeight: Number(s.base_weight), scored: Number(s.scored) }));
      this.nextFetchAt = now + this.o.cacheMs;
    } catch (err) {
      this.o.onError?.();
      this.nextFetchAt = now + Math.min(this.o.cacheMs, RETRY_FAILED_MS);
      this.o.logger.warn({ err: (err as Error).message, cached: this.cached !== undefined }, 'ListSources failed; using the cached track record or the prior');
    }
  }
}
