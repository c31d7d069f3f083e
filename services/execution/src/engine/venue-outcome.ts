/**
 * What to do after a live venue call, as a pure decision table: an ambiguous outcome (a timeout,
 * a reset, a 5xx: the order may or may not exist) is never retried blind. The order is looked up
 * by its client order id first; only an order the venue provably does not have may be sent again,
 * and a rejection is final with the venue's reason.
 *
 * "Provably does not have" needs the lookup to come after the venue could still act on the lost
 * request: the first lookup waits `settleMs` (for Binance its recvWindow: a request not processed
 * within it is refused by the venue itself), and the lookup's "not found" must be the venue's own
 * answer (ccxt OrderNotFound), not a failed lookup.
 *
 * Errors are classified by ccxt's class names (the prototype chain, most specific first), so the
 * engine never imports ccxt.
 */
import { truncateText } from '@cte/shared/core';

export type VenueErrorKind =
  /** The request may have been executed: look up before anything else. */
  | 'ambiguous'
  /** The venue refused it: final. */
  | 'rejected'
  /** The venue says the order does not exist. */
  | 'not_found'
  /** The venue already has an order with this client order id: look it up. */
  | 'duplicate';

/** ccxt classes meaning the venue refused the request (ccxt/js/src/base/errorHierarchy.js). */
const REJECTED = new Set([
  'InsufficientFunds',
  'InvalidOrder',
  'OrderImmediatelyFillable',
  'OrderNotFillable',
  'BadRequest',
  'BadSymbol',
  'ArgumentsRequired',
  'NotSupported',
  'MarketClosed',
  'OperationRejected',
  'AuthenticationError',
  'PermissionDenied',
  'AccountNotEnabled',
  'AccountSuspended',
  'RestrictedLocation',
]);

/**
 * Classifies an error by its class chain. Anything not known to be definitive (NetworkError,
 * RequestTimeout, ExchangeNotAvailable, DDoSProtection, InvalidNonce, BadResponse, a bare
 * ExchangeError with an unmapped code, a non-ccxt error) is ambiguous.
 */
export function classifyVenueError(chain: readonly string[]): VenueErrorKind {
  for (const name of chain) {
    if (name === 'OrderNotFound') return 'not_found';
    if (name === 'DuplicateOrderId') return 'duplicate';
    if (name === 'NetworkError' || name === 'OperationFailed') return 'ambiguous';
    if (REJECTED.has(name)) return 'rejected';
  }
  return 'ambiguous';
}

export interface SubmitPolicy {
  /** Most sends of one order (1 = never resend). */
  maxSends: number;
  /** Most lookups after one ambiguous send. */
  maxLookups: number;
  /** Wait before the first lookup after an ambiguous send. */
  settleMs: number;
  /** Backoff between lookups that themselves failed. */
  lookupBackoffMs: number;
}

export interface SubmitProgress {
  /** Sends made so far. */
  sends: number;
  /** Lookups made since the last send. */
  lookups: number;
}

/** The result of one step of the submission. */
export type SendOutcome = { ok: true; venueOrderId: string } | { ok: false; kind: VenueErrorKind; message: string };
export type LookupOutcome = { found: true; venueOrderId: string } | { found: false } | { error: VenueErrorKind; message: string };

export type SubmitDecision =
  | { do: 'accept'; venueOrderId: string }
  | { do: 'reject'; reason: string }
  | { do: 'lookup'; afterMs: number }
  | { do: 'send' }
  /** Still unknown after every lookup: keep the order open, resolve it later by client order id. */
  | { do: 'unresolved'; why: string };

export function afterSend(out: SendOutcome, policy: SubmitPolicy): SubmitDecision {
  if (out.ok) return { do: 'accept', venueOrderId: out.venueOrderId };
  if (out.kind === 'rejected') return { do: 'reject', reason: venueRejectReason(out.message) };
  // The venue has an order with this client id: read it now. Ambiguous (or a not-found on a create,
  // which makes no sense): wait until the venue can no longer act on the request, then read.
  return { do: 'lookup', afterMs: out.kind === 'duplicate' ? 0 : policy.settleMs };
}

export function afterLookup(out: LookupOutcome, p: SubmitProgress, policy: SubmitPolicy): SubmitDecision {
  if ('found' in out) {
    if (out.found) return { do: 'accept', venueOrderId: out.venueOrderId };
    return p.sends < policy.maxSends ? { do: 'send' } : { do: 'reject', reason: `not_placed_after_${p.sends}_sends` };
  }
  if (out.error === 'not_found') return p.sends < policy.maxSends ? { do: 'send' } : { do: 'reject', reason: `not_placed_after_${p.sends}_sends` };
  if (p.lookups >= policy.maxLookups) return { do: 'unresolved', why: `lookup failed ${p.lookups} times: ${out.message}` };
  return { do: 'lookup', afterMs: policy.lookupBackoffMs * 2 ** Math.max(0, p.lookups - 1) };
}

/**
 * The reason stored for a venue's rejection: its own message, shortened to what orders.reason
 * holds. From a JSON body (`msg`, `message`…) when there is one; the error class and ccxt's
 * exchange-id prefix ("InsufficientFunds: binanceus …") are dropped.
 */
export function venueRejectReason(message: string, max = 64): string {
  const m = /"(?:msg|message|error_details|preview_failure_reason)"\s*:\s*"([^"]+)"/.exec(message);
  const text = (m?.[1] ?? message.replace(/^[A-Z][A-Za-z]*: /, '').replace(/^(binanceus|binance|coinbase|kucoin) /, '')).replace(/\s+/g, ' ').trim();
  return truncateText(`venue: ${text}`, max);
}
