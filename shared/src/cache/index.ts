export {
  MultiLevelCache,
  type MultiLevelCacheOptions,
  type CacheL1Options,
  type CacheL2Options,
  type CacheSetOptions,
  type CacheLoader,
  type CacheWarmEntry,
  type CacheWarmEntries,
  type CacheWarmSource,
} from './multi-level-cache';
export {
  CACHE_REQUESTS,
  CACHE_HIT_RATIO,
  CACHE_EVICTIONS,
  CACHE_ERRORS,
  CACHE_INVALIDATIONS,
  CACHE_L1_SIZE,
  CACHE_L1_FILL,
} from './metrics';
