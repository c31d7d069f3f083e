/**
 * The gRPC side of the service kit: a grpc-js Server with the standard
 * `grpc.health.v1.Health` service (no key needed), and every handler of every
 * service added through `addService` wrapped so that it
 *   - requires the `x-trading-api-key` metadata (constant-time compare), else UNAUTHENTICATED;
 *   - maps thrown/rejected/emitted errors to a gRPC status (see ./status.ts), whose
 *     details are cut to MAX_ERROR_MESSAGE_CHARS so the status always fits its trailer;
 *   - answers a request that is no valid protobuf message with INVALID_ARGUMENT
 *     (grpc-js alone says INTERNAL "Error deserializing request");
 *     an unknown error becomes INTERNAL "internal error" and is logged with its stack;
 *   - gets a CallContext (trace id from `x-trace-id` metadata, child logger,
 *     AbortSignal that fires on cancellation or shutdown);
 *   - is counted in flight and timed in `cte_grpc_request_duration_seconds{method,code}`.
 *
 * Write handlers with the helpers:
 *   GetPrice: unary(async (req, call, ctx) => ({ ... })),
 *   StreamPrices: serverStream(async (call, ctx) => { ...; await untilAborted(ctx.signal); }),
 * A `serverStream` handler's stream ends when its promise resolves.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { API_KEY_HEADER, apiKeyMatcher } from '../api-key';
import { DomainError, InvalidArgumentError, UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { grpcRequestDuration } from '../metrics';
import { acceptTraceId, TRACE_ID_HEADER } from '../trace';
import { isGrpcStatusLike, statusName, toGrpcStatus, type GrpcStatus } from './status';

export interface CallContext {
  /** Full method path, e.g. `/cte.market.v1.PriceStream/GetPrice`. */
  readonly method: string;
  readonly traceId: string;
  /** The service logger with `trace_id` bound. */
  readonly log: Logger;
  /** Aborted when the client cancels (or its deadline passes), or, for streams, when the server shuts down. */
  readonly signal: AbortSignal;
}

export type UnaryHandler<Req, Res> = (request: Req, call: grpc.ServerUnaryCall<Req, Res>, ctx: CallContext) => Promise<Res> | Res;
export type ServerStreamHandler<Req, Res> = (call: grpc.ServerWritableStream<Req, Res>, ctx: CallContext) => Promise<void> | void;
export type ClientStreamHandler<Req, Res> = (call: grpc.ServerReadableStream<Req, Res>, ctx: CallContext) => Promise<Res> | Res;
export type BidiStreamHandler<Req, Res> = (call: grpc.ServerDuplexStream<Req, Res>, ctx: CallContext) => Promise<void> | void;

export interface GrpcServerOptions {
  /** The service's name, for logs. */
  service: string;
  /** The accepted key, or every accepted key during a rotation (BaseConfig.apiKeys). */
  apiKey: string | readonly string[];
  logger: Logger;
  registry: Registry;
  /** Passed to grpc.Server (message sizes, keepalive, ...). */
  serverOptions?: grpc.ServerOptions;
  /** When given, health turns NOT_SERVING as soon as shutdown makes the process not ready (calls are still served until `shutdown`). */
  readiness?: { onShuttingDown(fn: () => void): void };
}

export interface GrpcServerKit {
  readonly server: grpc.Server;
  /** The standard health service; `''` is the overall status, plus one entry per added service. */
  readonly health: HealthImplementation;
  /** Adds a service with every handler wrapped (auth, error mapping, context, metrics). */
  addService(def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): void;
  /** Binds (insecure; TLS is the mesh's job) and starts; health becomes SERVING. Resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Sets the health status of `''` and every added service. */
  setServing(serving: boolean): void;
  /** Calls started and not yet finished. */
  inFlight(): number;
  /**
   * Health NOT_SERVING, stream handlers' signals aborted (reason: UnavailableError),
   * stop accepting, let in-flight calls finish for up to `graceMs` (default 10 s),
   * then force. Idempotent.
   */
  shutdown(graceMs?: number): Promise<void>;
}

const HEALTH_SERVICE_PATH = '/grpc.health.v1.Health/';

// ---------------------------------------------------------------------------
// Call context and handler helpers
// ---------------------------------------------------------------------------

/** What every kind of server call has in common (grpc-js does not export its ServerSurfaceCall). */
export interface ServerCallLike {
  readonly metadata: grpc.Metadata;
  getPath(): string;
  once(event: 'cancelled', listener: () => void): unknown;
}

const contexts = new WeakMap<object, CallContext>();
let fallbackLogger: Logger | undefined;

function firstString(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The context of a call. Set by the kit's wrapper; for a handler mounted on a
 * bare grpc.Server it is derived from the metadata with a silent logger.
 */
export function callContext(call: ServerCallLike): CallContext {
  const existing = contexts.get(call);
  if (existing) return existing;
  fallbackLogger ??= pino({ level: 'silent' });
  const controller = new AbortController();
  call.once('cancelled', () => controller.abort(new UnavailableError('call cancelled')));
  const ctx: CallContext = {
    method: call.getPath(),
    traceId: acceptTraceId(firstString(call.metadata, TRACE_ID_HEADER)),
    log: fallbackLogger,
    signal: controller.signal,
  };
  contexts.set(call, ctx);
  return ctx;
}

/** Maps `err` to a status, logging an unexpected error (with its stack) once. */
function mapAndLog(err: unknown, log: Logger): GrpcStatus {
  const status = toGrpcStatus(err);
  if (!(err instanceof DomainError) && !isGrpcStatusLike(err)) log.error({ err }, 'unhandled error in grpc handler');
  return status;
}

/** A unary handler written as `async (request, call, ctx) => response`; a throw or rejection becomes the status. */
export function unary<Req, Res>(fn: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const ctx = callContext(call);
    Promise.resolve()
      .then(() => fn(call.request, call, ctx))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(mapAndLog(err, ctx.log)),
      );
  };
}

/** A client-streaming handler: read `call`, return the single response. */
export function clientStream<Req, Res>(fn: ClientStreamHandler<Req, Res>): grpc.handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    const ctx = callContext(call);
    Promise.resolve()
      .then(() => fn(call, ctx))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(mapAndLog(err, ctx.log)),
      );
  };
}

type EndableCall = ServerCallLike & { end(metadata?: grpc.Metadata): void; emit(event: 'error', err: unknown): boolean };

function writableDone(call: object): boolean {
  const w = call as { writableEnded?: unknown; destroyed?: unknown; cancelled?: unknown };
  return w.writableEnded === true || w.destroyed === true || w.cancelled === true;
}

function settleStream(call: EndableCall, ctx: CallContext, run: () => Promise<void> | void): void {
  Promise.resolve()
    .then(run)
    .then(
      () => {
        if (writableDone(call)) return;
        // Ended by a shutdown abort: tell the client to reconnect elsewhere rather than "done".
        if (ctx.signal.aborted && ctx.signal.reason instanceof UnavailableError) call.emit('error', toGrpcStatus(ctx.signal.reason));
        else call.end();
      },
      (err: unknown) => {
        if (writableDone(call)) {
          ctx.log.debug({ err }, 'stream handler failed after its stream ended');
          return;
        }
        call.emit('error', mapAndLog(err, ctx.log));
      },
    );
}

/** A server-streaming handler: write to `call`; the stream ends (OK) when the returned promise resolves. */
export function serverStream<Req, Res>(fn: ServerStreamHandler<Req, Res>): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const ctx = callContext(call);
    settleStream(call, ctx, () => fn(call, ctx));
  };
}

const keptWritable = new WeakSet<object>();

/**
 * `for await (const m of call)` destroys a stream when the loop ends (Node's
 * default `destroyOnReturn: true`); for a bidi call that also kills the
 * writable side before the status is sent, so the client would hang. Iterating
 * a call handed out by the kit leaves it open instead; the kit ends it.
 */
function keepWritableAfterIteration(call: object): void {
  if (keptWritable.has(call)) return;
  keptWritable.add(call);
  const readable = call as { iterator?: (opts: { destroyOnReturn: boolean }) => AsyncIterator<unknown> };
  if (typeof readable.iterator !== 'function') return;
  const iterator = readable.iterator.bind(call);
  Object.defineProperty(call, Symbol.asyncIterator, {
    configurable: true,
    value: () => iterator({ destroyOnReturn: false }),
  });
}

/** A bidi-streaming handler: read and write `call`; the stream ends (OK) when the returned promise resolves. */
export function bidiStream<Req, Res>(fn: BidiStreamHandler<Req, Res>): grpc.handleBidiStreamingCall<Req, Res> {
  return (call) => {
    const ctx = callContext(call);
    keepWritableAfterIteration(call);
    settleStream(call, ctx, () => fn(call, ctx));
  };
}

/** Resolves when `signal` aborts: the tail of a subscription handler. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

// ---------------------------------------------------------------------------
// Requests that are no protobuf message
// ---------------------------------------------------------------------------

/**
 * grpc-js answers a request that does not decode with INTERNAL "Error deserializing request",
 * blaming the server for the caller's bytes. The kit's services decode through
 * `tolerantDeserialize`, which hands this marker to the wrapper instead of throwing; the
 * wrapper then answers INVALID_ARGUMENT (after the API key check), and no handler sees it.
 */
const UNDECODABLE = Symbol('undecodable request');
interface Undecodable {
  readonly [UNDECODABLE]: true;
}

function isUndecodable(v: unknown): v is Undecodable {
  return typeof v === 'object' && v !== null && UNDECODABLE in v;
}

function tolerantDeserialize(md: grpc.MethodDefinition<unknown, unknown>): grpc.MethodDefinition<unknown, unknown> {
  const decode = md.requestDeserialize;
  return {
    ...md,
    requestDeserialize: (bytes: Buffer): unknown => {
      try {
        return decode(bytes);
      } catch {
        const marker: Undecodable = { [UNDECODABLE]: true };
        return marker;
      }
    },
  };
}

const undecodableError = (path: string): InvalidArgumentError => new InvalidArgumentError(`the request to ${path} is not a valid protobuf message of its type`);

/** For a client-streaming or bidi call: an undecodable message is not pushed to the handler; `onBad` ends the call instead. */
function refuseUndecodableMessages(call: object, onBad: () => void): void {
  const stream = call as { push?: (chunk: unknown, encoding?: BufferEncoding) => boolean };
  if (typeof stream.push !== 'function') return;
  const push = stream.push.bind(call);
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (!isUndecodable(chunk)) return push(chunk, encoding);
    onBad();
    return false;
  };
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

type MethodKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';

function kindOf(md: grpc.MethodDefinition<unknown, unknown>): MethodKind {
  if (md.requestStream) return md.responseStream ? 'bidi' : 'clientStream';
  return md.responseStream ? 'serverStream' : 'unary';
}

function serviceNameOf(def: grpc.ServiceDefinition): string | undefined {
  const first = Object.values(def)[0];
  return first ? first.path.split('/')[1] : undefined;
}

export function createGrpcServer(opts: GrpcServerOptions): GrpcServerKit {
  const { logger, registry } = opts;
  const keyMatches = apiKeyMatcher(opts.apiKey);
  const duration = grpcRequestDuration(registry);
  const server = new grpc.Server(opts.serverOptions);
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);

  const serviceNames: string[] = [];
  const streamControllers = new Set<AbortController>();
  let inFlight = 0;
  let serving = false;
  let notReady = false;
  let stopping: Promise<void> | undefined;

  const setServing = (on: boolean): void => {
    serving = on;
    const status: ServingStatus = on ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    for (const name of serviceNames) health.setStatus(name, status);
  };
  opts.readiness?.onShuttingDown(() => {
    notReady = true;
    setServing(false);
  });

  interface Tracked {
    ctx: CallContext;
    authorized: boolean;
    finish(code: grpc.status): void;
  }

  const begin = (call: ServerCallLike, path: string, streaming: boolean): Tracked => {
    const started = process.hrtime.bigint();
    inFlight++;
    const traceId = acceptTraceId(firstString(call.metadata, TRACE_ID_HEADER));
    const log = logger.child({ trace_id: traceId });
    const controller = new AbortController();
    const ctx: CallContext = { method: path, traceId, log, signal: controller.signal };
    contexts.set(call, ctx);
    if (streaming) streamControllers.add(controller);
    const onCancel = (): void => controller.abort(new UnavailableError('call cancelled'));
    call.once('cancelled', onCancel);
    let done = false;
    return {
      ctx,
      authorized: keyMatches(firstString(call.metadata, API_KEY_HEADER)),
      finish(code) {
        if (done) return;
        done = true;
        inFlight--;
        streamControllers.delete(controller);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const name = statusName(code);
        duration.observe({ method: path, code: name }, seconds);
        log.debug({ method: path, code: name, duration_ms: Math.round(seconds * 1e6) / 1e3 }, 'grpc call');
      },
    };
  };

  const unauthenticated = (t: Tracked): GrpcStatus => {
    t.ctx.log.warn({ method: t.ctx.method }, 'rejected grpc call without a valid API key');
    return toGrpcStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid API key' });
  };

  /** Wraps a callback-style (unary / client-streaming) handler. */
  const wrapWithCallback = (path: string, handler: grpc.UntypedHandleCall, streaming: boolean) =>
    (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
      const t = begin(call, path, false);
      if (streaming) call.once('cancelled', () => t.finish(grpc.status.CANCELLED));
      let responded = false;
      const respond: grpc.sendUnaryData<unknown> = (err, value, trailer, flags) => {
        if (responded) {
          t.ctx.log.warn({ method: path }, 'grpc handler responded twice; ignoring the second response');
          return;
        }
        responded = true;
        if (err) {
          const status = mapAndLog(err, t.ctx.log);
          callback(status, null);
          t.finish(status.code);
          return;
        }
        callback(null, value, trailer, flags);
        t.finish(grpc.status.OK);
      };
      if (!t.authorized) {
        respond(unauthenticated(t));
        return;
      }
      if (!streaming && isUndecodable((call as grpc.ServerUnaryCall<unknown, unknown>).request)) {
        respond(toGrpcStatus(undecodableError(path)));
        return;
      }
      if (streaming) refuseUndecodableMessages(call, () => respond(toGrpcStatus(undecodableError(path))));
      try {
        const r: unknown = (handler as (c: typeof call, cb: grpc.sendUnaryData<unknown>) => unknown)(call, respond);
        // An async handler that rejects instead of calling back.
        if (r instanceof Promise) r.catch((err: unknown) => respond(mapAndLog(err, t.ctx.log)));
      } catch (err) {
        respond(mapAndLog(err, t.ctx.log));
      }
    };

  /** Wraps a server-streaming or bidi handler. Errors emitted on the call are mapped too. */
  const wrapStreaming = (path: string, handler: grpc.UntypedHandleCall, kind: MethodKind) =>
    (call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): void => {
      const t = begin(call, path, true);
      if (kind === 'bidi') keepWritableAfterIteration(call);
      let finalCode: grpc.status = grpc.status.OK;
      const emit = call.emit.bind(call);
      call.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
        if (event !== 'error') return emit(event, ...args);
        const status = mapAndLog(args[0], t.ctx.log);
        if (writableDone(call)) return false;
        finalCode = status.code;
        return emit('error', status);
      }) as typeof call.emit;
      call.once('finish', () => t.finish(finalCode));
      call.once('cancelled', () => t.finish(grpc.status.CANCELLED));
      call.once('close', () => t.finish(finalCode));
      if (!t.authorized) {
        call.emit('error', unauthenticated(t));
        return;
      }
      if (kind === 'serverStream' && isUndecodable((call as grpc.ServerWritableStream<unknown, unknown>).request)) {
        call.emit('error', undecodableError(path));
        return;
      }
      if (kind === 'bidi') refuseUndecodableMessages(call, () => call.emit('error', undecodableError(path)));
      try {
        const r: unknown = (handler as (c: typeof call) => unknown)(call);
        if (r instanceof Promise) r.catch((err: unknown) => call.emit('error', err));
      } catch (err) {
        call.emit('error', err);
      }
    };

  const addService = (def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): void => {
    const wrapped: grpc.UntypedServiceImplementation = {};
    const tolerant: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    for (const [name, md] of Object.entries(def)) {
      tolerant[name] = tolerantDeserialize(md);
      if (md.path.startsWith(HEALTH_SERVICE_PATH)) throw new Error('the health service is added by the kit');
      const handler = impl[name] ?? (md.originalName !== undefined ? impl[md.originalName] : undefined);
      if (typeof handler !== 'function') {
        logger.warn({ method: md.path }, 'grpc method not implemented; calls get UNIMPLEMENTED');
        continue;
      }
      const kind = kindOf(md);
      wrapped[name] =
        kind === 'unary' || kind === 'clientStream'
          ? (wrapWithCallback(md.path, handler, kind === 'clientStream') as grpc.UntypedHandleCall)
          : (wrapStreaming(md.path, handler, kind) as grpc.UntypedHandleCall);
    }
    server.addService(tolerant, wrapped);
    const serviceName = serviceNameOf(def);
    if (serviceName !== undefined) {
      serviceNames.push(serviceName);
      health.setStatus(serviceName, serving ? 'SERVING' : 'NOT_SERVING');
    }
  };

  const listen = (port: number, host = '0.0.0.0'): Promise<number> =>
    new Promise((resolve, reject) => {
      const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      server.bindAsync(`${h}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err) {
          reject(err);
          return;
        }
        setServing(!notReady && !stopping);
        logger.info({ service: opts.service, port: bound, host, services: serviceNames }, 'grpc listening');
        resolve(bound);
      });
    });

  const shutdown = (graceMs = 10_000): Promise<void> => {
    if (stopping) return stopping;
    setServing(false);
    const reason = new UnavailableError('server is shutting down');
    for (const c of streamControllers) c.abort(reason);
    stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn({ in_flight: inFlight, grace_ms: graceMs }, 'grpc grace period over; forcing shutdown');
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown((err) => {
        clearTimeout(timer);
        if (err) {
          logger.warn({ err }, 'grpc tryShutdown failed; forcing');
          server.forceShutdown();
        }
        resolve();
      });
    });
    return stopping;
  };

  return { server, health, addService, listen, setServing, inFlight: () => inFlight, shutdown };
}
