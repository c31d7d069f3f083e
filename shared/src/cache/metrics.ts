/**
 * Metrics of the multi-level caches of one process, registered once per
 * registry and shared by every cache on it (told apart by the `cache` label).
 * Names follow `cte_<noun>_<unit>` and pass `lintMetricsText`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const CACHE_REQUESTS = 'cte_cache_requests_total';
export const CACHE_HIT_RATIO = 'cte_cache_hit_ratio';
export const CACHE_EVICTIONS = 'cte_cache_evictions_total';
export const CACHE_ERRORS = 'cte_cache_errors_total';
export const CACHE_INVALIDATIONS = 'cte_cache_invalidations_total';
export const CACHE_L1_SIZE = 'cte_cache_l1_size_bytes';
export const CACHE_L1_FILL = 'cte_cache_l1_fill_ratio';

export type CacheLevel = 'l1' | 'l2';
export type CacheResult = 'hit' | 'miss';

/** What a live cache reports about its L1 at scrape time. */
export interface L1Stats {
  readonly name: string;
  /** Entries in L1 (expired ones are purged first). */
  entries(): number;
  /** Approximate bytes held: the serialized size of each entry. */
  bytes(): number;
  readonly max: number;
  readonly maxBytes: number | undefined;
}

export interface CacheMetrics {
  requests: Counter<'cache' | 'level' | 'result'>;
  evictions: Counter<'cache'>;
  errors: Counter<'cache'>;
  invalidations: Counter<'cache' | 'origin'>;
  /** Live caches whose L1 the size and fill gauges report. */
  live: Set<L1Stats>;
}

const byRegistry = new WeakMap<Registry, CacheMetrics>();

/** The cache metrics of `registry`, created on first use. */
export function cacheMetrics(registry: Registry): CacheMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  for (const name of [CACHE_REQUESTS, CACHE_HIT_RATIO, CACHE_EVICTIONS, CACHE_ERRORS, CACHE_INVALIDATIONS, CACHE_L1_SIZE, CACHE_L1_FILL]) {
    if (registry.getSingleMetric(name)) throw new Error(`metric ${name} is already registered by something other than the cache`);
  }
  const registers = [registry];
  const live = new Set<L1Stats>();
  const requests = new Counter({
    name: CACHE_REQUESTS,
    help: 'Cache lookups by level and result; an L1 miss is looked up in L2 (an L2 lookup skipped because Redis is down counts as an L2 miss)',
    labelNames: ['cache', 'level', 'result'] as const,
    registers,
  });
  new Gauge({
    name: CACHE_HIT_RATIO,
    help: 'Hits over lookups since start, by level (l1, l2, and all: a hit in either level over all lookups); for a window use rate() of cte_cache_requests_total',
    labelNames: ['cache', 'level'] as const,
    registers,
    async collect() {
      const counts = new Map<string, { l1: [number, number]; l2: [number, number] }>();
      for (const { labels, value } of (await requests.get()).values) {
        const cache = String(labels.cache);
        const level = labels.level === 'l2' ? 'l2' : 'l1';
        const c = counts.get(cache) ?? { l1: [0, 0], l2: [0, 0] };
        c[level][labels.result === 'hit' ? 0 : 1] += value;
        counts.set(cache, c);
      }
      this.reset();
      for (const [cache, { l1, l2 }] of counts) {
        const l1Total = l1[0] + l1[1];
        const l2Total = l2[0] + l2[1];
        if (l1Total > 0) {
          this.set({ cache, level: 'l1' }, l1[0] / l1Total);
          this.set({ cache, level: 'all' }, (l1[0] + l2[0]) / l1Total);
        }
        if (l2Total > 0) this.set({ cache, level: 'l2' }, l2[0] / l2Total);
      }
    },
  });
  const evictions = new Counter({
    name: CACHE_EVICTIONS,
    help: 'Entries evicted from L1 to make room (capacity, not expiry)',
    labelNames: ['cache'] as const,
    registers,
  });
  const errors = new Counter({
    name: CACHE_ERRORS,
    help: 'L2 (Redis) operations that failed, were skipped while Redis was unavailable, or returned an undecodable value',
    labelNames: ['cache'] as const,
    registers,
  });
  const invalidations = new Counter({
    name: CACHE_INVALIDATIONS,
    help: 'Keys invalidated (deletes, tags, dependents), by origin: local calls or broadcasts from other processes',
    labelNames: ['cache', 'origin'] as const,
    registers,
  });
  const sumByName = (pick: (s: L1Stats) => number): Map<string, number> => {
    const sums = new Map<string, number>();
    for (const s of live) sums.set(s.name, (sums.get(s.name) ?? 0) + pick(s));
    return sums;
  };
  new Gauge({
    name: CACHE_L1_SIZE,
    help: 'Approximate bytes held in L1 (serialized size of the entries)',
    labelNames: ['cache'] as const,
    registers,
    collect() {
      this.reset();
      for (const [cache, bytes] of sumByName((s) => s.bytes())) this.set({ cache }, bytes);
    },
  });
  new Gauge({
    name: CACHE_L1_FILL,
    help: 'Fraction of L1 capacity in use: the larger of entries over max and bytes over maxSizeBytes',
    labelNames: ['cache'] as const,
    registers,
    collect() {
      this.reset();
      const entries = sumByName((s) => s.entries());
      const max = sumByName((s) => s.max);
      const bytes = sumByName((s) => s.bytes());
      const maxBytes = sumByName((s) => s.maxBytes ?? 0);
      for (const [cache, n] of entries) {
        const byCount = n / (max.get(cache) ?? 1);
        const mb = maxBytes.get(cache) ?? 0;
        this.set({ cache }, mb > 0 ? Math.max(byCount, (bytes.get(cache) ?? 0) / mb) : byCount);
      }
    },
  });
  const metrics: CacheMetrics = { requests, evictions, errors, invalidations, live };
  byRegistry.set(registry, metrics);
  return metrics;
}
