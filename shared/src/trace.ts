/**
 * Trace ids at the edges (HTTP `x-trace-id` header, gRPC `x-trace-id`
 * metadata). A caller's id is kept when it looks like an id; anything else is
 * replaced, so a header cannot inject arbitrary text into logs.
 */
import { newTraceId } from './bus/envelope';
import { describeValue } from './describe';
import { InvalidArgumentError } from './errors';

export const TRACE_ID_HEADER = 'x-trace-id';

const TRACE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isValidTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID_RE.test(value);
}

/** The given id when valid, else a fresh one (32 lowercase hex chars, like the bus's ids). */
export function acceptTraceId(value: unknown): string {
  return isValidTraceId(value) ? value : newTraceId();
}

/**
 * The trace id a request body or a bus message may carry (`trace_id` of an order, a risk check,
 * a fill, a consensus): 8-64 of A-Z a-z 0-9 and '-'. Narrower than the header form above,
 * because it is stored and checked again by every consumer of the fill or order it ends up in.
 */
export const MESSAGE_TRACE_ID_RE = /^[A-Za-z0-9-]{8,64}$/;

export function isMessageTraceId(value: unknown): value is string {
  return typeof value === 'string' && MESSAGE_TRACE_ID_RE.test(value);
}

/**
 * The one rule for a `trace_id` field in a request (REST body or gRPC message), used by every
 * service that takes one: absent (`undefined`, `null` or `''`, proto3's unset) → undefined;
 * anything else must be a message trace id, else InvalidArgumentError naming the field. An
 * invalid id is refused, never silently replaced, so the caller learns its traces are broken.
 */
export function parseTraceIdField(value: unknown, field = 'trace_id'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!isMessageTraceId(value)) {
    throw new InvalidArgumentError(`${field} must be 8-64 of A-Z a-z 0-9 -, got ${describeValue(value)}`, { field });
  }
  return value;
}

/** The trace id for a message when the request carried none: the edge's id when it fits the message form, else a fresh one. */
export function messageTraceId(edgeTraceId?: string): string {
  return isMessageTraceId(edgeTraceId) ? edgeTraceId : newTraceId();
}

/**
 * Wall time at which recent price messages (ticks and bars) were published, by trace id (bounded,
 * oldest evicted first). A signal or order carrying the trace id of the price message it came from
 * lets `cte_pipeline_latency_seconds{stage}` measure from that price message.
 */
export class TraceTimes {
  private readonly times = new Map<string, number>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(max = 20_000) {
    this.ring = new Array<string | undefined>(max);
  }

  note(traceId: string, wallMs: number): void {
    if (this.times.has(traceId)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.times.delete(old);
    this.ring[this.next] = traceId;
    this.next = (this.next + 1) % this.ring.length;
    this.times.set(traceId, wallMs);
  }

  get(traceId: string): number | undefined {
    return this.times.get(traceId);
  }
}
