import { randomBytes } from 'node:crypto';
import net from 'node:net';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { MultiLevelCache, type MultiLevelCacheOptions } from '../cache';
import { InvalidArgumentError, UnavailableError } from '../errors';
import { createLogger } from '../logger';
import { createMetrics, lintMetricsText } from '../metrics';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DOWN_URL = 'redis://127.0.0.1:1';

interface Quote {
  symbol: string;
  price: string;
}

const logLines: string[] = [];
const logger = createLogger({ service: 'cache-test', level: 'info', destination: { write: (s: string) => void logLines.push(s) } });

let admin: Redis;
const caches: MultiLevelCache<Quote | null>[] = [];
const prefixes: string[] = [];
const proxies: TcpProxy[] = [];

beforeAll(() => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, protocol: 2, maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.cut()));
  for (const prefix of prefixes.splice(0)) {
    const keys = await scanKeys(prefix);
    if (keys.length > 0) await admin.del(...keys);
  }
  logLines.length = 0;
});

afterAll(async () => {
  await admin.quit();
});

type Overrides = Partial<Omit<MultiLevelCacheOptions<Quote | null>, 'l1' | 'l2'>> & {
  l1?: Partial<MultiLevelCacheOptions<Quote | null>['l1']>;
  l2?: MultiLevelCacheOptions<Quote | null>['l2'];
};

/** A unique key prefix (and cache name) whose Redis keys are deleted after the test. */
function newPrefix(label: string): { name: string; keyPrefix: string } {
  const name = `${label}-${randomBytes(4).toString('hex')}`;
  const keyPrefix = `test:cache:${name}:`;
  prefixes.push(keyPrefix);
  return { name, keyPrefix };
}

/** One "process": its own connections and registry unless given. */
function newCache(ns: { name: string; keyPrefix: string }, o: Overrides = {}): MultiLevelCache<Quote | null> {
  const cache = new MultiLevelCache<Quote | null>({
    name: o.name ?? ns.name,
    redis: o.redis ?? REDIS_URL,
    logger,
    registry: o.registry ?? new Registry(),
    l1: { max: 100, ttlMs: 60000, ...o.l1 },
    l2: { ttlMs: 60000, keyPrefix: ns.keyPrefix, ...o.l2 },
    ...(o.serialize ? { serialize: o.serialize } : {}),
    ...(o.deserialize ? { deserialize: o.deserialize } : {}),
  });
  caches.push(cache);
  return cache;
}

async function scanKeys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

function quote(symbol: string, price: string): Quote {
  return { symbol, price };
}

/** Value of one series of a metric on `registry` (0 when the series does not exist). */
async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return match?.value ?? 0;
}

function logged(msg: string): number {
  return logLines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === msg).length;
}

/** Polls until `cond` holds; fails (rather than hangs) after a generous bound. */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, boundMs = 10000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects if `p` has not settled within the bound, so a hang fails the test instead of timing it out. */
function bounded<T>(p: Promise<T>, boundMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${boundMs} ms`)), boundMs);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A TCP proxy in front of the real Redis, so a test can take "Redis" away and bring it back. */
class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  get url(): string {
    const u = new URL(this.target.toString());
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe('MultiLevelCache', () => {
  it('serves an L1 hit from process memory without asking Redis', async () => {
    const ns = newPrefix('l1');
    const registry = new Registry();
    const cache = newCache(ns, { registry });
    await cache.set('BTC/USDT', quote('BTC/USDT', '65000.10'));

    expect(await admin.get(`${ns.keyPrefix}v:BTC/USDT`)).toBe(JSON.stringify(quote('BTC/USDT', '65000.10')));
    await admin.del(`${ns.keyPrefix}v:BTC/USDT`);

    expect(await cache.get('BTC/USDT')).toEqual(quote('BTC/USDT', '65000.10'));
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l1', result: 'hit' })).toBe(1);
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'hit' })).toBe(0);
    expect(await cache.get('ETH/USDT')).toBeUndefined();
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l1', result: 'miss' })).toBe(1);
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'miss' })).toBe(1);
  });

  it('caches null but treats a missing key as a miss', async () => {
    const ns = newPrefix('null');
    const cache = newCache(ns);
    await cache.set('delisted', null);
    expect(await cache.get('delisted')).toBeNull();
    const loader = jest.fn(async () => quote('X', '1'));
    expect(await cache.getOrLoad('delisted', loader)).toBeNull();
    expect(loader).not.toHaveBeenCalled();
  });

  it('serves from L2 after L1 evicted the entry, and refills L1', async () => {
    const ns = newPrefix('evict');
    const registry = new Registry();
    const cache = newCache(ns, { registry, l1: { max: 2 } });
    await cache.set('a', quote('A', '1'));
    await cache.set('b', quote('B', '2'));
    await cache.set('c', quote('C', '3'));
    expect(await metricValue(registry, 'cte_cache_evictions_total', { cache: ns.name })).toBe(1);

    expect(await cache.get('a')).toEqual(quote('A', '1'));
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l1', result: 'miss' })).toBe(1);
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'hit' })).toBe(1);

    // The L2 hit put it back in L1: it is served even once Redis no longer has it.
    await admin.del(`${ns.keyPrefix}v:a`);
    expect(await cache.get('a')).toEqual(quote('A', '1'));
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l1', result: 'hit' })).toBe(1);
  });

  it('serves another instance from L2', async () => {
    const ns = newPrefix('shared');
    const writer = newCache(ns);
    const readerRegistry = new Registry();
    const reader = newCache(ns, { registry: readerRegistry });
    await writer.set('SOL/USDT', quote('SOL/USDT', '142.5'));
    expect(await reader.get('SOL/USDT')).toEqual(quote('SOL/USDT', '142.5'));
    expect(await metricValue(readerRegistry, 'cte_cache_requests_total', { level: 'l2', result: 'hit' })).toBe(1);
  });

  it('uses the given serializer for L2', async () => {
    const ns = newPrefix('serde');
    const serialize = (q: Quote | null): string => (q ? `${q.symbol}|${q.price}` : '');
    const deserialize = (t: string): Quote | null => {
      if (t === '') return null;
      const [symbol = '', price = ''] = t.split('|');
      return { symbol, price };
    };
    const writer = newCache(ns, { serialize, deserialize });
    const reader = newCache(ns, { serialize, deserialize });
    await writer.set('k', quote('BTC/USDT', '1.5'));
    expect(await admin.get(`${ns.keyPrefix}v:k`)).toBe('BTC/USDT|1.5');
    expect(await reader.get('k')).toEqual(quote('BTC/USDT', '1.5'));
  });

  it('treats an undecodable L2 value as a miss and counts it', async () => {
    const ns = newPrefix('corrupt');
    const registry = new Registry();
    const cache = newCache(ns, { registry });
    await admin.set(`${ns.keyPrefix}v:k`, '{not json', 'PX', 60000);
    expect(await cache.get('k')).toBeUndefined();
    expect(await metricValue(registry, 'cte_cache_errors_total', { cache: ns.name })).toBe(1);
    expect(await cache.getOrLoad('k', async () => quote('K', '1'))).toEqual(quote('K', '1'));
    expect(await admin.get(`${ns.keyPrefix}v:k`)).toBe(JSON.stringify(quote('K', '1')));
  });

  it('expires entries in both levels after their TTL', async () => {
    const ns = newPrefix('ttl');
    const writer = newCache(ns);
    const reader = newCache(ns); // its L1 TTL is 60 s: the entry's own TTL must win
    await writer.set('short', quote('S', '1'), { ttlMs: 300 });
    await writer.set('long', quote('L', '1'));

    const pttl = await admin.pttl(`${ns.keyPrefix}v:short`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    expect(await reader.get('short')).toEqual(quote('S', '1'));

    await waitFor(async () => (await writer.get('short')) === undefined, 'the writer to forget the entry');
    await waitFor(async () => (await reader.get('short')) === undefined, "the reader's L1 copy to expire");
    expect(await admin.exists(`${ns.keyPrefix}v:short`)).toBe(0);
    expect(await reader.get('long')).toEqual(quote('L', '1'));
  });

  it('expires L1 entries after l1.ttlMs even while L2 keeps them', async () => {
    const ns = newPrefix('l1ttl');
    const registry = new Registry();
    const cache = newCache(ns, { registry, l1: { ttlMs: 100 } });
    await cache.set('k', quote('K', '1'));
    await waitFor(async () => {
      await cache.get('k');
      return (await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'hit' })) > 0;
    }, 'a lookup to fall through to L2');
    expect(await admin.pttl(`${ns.keyPrefix}v:k`)).toBeGreaterThan(1000);
  });

  it('invalidates a tag in both levels and in the other process via pub/sub', async () => {
    const ns = newPrefix('tags');
    const regA = new Registry();
    const regB = new Registry();
    const a = newCache(ns, { registry: regA });
    const b = newCache(ns, { registry: regB });
    await Promise.all([a.ready(), b.ready()]);

    await a.set('BTC/USDT', quote('BTC/USDT', '1'), { tags: ['exchange:binance'] });
    await a.set('ETH/USDT', quote('ETH/USDT', '2'), { tags: ['exchange:binance', 'eth'] });
    await a.set('SOL/USDT', quote('SOL/USDT', '3'), { tags: ['exchange:kucoin'] });
    expect((await admin.smembers(`${ns.keyPrefix}tag:exchange:binance`)).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const tagTtl = await admin.pttl(`${ns.keyPrefix}tag:exchange:binance`);
    expect(tagTtl).toBeGreaterThan(50000);
    // Each write tells other processes to drop their copy; let those arrive before b reads.
    const remote = (): Promise<number> => metricValue(regB, 'cte_cache_invalidations_total', { origin: 'remote' });
    await waitFor(async () => (await remote()) === 3, 'b to hear of the three writes');

    for (const k of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) expect(await b.get(k)).not.toBeUndefined();
    // Now in b's L1: served even without Redis.
    for (const k of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) await b.get(k);
    expect(await metricValue(regB, 'cte_cache_requests_total', { level: 'l1', result: 'hit' })).toBe(3);

    expect(await a.invalidateTag('exchange:binance')).toBe(2);
    expect(await a.get('BTC/USDT')).toBeUndefined();
    expect(await admin.exists(`${ns.keyPrefix}v:BTC/USDT`, `${ns.keyPrefix}v:ETH/USDT`, `${ns.keyPrefix}tag:exchange:binance`)).toBe(0);

    await waitFor(
      async () => (await remote()) === 5,
      'b to receive the invalidation of two keys',
    );
    expect(await b.get('BTC/USDT')).toBeUndefined();
    expect(await b.get('ETH/USDT')).toBeUndefined();
    expect(await b.get('SOL/USDT')).toEqual(quote('SOL/USDT', '3'));
    // a ignores its own broadcast.
    expect(await metricValue(regA, 'cte_cache_invalidations_total', { origin: 'remote' })).toBe(0);
    expect(await metricValue(regA, 'cte_cache_invalidations_total', { origin: 'local' })).toBe(2);
  });

  it('set drops the other process L1 copy but keeps its own', async () => {
    const ns = newPrefix('set');
    const regB = new Registry();
    const a = newCache(ns);
    const b = newCache(ns, { registry: regB });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', quote('K', '1'));
    expect(await b.get('k')).toEqual(quote('K', '1'));

    await a.set('k', quote('K', '2'));
    await waitFor(async () => (await metricValue(regB, 'cte_cache_invalidations_total', { origin: 'remote' })) >= 1, 'b to hear of the write');
    expect(await b.get('k')).toEqual(quote('K', '2'));

    // a's own broadcast must not have dropped a's L1 copy.
    await admin.del(`${ns.keyPrefix}v:k`);
    expect(await a.get('k')).toEqual(quote('K', '2'));
  });

  it('set does not cascade to dependents, in this process or others', async () => {
    const ns = newPrefix('setdeps');
    const regB = new Registry();
    const a = newCache(ns);
    const b = newCache(ns, { registry: regB });
    await Promise.all([a.ready(), b.ready()]);
    await b.set('derived', quote('D', '1'), { dependsOn: ['base'] });
    await a.set('base', quote('B', '1'));
    await a.set('base', quote('B', '2'));
    await waitFor(async () => (await metricValue(regB, 'cte_cache_invalidations_total', { origin: 'remote' })) === 2, 'b to hear of both writes');
    await admin.del(`${ns.keyPrefix}v:derived`);
    expect(await b.get('derived')).toEqual(quote('D', '1'));
    expect(await admin.smembers(`${ns.keyPrefix}dep:base`)).toEqual(['derived']);
  });

  it('ignores malformed messages on the invalidation channel', async () => {
    const ns = newPrefix('malformed');
    const cache = newCache(ns);
    await cache.ready();
    await cache.set('k', quote('K', '1'));
    await admin.publish(`${ns.keyPrefix}invalidate`, '{"k":["k"]}');
    await waitFor(() => logged('dropped malformed cache invalidation') === 1, 'the warning');
    await admin.del(`${ns.keyPrefix}v:k`);
    expect(await cache.get('k')).toEqual(quote('K', '1'));
  });

  it('invalidates dependents transitively, through a cycle, in both processes', async () => {
    const ns = newPrefix('deps');
    const regB = new Registry();
    const a = newCache(ns);
    const b = newCache(ns, { registry: regB });
    await Promise.all([a.ready(), b.ready()]);

    // portfolio <- exposure <- risk <- portfolio (a cycle), limits <- risk; prices stands alone.
    await a.set('portfolio', quote('P', '1'), { dependsOn: ['risk'] });
    await a.set('exposure', quote('E', '1'), { dependsOn: ['portfolio'] });
    await a.set('risk', quote('R', '1'), { dependsOn: ['exposure'] });
    await a.set('limits', quote('L', '1'), { dependsOn: ['risk'] });
    await a.set('prices', quote('X', '1'));
    expect((await admin.smembers(`${ns.keyPrefix}dep:risk`)).sort()).toEqual(['limits', 'portfolio']);
    const remote = (): Promise<number> => metricValue(regB, 'cte_cache_invalidations_total', { origin: 'remote' });
    await waitFor(async () => (await remote()) === 5, 'b to hear of the five writes');

    const all = ['portfolio', 'exposure', 'risk', 'limits', 'prices'];
    for (const k of all) expect(await b.get(k)).not.toBeUndefined();

    expect(await bounded(a.delete('exposure'), 5000, 'delete through a cycle')).toBe(4);
    for (const k of ['portfolio', 'exposure', 'risk', 'limits']) expect(await a.get(k)).toBeUndefined();
    expect(await a.get('prices')).toEqual(quote('X', '1'));
    expect(await scanKeys(`${ns.keyPrefix}dep:`)).toEqual([]);

    await waitFor(
      async () => (await remote()) === 9,
      'b to drop the four keys',
    );
    for (const k of ['portfolio', 'exposure', 'risk', 'limits']) expect(await b.get(k)).toBeUndefined();
    expect(await b.get('prices')).toEqual(quote('X', '1'));
  });

  it('invalidates the dependents of a tagged key', async () => {
    const ns = newPrefix('tagdeps');
    const cache = newCache(ns);
    await cache.set('BTC/USDT', quote('BTC/USDT', '1'), { tags: ['prices'] });
    await cache.set('btc-signal', quote('S', '1'), { dependsOn: ['BTC/USDT'] });
    await cache.set('eth-signal', quote('S', '2'), { dependsOn: ['ETH/USDT'] });
    expect(await cache.invalidateTag('prices')).toBe(2);
    expect(await cache.get('btc-signal')).toBeUndefined();
    expect(await cache.get('eth-signal')).toEqual(quote('S', '2'));
  });

  it('calls the loader once for concurrent callers of one key', async () => {
    const ns = newPrefix('flight');
    const registry = new Registry();
    const cache = newCache(ns, { registry });
    const gate = deferred<Quote>();
    const loader = jest.fn((_key: string) => gate.promise);

    const callers = Array.from({ length: 10 }, () => cache.getOrLoad('BTC/USDT', loader, { tags: ['t'] }));
    await waitFor(() => loader.mock.calls.length > 0, 'the loader to start');
    gate.resolve(quote('BTC/USDT', '7'));
    const results = await bounded(Promise.all(callers), 5000, 'callers');

    expect(loader).toHaveBeenCalledTimes(1);
    expect(loader).toHaveBeenCalledWith('BTC/USDT');
    expect(results).toEqual(Array(10).fill(quote('BTC/USDT', '7')));
    expect(await admin.get(`${ns.keyPrefix}v:BTC/USDT`)).toBe(JSON.stringify(quote('BTC/USDT', '7')));
    expect(await admin.smembers(`${ns.keyPrefix}tag:t`)).toEqual(['BTC/USDT']);
    expect(await cache.getOrLoad('BTC/USDT', loader)).toEqual(quote('BTC/USDT', '7'));
    expect(loader).toHaveBeenCalledTimes(1);
    // One L2 lookup for the whole flight.
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'miss' })).toBe(1);
  });

  it('shares a loader failure with every caller and does not cache it', async () => {
    const ns = newPrefix('flightfail');
    const cache = newCache(ns);
    const gate = deferred<Quote>();
    const loader = jest.fn((_key: string) => gate.promise);
    const callers = Array.from({ length: 5 }, () => cache.getOrLoad('k', loader));
    await waitFor(() => loader.mock.calls.length > 0, 'the loader to start');
    gate.reject(new Error('exchange down'));
    const settled = await Promise.allSettled(callers);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'fulfilled'))).toEqual(
      Array(5).fill('exchange down'),
    );
    expect(loader).toHaveBeenCalledTimes(1);

    expect(await cache.getOrLoad('k', async () => quote('K', '2'))).toEqual(quote('K', '2'));
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('does not cache a load that an invalidation overtook', async () => {
    const ns = newPrefix('overtaken');
    const cache = newCache(ns);
    const gate = deferred<Quote>();
    const loader = jest.fn((_key: string) => gate.promise);
    const first = cache.getOrLoad('k', loader);
    await waitFor(() => loader.mock.calls.length > 0, 'the loader to start');
    await cache.delete('k');
    // A caller after the invalidation does not join the old flight.
    const second = jest.fn(async () => quote('K', 'new'));
    expect(await cache.getOrLoad('k', second)).toEqual(quote('K', 'new'));
    expect(second).toHaveBeenCalledTimes(1);
    gate.resolve(quote('K', 'old'));
    expect(await first).toEqual(quote('K', 'old'));
    expect(await cache.get('k')).toEqual(quote('K', 'new'));
    expect(await admin.get(`${ns.keyPrefix}v:k`)).toBe(JSON.stringify(quote('K', 'new')));
  });

  it('warms from entries and from a loader, with tags, visible to other processes', async () => {
    const ns = newPrefix('warm');
    const registry = new Registry();
    const cache = newCache(ns, { registry, l1: { max: 1000 } });
    expect(
      await cache.warm([
        { key: 'BTC/USDT', value: quote('BTC/USDT', '1'), tags: ['majors'] },
        { key: 'ETH/USDT', value: quote('ETH/USDT', '2'), tags: ['majors'] },
      ]),
    ).toBe(2);
    async function* fromDb(): AsyncGenerator<{ key: string; value: Quote; ttlMs: number }> {
      for (let i = 0; i < 250; i++) yield { key: `alt-${i}`, value: quote(`ALT${i}/USDT`, String(i)), ttlMs: 30000 };
    }
    expect(await cache.warm(async () => fromDb())).toBe(250);

    expect(await cache.get('alt-249')).toEqual(quote('ALT249/USDT', '249'));
    expect(await cache.get('BTC/USDT')).toEqual(quote('BTC/USDT', '1'));
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l1', result: 'hit' })).toBe(2);
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'miss' })).toBe(0);
    expect((await scanKeys(`${ns.keyPrefix}v:`)).length).toBe(252);
    const pttl = await admin.pttl(`${ns.keyPrefix}v:alt-0`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30000);

    const other = newCache(ns);
    expect(await other.get('alt-7')).toEqual(quote('ALT7/USDT', '7'));
    expect(await cache.invalidateTag('majors')).toBe(2);
    expect(await other.get('ETH/USDT')).toBeUndefined();
  });

  it('keeps working from L1 and the loader when Redis is down, counting errors and logging once', async () => {
    const ns = newPrefix('down');
    const registry = new Registry();
    const cache = newCache(ns, { registry, redis: DOWN_URL });
    await expect(bounded(cache.ready(), 10000, 'ready')).rejects.toBeInstanceOf(UnavailableError);

    await bounded(cache.set('a', quote('A', '1'), { tags: ['t'] }), 10000, 'set while down');
    expect(await cache.get('a')).toEqual(quote('A', '1'));

    const loader = jest.fn(async (key: string) => quote(key, '2'));
    // Once L2 is known to be down, operations skip it instead of waiting on reconnects.
    const many = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) expect(await cache.getOrLoad(`k${i % 2}`, loader)).toEqual(quote(`k${i % 2}`, '2'));
      for (let i = 0; i < 20; i++) expect(await cache.get(`missing-${i}`)).toBeUndefined();
    };
    await bounded(many(), 5000, '40 lookups while redis is down');
    expect(loader).toHaveBeenCalledTimes(2);

    // Invalidation still works locally: tags and dependencies from the L1 index.
    await cache.set('b', quote('B', '1'), { dependsOn: ['a'] });
    await cache.set('c', quote('C', '1'), { dependsOn: ['b'] });
    expect(await cache.invalidateTag('t')).toBe(3);
    for (const k of ['a', 'b', 'c']) expect(await cache.get(k)).toBeUndefined();
    expect(await cache.get('k0')).toEqual(quote('k0', '2'));
    expect(await cache.delete('k0')).toBe(1);
    expect(await cache.get('k0')).toBeUndefined();

    // set a (failed); k0 and k1 (lookup and write skipped); 20 missing; set b, set c; invalidateTag;
    // get a, b, c; delete; get k0 after it.
    expect(await metricValue(registry, 'cte_cache_errors_total', { cache: ns.name })).toBe(33);
    expect(logged('cache L2 (redis) unavailable; serving from L1 and loaders')).toBe(1);
  });

  it('replays invalidations made during an outage and clears L1 after re-subscribing', async () => {
    const ns = newPrefix('outage');
    const proxy = new TcpProxy(new URL(REDIS_URL));
    proxies.push(proxy);
    await proxy.start();
    const regA = new Registry();
    const regB = new Registry();
    const a = newCache(ns, { registry: regA, redis: proxy.url });
    const b = newCache(ns, { registry: regB });
    await Promise.all([a.ready(), b.ready()]);

    await a.set('keep', quote('K', '1'));
    await a.set('gone', quote('G', '1'));
    await a.set('derived', quote('D', '1'), { dependsOn: ['gone'] });
    for (const k of ['keep', 'gone', 'derived']) expect(await b.get(k)).not.toBeUndefined();

    await proxy.cut();
    await a.set('keep', quote('K', '2')); // fails over to L1 only
    expect(await a.delete('gone')).toBe(2); // local index knows "derived"
    expect(await a.get('keep')).toEqual(quote('K', '2'));
    expect(await a.get('gone')).toBeUndefined();
    // Redis and b did not hear of it yet.
    expect(await admin.exists(`${ns.keyPrefix}v:gone`)).toBe(1);
    expect(await b.get('gone')).toEqual(quote('G', '1'));
    expect(await metricValue(regA, 'cte_cache_errors_total', { cache: ns.name })).toBeGreaterThan(0);

    await proxy.start();
    await waitFor(async () => (await admin.exists(`${ns.keyPrefix}v:gone`)) === 0, 'the replay to reach redis', 15000);
    await waitFor(async () => (await b.get('gone')) === undefined, 'b to drop gone', 15000);
    expect(await b.get('derived')).toBeUndefined();
    // The write made during the outage: b's old copy is dropped, and b no longer reads the stale value from L2.
    await waitFor(async () => (await b.get('keep')) === undefined, 'b to drop keep', 15000);
    expect(logged('cache L2 (redis) available again')).toBe(1);
    expect(logged('cache L2 (redis) unavailable; serving from L1 and loaders')).toBe(1);
    await waitFor(() => logged('cache re-subscribed to invalidations; L1 cleared') === 1, 'a to re-subscribe', 15000);
    expect(await a.get('keep')).toBeUndefined();
  });

  it('exports hit ratios and L1 gauges that pass the metrics lint', async () => {
    const ns = newPrefix('metrics');
    const registry = createMetrics('cache-test');
    const cache = newCache(ns, { registry, l1: { max: 4 } });
    const other = newCache(newPrefix('metrics-other'), { registry, l1: { max: 10 } });

    await cache.set('k', quote('K', '1')); // {"symbol":"K","price":"1"} = 26 bytes
    await cache.get('k'); // l1 hit
    await cache.get('k'); // l1 hit
    await cache.get('k'); // l1 hit
    await cache.get('nope'); // l1 miss, l2 miss
    await other.get('x'); // the other cache: l1 miss, l2 miss

    const text = await registry.metrics();
    expect(lintMetricsText(text)).toEqual([]);
    const series = (name: string, labels: string): string | undefined =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))?.split(' ')[1];
    expect(series('cte_cache_hit_ratio', `cache="${ns.name}",level="l1"`)).toBe('0.75');
    expect(series('cte_cache_hit_ratio', `cache="${ns.name}",level="l2"`)).toBe('0');
    expect(series('cte_cache_hit_ratio', `cache="${ns.name}",level="all"`)).toBe('0.75');
    expect(series('cte_cache_hit_ratio', `cache="${other.name}",level="l1"`)).toBe('0');
    expect(series('cte_cache_l1_size_bytes', `cache="${ns.name}"`)).toBe('26');
    expect(series('cte_cache_l1_fill_ratio', `cache="${ns.name}"`)).toBe('0.25');
    expect(text).toMatch(/cte_cache_requests_total\{cache="[^"]+",level="l1",result="hit",service="cache-test"\} 3/);

    // An L2 hit moves the L2 and overall ratios.
    await admin.set(`${ns.keyPrefix}v:warm`, JSON.stringify(quote('W', '1')), 'PX', 60000);
    await cache.get('warm');
    const after = await registry.metrics();
    const ratio = (level: string): string | undefined =>
      after.split('\n').find((l) => l.startsWith('cte_cache_hit_ratio{') && l.includes(`cache="${ns.name}",level="${level}"`))?.split(' ')[1];
    expect(ratio('l2')).toBe('0.5');
    expect(ratio('all')).toBe('0.8');

    // Closed caches leave the L1 gauges.
    await cache.close();
    expect(await registry.metrics()).not.toContain(`cte_cache_l1_size_bytes{cache="${ns.name}"`);
  });

  it('bounds L1 by bytes when asked', async () => {
    const ns = newPrefix('bytes');
    const registry = new Registry();
    const cache = newCache(ns, { registry, l1: { max: 100, maxSizeBytes: 60 } });
    await cache.set('a', quote('A', '1')); // 26 bytes each
    await cache.set('b', quote('B', '1'));
    expect(await metricValue(registry, 'cte_cache_evictions_total', { cache: ns.name })).toBe(0);
    await cache.set('c', quote('C', '1'));
    expect(await metricValue(registry, 'cte_cache_evictions_total', { cache: ns.name })).toBe(1);
    expect(await metricValue(registry, 'cte_cache_l1_size_bytes', { cache: ns.name })).toBe(52);
    expect(await cache.get('a')).toEqual(quote('A', '1')); // from L2
    expect(await metricValue(registry, 'cte_cache_requests_total', { level: 'l2', result: 'hit' })).toBe(1);
  });

  it('leaves a shared connection open on close', async () => {
    const ns = newPrefix('sharedconn');
    const conn = new Redis(REDIS_URL, { lazyConnect: true, protocol: 2 });
    try {
      const cache = newCache(ns, { redis: conn });
      await cache.ready();
      await cache.set('k', quote('K', '1'));
      expect(await admin.get(`${ns.keyPrefix}v:k`)).toBe(JSON.stringify(quote('K', '1')));
      await cache.close();
      expect(await conn.ping()).toBe('PONG');
      await expect(cache.get('k')).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await conn.quit();
    }
  });

  it('rejects bad options and values', async () => {
    const ns = newPrefix('bad');
    expect(() => newCache(ns, { l1: { max: 0 } })).toThrow(InvalidArgumentError);
    expect(() => newCache(ns, { l1: { ttlMs: 1.5 } })).toThrow(/l1.ttlMs/);
    const cache = newCache(ns);
    await expect(cache.set('k', quote('K', '1'), { ttlMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const cyclic = quote('K', '1') as Quote & { self?: unknown };
    cyclic.self = cyclic;
    await expect(cache.set('k', cyclic)).rejects.toThrow(/could not be serialized/);
    expect(await cache.get('k')).toBeUndefined();
  });
});
