/**
 * Publishing user events with the armed user-stream faults applied (shared by the Coinbase and
 * KuCoin private sides, the same semantics as Binance.US): a dropped stream (the event is lost
 * to it), a trade delivered twice, or a trade delivered after the event that followed it.
 */
import type { FaultBook } from '../../engine/faults';
import type { UserEvent } from '../../engine/private/types';
import type { VenueId } from '../../engine/types';
import type { EmulatorMetrics } from '../metrics';

export interface DeliveryTarget {
  venue: VenueId;
  faults: FaultBook;
  metrics: EmulatorMetrics;
  /** Open user streams of the account. */
  streams(accountId: number): number;
  /** Cuts every user stream of the account; returns how many. */
  drop(accountId: number): number;
  /** Sends one event to the account's streams. */
  publish(e: UserEvent): void;
}

export function deliverWithFaults(t: DeliveryTarget, events: readonly UserEvent[]): void {
  let held: UserEvent | undefined;
  for (const e of events) {
    const isTrade = e.kind === 'execution' && e.exec === 'TRADE';
    if (isTrade && t.streams(e.accountId) > 0) {
      const fault = t.faults.takePrivate(t.venue, ['user_stream_drop', 'fill_duplicate', 'fill_out_of_order']);
      if (fault?.kind === 'user_stream_drop') {
        t.metrics.fault(t.venue, 'user_stream_drop', t.drop(e.accountId));
        continue;
      }
      if (fault?.kind === 'fill_duplicate') {
        t.metrics.fault(t.venue, 'fill_duplicate');
        t.publish(e);
      } else if (fault?.kind === 'fill_out_of_order' && !held) {
        t.metrics.fault(t.venue, 'fill_out_of_order');
        held = e;
        continue;
      }
    }
    t.publish(e);
    if (held && held !== e) {
      t.publish(held);
      held = undefined;
    }
  }
  if (held) t.publish(held);
}
