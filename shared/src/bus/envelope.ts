import { randomUUID } from 'node:crypto';
import type { Envelope, OutgoingMessage } from './types';

/** 32 lowercase hex chars (a UUIDv4 without dashes). */
export function newTraceId(): string {
  return randomUUID().replace(/-/g, '');
}

export function toEnvelope<T>(msg: OutgoingMessage<T>, now: number = Date.now()): Envelope<T> {
  return {
    v: msg.v ?? 1,
    type: msg.type,
    trace_id: msg.trace_id || newTraceId(),
    ts: now,
    data: msg.data,
  };
}

export type DecodeResult<T> = { ok: true; envelope: Envelope<T> } | { ok: false; reason: string };

/**
 * Parses and checks the envelope fields. `data` is only checked for presence:
 * its shape belongs to the consumer, which knows `type` and `v`.
 */
export function decodeEnvelope<T = unknown>(raw: string | null | undefined): DecodeResult<T> {
  if (typeof raw !== 'string') return { ok: false, reason: 'no envelope' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'envelope is not an object' };
  }
  const e = parsed as Record<string, unknown>;
  if (typeof e.v !== 'number' || !Number.isInteger(e.v) || e.v < 1) return { ok: false, reason: 'bad field v' };
  if (typeof e.type !== 'string' || e.type === '') return { ok: false, reason: 'bad field type' };
  if (typeof e.trace_id !== 'string' || e.trace_id === '') return { ok: false, reason: 'bad field trace_id' };
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) return { ok: false, reason: 'bad field ts' };
  if (!('data' in e)) return { ok: false, reason: 'missing field data' };
  return {
    ok: true,
    envelope: { v: e.v, type: e.type, trace_id: e.trace_id, ts: e.ts, data: e.data as T },
  };
}
