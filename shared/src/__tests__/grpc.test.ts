/**
 * The gRPC kit over real sockets (port 0) with a test-only Echo service
 * (fixtures/echo.proto): health, API key, error mapping both ways, streams,
 * client deadlines and retries, metrics, and graceful shutdown.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { Registry } from 'prom-client';
import {
  ConflictError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from '../errors';
import type { ProtoGrpcType as MarketProto } from '../gen/market';
import type { PriceStreamClient } from '../gen/cte/market/v1/PriceStream';
import {
  bidiStream,
  clientStream,
  createGrpcClient,
  createGrpcServer,
  ERROR_CODE_TRAILER,
  GrpcClient,
  type GrpcClientConstructor,
  type GrpcServerKit,
  loadProto,
  serverStream,
  unary,
  untilAborted,
} from '../grpc';
import { createLogger, type Logger } from '../logger';
import { createMetrics, lintMetricsText } from '../metrics';

const KEY = 'grpc-test-key-0123456789';

// ---------------------------------------------------------------------------
// The Echo service's types (what proto-loader-gen-types would generate)
// ---------------------------------------------------------------------------

interface EchoRequest {
  message?: string;
  fail?: string;
  delay_ms?: number;
  flaky_key?: string;
  flaky_times?: number;
}
interface EchoReply {
  message: string;
  seq: number;
  trace_id: string;
  deadline_left_ms: number;
}
interface CountRequest {
  n?: number;
  fail?: string;
  delay_ms?: number;
  subscribe?: boolean;
}

interface EchoClient extends grpc.Client {
  Echo(argument: EchoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<EchoReply>): grpc.ClientUnaryCall;
  Echo(argument: EchoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<EchoReply>): grpc.ClientUnaryCall;
  Echo(argument: EchoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<EchoReply>): grpc.ClientUnaryCall;
  Echo(argument: EchoRequest, callback: grpc.requestCallback<EchoReply>): grpc.ClientUnaryCall;
  Count(argument: CountRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<EchoReply>;
  Count(argument: CountRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<EchoReply>;
  Collect(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<EchoReply>): grpc.ClientWritableStream<EchoRequest>;
  Collect(metadata: grpc.Metadata, callback: grpc.requestCallback<EchoReply>): grpc.ClientWritableStream<EchoRequest>;
  Collect(callback: grpc.requestCallback<EchoReply>): grpc.ClientWritableStream<EchoRequest>;
  Chat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<EchoRequest, EchoReply>;
  Chat(options?: grpc.CallOptions): grpc.ClientDuplexStream<EchoRequest, EchoReply>;
}

interface EchoHandlers extends grpc.UntypedServiceImplementation {
  Echo: grpc.handleUnaryCall<EchoRequest, EchoReply>;
  Count: grpc.handleServerStreamingCall<CountRequest, EchoReply>;
  Collect: grpc.handleClientStreamingCall<EchoRequest, EchoReply>;
  Chat: grpc.handleBidiStreamingCall<EchoRequest, EchoReply>;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const echoPkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, 'fixtures', 'echo.proto'), LOADER_OPTIONS));
const EchoCtor = (echoPkg.cte as grpc.GrpcObject).test as grpc.GrpcObject;
const Echo = (EchoCtor.v1 as grpc.GrpcObject).Echo as unknown as GrpcClientConstructor<EchoClient> & { service: grpc.ServiceDefinition };

const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS));
const Health = ((healthPkg.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
const HealthCtor = Health.Health as grpc.ServiceClientConstructor;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function failWith(kind: string | undefined): void {
  switch (kind) {
    case undefined:
    case '':
      return;
    case 'invalid':
      throw new InvalidArgumentError('message must not be empty');
    case 'not_found':
      throw new NotFoundError('no such echo');
    case 'conflict':
      throw new ConflictError('echo already exists');
    case 'precondition':
      throw new FailedPreconditionError('trading is halted');
    case 'unavailable':
      throw new UnavailableError('exchange unreachable');
    case 'unauthenticated':
      throw new UnauthenticatedError();
    case 'internal_domain':
      throw new DomainError('INTERNAL', 'ledger mismatch');
    default:
      throw new Error('secret=hunter2 exploded');
  }
}

interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}
function captureLogs(): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'grpc-test',
    level: 'debug',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

interface Fixture {
  kit: GrpcServerKit;
  address: string;
  registry: Registry;
  logs: LogCapture;
  attempts: Map<string, number>;
}

function echoHandlers(attempts: Map<string, number>): EchoHandlers {
  return {
    Echo: unary(async (req, call, ctx) => {
      if (req.delay_ms) await abortableSleep(req.delay_ms, ctx.signal);
      if (req.flaky_key) {
        const n = (attempts.get(req.flaky_key) ?? 0) + 1;
        attempts.set(req.flaky_key, n);
        if (n <= (req.flaky_times ?? 0)) throw new UnavailableError(`flaky attempt ${n}`);
      }
      failWith(req.fail);
      const deadline = call.getDeadline();
      const at = deadline instanceof Date ? deadline.getTime() : deadline;
      return {
        message: req.message ?? '',
        seq: req.flaky_key ? (attempts.get(req.flaky_key) ?? 0) : 0,
        trace_id: ctx.traceId,
        deadline_left_ms: Number.isFinite(at) ? Math.round(at - Date.now()) : -1,
      };
    }),
    Count: serverStream(async (call, ctx) => {
      const n = call.request.n ?? 0;
      for (let i = 0; i < n; i++) {
        if (i === 1) failWith(call.request.fail);
        call.write({ message: `m${i}`, seq: i, trace_id: ctx.traceId, deadline_left_ms: 0 });
        if (call.request.delay_ms) await abortableSleep(call.request.delay_ms, ctx.signal);
      }
      if (call.request.subscribe) await untilAborted(ctx.signal);
    }),
    Collect: clientStream(async (call) => {
      const seen: string[] = [];
      for await (const m of call) seen.push((m as EchoRequest).message ?? '');
      return { message: seen.join(','), seq: seen.length, trace_id: '', deadline_left_ms: 0 };
    }),
    Chat: bidiStream(async (call) => {
      for await (const m of call) {
        const req = m as EchoRequest;
        failWith(req.fail);
        call.write({ message: (req.message ?? '').toUpperCase(), seq: 0, trace_id: '', deadline_left_ms: 0 });
      }
    }),
  };
}

async function startServer(handlers?: (attempts: Map<string, number>) => grpc.UntypedServiceImplementation): Promise<Fixture> {
  const logs = captureLogs();
  const registry = createMetrics('grpc-test');
  const kit = createGrpcServer({ service: 'grpc-test', apiKey: KEY, logger: logs.logger, registry });
  const attempts = new Map<string, number>();
  kit.addService(Echo.service, (handlers ?? echoHandlers)(attempts));
  const port = await kit.listen(0, '127.0.0.1');
  return { kit, address: `127.0.0.1:${port}`, registry, logs, attempts };
}

interface RawResult<T> {
  err: grpc.ServiceError | null;
  value: T | undefined;
}

/** A call on a bare generated client: full control over metadata, no kit involved. */
function rawUnary<T>(client: grpc.Client, method: string, req: object, md = new grpc.Metadata()): Promise<RawResult<T>> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method] as (
      r: object,
      m: grpc.Metadata,
      o: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, value?: T) => void,
    ) => void;
    fn.call(client, req, md, { deadline: Date.now() + 5_000 }, (err, value) => resolve({ err, value }));
  });
}

function keyed(key = KEY): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-trading-api-key', key);
  return md;
}

function collectStream<T>(stream: grpc.ClientReadableStream<T>): Promise<{ items: T[]; err: grpc.ServiceError | null }> {
  return new Promise((resolve) => {
    const items: T[] = [];
    stream.on('data', (d: T) => items.push(d));
    stream.on('error', (err: grpc.ServiceError) => resolve({ items, err }));
    stream.on('end', () => resolve({ items, err: null }));
  });
}

// ---------------------------------------------------------------------------

describe('gRPC server kit', () => {
  let f: Fixture;
  let raw: EchoClient;
  let client: GrpcClient<EchoClient>;

  beforeAll(async () => {
    f = await startServer();
    raw = new Echo(f.address, grpc.credentials.createInsecure());
    client = createGrpcClient(Echo, f.address, { apiKey: KEY, backoffMs: 5, maxBackoffMs: 20 });
  });
  afterAll(async () => {
    raw.close();
    client.close();
    await f.kit.shutdown(1_000);
  });

  it('serves grpc.health.v1.Health without a key: SERVING overall and per service', async () => {
    const health = new HealthCtor(f.address, grpc.credentials.createInsecure());
    try {
      expect((await rawUnary<{ status: string }>(health, 'Check', { service: '' })).value).toEqual({ status: 'SERVING' });
      expect((await rawUnary<{ status: string }>(health, 'Check', { service: 'cte.test.v1.Echo' })).value).toEqual({ status: 'SERVING' });
      f.kit.setServing(false);
      expect((await rawUnary<{ status: string }>(health, 'Check', { service: '' })).value).toEqual({ status: 'NOT_SERVING' });
    } finally {
      f.kit.setServing(true);
      health.close();
    }
  });

  it('rejects calls without the key or with a wrong key: UNAUTHENTICATED, for every kind of call', async () => {
    const none = await rawUnary(raw, 'Echo', { message: 'hi' });
    expect(none.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    const wrong = await rawUnary(raw, 'Echo', { message: 'hi' }, keyed('wrong'));
    expect(wrong.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(wrong.err?.details).toBe('missing or invalid API key');

    const stream = await collectStream(raw.Count({ n: 3 }, new grpc.Metadata()));
    expect(stream.items).toEqual([]);
    expect(stream.err?.code).toBe(grpc.status.UNAUTHENTICATED);

    const collected = await new Promise<grpc.ServiceError | null>((resolve) => {
      const w = raw.Collect(keyed('wrong'), (err) => resolve(err));
      w.write({ message: 'a' });
      w.end();
    });
    expect(collected?.code).toBe(grpc.status.UNAUTHENTICATED);

    const chat = raw.Chat(new grpc.Metadata());
    chat.write({ message: 'a' });
    chat.end();
    expect((await collectStream(chat)).err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('accepts the right key and propagates the trace id', async () => {
    const ok = await rawUnary<EchoReply>(raw, 'Echo', { message: 'hi' }, keyed());
    expect(ok.err).toBeNull();
    expect(ok.value?.message).toBe('hi');
    expect(ok.value?.trace_id).toMatch(/^[0-9a-f]{32}$/);

    const reply = await client.unary('Echo', { message: 'typed' }, { traceId: 'trace-grpc-1' });
    expect(reply).toMatchObject({ message: 'typed', trace_id: 'trace-grpc-1' });
  });

  it.each([
    ['invalid', grpc.status.INVALID_ARGUMENT, 'message must not be empty', 'INVALID_ARGUMENT'],
    ['not_found', grpc.status.NOT_FOUND, 'no such echo', 'NOT_FOUND'],
    ['conflict', grpc.status.ALREADY_EXISTS, 'echo already exists', 'CONFLICT'],
    ['precondition', grpc.status.FAILED_PRECONDITION, 'trading is halted', 'FAILED_PRECONDITION'],
    ['unavailable', grpc.status.UNAVAILABLE, 'exchange unreachable', 'UNAVAILABLE'],
    ['unauthenticated', grpc.status.UNAUTHENTICATED, 'missing or invalid API key', 'UNAUTHENTICATED'],
    ['internal_domain', grpc.status.INTERNAL, 'ledger mismatch', 'INTERNAL'],
  ])('a thrown %s DomainError becomes status %d with its message and code trailer', async (kind, code, details, domainCode) => {
    const r = await rawUnary(raw, 'Echo', { fail: kind }, keyed());
    expect(r.err?.code).toBe(code);
    expect(r.err?.details).toBe(details);
    expect(r.err?.metadata.get(ERROR_CODE_TRAILER)).toEqual([domainCode]);
  });

  it('an unknown error becomes INTERNAL "internal error", logged with its stack, nothing leaked', async () => {
    const md = keyed();
    md.set('x-trace-id', 'trace-grpc-boom');
    const r = await rawUnary(raw, 'Echo', { fail: 'boom' }, md);
    expect(r.err?.code).toBe(grpc.status.INTERNAL);
    expect(r.err?.details).toBe('internal error');
    expect(JSON.stringify({ d: r.err?.details, m: r.err?.metadata.getMap() })).not.toMatch(/hunter2|at /);
    const logged = f.logs.lines.find((l) => l.msg === 'unhandled error in grpc handler' && l.trace_id === 'trace-grpc-boom');
    expect((logged?.err as { stack?: string } | undefined)?.stack).toMatch(/hunter2 exploded[\s\S]*at /);
  });

  it.each([
    ['invalid', InvalidArgumentError, 'message must not be empty'],
    ['not_found', NotFoundError, 'no such echo'],
    ['conflict', ConflictError, 'echo already exists'],
    ['precondition', FailedPreconditionError, 'trading is halted'],
    ['unavailable', UnavailableError, 'exchange unreachable'],
  ])('the kit client turns %s back into %p', async (kind, cls, message) => {
    const err = await client.unary('Echo', { fail: kind }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as DomainError).message).toBe(message);
  });

  it('the kit client reports a peer rejecting its key as INTERNAL (our misconfiguration), not as a 401', async () => {
    const bad = createGrpcClient(Echo, f.address, { apiKey: 'wrong-key' });
    try {
      const err = await bad.unary('Echo', { message: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'INTERNAL', details: { grpc_code: 'UNAUTHENTICATED' } });
      const internal = await client.unary('Echo', { fail: 'boom' }).catch((e: unknown) => e);
      expect(internal).toMatchObject({ code: 'INTERNAL', message: 'internal error in a dependency' });
    } finally {
      bad.close();
    }
  });

  it('server streams: items then OK; a thrown DomainError mid-stream ends it with the mapped status', async () => {
    const ok = await collectStream(client.serverStream('Count', { n: 3 }, { traceId: 'trace-stream' }));
    expect(ok.err).toBeNull();
    expect(ok.items.map((i) => i.message)).toEqual(['m0', 'm1', 'm2']);
    expect(ok.items[0]?.trace_id).toBe('trace-stream');

    const failed = await collectStream<EchoReply>(client.serverStream('Count', { n: 3, fail: 'not_found' }));
    expect(failed.items.map((i) => i.message)).toEqual(['m0']);
    expect(failed.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(failed.err?.details).toBe('no such echo');

    const boom = await collectStream(client.serverStream('Count', { n: 3, fail: 'boom' }));
    expect(boom.err?.code).toBe(grpc.status.INTERNAL);
    expect(boom.err?.details).toBe('internal error');
  });

  it('client-streaming and bidi calls work and map errors too', async () => {
    const collected = await new Promise<{ err: grpc.ServiceError | null; value?: EchoReply }>((resolve) => {
      const w = raw.Collect(keyed(), (err, value) => resolve({ err, value }));
      for (const m of ['a', 'b', 'c']) w.write({ message: m });
      w.end();
    });
    expect(collected.err).toBeNull();
    expect(collected.value).toMatchObject({ message: 'a,b,c', seq: 3 });

    const chat = raw.Chat(keyed());
    chat.write({ message: 'hello' });
    chat.write({ message: 'world' });
    chat.end();
    const chatted = await collectStream<EchoReply>(chat);
    expect(chatted.err).toBeNull();
    expect(chatted.items.map((i) => i.message)).toEqual(['HELLO', 'WORLD']);

    const failing = raw.Chat(keyed());
    failing.write({ message: 'ok' });
    failing.write({ fail: 'precondition' });
    failing.end();
    const failed = await collectStream<EchoReply>(failing);
    expect(failed.items.map((i) => i.message)).toEqual(['OK']);
    expect(failed.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('retries an idempotent call after UNAVAILABLE until it succeeds', async () => {
    const reply = await client.unary('Echo', { flaky_key: 'idem-1', flaky_times: 2 }, { idempotent: true, retries: 3 });
    expect(reply.seq).toBe(3);
    expect(f.attempts.get('idem-1')).toBe(3);
  });

  it('does NOT retry a call that is not marked idempotent', async () => {
    const err = await client.unary('Echo', { flaky_key: 'once-1', flaky_times: 1 }, { retries: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe('flaky attempt 1');
    expect(f.attempts.get('once-1')).toBe(1);
  });

  it('retries methods listed as idempotent on the client, and gives up after the bound', async () => {
    const idem = createGrpcClient(Echo, f.address, { apiKey: KEY, idempotentMethods: ['Echo'], retries: 2, backoffMs: 5 });
    try {
      const reply = await idem.unary('Echo', { flaky_key: 'idem-2', flaky_times: 2 });
      expect(reply.seq).toBe(3);
      const err = await idem.unary('Echo', { flaky_key: 'idem-3', flaky_times: 10 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(f.attempts.get('idem-3')).toBe(3); // 1 attempt + 2 retries
    } finally {
      idem.close();
    }
  });

  it('never retries a status other than UNAVAILABLE / DEADLINE_EXCEEDED', async () => {
    const err = await client.unary('Echo', { fail: 'not_found', flaky_key: 'nf-1' }, { idempotent: true, retries: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(f.attempts.get('nf-1')).toBe(1);
  });

  it('sets a deadline on every call (2 s by default)', async () => {
    const reply = await client.unary('Echo', { message: 'd' });
    expect(reply.deadline_left_ms).toBeGreaterThan(1_000);
    expect(reply.deadline_left_ms).toBeLessThanOrEqual(2_000);
  });

  it('a deadline exceeded surfaces as an UnavailableError naming DEADLINE_EXCEEDED', async () => {
    const t0 = Date.now();
    const err = await client.unary('Echo', { delay_ms: 1_000 }, { deadlineMs: 50 }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(800);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ details: { grpc_code: 'DEADLINE_EXCEEDED' } });
    expect((err as Error).message).toMatch(/deadline of 50 ms exceeded calling \/cte\.test\.v1\.Echo\/Echo/);
  });

  it('records cte_grpc_request_duration_seconds{method,code} and the exposition passes the lint', async () => {
    await client.unary('Echo', { fail: 'not_found' }).catch(() => undefined);
    const text = await f.registry.metrics();
    expect(text).toContain('# TYPE cte_grpc_request_duration_seconds histogram');
    expect(text).toMatch(/cte_grpc_request_duration_seconds_count\{[^}]*method="\/cte.test.v1.Echo\/Echo",code="NOT_FOUND"[^}]*\} [1-9]/);
    expect(text).toMatch(/method="\/cte.test.v1.Echo\/Count",code="OK"/);
    expect(text).toMatch(/method="\/cte.test.v1.Echo\/Echo",code="UNAUTHENTICATED"/);
    expect(lintMetricsText(text)).toEqual([]);
  });
});

describe('gRPC handlers written without the helpers', () => {
  it('callback errors, sync throws, rejected promises and emitted stream errors are mapped', async () => {
    const f = await startServer(() => ({
      // Deliberately a raw handler that may return a rejected promise: the kit must map that too.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      Echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
        if (call.request.fail === 'sync') throw new Error('sync secret');
        if (call.request.fail === 'async') return Promise.reject(new ConflictError('async conflict'));
        cb(new NotFoundError('raw not found') as unknown as grpc.ServerErrorResponse);
        return undefined;
      },
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      Count: (call: grpc.ServerWritableStream<CountRequest, EchoReply>) => {
        if (call.request.fail === 'async') return Promise.reject(new InvalidArgumentError('async stream'));
        call.emit('error', new FailedPreconditionError('raw stream failure'));
        return undefined;
      },
    }));
    const raw = new Echo(f.address, grpc.credentials.createInsecure());
    try {
      const cbErr = await rawUnary(raw, 'Echo', {}, keyed());
      expect([cbErr.err?.code, cbErr.err?.details]).toEqual([grpc.status.NOT_FOUND, 'raw not found']);
      const syncErr = await rawUnary(raw, 'Echo', { fail: 'sync' }, keyed());
      expect([syncErr.err?.code, syncErr.err?.details]).toEqual([grpc.status.INTERNAL, 'internal error']);
      const asyncErr = await rawUnary(raw, 'Echo', { fail: 'async' }, keyed());
      expect([asyncErr.err?.code, asyncErr.err?.details]).toEqual([grpc.status.ALREADY_EXISTS, 'async conflict']);
      const emitted = await collectStream(raw.Count({ n: 1 }, keyed()));
      expect([emitted.err?.code, emitted.err?.details]).toEqual([grpc.status.FAILED_PRECONDITION, 'raw stream failure']);
      const rejected = await collectStream(raw.Count({ n: 1, fail: 'async' }, keyed()));
      expect([rejected.err?.code, rejected.err?.details]).toEqual([grpc.status.INVALID_ARGUMENT, 'async stream']);
      // Methods left out of the implementation answer UNIMPLEMENTED.
      const chat = raw.Chat(keyed());
      chat.end();
      expect((await collectStream(chat)).err?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      raw.close();
      await f.kit.shutdown(500);
    }
  });
});

describe('gRPC shutdown', () => {
  it('waits for an in-flight call to finish, then resolves', async () => {
    const f = await startServer();
    const client = createGrpcClient(Echo, f.address, { apiKey: KEY });
    try {
      const slow = client.unary('Echo', { message: 'slow', delay_ms: 300 });
      await sleep(80);
      expect(f.kit.inFlight()).toBe(1);
      const t0 = Date.now();
      let shutAt = 0;
      const stopping = f.kit.shutdown(5_000).then(() => {
        shutAt = Date.now();
      });
      const reply = await slow;
      const repliedAt = Date.now();
      expect(reply.message).toBe('slow');
      await stopping;
      expect(shutAt).toBeGreaterThanOrEqual(repliedAt - 5);
      expect(shutAt - t0).toBeLessThan(2_000);
      expect(f.kit.inFlight()).toBe(0);
      // No new calls after shutdown.
      const after = await client.unary('Echo', { message: 'late' }, { deadlineMs: 300 }).catch((e: unknown) => e);
      expect(after).toBeInstanceOf(UnavailableError);
    } finally {
      client.close();
    }
  });

  it('forces the shutdown after the grace period', async () => {
    const f = await startServer();
    const client = createGrpcClient(Echo, f.address, { apiKey: KEY });
    try {
      const slow = client.unary('Echo', { delay_ms: 5_000 }, { deadlineMs: 10_000 }).catch((e: unknown) => e);
      await sleep(80);
      const t0 = Date.now();
      await f.kit.shutdown(150);
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(1_500);
      expect(await slow).toBeInstanceOf(UnavailableError);
    } finally {
      client.close();
    }
  });

  it('ends open subscription streams with UNAVAILABLE so clients reconnect elsewhere', async () => {
    const f = await startServer();
    const client = createGrpcClient(Echo, f.address, { apiKey: KEY });
    try {
      const stream = client.serverStream('Count', { n: 1, subscribe: true });
      const result = collectStream(stream);
      await sleep(80);
      expect(f.kit.inFlight()).toBe(1);
      const t0 = Date.now();
      await f.kit.shutdown(5_000);
      expect(Date.now() - t0).toBeLessThan(1_000);
      const { items, err } = await result;
      expect(items).toHaveLength(1);
      expect(err?.code).toBe(grpc.status.UNAVAILABLE);
      expect(err?.details).toBe('server is shutting down');
    } finally {
      client.close();
    }
  });
});

describe('loadProto', () => {
  it('loads the fleet protos from proto/ with the generator options', () => {
    const proto = loadProto<MarketProto>('cte/market/v1/market.proto');
    expect(proto.cte.market.v1.PriceStream.service.GetPrice.path).toBe('/cte.market.v1.PriceStream/GetPrice');
    expect(proto.cte.market.v1.PriceStream.service.StreamPrices.responseStream).toBe(true);
    expect(() => loadProto('cte/nope/v1/nope.proto')).toThrow(/proto file not found/);
  });

  it('types client calls from the generated client interface (compile-time)', () => {
    // Only type-checked (tsc over the tests); never called.
    const typed = async (c: GrpcClient<PriceStreamClient>): Promise<string> => {
      const price = await c.unary('GetPrice', { symbol: 'BTC/USDT' }, { idempotent: true });
      const s = c.serverStream('StreamPrices', { symbols: ['BTC/USDT'] });
      s.on('data', (p: { price: string }) => p.price.toUpperCase());
      // @ts-expect-error StreamPrices is server-streaming, not unary
      await c.unary('StreamPrices', { symbols: [] });
      // @ts-expect-error GetPrice takes a GetPriceRequest
      await c.unary('GetPrice', { nope: 1 });
      return price.price;
    };
    expect(typeof typed).toBe('function');
  });
});
