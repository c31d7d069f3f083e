import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { newTraceId, type Bar, type Bus, type Logger, type Tick } from '@cte/shared';
import type { MarketDataEngine } from '../engine/market-data-engine';
import type { Alert } from '../engine/price-monitor';
import type { BarWriter } from './bar-writer';
import { ALERTS_CHANNEL, barChannel, tickChannel } from './channels';
import { toAlertMessage, toBarMessage, toPriceMessage, type AlertMessage, type PriceMessage } from './dto/messages';
import type { PriceStreamMetrics } from './metrics';
import type { MonitorRepository } from './monitor-repository';
import type { MarketSource } from './sources/market-source';

export interface IngestOptions {
  engine: MarketDataEngine;
  source: MarketSource;
  writer: BarWriter;
  bus: Bus;
  monitors: MonitorRepository;
  metrics: PriceStreamMetrics;
  logger: Logger;
  tickConflateMs: number;
  /** How often time-based bar closes are checked, in wall ms. */
  closeCheckMs?: number;
}

/**
 * Drives the engine from the source and carries its outcomes out: closed bars to the
 * write-behind queue and the bus, conflated prices to the bus and gRPC streams,
 * alerts to MySQL, the bus and gRPC streams.
 */
export class IngestLoop {
  /** 'price' (PriceMessage) and 'alert' (AlertMessage) events for in-process streams (gRPC). */
  readonly events = new EventEmitter();
  private running: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly tickCounters = new Map<string, { inc(): void }>();

  constructor(private readonly o: IngestOptions) {
    this.events.setMaxListeners(0);
  }

  start(): void {
    const { tickConflateMs, closeCheckMs = 250 } = this.o;
    this.timers.push(setInterval(() => this.publishConflated(), tickConflateMs));
    this.timers.push(setInterval(() => this.closeDueBars(), closeCheckMs));
    this.running = this.o.source.run((tick) => this.onTick(tick)).catch((err: Error) => {
      this.o.logger.error({ err: err.message }, 'market source failed');
    });
  }

  /** Phase 1 of shutdown: no more ticks. */
  async stopIntake(): Promise<void> {
    this.o.source.stop();
    await this.running;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Phase 2: publish the last prices and wait for publishes and alert writes in flight. */
  async drain(): Promise<void> {
    this.publishConflated();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private onTick(tick: Tick): void | Promise<void> {
    this.counterFor(tick.symbol).inc();
    const { bars, alerts } = this.o.engine.onTick(tick);
    let writable = true;
    for (let i = 0; i < bars.length; i++) writable = this.onBarClosed(bars[i]!) && writable;
    if (alerts.length > 0) this.onAlerts(alerts);
    return writable ? undefined : this.o.writer.whenWritable();
  }

  private onBarClosed(bar: Bar): boolean {
    this.o.metrics.barsClosed.inc({ timeframe: bar.timeframe });
    this.track(this.publish('bar', barChannel(bar.timeframe, bar.symbol), 'bar', toBarMessage(bar)));
    return this.o.writer.enqueue(bar);
  }

  private closeDueBars(): void {
    const bars = this.o.engine.aggregator.closeDue(this.o.source.now());
    for (const bar of bars) this.onBarClosed(bar);
  }

  private publishConflated(): void {
    for (const tick of this.o.engine.conflator.drain()) {
      const msg = toPriceMessage(tick);
      this.events.emit('price', msg);
      this.track(this.publish('tick', tickChannel(tick.symbol), 'tick', msg));
    }
  }

  private onAlerts(alerts: readonly Alert[]): void {
    const messages = alerts.map((a) => toAlertMessage(a, randomUUID(), newTraceId()));
    for (const m of messages) {
      this.o.metrics.alerts.inc({ direction: m.direction });
      this.o.logger.info({ trace_id: m.trace_id, monitor_id: m.monitor_id, symbol: m.symbol, change_pct: m.change_pct }, 'price alert');
      this.events.emit('alert', m);
      this.track(this.publish('alert', ALERTS_CHANNEL, 'alert', m, m.trace_id));
    }
    this.track(this.persistAlerts(messages));
  }

  private async persistAlerts(messages: AlertMessage[]): Promise<void> {
    // Alerts are few; a failed write is retried a few times, then logged with the alert itself.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.monitors.insertAlerts(
          messages.map((m) => ({
            id: m.id,
            monitorId: m.monitor_id,
            symbol: m.symbol,
            direction: m.direction,
            changePct: m.change_pct,
            referencePrice: m.reference_price,
            price: m.price,
            windowMs: m.window_ms,
            ts: m.ts,
            traceId: m.trace_id,
          })),
        );
        return;
      } catch (err) {
        if (attempt >= 5) {
          this.o.logger.error({ err: (err as Error).message, alerts: messages }, 'alerts not persisted');
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private async publish(kind: string, channel: string, type: string, data: PriceMessage | AlertMessage | object, traceId?: string): Promise<void> {
    const end = this.o.metrics.publishSeconds.startTimer({ kind });
    try {
      await this.o.bus.publish(channel, traceId ? { type, data, trace_id: traceId } : { type, data });
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, channel }, 'publish failed');
    } finally {
      end();
    }
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private counterFor(symbol: string): { inc(): void } {
    let c = this.tickCounters.get(symbol);
    if (c === undefined) {
      c = this.o.metrics.ticksIngested.labels({ symbol });
      this.tickCounters.set(symbol, c);
    }
    return c;
  }
}
