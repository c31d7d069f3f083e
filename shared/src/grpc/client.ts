/**
 * Calling another service over gRPC, the fleet's way:
 *   - every unary call has a deadline (default 2 s per attempt);
 *   - `x-trading-api-key` metadata on every call, `x-trace-id` when given;
 *   - retries only for calls marked idempotent, only on UNAVAILABLE or
 *     DEADLINE_EXCEEDED, with bounded exponential backoff and jitter;
 *   - failures come back as DomainErrors (see ./status.ts), so a service that
 *     calls another deals in NotFoundError, ConflictError, ... and its own HTTP
 *     and gRPC adapters map them on without special cases.
 *
 *   const risk = createGrpcClient(proto.cte.risk.v1.Risk, 'risk:9027', { apiKey, idempotentMethods: ['Check'] });
 *   const decision = await risk.unary('Check', { ... }, { traceId });
 *
 * Method names, requests and responses are typed from the generated client
 * interface (the generated `...Client` type of proto-loader-gen-types).
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger';
import { API_KEY_HEADER } from '../api-key';
import { TRACE_ID_HEADER } from '../trace';
import { fromGrpcError, isGrpcStatusLike } from './status';

// ---------------------------------------------------------------------------
// Types derived from a generated client interface
// ---------------------------------------------------------------------------

/** The last overload of a generated unary method: `(argument, callback) => ClientUnaryCall`. */
type UnaryShape<Req, Res> = (argument: Req, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;
/** The last overload of a generated server-streaming method: `(argument, options?) => ClientReadableStream`. */
type ServerStreamShape<Req, Res> = (argument: Req, options?: grpc.CallOptions) => grpc.ClientReadableStream<Res>;

/** What the last overload returns. */
type Returned<F> = F extends (...args: never) => infer R ? R : never;
/** Client-streaming and bidi methods return writable streams; they are neither unary nor server-streaming. */
type IsWritableCall<F> = Returned<F> extends grpc.ClientWritableStream<infer _W> ? true : false;

/** Names of the unary methods of client type `C` (both `GetPrice` and `getPrice` for generated clients). */
export type UnaryMethodName<C> = {
  [K in keyof C & string]: C[K] extends UnaryShape<infer _Req, infer _Res>
    ? Returned<C[K]> extends grpc.ClientReadableStream<infer _R>
      ? never
      : IsWritableCall<C[K]> extends true
        ? never
        : K
    : never;
}[keyof C & string];
export type UnaryRequest<C, K extends keyof C> = C[K] extends UnaryShape<infer Req, infer _Res> ? Req : never;
export type UnaryResponse<C, K extends keyof C> = C[K] extends UnaryShape<infer _Req, infer Res> ? Res : never;

export type ServerStreamMethodName<C> = {
  [K in keyof C & string]: IsWritableCall<C[K]> extends true
    ? never
    : C[K] extends ServerStreamShape<infer _Req, infer _Res>
      ? K
      : never;
}[keyof C & string];
export type ServerStreamRequest<C, K extends keyof C> = C[K] extends ServerStreamShape<infer Req, infer _Res> ? Req : never;
export type ServerStreamResponse<C, K extends keyof C> = C[K] extends ServerStreamShape<infer _Req, infer Res> ? Res : never;

/** A generated client constructor (`proto.cte.market.v1.PriceStream`). */
export type GrpcClientConstructor<C extends grpc.Client> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => C;

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

export const DEFAULT_DEADLINE_MS = 2_000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_BACKOFF_MS = 50;
export const DEFAULT_MAX_BACKOFF_MS = 1_000;
/** The only statuses ever retried, and only for idempotent calls. */
export const RETRYABLE_CODES: ReadonlySet<grpc.status> = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/** Per call. */
export interface GrpcCallOptions {
  /** Deadline of each attempt, in ms. Default: the client's, else 2000. */
  deadlineMs?: number;
  /** Safe to send twice? Only then is the call retried. Default: listed in the client's idempotentMethods. */
  idempotent?: boolean;
  /** Retries after the first attempt (idempotent calls only). Default: the client's, else 2. */
  retries?: number;
  /** Propagated as `x-trace-id` metadata. */
  traceId?: string;
  /** Extra metadata (lowercase ASCII keys). */
  metadata?: Readonly<Record<string, string>>;
}

export interface RetryOptions {
  /** Base backoff before the first retry; doubles each retry. Default 50 ms. */
  backoffMs?: number;
  /** Upper bound of one backoff. Default 1000 ms. */
  maxBackoffMs?: number;
  /** Retries are logged here at debug level. */
  logger?: Logger;
}

export interface UnaryCallOptions extends GrpcCallOptions, RetryOptions {
  apiKey: string;
}

export interface GrpcClientOptions<C> extends RetryOptions {
  apiKey: string;
  /** Default deadline per attempt. Default 2000 ms. */
  deadlineMs?: number;
  /** Default retries for idempotent calls. Default 2. */
  retries?: number;
  /** Methods that are always safe to retry (reads, and writes keyed by an idempotency key). */
  idempotentMethods?: readonly UnaryMethodName<C>[];
  /** Default: insecure (in-cluster plaintext; TLS is the mesh's job). */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ClientOptions;
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

type CallableUnary<Req, Res> = ((
  argument: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall) & { path?: unknown };

type CallableServerStream<Req, Res> = ((
  argument: Req,
  metadata: grpc.Metadata,
  options?: grpc.CallOptions,
) => grpc.ClientReadableStream<Res>) & { path?: unknown };

function buildMetadata(apiKey: string, opts: GrpcCallOptions): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(API_KEY_HEADER, apiKey);
  if (opts.traceId) md.set(TRACE_ID_HEADER, opts.traceId);
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  return md;
}

/** Backoff before retry number `retry` (0-based): half fixed, half random ("equal jitter"), capped. */
export function backoffDelay(retry: number, backoffMs = DEFAULT_BACKOFF_MS, maxBackoffMs = DEFAULT_MAX_BACKOFF_MS): number {
  const cap = Math.min(maxBackoffMs, backoffMs * 2 ** retry);
  return cap / 2 + Math.random() * (cap / 2);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function methodOf(client: object, method: string): unknown {
  return (client as Record<string, unknown>)[method];
}

/**
 * One unary call with deadline, key, optional retries and error mapping.
 * Rejects with a DomainError.
 */
export async function callUnary<C extends grpc.Client, K extends UnaryMethodName<C>>(
  client: C,
  method: K,
  request: UnaryRequest<C, K>,
  opts: UnaryCallOptions,
): Promise<UnaryResponse<C, K>> {
  const fn = methodOf(client, method);
  if (typeof fn !== 'function') throw new TypeError(`client has no method ${method}`);
  const call = fn as CallableUnary<UnaryRequest<C, K>, UnaryResponse<C, K>>;
  const path = typeof call.path === 'string' ? call.path : method;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const retries = opts.idempotent ? Math.max(0, opts.retries ?? DEFAULT_RETRIES) : 0;
  const metadata = buildMetadata(opts.apiKey, opts);

  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<UnaryResponse<C, K>>((resolve, reject) => {
        call.call(client, request, metadata.clone(), { deadline: Date.now() + deadlineMs }, (err, value) => {
          if (err) reject(err);
          else resolve(value as UnaryResponse<C, K>);
        });
      });
    } catch (err) {
      const retryable = isGrpcStatusLike(err) && RETRYABLE_CODES.has(err.code);
      if (!retryable || attempt >= retries) throw fromGrpcError(err, { method: path, deadlineMs });
      const delay = backoffDelay(attempt, opts.backoffMs, opts.maxBackoffMs);
      opts.logger?.debug({ method: path, attempt: attempt + 1, code: (err as { code: number }).code, delay_ms: Math.round(delay) }, 'retrying grpc call');
      await sleep(delay);
    }
  }
}

/** A typed client for one service with the fleet's defaults. */
export class GrpcClient<C extends grpc.Client> {
  /** The underlying generated client, for anything the helpers do not cover. */
  readonly raw: C;
  private readonly idempotent: ReadonlySet<string>;

  constructor(
    ctor: GrpcClientConstructor<C>,
    readonly address: string,
    private readonly opts: GrpcClientOptions<C>,
  ) {
    if (!opts.apiKey) throw new Error('an API key is required');
    this.raw = new ctor(address, opts.credentials ?? grpc.credentials.createInsecure(), opts.channelOptions);
    this.idempotent = new Set<string>(opts.idempotentMethods ?? []);
  }

  /** A unary call; rejects with a DomainError. */
  unary<K extends UnaryMethodName<C>>(method: K, request: UnaryRequest<C, K>, opts: GrpcCallOptions = {}): Promise<UnaryResponse<C, K>> {
    const callOpts: UnaryCallOptions = {
      apiKey: this.opts.apiKey,
      deadlineMs: opts.deadlineMs ?? this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
      idempotent: opts.idempotent ?? this.idempotent.has(method),
      retries: opts.retries ?? this.opts.retries ?? DEFAULT_RETRIES,
    };
    if (opts.traceId !== undefined) callOpts.traceId = opts.traceId;
    if (opts.metadata !== undefined) callOpts.metadata = opts.metadata;
    if (this.opts.backoffMs !== undefined) callOpts.backoffMs = this.opts.backoffMs;
    if (this.opts.maxBackoffMs !== undefined) callOpts.maxBackoffMs = this.opts.maxBackoffMs;
    if (this.opts.logger !== undefined) callOpts.logger = this.opts.logger;
    return callUnary(this.raw, method, request, callOpts);
  }

  /**
   * A server-streaming call with the key (and trace id) attached. A stream is
   * a subscription, so it has no deadline unless `deadlineMs` is given. Its
   * 'error' events carry grpc ServiceErrors: map them with `fromGrpcError`.
   */
  serverStream<K extends ServerStreamMethodName<C>>(
    method: K,
    request: ServerStreamRequest<C, K>,
    opts: Omit<GrpcCallOptions, 'idempotent' | 'retries'> = {},
  ): grpc.ClientReadableStream<ServerStreamResponse<C, K>> {
    const fn = methodOf(this.raw, method);
    if (typeof fn !== 'function') throw new TypeError(`client has no method ${method}`);
    const call = fn as CallableServerStream<ServerStreamRequest<C, K>, ServerStreamResponse<C, K>>;
    const options: grpc.CallOptions = opts.deadlineMs !== undefined ? { deadline: Date.now() + opts.deadlineMs } : {};
    return call.call(this.raw, request, buildMetadata(this.opts.apiKey, opts), options);
  }

  /** Resolves once the channel is connected; rejects with UnavailableError after `timeoutMs`. */
  waitForReady(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.waitForReady(Date.now() + timeoutMs, (err) => {
        if (err) reject(fromGrpcError({ code: grpc.status.UNAVAILABLE, details: `${this.address} not reachable within ${timeoutMs} ms` }));
        else resolve();
      });
    });
  }

  close(): void {
    this.raw.close();
  }
}

export function createGrpcClient<C extends grpc.Client>(
  ctor: GrpcClientConstructor<C>,
  address: string,
  opts: GrpcClientOptions<C>,
): GrpcClient<C> {
  return new GrpcClient(ctor, address, opts);
}
