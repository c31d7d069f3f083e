import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { UnavailableError, ConflictError } from '../errors';
import { createLogger } from '../logger';
import {
  CONSUME_DEFAULTS,
  ENVELOPE_FIELD,
  RedisBus,
  decodeEnvelope,
  dlqName,
  newTraceId,
  type DeliveryMeta,
  type Envelope,
} from '../bus';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Tick {
  symbol: string;
  price: string;
}

const logLines: string[] = [];
const logger = createLogger({ service: 'bus-test', level: 'warn', destination: { write: (s: string) => void logLines.push(s) } });

let admin: Redis;
const buses: RedisBus[] = [];
const keys: string[] = [];

function newBus(extra: Partial<ConstructorParameters<typeof RedisBus>[0]> = {}): RedisBus {
  const bus = new RedisBus({ url: REDIS_URL, logger, ...extra });
  buses.push(bus);
  return bus;
}

/** A unique stream name whose key and DLQ key are deleted after the test. */
function streamName(label: string): string {
  const name = `test:bus:${label}:${Date.now()}:${randomBytes(4).toString('hex')}`;
  keys.push(name, dlqName(name));
  return name;
}

function channelPrefix(label: string): string {
  return `test:bus:${label}:${randomBytes(6).toString('hex')}`;
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

const openGates: (() => void)[] = [];

/** A gate a handler can wait on; afterEach opens any left shut so a failed test cannot hang close(). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  openGates.push(resolve);
  return { promise, resolve };
}

/** Rejects if `p` has not settled within the bound, so a hang fails the test instead of timing it out. */
function bounded<T>(p: Promise<T>, boundMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${boundMs} ms`)), boundMs);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

async function pendingCount(stream: string, group: string): Promise<number> {
  const summary = (await admin.call('XPENDING', stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

async function readAll(stream: string): Promise<{ id: string; fields: Record<string, string> }[]> {
  const rows = (await admin.call('XRANGE', stream, '-', '+')) as [string, string[]][];
  return rows.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

/** Fast settings so retries and reclaims happen quickly in tests. */
const FAST = { blockMs: 100, retryDelayMs: 20, claimIdleMs: 60000 };

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});

afterEach(async () => {
  openGates.splice(0).forEach((open) => open());
  await Promise.all(buses.splice(0).map((b) => b.close()));
  if (keys.length) await admin.del(...keys.splice(0));
});

afterAll(async () => {
  await admin.quit();
});

describe('envelope helpers', () => {
  it('newTraceId gives distinct 32-hex ids', () => {
    const a = newTraceId();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newTraceId()).not.toBe(a);
  });

  it('decodeEnvelope rejects malformed input and accepts a complete envelope', () => {
    expect(decodeEnvelope('{').ok).toBe(false);
    expect(decodeEnvelope(undefined).ok).toBe(false);
    expect(decodeEnvelope('[]').ok).toBe(false);
    expect(decodeEnvelope(JSON.stringify({ v: 1, type: 't', ts: 1, data: {} })).ok).toBe(false);
    expect(decodeEnvelope(JSON.stringify({ v: 1, type: 't', trace_id: 'x', ts: 1 })).ok).toBe(false);
    expect(decodeEnvelope(JSON.stringify({ v: '1', type: 't', trace_id: 'x', ts: 1, data: {} })).ok).toBe(false);
    const ok = decodeEnvelope<{ a: number }>(JSON.stringify({ v: 2, type: 't', trace_id: 'x', ts: 5, data: { a: 1 } }));
    expect(ok).toEqual({ ok: true, envelope: { v: 2, type: 't', trace_id: 'x', ts: 5, data: { a: 1 } } });
  });
});

describe('RedisBus pub/sub', () => {
  it('delivers to glob subscribers with the envelope fields, and not to non-matching channels', async () => {
    const bus = newBus();
    const prefix = channelPrefix('ps');
    const got: { env: Envelope<Tick>; channel: string }[] = [];
    await bus.subscribe<Tick>(`${prefix}.ticks.*`, (env, channel) => void got.push({ env, channel }));

    const before = Date.now();
    await bus.publish(`${prefix}.ticks.BTC-USD`, { type: 'tick', data: { symbol: 'BTC-USD', price: '1.5' } });
    await bus.publish(`${prefix}.bars.BTC-USD`, { type: 'bar', data: { symbol: 'BTC-USD', price: '9' } });
    await bus.publish(`${prefix}.ticks.ETH-USD`, {
      type: 'tick',
      v: 3,
      trace_id: 'trace-from-upstream',
      data: { symbol: 'ETH-USD', price: '2.25' },
    });
    await waitFor(() => got.length >= 2, 'two ticks');
    const after = Date.now();

    // The bar was published between the two ticks, so had it matched it would have arrived by now.
    expect(got.map((g) => g.channel)).toEqual([`${prefix}.ticks.BTC-USD`, `${prefix}.ticks.ETH-USD`]);
    const first = got[0]!.env;
    const second = got[1]!.env;
    expect(first.type).toBe('tick');
    expect(first.v).toBe(1);
    expect(first.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.data).toEqual({ symbol: 'BTC-USD', price: '1.5' });
    expect(first.ts).toBeGreaterThanOrEqual(before);
    expect(first.ts).toBeLessThanOrEqual(after);
    expect(second.v).toBe(3);
    expect(second.trace_id).toBe('trace-from-upstream');
    expect(second.data).toEqual({ symbol: 'ETH-USD', price: '2.25' });
  });

  it('keeps other subscriptions alive when one unsubscribes, and stops delivering to the unsubscribed one', async () => {
    const bus = newBus();
    const prefix = channelPrefix('unsub');
    const channel = `${prefix}.x`;
    const a: string[] = [];
    const b: string[] = [];
    const exact: string[] = [];
    const subA = await bus.subscribe<string>(`${prefix}.*`, (env) => void a.push(env.data));
    await bus.subscribe<string>(`${prefix}.*`, (env) => void b.push(env.data));
    await bus.subscribe<string>(channel, (env) => void exact.push(env.data));

    await bus.publish(channel, { type: 't', data: 'one' });
    await waitFor(() => a.length === 1 && b.length === 1 && exact.length === 1, 'first message to all three');

    await subA.unsubscribe();
    await bus.publish(channel, { type: 't', data: 'two' });
    await waitFor(() => b.length === 2 && exact.length === 2, 'second message to remaining subscribers');
    expect(a).toEqual(['one']);
    expect(b).toEqual(['one', 'two']);
    expect(exact).toEqual(['one', 'two']);
  });

  it('drops malformed messages and survives a throwing handler', async () => {
    const bus = newBus();
    const channel = `${channelPrefix('bad')}.c`;
    const got: string[] = [];
    await bus.subscribe<string>(channel, (env) => {
      got.push(env.data);
      if (env.data === 'boom') throw new Error('handler exploded');
    });
    await bus.subscribe<string>(channel, async (env) => {
      if (env.data === 'boom') throw new Error('async handler exploded');
    });
    await admin.publish(channel, 'not json');
    await admin.publish(channel, JSON.stringify({ type: 't', data: 'no trace id', v: 1, ts: 1 }));
    await bus.publish(channel, { type: 't', data: 'boom' });
    await bus.publish(channel, { type: 't', data: 'fine' });
    await waitFor(() => got.length >= 2, 'valid messages');
    expect(got).toEqual(['boom', 'fine']);
    expect(logLines.some((l) => l.includes('dropped malformed pub/sub message'))).toBe(true);
    expect(logLines.some((l) => l.includes('async handler exploded'))).toBe(true);
  });
});

describe('RedisBus streams', () => {
  it('acks only after the handler resolves, with envelope and delivery meta', async () => {
    const bus = newBus();
    const stream = streamName('ack');
    const gate = deferred();
    const seen: { env: Envelope<Tick>; meta: DeliveryMeta }[] = [];
    const id = await bus.append<Tick>(stream, { type: 'fill', v: 2, trace_id: 'tr-1', data: { symbol: 'BTC-USD', price: '3' } });
    await bus.consume<Tick>(stream, 'g', 'c1', async (env, meta) => {
      seen.push({ env, meta });
      await gate.promise;
    }, FAST);

    await waitFor(() => seen.length === 1, 'handler called');
    expect(await pendingCount(stream, 'g')).toBe(1);
    gate.resolve();
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, 'ack');

    expect(seen[0]!.meta).toEqual({ id, deliveries: 1 });
    expect(seen[0]!.env).toMatchObject({ type: 'fill', v: 2, trace_id: 'tr-1', data: { symbol: 'BTC-USD', price: '3' } });
    expect(typeof seen[0]!.env.ts).toBe('number');
  });

  it('redelivers a message whose handler threw, then acks it', async () => {
    const bus = newBus();
    const stream = streamName('retry');
    const calls: DeliveryMeta[] = [];
    const id = await bus.append(stream, { type: 'fill', data: { n: 1 } });
    await bus.consume(stream, 'g', 'c1', async (_env, meta) => {
      calls.push(meta);
      if (calls.length === 1) throw new Error('db down');
    }, FAST);

    await waitFor(() => calls.length === 2, 'redelivery');
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, 'ack after retry');
    expect(calls).toEqual([{ id, deliveries: 1 }, { id, deliveries: 2 }]);
    expect(await admin.xlen(dlqName(stream))).toBe(0);
  });

  it('reclaims entries left pending by a crashed consumer after claimIdleMs', async () => {
    const bus = newBus();
    const stream = streamName('crash');
    await admin.call('XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = await bus.append(stream, { type: 'fill', data: 'x' });
    // Consumer "dead" reads the entry and dies without acking.
    const read = await admin.call('XREADGROUP', 'GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    expect(JSON.stringify(read)).toContain(id);

    const calls: DeliveryMeta[] = [];
    await bus.consume(stream, 'g', 'alive', async (_env, meta) => void calls.push(meta), { ...FAST, claimIdleMs: 200 });
    await waitFor(() => calls.length === 1, 'reclaimed delivery');
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, 'ack of reclaimed entry');
    expect(calls).toEqual([{ id, deliveries: 2 }]);
  });

  it('a restarted consumer resumes its own pending entries without waiting for claimIdleMs', async () => {
    const bus = newBus();
    const stream = streamName('resume');
    await admin.call('XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = await bus.append(stream, { type: 'fill', data: 'x' });
    await admin.call('XREADGROUP', 'GROUP', 'g', 'pod-0', 'COUNT', 10, 'STREAMS', stream, '>');

    const calls: DeliveryMeta[] = [];
    await bus.consume(stream, 'g', 'pod-0', async (_env, meta) => void calls.push(meta), { ...FAST, claimIdleMs: 600000 });
    await waitFor(() => calls.length === 1, 'resumed delivery');
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, 'ack of resumed entry');
    expect(calls).toEqual([{ id, deliveries: 2 }]);
  });

  it('moves a message to <stream>.dlq after maxDeliveries failures and acks it', async () => {
    const bus = newBus();
    const stream = streamName('dlq');
    const calls: number[] = [];
    const id = await bus.append(stream, { type: 'fill', trace_id: 'tr-dlq', data: { n: 7 } });
    await bus.consume(stream, 'g', 'c1', async (_env, meta) => {
      calls.push(meta.deliveries);
      throw new Error('always fails');
    }, { ...FAST, maxDeliveries: 3 });

    await waitFor(async () => (await admin.xlen(dlqName(stream))) === 1, 'dead letter');
    expect(calls).toEqual([1, 2, 3]);
    expect(await pendingCount(stream, 'g')).toBe(0);
    const dead = (await readAll(dlqName(stream)))[0]!;
    expect(dead.fields).toMatchObject({
      dlq_stream: stream,
      dlq_id: id,
      dlq_group: 'g',
      dlq_consumer: 'c1',
      dlq_deliveries: '3',
    });
    expect(dead.fields.dlq_reason).toContain('always fails');
    const original = (await readAll(stream))[0]!;
    expect(dead.fields[ENVELOPE_FIELD]).toBe(original.fields[ENVELOPE_FIELD]);
    expect(logLines.some((l) => l.includes('dead-letter') && l.includes('tr-dlq'))).toBe(true);
  });

  it('sends a message straight to the DLQ when its deliveries already exceed maxDeliveries (poison message)', async () => {
    const bus = newBus();
    const stream = streamName('poison');
    await admin.call('XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = await bus.append(stream, { type: 'fill', data: 1 });
    // Two consumers "crash" on it in turn, so its delivery count is already 2.
    await admin.call('XREADGROUP', 'GROUP', 'g', 'dead1', 'STREAMS', stream, '>');
    await admin.call('XCLAIM', stream, 'g', 'dead2', 0, id);

    let called = 0;
    await bus.consume(stream, 'g', 'c1', async () => void called++, { ...FAST, claimIdleMs: 50, maxDeliveries: 2 });
    await waitFor(async () => (await admin.xlen(dlqName(stream))) === 1, 'dead letter');
    expect(called).toBe(0);
    expect(await pendingCount(stream, 'g')).toBe(0);
    expect((await readAll(dlqName(stream)))[0]!.fields.dlq_reason).toBe('max deliveries exceeded');
  });

  it('moves malformed entries to the DLQ without calling the handler, and keeps consuming', async () => {
    const bus = newBus();
    const stream = streamName('malformed');
    await admin.xadd(stream, '*', ENVELOPE_FIELD, 'not json');
    await admin.xadd(stream, '*', 'something', 'else');
    await admin.xadd(stream, '*', ENVELOPE_FIELD, JSON.stringify({ v: 1, type: 't', ts: 1, data: {} }));
    const goodId = await bus.append(stream, { type: 'fill', data: 'good' });

    const got: string[] = [];
    await bus.consume<string>(stream, 'g', 'c1', async (env) => void got.push(env.data), FAST);
    await waitFor(() => got.length === 1, 'good entry');
    await waitFor(async () => (await admin.xlen(dlqName(stream))) === 3, 'three dead letters');

    const later = await bus.append(stream, { type: 'fill', data: 'later' });
    await waitFor(() => got.length === 2, 'entry appended after the malformed ones');
    expect(got).toEqual(['good', 'later']);
    expect(await pendingCount(stream, 'g')).toBe(0);
    const dead = await readAll(dlqName(stream));
    expect(dead.map((d) => d.fields.dlq_reason)).toEqual([
      'malformed envelope: malformed JSON',
      'malformed envelope: no envelope',
      'malformed envelope: bad field trace_id',
    ]);
    expect(dead.map((d) => d.fields.dlq_id)).not.toContain(goodId);
    expect(dead.map((d) => d.fields.dlq_id)).not.toContain(later);
    expect(dead[1]!.fields.something).toBe('else');
  });

  it('stop() waits for the in-flight handler, acks it, and reads nothing afterwards', async () => {
    const bus = newBus();
    const stream = streamName('drain');
    const gate = deferred();
    const events: string[] = [];
    const first = await bus.append(stream, { type: 'fill', data: 1 });
    const consumer = await bus.consume(stream, 'g', 'c1', async () => {
      events.push('handler-start');
      await gate.promise;
      events.push('handler-end');
    }, FAST);
    await waitFor(() => events.length === 1, 'handler started');

    const stopped = consumer.stop().then(() => events.push('stopped'));
    await sleep(200);
    expect(events).toEqual(['handler-start']);
    gate.resolve();
    await stopped;
    expect(events).toEqual(['handler-start', 'handler-end', 'stopped']);
    expect(await pendingCount(stream, 'g')).toBe(0);

    await bus.append(stream, { type: 'fill', data: 2 });
    await sleep(300);
    expect(events).toEqual(['handler-start', 'handler-end', 'stopped']);
    const groups = (await admin.call('XINFO', 'GROUPS', stream)) as unknown[][];
    const info = groups[0]!;
    expect(info[info.indexOf('last-delivered-id') + 1]).toBe(first);
  });

  it('stop() interrupts a long blocking read instead of waiting it out', async () => {
    const bus = newBus();
    const stream = streamName('unblock');
    const consumer = await bus.consume(stream, 'g', 'c1', async () => undefined, { ...FAST, blockMs: 25000 });
    // Let the loop get into its blocking read (the consumer's connection is named after it).
    await waitFor(async () => {
      const clients = String(await admin.call('CLIENT', 'LIST'));
      return clients
        .split('\n')
        .some((l) => l.includes(`name=cte-bus-consumer:${stream}:g:c1 `) && l.includes('cmd=xreadgroup') && l.includes('flags=b'));
    }, 'consumer blocked in XREADGROUP');
    await bounded(consumer.stop(), 10000, 'stop()');
  });

  it('rejects a second consumer with the same stream, group and name', async () => {
    const bus = newBus();
    const stream = streamName('dup');
    await bus.consume(stream, 'g', 'c1', async () => undefined, FAST);
    await expect(bus.consume(stream, 'g', 'c1', async () => undefined, FAST)).rejects.toBeInstanceOf(ConflictError);
  });

  it('trims streams approximately when streamMaxLen is set', async () => {
    const bus = newBus({ streamMaxLen: 10 });
    const stream = streamName('trim');
    for (let i = 0; i < 500; i++) await bus.append(stream, { type: 't', data: i });
    const len = await admin.xlen(stream);
    expect(len).toBeGreaterThanOrEqual(10);
    expect(len).toBeLessThan(500);
  });

  it('creates a new group at "$" so earlier entries are skipped', async () => {
    const bus = newBus();
    const stream = streamName('dollar');
    await bus.append(stream, { type: 't', data: 'old' });
    const got: string[] = [];
    await bus.consume<string>(stream, 'g', 'c1', async (env) => void got.push(env.data), { ...FAST, startId: '$' });
    await bus.append(stream, { type: 't', data: 'new' });
    await waitFor(() => got.length === 1, 'new entry');
    expect(got).toEqual(['new']);
    expect(CONSUME_DEFAULTS.startId).toBe('0');
  });
});

describe('RedisBus readiness', () => {
  it('ping resolves against a live Redis', async () => {
    await expect(newBus().ping()).resolves.toBeUndefined();
  });

  it('ping rejects with UnavailableError against an unreachable Redis, without hanging', async () => {
    const bus = newBus({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200, commandTimeoutMs: 1000, maxRetriesPerRequest: 1 });
    const result = bounded(bus.ping(), 10000, 'ping()');
    await expect(result).rejects.toBeInstanceOf(UnavailableError);
  });

  it('ping rejects after close()', async () => {
    const bus = newBus();
    await bus.ping();
    await bus.close();
    await expect(bounded(bus.ping(), 10000, 'ping()')).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('namespace', () => {
  it('keeps two namespaces on one Redis apart, and handlers see names without the prefix', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const log = createLogger({ service: 'bus-ns-test', level: 'silent' });
    const suffix = Math.random().toString(36).slice(2);
    const a = new RedisBus({ url, logger: log, namespace: `nsA-${suffix}:` });
    const b = new RedisBus({ url, logger: log, namespace: `nsB-${suffix}:` });
    try {
      const gotA: string[] = [];
      const gotB: string[] = [];
      await a.subscribe('data.bars.1h.*', (_env, channel) => void gotA.push(channel));
      await b.subscribe('data.bars.1h.*', (_env, channel) => void gotB.push(channel));
      await a.publish('data.bars.1h.BTC-USD', { type: 'bar', data: {} });
      const deadline = Date.now() + 5000;
      while (gotA.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      expect(gotA).toEqual(['data.bars.1h.BTC-USD']);
      expect(gotB).toEqual([]);
      const id = await a.append('signals.raw', { type: 'signal', data: { x: 1 } });
      const raw = new Redis(url);
      expect(await raw.xlen(`nsA-${suffix}:signals.raw`)).toBe(1);
      expect(await raw.xlen('signals.raw:never')).toBe(0);
      await raw.del(`nsA-${suffix}:signals.raw`);
      raw.disconnect();
      expect(id).toMatch(/^\d+-\d+$/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
