import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type Redis from 'ioredis';
import type { Registry } from 'prom-client';
import { InvalidArgumentError, UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { cacheMetrics, type CacheLevel, type CacheMetrics, type CacheResult, type L1Stats } from './metrics';
import { RedisLevel, isInvalidationMessage, type InvalidationMessage } from './redis-level';

export interface CacheL1Options {
  /** Most entries held in process. */
  max: number;
  /** Longest an entry lives in L1; bounds how stale a copy can get if an invalidation is missed. */
  ttlMs: number;
  /** Bound on the serialized bytes held in L1 (entries larger than this are not kept in L1). */
  maxSizeBytes?: number;
}

export interface CacheL2Options {
  /** Default TTL of entries (both levels); default: `l1.ttlMs`. */
  ttlMs?: number;
  /** Prefix of every Redis key and of the channel; default `cte:cache:<name>:`. */
  keyPrefix?: string;
  /** Connections opened from a URL: connect timeout (default 2000). */
  connectTimeoutMs?: number;
  /** Deadline of each Redis command (default 1000). */
  commandTimeoutMs?: number;
  /** Reconnect attempts a queued command waits through before failing (default 1). */
  maxRetriesPerRequest?: number;
}

export interface MultiLevelCacheOptions<V> {
  /** The `cache` label of the metrics and part of the default key prefix. */
  name: string;
  /**
   * A Redis URL (the cache opens and closes its own connections), or a
   * connection to share for commands (left open by close(); the cache still
   * opens its own subscriber connection by duplicating it).
   */
  redis: Redis | string;
  logger: Logger;
  registry: Registry;
  l1: CacheL1Options;
  l2?: CacheL2Options;
  /** Default JSON.stringify. */
  serialize?: (value: V) => string;
  /** Default JSON.parse; what it returns is taken to be a V. */
  deserialize?: (text: string) => V;
}

export interface CacheSetOptions {
  /** TTL of this entry (L2; L1 keeps it for at most `l1.ttlMs`). Default `l2.ttlMs`. */
  ttlMs?: number;
  /** invalidateTag(tag) drops every entry carrying the tag. */
  tags?: readonly string[];
  /** Invalidating any of these keys also invalidates this entry (transitively). */
  dependsOn?: readonly string[];
}

export interface CacheWarmEntry<V> extends CacheSetOptions {
  key: string;
  value: V;
}

export type CacheWarmEntries<V> = Iterable<CacheWarmEntry<V>> | AsyncIterable<CacheWarmEntry<V>>;
export type CacheWarmSource<V> = CacheWarmEntries<V> | (() => CacheWarmEntries<V> | Promise<CacheWarmEntries<V>>);

export type CacheLoader<V> = (key: string) => V | Promise<V>;

interface Entry<V> {
  value: V;
  tags: readonly string[];
  deps: readonly string[];
  size: number;
}

/** Marks a read or load of a key in progress; set when the key is written or invalidated meanwhile. */
interface Guard {
  stale: boolean;
}

interface Flight<V> {
  promise: Promise<V>;
  guard: Guard;
}

const NO_STRINGS: readonly string[] = [];
/** After an L2 failure, how long L2 is skipped before it is tried again (unless the connection is down). */
const L2_RETRY_MS = 1000;
/** Keys and tags remembered for replay on L2 recovery; beyond this L2 may keep invalidated entries until their TTL. */
const PENDING_LIMIT = 10000;
const WARM_BATCH = 100;
const SUBSCRIBE_RETRY_MS = 1000;

/**
 * A two-level cache: an in-process LRU (lru-cache) in front of Redis.
 *
 * - `get`: L1, then L2 (an L2 hit fills L1 for at most the entry's remaining
 *   TTL), then a miss. `getOrLoad` adds the loader, one call per key at a time
 *   within the process (single flight).
 * - `set` writes both levels and tells other processes to drop their L1 copy.
 * - `delete` and `invalidateTag` drop entries in both levels, with every key
 *   that declared `dependsOn` one of them (transitively), and broadcast the
 *   keys on `<prefix>invalidate` so other processes' L1 drop them too.
 * - Redis failures never reach callers: L2 is skipped (L1 and loaders keep
 *   working), logged once per outage, counted in `cte_cache_errors_total`.
 *   Invalidations made during an outage are replayed on L2 when it returns; on
 *   re-subscribing after a disconnect L1 is cleared, as broadcasts may have been missed.
 *
 * Values are shared by reference in L1: treat them as immutable. `undefined`
 * cannot be cached (it means a miss); `null` can.
 */
export class MultiLevelCache<V extends NonNullable<unknown> | null> {
  readonly name: string;
  private readonly log: Logger;
  private readonly l1: LRUCache<string, Entry<V>>;
  private readonly l2: RedisLevel;
  private readonly l1TtlMs: number;
  private readonly maxSizeBytes: number | undefined;
  private readonly l2TtlMs: number;
  private readonly serialize: (value: V) => string;
  private readonly deserialize: (text: string) => V;
  private readonly metrics: CacheMetrics;
  private readonly stats: L1Stats;
  private readonly origin = randomUUID();
  private readonly requests: Record<CacheLevel, Record<CacheResult, { inc(): void }>>;
  private readonly errors: { inc(): void };

  private bytes = 0;
  /** tag → keys in L1 carrying it; dependency → keys in L1 that declared it. */
  private readonly tagIndex = new Map<string, Set<string>>();
  private readonly depIndex = new Map<string, Set<string>>();
  private readonly guards = new Map<string, Set<Guard>>();
  private readonly inflight = new Map<string, Flight<V>>();

  private degraded = false;
  private retryAt = 0;
  private readonly pendingKeys = new Set<string>();
  private readonly pendingTags = new Set<string>();
  private pendingOverflow = false;

  private subscribed = false;
  private everSubscribed = false;
  private subscribeFailing = false;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private closed = false;

  constructor(opts: MultiLevelCacheOptions<V>) {
    validateOptions(opts);
    this.name = opts.name;
    this.log = opts.logger.child({ component: 'cache', cache: opts.name });
    this.l1TtlMs = opts.l1.ttlMs;
    this.maxSizeBytes = opts.l1.maxSizeBytes;
    this.l2TtlMs = opts.l2?.ttlMs ?? opts.l1.ttlMs;
    this.serialize = opts.serialize ?? ((v) => JSON.stringify(v));
    this.deserialize = opts.deserialize ?? ((t) => JSON.parse(t) as V);

    this.metrics = cacheMetrics(opts.registry);
    const { requests, errors, evictions } = this.metrics;
    const child = (level: CacheLevel, result: CacheResult) => requests.labels({ cache: this.name, level, result });
    this.requests = {
      l1: { hit: child('l1', 'hit'), miss: child('l1', 'miss') },
      l2: { hit: child('l2', 'hit'), miss: child('l2', 'miss') },
    };
    this.errors = errors.labels({ cache: this.name });
    const evicted = evictions.labels({ cache: this.name });

    this.l1 = new LRUCache<string, Entry<V>>({
      max: opts.l1.max,
      ttl: opts.l1.ttlMs,
      ...(opts.l1.maxSizeBytes !== undefined ? { maxSize: opts.l1.maxSizeBytes } : {}),
      updateAgeOnGet: false,
      allowStale: false,
      dispose: (entry, key, reason) => {
        if (reason === 'evict') evicted.inc();
        this.unindex(key, entry);
      },
    });
    this.stats = {
      name: this.name,
      max: opts.l1.max,
      maxBytes: opts.l1.maxSizeBytes,
      // Expired entries are only dropped lazily; purge them so a scrape reports what is live.
      entries: () => {
        this.l1.purgeStale();
        return this.l1.size;
      },
      bytes: () => {
        this.l1.purgeStale();
        return this.bytes;
      },
    };
    this.metrics.live.add(this.stats);

    this.l2 = new RedisLevel(opts.redis, opts.l2?.keyPrefix ?? `cte:cache:${opts.name}:`, opts.name, this.log, {
      connectTimeoutMs: opts.l2?.connectTimeoutMs ?? 2000,
      commandTimeoutMs: opts.l2?.commandTimeoutMs ?? 1000,
      maxRetriesPerRequest: opts.l2?.maxRetriesPerRequest ?? 1,
    });
    // Back after an outage: end degraded mode now (and replay) rather than on the next operation.
    this.l2.cmd.on('ready', () => {
      if (!this.degraded || this.closed) return;
      this.retryAt = 0;
      this.l2Ok();
    });
    this.startSubscriber();
  }

  /**
   * Resolves once this instance listens for other processes' invalidations;
   * rejects (UnavailableError) if Redis cannot be reached before that. The
   * cache works either way; this is for start-up ordering and checks.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new UnavailableError('cache is closed', { cache: this.name }));
    if (this.subscribed) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** L1, then L2; undefined on a miss (or when Redis is down and L1 misses). */
  async get(key: string): Promise<V | undefined> {
    this.assertOpen();
    const entry = this.l1Lookup(key);
    if (entry) return entry.value;
    return this.l2Lookup(key);
  }

  /** Writes both levels and drops other processes' L1 copy of `key` (dependents are left alone: use delete for that). */
  async set(key: string, value: V, opts: CacheSetOptions = {}): Promise<void> {
    this.assertOpen();
    await this.write(key, value, opts, true);
  }

  /**
   * The cached value, or the loader's (then cached with `opts`). Concurrent
   * calls for one key share one loader call; a loader error reaches each of
   * them and is not cached. If the key is written or invalidated while the
   * loader runs, its result is returned but not cached.
   */
  async getOrLoad(key: string, loader: CacheLoader<V>, opts: CacheSetOptions = {}): Promise<V> {
    this.assertOpen();
    const entry = this.l1Lookup(key);
    if (entry) return entry.value;
    const joined = this.inflight.get(key);
    if (joined) return joined.promise;
    const guard = this.guard(key);
    const flight: Flight<V> = { guard, promise: this.load(key, loader, opts, guard) };
    this.inflight.set(key, flight);
    return flight.promise;
  }

  private async load(key: string, loader: CacheLoader<V>, opts: CacheSetOptions, guard: Guard): Promise<V> {
    try {
      const cached = await this.l2Lookup(key);
      if (cached !== undefined) return cached;
      const value = await loader(key);
      if (value !== undefined && !guard.stale && !this.closed) await this.write(key, value, opts, false);
      return value;
    } finally {
      this.release(key, guard);
      if (this.inflight.get(key)?.guard === guard) this.inflight.delete(key);
    }
  }

  /** Drops `key` and, transitively, every key that depends on it, in both levels and in other processes. Returns how many keys were invalidated. */
  async delete(key: string): Promise<number> {
    this.assertOpen();
    return this.invalidate([key], NO_STRINGS, true, true);
  }

  /** Drops every key carrying `tag` (and their dependents), in both levels and in other processes. Returns how many keys were invalidated. */
  async invalidateTag(tag: string): Promise<number> {
    this.assertOpen();
    return this.invalidate(NO_STRINGS, [tag], true, true);
  }

  /**
   * Start-up warming: writes each entry to both levels (without broadcasting,
   * so replicas starting together do not clear each other). `source` is the
   * entries or a function returning them. Returns how many were written.
   */
  async warm(source: CacheWarmSource<V>): Promise<number> {
    this.assertOpen();
    const entries = typeof source === 'function' ? await source() : source;
    let count = 0;
    let batch: Promise<void>[] = [];
    for await (const e of entries) {
      batch.push(this.write(e.key, e.value, e, false));
      count += 1;
      if (batch.length >= WARM_BATCH) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
    return count;
  }

  /** Stops listening, closes the connections the cache opened and empties L1. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.metrics.live.delete(this.stats);
    this.staleAll();
    this.l1.clear();
    this.settleReady(new UnavailableError('cache is closed', { cache: this.name }));
    await this.l2.close();
  }

  // -------------------------------------------------------------------------
  // L1
  // -------------------------------------------------------------------------

  private l1Lookup(key: string): Entry<V> | undefined {
    const entry = this.l1.get(key);
    this.requests.l1[entry ? 'hit' : 'miss'].inc();
    return entry;
  }

  private l1Put(key: string, entry: Entry<V>, ttlMs: number): void {
    const ttl = Math.max(1, Math.round(ttlMs));
    // Replacing an entry disposes the old one (un-indexing it) before the new one is indexed.
    this.l1.set(key, entry, this.maxSizeBytes === undefined ? { ttl } : { ttl, size: Math.max(1, entry.size) });
    if (this.l1.peek(key) !== entry) return; // too large for L1
    this.bytes += entry.size;
    for (const tag of entry.tags) addTo(this.tagIndex, tag, key);
    for (const dep of entry.deps) addTo(this.depIndex, dep, key);
  }

  private unindex(key: string, entry: Entry<V>): void {
    this.bytes -= entry.size;
    for (const tag of entry.tags) removeFrom(this.tagIndex, tag, key);
    for (const dep of entry.deps) removeFrom(this.depIndex, dep, key);
  }

  /** Keys reachable from `roots` and the keys under `tags` through the local indexes. */
  private expandLocal(roots: Iterable<string>, tags: readonly string[]): Set<string> {
    const found = new Set<string>(roots);
    for (const tag of tags) for (const k of this.tagIndex.get(tag) ?? []) found.add(k);
    const frontier = [...found];
    while (frontier.length > 0) {
      const k = frontier.pop() as string;
      for (const d of this.depIndex.get(k) ?? []) {
        if (!found.has(d)) {
          found.add(d);
          frontier.push(d);
        }
      }
    }
    return found;
  }

  private dropLocal(keys: Iterable<string>): void {
    for (const k of keys) {
      this.staleKey(k);
      this.l1.delete(k);
    }
  }

  // -------------------------------------------------------------------------
  // Guards: reads and loads in flight must not re-fill what was written or invalidated meanwhile
  // -------------------------------------------------------------------------

  private guard(key: string): Guard {
    const g: Guard = { stale: false };
    addTo(this.guards, key, g);
    return g;
  }

  private release(key: string, g: Guard): void {
    removeFrom(this.guards, key, g);
  }

  private staleKey(key: string): void {
    for (const g of this.guards.get(key) ?? []) g.stale = true;
    // Later callers start a fresh load rather than join one that may return stale data.
    this.inflight.delete(key);
  }

  private staleAll(): void {
    for (const set of this.guards.values()) for (const g of set) g.stale = true;
    this.inflight.clear();
  }

  // -------------------------------------------------------------------------
  // Both levels
  // -------------------------------------------------------------------------

  private async l2Lookup(key: string): Promise<V | undefined> {
    if (!this.l2Usable()) {
      this.errors.inc();
      this.requests.l2.miss.inc();
      return undefined;
    }
    const guard = this.guard(key);
    try {
      let reply: { text: string; pttl: number } | undefined;
      try {
        reply = await this.l2.get(key);
      } catch (err) {
        this.l2Failed('get', err);
        this.requests.l2.miss.inc();
        return undefined;
      }
      this.l2Ok();
      if (!reply) {
        this.requests.l2.miss.inc();
        return undefined;
      }
      let value: V;
      try {
        value = this.deserialize(reply.text);
      } catch (err) {
        this.errors.inc();
        this.requests.l2.miss.inc();
        this.log.warn({ err, key }, 'cache entry in redis could not be decoded; treated as a miss');
        return undefined;
      }
      this.requests.l2.hit.inc();
      // PTTL -1: the key has no expiry (written by something else); 0: it expires this millisecond, so L1 skips it.
      const ttl = reply.pttl === -1 ? this.l1TtlMs : Math.min(reply.pttl, this.l1TtlMs);
      if (!guard.stale && !this.closed && ttl >= 1) {
        this.l1Put(key, { value, tags: NO_STRINGS, deps: NO_STRINGS, size: Buffer.byteLength(reply.text) }, ttl);
      }
      return value;
    } finally {
      this.release(key, guard);
    }
  }

  private async write(key: string, value: V, opts: CacheSetOptions, broadcast: boolean): Promise<void> {
    const ttlMs = opts.ttlMs ?? this.l2TtlMs;
    if (!(Number.isFinite(ttlMs) && ttlMs >= 1)) throw new InvalidArgumentError('ttlMs must be at least 1', { key, ttlMs });
    let text: unknown;
    try {
      text = this.serialize(value);
    } catch (err) {
      throw new InvalidArgumentError('cache value could not be serialized', { key, reason: errorMessage(err) });
    }
    if (typeof text !== 'string') throw new InvalidArgumentError('cache value did not serialize to a string', { key });
    const tags = opts.tags ?? NO_STRINGS;
    const deps = opts.dependsOn ?? NO_STRINGS;
    this.staleKey(key);
    this.l1Put(key, { value, tags, deps, size: Buffer.byteLength(text) }, Math.min(ttlMs, this.l1TtlMs));
    if (!this.l2Usable()) {
      this.l2Skipped(broadcast ? [key] : NO_STRINGS, NO_STRINGS);
      return;
    }
    try {
      await this.l2.set(key, text, Math.round(ttlMs), tags, deps);
      if (broadcast) await this.l2.publish({ o: this.origin, k: [key], t: [], c: false });
      this.l2Ok();
    } catch (err) {
      this.l2Failed('set', err);
      // Others may still read the old value from L2: drop it there once Redis is back.
      if (broadcast) this.remember([key], NO_STRINGS);
    }
  }

  /**
   * Expands roots and tags through the dependency sets (L2 and the local
   * index, breadth first, each key once so cycles end), deletes them in L2,
   * then L1, then broadcasts them. `local` false leaves this L1 alone (replay).
   */
  private async invalidate(
    roots: readonly string[],
    tags: readonly string[],
    local: boolean,
    countLocal: boolean,
  ): Promise<number> {
    let remote = this.l2Usable();
    if (!remote) this.errors.inc();
    const fail = (op: string, err: unknown): void => {
      this.l2Failed(op, err);
      remote = false;
    };
    const found = new Set<string>(roots);
    for (const tag of tags) {
      for (const k of this.tagIndex.get(tag) ?? []) found.add(k);
      if (remote) {
        try {
          for (const k of await this.l2.tagMembers(tag)) found.add(k);
        } catch (err) {
          fail('invalidate', err);
        }
      }
    }
    let frontier = [...found];
    while (frontier.length > 0) {
      const next: string[] = [];
      const visit = (k: string): void => {
        if (found.has(k)) return;
        found.add(k);
        next.push(k);
      };
      for (const k of frontier) for (const d of this.depIndex.get(k) ?? []) visit(d);
      if (remote) {
        try {
          for (const members of await this.l2.dependents(frontier)) for (const d of members) visit(d);
        } catch (err) {
          fail('invalidate', err);
        }
      }
      frontier = next;
    }
    const keys = [...found];
    if (remote) {
      try {
        await this.l2.remove(keys, tags);
      } catch (err) {
        fail('invalidate', err);
      }
    }
    // After L2, so a concurrent read in this process cannot re-fill L1 from the old L2 value.
    if (local) this.dropLocal(keys);
    if (remote && (keys.length > 0 || tags.length > 0)) {
      try {
        await this.l2.publish({ o: this.origin, k: keys, t: [...tags], c: true });
      } catch (err) {
        fail('invalidate', err);
      }
    }
    if (remote) this.l2Ok();
    else this.remember(roots, tags);
    if (countLocal && keys.length > 0) this.metrics.invalidations.inc({ cache: this.name, origin: 'local' }, keys.length);
    return keys.length;
  }

  // -------------------------------------------------------------------------
  // L2 health: skip Redis while it is down, log once per outage, replay on recovery
  // -------------------------------------------------------------------------

  private l2Usable(): boolean {
    if (this.closed) return false;
    if (!this.degraded) return true;
    // While degraded, try again only on a live connection (never queue behind reconnects) and not too often.
    return this.l2.connected() && Date.now() >= this.retryAt;
  }

  private l2Failed(op: string, err: unknown): void {
    if (this.closed) return; // commands cut short by close()
    this.errors.inc();
    this.retryAt = Date.now() + L2_RETRY_MS;
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn({ err, op }, 'cache L2 (redis) unavailable; serving from L1 and loaders');
  }

  /** An L2 operation was skipped: count it, and remember what L2 must forget once it is back. */
  private l2Skipped(keys: readonly string[], tags: readonly string[]): void {
    this.errors.inc();
    this.remember(keys, tags);
  }

  private l2Ok(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info('cache L2 (redis) available again');
    if (this.pendingKeys.size > 0 || this.pendingTags.size > 0) {
      this.replay().catch((err: unknown) => this.log.warn({ err }, 'replaying invalidations from the redis outage failed'));
    }
  }

  private remember(keys: readonly string[], tags: readonly string[]): void {
    if (this.closed) return;
    for (const k of keys) this.pendingKeys.add(k);
    for (const t of tags) this.pendingTags.add(t);
    if (this.pendingKeys.size + this.pendingTags.size > PENDING_LIMIT) {
      this.pendingKeys.clear();
      this.pendingTags.clear();
      if (!this.pendingOverflow) {
        this.log.error(
          { limit: PENDING_LIMIT },
          'too many invalidations during the redis outage to replay; L2 may serve them until their TTL',
        );
      }
      this.pendingOverflow = true;
    }
  }

  /** Applies to L2 (and other processes) the invalidations and writes this process made while Redis was down. */
  private async replay(): Promise<void> {
    const keys = [...this.pendingKeys];
    const tags = [...this.pendingTags];
    this.pendingKeys.clear();
    this.pendingTags.clear();
    this.pendingOverflow = false;
    // This L1 already reflects them (and holds values set during the outage), so it is left alone.
    const n = await this.invalidate(keys, tags, false, false);
    this.log.info({ keys: n, tags: tags.length }, 'replayed invalidations from the redis outage');
  }

  // -------------------------------------------------------------------------
  // Invalidations from other processes
  // -------------------------------------------------------------------------

  private startSubscriber(): void {
    const sub = this.l2.sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.l2.channel) this.onMessage(message);
    });
    sub.on('ready', () => void this.subscribe());
    sub.on('close', () => {
      this.subscribed = false;
    });
    sub.on('error', (err: Error) => {
      if (!this.subscribed) this.settleReady(new UnavailableError('cache cannot reach redis', { cache: this.name, reason: err.message }));
    });
    // Failures surface as 'error' events; ioredis keeps reconnecting and 'ready' subscribes again.
    sub.connect().catch(() => undefined);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.l2.sub.subscribe(this.l2.channel);
    } catch (err) {
      if (this.closed) return;
      if (!this.subscribeFailing) this.log.warn({ err }, 'cache could not subscribe to invalidations');
      this.subscribeFailing = true;
      this.settleReady(new UnavailableError('cache could not subscribe to invalidations', { cache: this.name, reason: errorMessage(err) }));
      // A connection that stays up gives no new 'ready' to retry on.
      if (this.l2.sub.status === 'ready') {
        setTimeout(() => {
          if (!this.closed && !this.subscribed && this.l2.sub.status === 'ready') void this.subscribe();
        }, SUBSCRIBE_RETRY_MS).unref();
      }
      return;
    }
    this.subscribeFailing = false;
    if (this.closed) return;
    if (this.everSubscribed) {
      // Broadcasts sent while we were not listening are lost: nothing in L1 can be trusted.
      this.staleAll();
      this.l1.clear();
      this.log.info('cache re-subscribed to invalidations; L1 cleared');
    }
    this.everSubscribed = true;
    this.subscribed = true;
    this.settleReady();
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = undefined;
    }
    if (!isInvalidationMessage(msg)) {
      this.log.warn({ channel: this.l2.channel }, 'dropped malformed cache invalidation');
      return;
    }
    if (msg.o === this.origin) return;
    this.applyRemote(msg);
  }

  private applyRemote(msg: InvalidationMessage): void {
    // The sender expanded tags and dependencies through Redis; the local index adds edges only this process knows.
    const keys = msg.c ? this.expandLocal(msg.k, msg.t) : new Set(msg.k);
    this.dropLocal(keys);
    if (keys.size > 0) this.metrics.invalidations.inc({ cache: this.name, origin: 'remote' }, keys.size);
  }

  private settleReady(err?: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('cache is closed', { cache: this.name });
  }
}

function validateOptions<V>(opts: MultiLevelCacheOptions<V>): void {
  const problems: string[] = [];
  const posInt = (v: number | undefined, what: string, optional = false): void => {
    if (v === undefined && optional) return;
    if (v === undefined || !Number.isSafeInteger(v) || v < 1) problems.push(`${what} must be a positive integer`);
  };
  if (typeof opts.name !== 'string' || opts.name === '') problems.push('name must be a non-empty string');
  posInt(opts.l1?.max, 'l1.max');
  posInt(opts.l1?.ttlMs, 'l1.ttlMs');
  posInt(opts.l1?.maxSizeBytes, 'l1.maxSizeBytes', true);
  posInt(opts.l2?.ttlMs, 'l2.ttlMs', true);
  posInt(opts.l2?.connectTimeoutMs, 'l2.connectTimeoutMs', true);
  posInt(opts.l2?.commandTimeoutMs, 'l2.commandTimeoutMs', true);
  const retries = opts.l2?.maxRetriesPerRequest;
  if (retries !== undefined && !(Number.isSafeInteger(retries) && retries >= 0)) {
    problems.push('l2.maxRetriesPerRequest must be a non-negative integer');
  }
  if (problems.length > 0) throw new InvalidArgumentError(`invalid cache options: ${problems.join('; ')}`, { cache: opts.name });
}

function addTo<K, T>(index: Map<K, Set<T>>, key: K, item: T): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(item);
}

function removeFrom<K, T>(index: Map<K, Set<T>>, key: K, item: T): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(item);
  if (set.size === 0) index.delete(key);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
