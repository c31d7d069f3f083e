import type { VenueId } from './types';
import { VENUE_IDS } from './types';

/** Every kind of fault the emulator can inject; each is one label value of the faults metric. */
export const FAULT_KINDS = [
  'ws_close',
  'ws_reset',
  'ws_stall',
  'ws_skip_sequence',
  'ws_malformed',
  'rest_429',
  'rest_418',
  'rest_5xx',
  'rest_delay',
  'order_lost_ack',
  'order_timeout',
  'order_5xx_after_accept',
  'user_stream_drop',
  'fill_duplicate',
  'fill_out_of_order',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults of the private side (orders and user-data streams), armed for the next `count` occasions. */
export const PRIVATE_FAULT_KINDS = ['order_lost_ack', 'order_timeout', 'order_5xx_after_accept', 'user_stream_drop', 'fill_duplicate', 'fill_out_of_order'] as const;
export type PrivateFaultKind = (typeof PRIVATE_FAULT_KINDS)[number];
export interface PrivateFault {
  kind: PrivateFaultKind;
  /** order_timeout: how late the reply comes. */
  delayMs: number;
  /** order_5xx_after_accept: the status answered. */
  status: number;
}

export type RestFault =
  | { kind: 'rest_429' | 'rest_418'; retryAfterS: number }
  | { kind: 'rest_5xx'; status: number }
  | { kind: 'rest_delay'; delayMs: number };

interface Armed {
  fault: RestFault;
  remaining: number;
  /** Only requests whose path starts with this are affected ('' = all). */
  pathPrefix: string;
}

export const MALFORMED_KINDS = ['truncated', 'not_json', 'wrong_types'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * Armed REST faults and stalls per venue. Pure: time is passed in. The adapters ask it before
 * answering a request or sending a frame, and count every fault they actually inject.
 */
export class FaultBook {
  private readonly rest = new Map<VenueId, Armed[]>();
  private readonly stalledUntil = new Map<VenueId, number>();
  private readonly priv = new Map<VenueId, { fault: PrivateFault; remaining: number }[]>();

  armPrivate(venue: VenueId, fault: PrivateFault, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive integer');
    const list = this.priv.get(venue) ?? [];
    list.push({ fault, remaining: count });
    this.priv.set(venue, list);
  }

  /** The armed private fault of one of `kinds` to apply now, consuming one use of it. */
  takePrivate(venue: VenueId, kinds: readonly PrivateFaultKind[]): PrivateFault | undefined {
    const list = this.priv.get(venue);
    const i = list?.findIndex((a) => kinds.includes(a.fault.kind)) ?? -1;
    if (!list || i < 0) return undefined;
    const armed = list[i] as { fault: PrivateFault; remaining: number };
    armed.remaining -= 1;
    if (armed.remaining <= 0) list.splice(i, 1);
    return armed.fault;
  }

  pendingPrivate(venue: VenueId): number {
    return (this.priv.get(venue) ?? []).reduce((n, a) => n + a.remaining, 0);
  }

  armRest(venue: VenueId, fault: RestFault, count: number, pathPrefix = ''): void {
    if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive integer');
    const list = this.rest.get(venue) ?? [];
    list.push({ fault, remaining: count, pathPrefix });
    this.rest.set(venue, list);
  }

  /** The fault to apply to this request, consuming one use of it; undefined to answer normally. */
  takeRest(venue: VenueId, path: string): RestFault | undefined {
    const list = this.rest.get(venue);
    if (!list) return undefined;
    const i = list.findIndex((a) => path.startsWith(a.pathPrefix));
    if (i < 0) return undefined;
    const armed = list[i] as Armed;
    armed.remaining -= 1;
    if (armed.remaining <= 0) list.splice(i, 1);
    return armed.fault;
  }

  pendingRest(venue: VenueId): number {
    return (this.rest.get(venue) ?? []).reduce((n, a) => n + a.remaining, 0);
  }

  stall(venue: VenueId, until: number): void {
    this.stalledUntil.set(venue, Math.max(until, this.stalledUntil.get(venue) ?? 0));
  }

  isStalled(venue: VenueId, now: number): boolean {
    return (this.stalledUntil.get(venue) ?? 0) > now;
  }

  clear(venue?: VenueId): void {
    for (const v of venue ? [venue] : VENUE_IDS) {
      this.rest.delete(v);
      this.stalledUntil.delete(v);
      this.priv.delete(v);
    }
  }
}

/** The reply a REST fault produces (Binance-, Coinbase- or KuCoin-shaped error bodies). */
export function restFaultReply(venue: VenueId, f: RestFault): { status: number; headers: Record<string, string>; body: unknown } | undefined {
  if (f.kind === 'rest_delay') return undefined;
  if (f.kind === 'rest_5xx') {
    const body = venue === 'binanceus' ? { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' } : venue === 'kucoin' ? { code: '500000', msg: 'Internal Server Error' } : { error: 'INTERNAL', message: 'internal error' };
    return { status: f.status, headers: {}, body };
  }
  const headers = { 'Retry-After': String(f.retryAfterS) };
  if (f.kind === 'rest_418') return { status: 418, headers, body: { code: -1003, msg: `Way too many requests; IP banned until ${f.retryAfterS} seconds from now. Please use WebSocket Streams for live updates to avoid bans.` } };
  const body = venue === 'binanceus' ? { code: -1003, msg: 'Too many requests; please use the websocket for live updates.' } : venue === 'kucoin' ? { code: '429000', msg: 'Too Many Requests' } : { error: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' };
  return { status: 429, headers, body };
}

/** A frame that is not what the venue promises. */
export function malformedFrame(kind: MalformedKind, sample: string): string {
  switch (kind) {
    case 'truncated':
      return sample.slice(0, Math.max(1, Math.floor(sample.length / 2)));
    case 'not_json':
      return '\u0000<html>502 Bad Gateway</html>';
    case 'wrong_types':
      return sample.replace(/"(\d+(?:\.\d+)?)"/g, '"NaN"').replace(/:(\d+)([,}])/g, ':"x$1"$2');
  }
}
