/**
 * A venue's report of an order's status (user stream or REST reconciliation), applied through the
 * order state machine. The rules make the result independent of delivery order and repeats:
 *
 * - a final order never changes (an 'open' after 'filled' or 'canceled' is stale);
 * - statuses never invent fills: 'open', 'partially_filled' and 'filled' move nothing, the order's
 *   fills do (a 'filled' whose fills are not recorded yet waits for them);
 * - 'canceled' and 'expired' end an order that is still open, whatever it has filled;
 * - 'rejected' ends an order the venue refused or provably does not have (REJECTED; CANCELED
 *   once it has fills, since a venue does not reject what it has traded);
 * - the venue's order id replaces a missing or provisional one (`unconfirmed:<client id>`), once:
 *   a NEW order the venue has is SUBMITTED first.
 */
import { canTransition, isTerminal, type OrderStatus } from './order-state';
import type { OrderManager } from './order-manager';
import type { Order } from './types';

/** An order's status as a venue reports it (ccxt's `closed` is `filled`). */
export type VenueOrderStatus = 'open' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

export const VENUE_ORDER_STATUSES: readonly VenueOrderStatus[] = ['open', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'];

/** The prefix of the provisional venue order id of an order whose submission stayed ambiguous. */
export const UNCONFIRMED_PREFIX = 'unconfirmed:';

/** Reason of an ambiguous submission (`unconfirmed:`) the venue turned out not to have. */
export const REASON_NO_SUCH_ORDER = 'venue_has_no_such_order';

export interface StatusUpdate {
  status: VenueOrderStatus;
  /** null: the venue has no such order. */
  venueOrderId: string | null;
  reason: string;
}

/**
 * applied: the order changed (status or venue order id); ignored: nothing to change (a repeat, or
 * a status that fills decide); stale: the order is already final.
 */
export type UpdateOutcome = 'applied' | 'ignored' | 'stale';

export interface UpdateResult {
  order: Order;
  outcome: UpdateOutcome;
}

export const DEFAULT_REASONS: Readonly<Record<'canceled' | 'expired' | 'rejected', string>> = {
  canceled: 'canceled_at_venue',
  expired: 'expired_at_venue',
  rejected: 'rejected_at_venue',
};

export function isProvisionalVenueId(id: string | null): boolean {
  return id === null || id.startsWith(UNCONFIRMED_PREFIX);
}

/** The order after `u` (pure; the same input gives the same order). */
export function applyStatusUpdate(m: OrderManager, order: Order, u: StatusUpdate, now: number): UpdateResult {
  if (isTerminal(order.status)) return { order, outcome: 'stale' };
  let o = order;
  const vid = u.venueOrderId;
  if (vid !== null && !isProvisionalVenueId(vid) && isProvisionalVenueId(o.venueOrderId)) {
    o = o.status === 'NEW' ? m.submitted(o, vid, now) : { ...o, venueOrderId: vid, updatedAt: now };
  }
  const to = target(o.status, u.status);
  if (to !== undefined) {
    const reason = u.reason !== '' ? u.reason : DEFAULT_REASONS[u.status as keyof typeof DEFAULT_REASONS];
    o = m.transition(o, to, now, { reason });
  }
  return { order: o, outcome: o === order ? 'ignored' : 'applied' };
}

/** The status a venue status moves an open order to; undefined when it moves nothing. */
function target(from: OrderStatus, status: VenueOrderStatus): OrderStatus | undefined {
  let to: OrderStatus;
  switch (status) {
    case 'open':
    case 'partially_filled':
    case 'filled':
      return undefined;
    case 'canceled':
      to = 'CANCELED';
      break;
    case 'expired':
      to = 'EXPIRED';
      break;
    case 'rejected':
      to = from === 'PARTIALLY_FILLED' ? 'CANCELED' : 'REJECTED';
      break;
  }
  // A NEW order the venue reports expired without an id of its own: nothing legal to do here (the start's reconciliation decides).
  return canTransition(from, to) ? to : undefined;
}
