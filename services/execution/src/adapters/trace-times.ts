/**
 * Wall time at which recent price messages (ticks and bars) were published, by trace id (bounded,
 * oldest evicted first). An order carrying the trace id of the price message its decision came
 * from lets `cte_pipeline_latency_seconds{stage="fill"}` measure from that price message.
 */
export class TraceTimes {
  private readonly times = new Map<string, number>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(max = 20_000) {
    this.ring = new Array<string | undefined>(max);
  }

  note(traceId: string, wallMs: number): void {
    if (this.times.has(traceId)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.times.delete(old);
    this.ring[this.next] = traceId;
    this.next = (this.next + 1) % this.ring.length;
    this.times.set(traceId, wallMs);
  }

  get(traceId: string): number | undefined {
    return this.times.get(traceId);
  }
}
