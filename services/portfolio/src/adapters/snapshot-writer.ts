/**
 * The equity curve: every SNAPSHOT_INTERVAL_MS (wall clock), when anything changed since the last
 * one (a fill or a price), one row in `portfolio_snapshots`, and the peak / start-of-day watermarks
 * in `portfolio_state`, in one transaction. A last snapshot is written at shutdown. A failed write
 * is counted and logged; the next interval tries again.
 */
import type { Logger } from '@cte/shared';
import type { Portfolio } from '../engine/portfolio';
import { fmt } from '../engine/money';
import type { PortfolioMetrics } from './metrics';
import type { PortfolioRepository, SnapshotRow } from './repository';
import type { Serial } from './serial';

export interface SnapshotWriterOptions {
  portfolio: Portfolio;
  repo: Pick<PortfolioRepository, 'insertSnapshot'>;
  serial: Serial;
  intervalMs: number;
  metrics: PortfolioMetrics;
  logger: Logger;
  now?: () => number;
}

export function snapshotRow(portfolio: Portfolio, ts: number): SnapshotRow {
  const v = portfolio.valuation();
  return {
    ts,
    data_ts: v.dataTs,
    equity: fmt(v.equity),
    cash: fmt(v.cash),
    realized_pnl: fmt(v.realized),
    unrealized_pnl: fmt(v.unrealized),
    fees: fmt(v.fees),
    gross_exposure: fmt(v.grossExposure),
    net_exposure: fmt(v.netExposure),
    peak_equity: fmt(v.peak),
    drawdown_ratio: fmt(v.drawdown),
    start_of_day_equity: v.startOfDayEquity === null ? null : fmt(v.startOfDayEquity),
    daily_pnl: fmt(v.dailyPnl),
    open_positions: v.openPositions,
    fills_applied: v.seq,
  };
}

export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SnapshotWriterOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.writeIfChanged(), this.o.intervalMs);
    this.timer.unref();
  }

  /** Writes a snapshot when anything changed since the last one. Never rejects. */
  writeIfChanged(): Promise<void> {
    if (this.running) return this.running;
    if (this.o.portfolio.version === this.lastVersion) return Promise.resolve();
    this.running = this.o.serial
      .run(async () => {
        const version = this.o.portfolio.version;
        if (version === this.lastVersion) return;
        const row = snapshotRow(this.o.portfolio, this.now());
        await this.o.repo.insertSnapshot(row, this.o.portfolio.watermarks());
        this.lastVersion = version;
      })
      .catch((err: unknown) => {
        this.o.metrics.snapshotFailures.inc();
        this.o.logger.warn({ err: (err as Error).message }, 'equity snapshot could not be written; retrying next interval');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the timer and writes a last snapshot (shutdown, after the fills consumer stopped). */
  async drain(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.writeIfChanged();
  }
}
