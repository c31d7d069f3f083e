import type { FeedEvent } from './types';

/**
 * Walks a capture in time order at a speed, looping when it ends. Time is passed in (no wall
 * clock here): `advanceTo(captureTimeNow)` returns the events due. Each lap shifts timestamps by
 * the capture's span and trade ids by their span, so a looping feed never repeats a trade id or
 * goes back in time.
 */
export class Replayer {
  private index = 0;
  private lap = 0;
  private readonly span: number;
  private readonly idSpan: number;
  readonly firstTs: number;

  constructor(
    private readonly events: readonly FeedEvent[],
    /** Added to every capture timestamp (rebases the capture to the present). */
    private readonly offsetMs: number,
    private readonly loop: boolean,
  ) {
    for (let i = 1; i < events.length; i++) {
      if ((events[i] as FeedEvent).ts < (events[i - 1] as FeedEvent).ts) throw new Error('events must be sorted by ts');
    }
    this.firstTs = events[0]?.ts ?? 0;
    const lastTs = events[events.length - 1]?.ts ?? 0;
    this.span = lastTs - this.firstTs + 1000;
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of events) {
      if (e.kind !== 'trade') continue;
      lo = Math.min(lo, e.id);
      hi = Math.max(hi, e.id);
    }
    this.idSpan = hi < lo ? 0 : hi - lo + 1;
  }

  get exhausted(): boolean {
    return !this.loop && this.index >= this.events.length;
  }

  get replayed(): number {
    return this.lap * this.events.length + this.index;
  }

  /** Rebased time of the next event, or undefined when there is none. */
  nextTs(): number | undefined {
    if (this.events.length === 0 || this.exhausted) return undefined;
    const e = this.events[this.index % this.events.length] as FeedEvent;
    return e.ts + this.offsetMs + this.lap * this.span;
  }

  /** Events with rebased time <= `t`, rebased. At most `max` per call. */
  advanceTo(t: number, max = 10_000): FeedEvent[] {
    const out: FeedEvent[] = [];
    while (out.length < max) {
      const next = this.nextTs();
      if (next === undefined || next > t) break;
      out.push(this.take());
    }
    return out;
  }

  /** The next `n` events regardless of time (manual stepping). */
  step(n: number): FeedEvent[] {
    const out: FeedEvent[] = [];
    while (out.length < n && this.nextTs() !== undefined) out.push(this.take());
    return out;
  }

  private take(): FeedEvent {
    const e = this.events[this.index] as FeedEvent;
    const lap = this.lap;
    this.index += 1;
    if (this.index >= this.events.length && this.loop) {
      this.index = 0;
      this.lap += 1;
    }
    const ts = e.ts + this.offsetMs + lap * this.span;
    return e.kind === 'trade' ? { ...e, ts, id: e.id + lap * this.idSpan } : { ...e, ts };
  }
}

/** Maps wall time to capture time: `speed` capture ms per wall ms from an anchor. */
export class ReplayClock {
  constructor(
    private readonly wallStart: number,
    private readonly captureStart: number,
    private readonly speed: number,
  ) {
    if (!(speed > 0)) throw new Error('speed must be > 0');
  }

  captureTimeAt(wallNow: number): number {
    return this.captureStart + (wallNow - this.wallStart) * this.speed;
  }

  wallTimeOf(captureTs: number): number {
    return this.wallStart + (captureTs - this.captureStart) / this.speed;
  }
}

/**
 * One timeline from several captures: each source is shifted so its first event happens at
 * `start`, then all are merged in time order (stable, so same-time events keep file order).
 */
export function rebaseAndMerge(sources: readonly (readonly FeedEvent[])[], start: number): FeedEvent[] {
  const out: FeedEvent[] = [];
  for (const events of sources) {
    const first = events[0]?.ts;
    if (first === undefined) continue;
    for (const e of events) out.push({ ...e, ts: e.ts - first + start });
  }
  return out.sort((a, b) => a.ts - b.ts);
}
