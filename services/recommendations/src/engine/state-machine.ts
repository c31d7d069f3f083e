/**
 * The recommendation lifecycle, as a pure state machine:
 *
 *   pending ──► approved ──┐
 *      │    ──► resized  ──┼──► submitted ──► filled
 *      │    ──► rejected   │        │    ──► partially_filled ──► filled
 *      │                   │        │    ──► failed
 *      └──► expired ◄──────┘        └──► expired
 *                approved/resized ──► failed (execution refused the order outright)
 *
 * - pending: sized (or proposed), waiting for risk's decision.
 * - approved / resized: risk said yes (resized = with a smaller approved_qty); the client order
 *   id is persisted in this state, before the order is sent.
 * - rejected: risk said no, or sizing found no trade (reason no_edge, no_position, ...). Terminal.
 * - submitted: execution acknowledged the order (order_id known).
 * - filled / failed / expired: the order's end. partially_filled is where an order that filled
 *   only in part ends (canceled or expired after a partial fill), or a waypoint while it fills.
 * - expired: never submitted within REC_TTL_MS, or the order expired at the venue unfilled.
 */
export const STATUSES = ['pending', 'approved', 'resized', 'rejected', 'submitted', 'filled', 'partially_filled', 'failed', 'expired'] as const;
export type RecommendationStatus = (typeof STATUSES)[number];

const NEXT: Readonly<Record<RecommendationStatus, readonly RecommendationStatus[]>> = {
  pending: ['approved', 'resized', 'rejected', 'expired'],
  approved: ['submitted', 'failed', 'expired'],
  resized: ['submitted', 'failed', 'expired'],
  submitted: ['partially_filled', 'filled', 'failed', 'expired'],
  partially_filled: ['filled'],
  rejected: [],
  filled: [],
  failed: [],
  expired: [],
};

/** A recommendation in one of these blocks a new consensus recommendation for the same symbol and side. */
export const OPEN_STATUSES: readonly RecommendationStatus[] = ['pending', 'approved', 'resized', 'submitted'];
/** Approved by risk, order not yet acknowledged: the outbox. */
export const UNACKED_STATUSES: readonly RecommendationStatus[] = ['approved', 'resized'];
/** With an order at execution that may still change. */
export const ORDER_STATUSES: readonly RecommendationStatus[] = ['submitted', 'partially_filled'];

export function isStatus(x: unknown): x is RecommendationStatus {
  return typeof x === 'string' && (STATUSES as readonly string[]).includes(x);
}

export function canTransition(from: RecommendationStatus, to: RecommendationStatus): boolean {
  return NEXT[from].includes(to);
}

export function nextStatuses(from: RecommendationStatus): readonly RecommendationStatus[] {
  return NEXT[from];
}

export function isTerminal(s: RecommendationStatus): boolean {
  return NEXT[s].length === 0;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: RecommendationStatus,
    readonly to: RecommendationStatus,
  ) {
    super(`illegal recommendation transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Throws IllegalTransitionError unless `from → to` is an edge of the lifecycle. */
export function assertTransition(from: RecommendationStatus, to: RecommendationStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
