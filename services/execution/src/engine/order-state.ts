/**
 * The order state machine. Only the transitions listed here are legal; anything else is an
 * IllegalTransitionError (FAILED_PRECONDITION), never a silent overwrite.
 *
 *   NEW ──► SUBMITTED ──► PARTIALLY_FILLED ──► FILLED
 *    │          │   │            │  ▲ (another partial fill)
 *    │          │   └──► FILLED  │  │
 *    │          ├──► CANCELED ◄──┤
 *    │          ├──► EXPIRED  ◄──┘
 *    │          └──► REJECTED (the venue refused it after acknowledging)
 *    ├──► REJECTED  (validation at the venue, trading state, stale price)
 *    ├──► FAILED    (could not be sent; unknown after a restart)
 *    └──► CANCELED  (canceled before it reached the venue)
 *
 * FILLED, CANCELED, REJECTED, EXPIRED and FAILED are terminal.
 */
import { FailedPreconditionError, type OrderStatus } from '@cte/shared/core';

export type { OrderStatus };

export const ORDER_STATUSES: readonly OrderStatus[] = ['NEW', 'SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'FAILED'];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'FAILED']);
/** Orders the venue may still fill (or that may still reach it). */
export const OPEN_STATUSES: readonly OrderStatus[] = ['NEW', 'SUBMITTED', 'PARTIALLY_FILLED'];

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  NEW: ['SUBMITTED', 'REJECTED', 'FAILED', 'CANCELED'],
  SUBMITTED: ['PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  FILLED: [],
  CANCELED: [],
  REJECTED: [],
  EXPIRED: [],
  FAILED: [],
};

export function isOrderStatus(v: unknown): v is OrderStatus {
  return typeof v === 'string' && (ORDER_STATUSES as readonly string[]).includes(v);
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function legalTargets(from: OrderStatus): readonly OrderStatus[] {
  return TRANSITIONS[from];
}

export class IllegalTransitionError extends FailedPreconditionError {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
    orderId?: string,
  ) {
    super(`illegal order transition ${from} → ${to}${TERMINAL_STATUSES.has(from) ? ` (${from} is final)` : ''}`, { from, to, ...(orderId ? { order_id: orderId } : {}) });
  }
}

export function assertTransition(from: OrderStatus, to: OrderStatus, orderId?: string): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to, orderId);
}
