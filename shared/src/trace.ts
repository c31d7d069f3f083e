/**
 * Trace ids at the edges (HTTP `x-trace-id` header, gRPC `x-trace-id`
 * metadata). A caller's id is kept when it looks like an id; anything else is
 * replaced, so a header cannot inject arbitrary text into logs.
 */
import { randomUUID } from 'node:crypto';

export const TRACE_ID_HEADER = 'x-trace-id';

const TRACE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isValidTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID_RE.test(value);
}

/** The given id when valid, else a fresh one (32 lowercase hex chars, like the bus's ids). */
export function acceptTraceId(value: unknown): string {
  return isValidTraceId(value) ? value : randomUUID().replace(/-/g, '');
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
