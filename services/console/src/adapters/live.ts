/**
 * Live updates for the browser: one set of bus subscriptions per process, fanned out to every
 * connected page as Server-Sent Events. A page that cannot keep up (its socket buffer grows past a
 * bound) is disconnected rather than buffered without end; the page reconnects and reloads.
 */
import type { Response } from 'express';
import { CHANNELS, FEED_CHANNELS, TRADING_CHANNELS, type Bus, type Logger, type Subscription } from '@cte/shared';

/** Bus channel (pattern) → SSE event name. */
export const LIVE_CHANNELS: ReadonlyArray<{ channel: string; event: string }> = [
  { channel: 'data.ticks.*', event: 'tick' },
  { channel: 'data.bars.*', event: 'bar' },
  { channel: CHANNELS.signalsConsensus, event: 'consensus' },
  { channel: CHANNELS.alerts, event: 'alert' },
  { channel: TRADING_CHANNELS.orders, event: 'order' },
  { channel: TRADING_CHANNELS.tradingState, event: 'trading_state' },
  { channel: FEED_CHANNELS.status, event: 'feed_status' },
];

const MAX_EVENT_BYTES = 16 * 1024;
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class LiveHub {
  private readonly clients = new Set<Response>();
  private subs: Subscription[] = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Pick<Bus, 'subscribe'>,
    private readonly logger: Logger,
    private readonly maxClients: number,
  ) {}

  async start(heartbeatMs = 15_000): Promise<void> {
    for (const { channel, event } of LIVE_CHANNELS) {
      this.subs.push(await this.bus.subscribe<unknown>(channel, (env) => this.broadcast(event, { data: env.data, trace_id: env.trace_id, ts: env.ts })));
    }
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Turns `res` into an event stream; false when the process is at its connection limit. */
  attach(res: Response): boolean {
    if (this.clients.size >= this.maxClients) return false;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }

  broadcast(event: string, payload: unknown): void {
    const json = JSON.stringify(payload);
    if (json === undefined || json.length > MAX_EVENT_BYTES) return;
    this.writeAll(`event: ${event}\ndata: ${json}\n\n`);
  }

  private writeAll(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.logger.warn({ buffered: res.writableLength }, 'live client too slow; disconnecting it');
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  /** Ends every stream (shutdown) and drops the subscriptions. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
    const subs = this.subs;
    this.subs = [];
    await Promise.allSettled(subs.map((s) => s.unsubscribe()));
  }
}
