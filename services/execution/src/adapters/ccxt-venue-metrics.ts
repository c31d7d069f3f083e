import { Counter, type Registry } from 'prom-client';

/** Metrics of the live venues. Labels are fixed words only: no error text, so no secret, can reach /metrics. */
export interface CcxtVenueMetrics {
  /** Venue calls by outcome: ok, rejected, not_found, duplicate, ambiguous. */
  calls: Counter<'venue' | 'call' | 'outcome'>;
  rejectedLocally: Counter<'venue'>;
  unresolved: Counter<'venue'>;
  streamReconnects: Counter<'venue'>;
  reconciledFills: Counter<'venue'>;
  /** Order statuses handed to execution, by source (stream, rest). */
  orderUpdates: Counter<'venue' | 'status' | 'source'>;
}

export function createCcxtVenueMetrics(registry: Registry, venues: readonly string[]): CcxtVenueMetrics {
  const m: CcxtVenueMetrics = {
    calls: new Counter({
      name: 'cte_venue_calls_total',
      help: 'Live venue REST calls by outcome: ok, rejected (final), not_found, duplicate, ambiguous (timeout, reset, 5xx: looked up before anything else).',
      labelNames: ['venue', 'call', 'outcome'],
      registers: [registry],
    }),
    rejectedLocally: new Counter({ name: 'cte_venue_orders_rejected_locally_total', help: "Orders rejected before sending because they break the venue's market rules (lot step, min/max quantity, price tick, min notional).", labelNames: ['venue'], registers: [registry] }),
    unresolved: new Counter({ name: 'cte_venue_orders_unresolved_total', help: 'Orders whose submission stayed ambiguous after every lookup by client order id (kept open, looked up again later).', labelNames: ['venue'], registers: [registry] }),
    streamReconnects: new Counter({ name: 'cte_venue_stream_reconnects_total', help: 'User data stream losses (each followed by a reconnect and a REST reconciliation of open orders).', labelNames: ['venue'], registers: [registry] }),
    reconciledFills: new Counter({ name: 'cte_venue_reconciled_fills_total', help: 'Fills found over REST (after a reconnect, periodically) that the user data stream had not delivered.', labelNames: ['venue'], registers: [registry] }),
    orderUpdates: new Counter({
      name: 'cte_venue_order_updates_total',
      help: 'Order statuses a live venue reported to execution (each change once per order), by source: stream (user data stream) or rest (reconciliation).',
      labelNames: ['venue', 'status', 'source'],
      registers: [registry],
    }),
  };
  for (const venue of venues) {
    m.rejectedLocally.inc({ venue }, 0);
    m.unresolved.inc({ venue }, 0);
    m.streamReconnects.inc({ venue }, 0);
    m.reconciledFills.inc({ venue }, 0);
  }
  return m;
}

/**
 * cte_execution_venue_order_updates_total: order statuses reported by the venues (user stream,
 * REST reconciliation) by outcome in execution: applied, ignored (nothing to change), stale (the
 * order was already final), unknown_order, failed. For ExecutionServiceOptions.venueUpdates.
 */
export function createVenueUpdateMetrics(registry: Registry): Counter<'venue' | 'status' | 'outcome'> {
  return new Counter({
    name: 'cte_execution_venue_order_updates_total',
    help: 'Order statuses reported by the venue (user stream or REST reconciliation) by outcome: applied (the order changed), ignored (nothing to change, e.g. a repeat or a fill status), stale (the order was already final), unknown_order, failed.',
    labelNames: ['venue', 'status', 'outcome'],
    registers: [registry],
  });
}
