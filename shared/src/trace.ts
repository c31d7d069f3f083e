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
