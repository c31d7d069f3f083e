/**
 * Orders as seen from a recommendation: the deterministic client order id, and how an
 * execution order status maps onto the recommendation lifecycle.
 */
import { Dec } from '@cte/shared/core';
import type { RecommendationStatus } from './state-machine';

const CLIENT_ORDER_PREFIX = 'rec-';

/** The client order id of a recommendation: `rec-<id>`. The same id on every (re)submission. */
export function clientOrderIdFor(recommendationId: string): string {
  return CLIENT_ORDER_PREFIX + recommendationId;
}

/** The recommendation id inside a client order id of ours, else undefined. */
export function recommendationIdOf(clientOrderId: string): string | undefined {
  return clientOrderId.startsWith(CLIENT_ORDER_PREFIX) && clientOrderId.length > CLIENT_ORDER_PREFIX.length
    ? clientOrderId.slice(CLIENT_ORDER_PREFIX.length)
    : undefined;
}

export const ORDER_STATUS_NAMES = ['NEW', 'SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'FAILED'] as const;
export type ExecutionOrderStatus = (typeof ORDER_STATUS_NAMES)[number];
const FINAL_ORDER_STATUSES: ReadonlySet<string> = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'FAILED']);

export function isOrderStatus(x: unknown): x is ExecutionOrderStatus {
  return typeof x === 'string' && (ORDER_STATUS_NAMES as readonly string[]).includes(x);
}

export function isFinalOrderStatus(s: string): boolean {
  return FINAL_ORDER_STATUSES.has(s);
}

export interface OrderOutcome {
  /** Where the recommendation goes. */
  status: Extract<RecommendationStatus, 'submitted' | 'partially_filled' | 'filled' | 'failed' | 'expired'>;
  /** The order can no longer change. */
  final: boolean;
  /** Reason recorded with the transition. */
  reason: string;
}

/**
 * NEW/SUBMITTED → submitted; PARTIALLY_FILLED → partially_filled (not final); FILLED → filled;
 * CANCELED/EXPIRED/REJECTED/FAILED after a partial fill → partially_filled (final); unfilled
 * REJECTED/FAILED/CANCELED → failed; unfilled EXPIRED → expired.
 */
export function orderOutcome(status: ExecutionOrderStatus, filledQty: string, reason = ''): OrderOutcome {
  const filled = isPositive(filledQty);
  const why = (code: string) => (reason ? `${code}: ${reason}` : code);
  switch (status) {
    case 'NEW':
    case 'SUBMITTED':
      return { status: 'submitted', final: false, reason: 'order acknowledged by execution' };
    case 'PARTIALLY_FILLED':
      return { status: 'partially_filled', final: false, reason: 'order partially filled' };
    case 'FILLED':
      return { status: 'filled', final: true, reason: 'order filled' };
    case 'EXPIRED':
      return filled ? { status: 'partially_filled', final: true, reason: why('order_expired_partially_filled') } : { status: 'expired', final: true, reason: why('order_expired') };
    case 'CANCELED':
      return filled ? { status: 'partially_filled', final: true, reason: why('order_canceled_partially_filled') } : { status: 'failed', final: true, reason: why('order_canceled') };
    case 'REJECTED':
    case 'FAILED':
      return filled
        ? { status: 'partially_filled', final: true, reason: why(`order_${status.toLowerCase()}_partially_filled`) }
        : { status: 'failed', final: true, reason: why(`order_${status.toLowerCase()}`) };
  }
}

/**
 * The transitions that bring a recommendation in `current` to an order outcome `target`.
 * An order can only be observed for a recommendation that was approved/resized (the ack may
 * have been lost: approved → submitted → target), submitted or partially filled; anything else
 * (and anything already at or past the target) yields no transition.
 */
export function orderTransitions(current: RecommendationStatus, target: OrderOutcome['status']): RecommendationStatus[] {
  switch (current) {
    case 'approved':
    case 'resized':
      return target === 'submitted' ? ['submitted'] : ['submitted', target];
    case 'submitted':
      return target === 'submitted' ? [] : [target];
    case 'partially_filled':
      return target === 'filled' ? ['filled'] : [];
    default:
      return [];
  }
}

function isPositive(s: string): boolean {
  try {
    return s !== '' && new Dec(s).gt(0);
  } catch {
    return false;
  }
}
