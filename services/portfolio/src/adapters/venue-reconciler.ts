/**
 * The periodic reconciliation of the ledger with the venues' balances. The balances come from
 * execution's `GetVenueBalances` (execution alone holds venue keys); in paper mode execution lists
 * no venue, so nothing is compared and no drift series exists. A fill between the two reads shows
 * as a transient drift: the alert waits for it to last (k8s/monitoring/alerts.yml).
 */
import {
  createGrpcClient,
  describeValue,
  loadProto,
  parseDecimal,
  truncateText,
  type ExecutionClient,
  type ExecutionProtoGrpcType,
  type GrpcClient,
  type Logger,
} from '@cte/shared';
import { reconcileBalances, type DriftTolerance, type VenueAssetTotal } from '../engine/reconciliation';
import type { Portfolio } from '../engine/portfolio';
import type { PortfolioMetrics, ReconcileOutcome } from './metrics';

export interface VenueBalancesReply {
  venue: string;
  balances: VenueAssetTotal[];
  /** Non-empty when execution could not read this venue. */
  error: string;
}

export interface BalanceSource {
  venueBalances(): Promise<VenueBalancesReply[]>;
}

const NAME = /^[A-Za-z0-9._-]{1,32}$/;

/** execution's GetVenueBalances, its reply validated at our boundary. */
export class ExecutionBalances implements BalanceSource {
  private readonly client: GrpcClient<ExecutionClient>;

  constructor(o: { address: string; apiKey: string; deadlineMs: number; logger: Logger }) {
    const proto = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
    this.client = createGrpcClient<ExecutionClient>(proto.cte.execution.v1.Execution, o.address, { apiKey: o.apiKey, deadlineMs: o.deadlineMs, idempotentMethods: ['GetVenueBalances'], logger: o.logger });
  }

  async venueBalances(): Promise<VenueBalancesReply[]> {
    const r = await this.client.unary('GetVenueBalances', {});
    return (r.venues ?? []).map((v) => {
      if (!NAME.test(v.venue ?? '')) throw new Error(`GetVenueBalances listed an invalid venue ${describeValue(v.venue)}`);
      const balances = (v.balances ?? []).map((b) => {
        if (!NAME.test(b.asset ?? '')) throw new Error(`GetVenueBalances listed an invalid asset on ${v.venue}`);
        const total = parseDecimal(b.total, `${v.venue} ${b.asset} total`);
        if (total.isNegative()) throw new Error(`GetVenueBalances: ${v.venue} ${b.asset} total is negative`);
        return { asset: b.asset, total: total.toFixed() };
      });
      return { venue: v.venue, balances, error: truncateText(v.error ?? '', 300) };
    });
  }

  close(): void {
    this.client.close();
  }
}

export interface VenueReconcilerOptions {
  source: BalanceSource;
  portfolio: Portfolio;
  metrics: PortfolioMetrics;
  tolerance: DriftTolerance;
  intervalMs: number;
  logger: Logger;
}

export class VenueReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileOutcome> | undefined;

  constructor(private readonly o: VenueReconcilerOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One comparison (a run already under way is joined, not doubled). */
  runOnce(): Promise<ReconcileOutcome> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ReconcileOutcome> {
    const outcome = await this.compare().catch((err: unknown) => {
      this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'venue reconciliation failed');
      return 'failed' as const;
    });
    this.o.metrics.reconciliationRuns.inc({ outcome });
    return outcome;
  }

  private async compare(): Promise<ReconcileOutcome> {
    const venues = await this.o.source.venueBalances();
    if (venues.length === 0) return 'no_venues';
    const failed = venues.filter((v) => v.error !== '');
    if (failed.length > 0) {
      // A partial sum would show the unread venue's holdings as drift: compare nothing this round.
      this.o.logger.warn({ venues: failed.map((v) => ({ venue: v.venue, error: v.error })) }, 'venue reconciliation skipped: a venue could not be read');
      return 'venue_error';
    }
    const label = venues.map((v) => v.venue).join('+');
    const drifts = reconcileBalances(this.o.portfolio.ledger.balances(), venues.map((v) => v.balances), this.o.tolerance);
    const { reconciliationDrift: gauge, reconciliationDriftRatio: ratio } = this.o.metrics;
    // Reset: an asset gone from both sides (or a venue no longer configured) leaves no stale series.
    gauge.reset();
    ratio.reset();
    for (const d of drifts) {
      gauge.set({ venue: label, asset: d.asset }, d.drift.toNumber());
      ratio.set({ venue: label, asset: d.asset }, d.relative.toNumber());
    }
    const over = drifts.filter((d) => d.exceeds);
    if (over.length === 0) return 'ok';
    this.o.logger.warn(
      { venue: label, drifts: over.map((d) => ({ asset: d.asset, ledger: d.ledger.toFixed(), venue: d.venue.toFixed(), drift: d.drift.toFixed(), relative: d.relative.toSignificantDigits(6).toFixed() })) },
      'ledger differs from the venue balances',
    );
    return 'drift';
  }

  /** Stops the timer; a run under way is not awaited (closing the client ends its call). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
