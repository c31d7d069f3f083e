import type { FeedEvent } from './types';

/**
 * A time-ordered run of events that may be produced on demand (bar markets and synthetic
 * markets generate theirs, so thousands of markets do not hold every event in memory).
 */
export interface EventSeries {
  readonly length: number;
  /** Time of event `i`, non-decreasing in `i`. */
  ts(i: number): number;
  /** Event `i`, with time `ts(i)`. */
  event(i: number): FeedEvent;
  /** Lowest and highest trade id in the series (undefined: no trades). */
  readonly tradeIds: { lo: number; hi: number } | undefined;
  /** Laps of a looping replay are a multiple of this (ms), so bar boundaries stay aligned. */
  readonly alignMs?: number;
}

/** Where a capture is moved in time: its first event at the replay start, or its last event at it. */
export type RebaseMode = 'start' | 'end';

/** Events held in memory (a parsed capture), optionally moved by `offsetMs`. */
export function arraySeries(events: readonly FeedEvent[], offsetMs = 0): EventSeries {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as FeedEvent;
    if (i > 0 && e.ts < (events[i - 1] as FeedEvent).ts) throw new Error('events must be sorted by ts');
    if (e.kind !== 'trade') continue;
    lo = Math.min(lo, e.id);
    hi = Math.max(hi, e.id);
  }
  return {
    length: events.length,
    ts: (i) => (events[i] as FeedEvent).ts + offsetMs,
    event: (i) => {
      const e = events[i] as FeedEvent;
      return offsetMs === 0 ? e : { ...e, ts: e.ts + offsetMs };
    },
    tradeIds: hi < lo ? undefined : { lo, hi },
  };
}

/** `s` moved by `offsetMs`. */
export function shiftSeries(s: EventSeries, offsetMs: number): EventSeries {
  if (offsetMs === 0) return s;
  return {
    length: s.length,
    ts: (i) => s.ts(i) + offsetMs,
    event: (i) => ({ ...s.event(i), ts: s.ts(i) + offsetMs }),
    tradeIds: s.tradeIds,
    ...(s.alignMs !== undefined ? { alignMs: s.alignMs } : {}),
  };
}

/**
 * The offset that moves a series spanning [first, last] so that its first (`start`) or last
 * (`end`) event happens at `at`, rounded down to a multiple of `alignMs` (bar boundaries stay on
 * the venue's candle boundaries; with `end` every event stays at or before `at`).
 */
export function rebaseOffset(first: number, last: number, at: number, mode: RebaseMode, alignMs = 1): number {
  const raw = at - (mode === 'start' ? first : last);
  return Math.floor(raw / alignMs) * alignMs;
}

/**
 * Walks several series merged in time order (ties: series order, then event order) at a
 * speed. Time is passed in (no wall clock here): `advanceTo(t)` returns the events due. When
 * looping, each series starts over on its own when it ends, moved forward by its own span (a
 * multiple of its `alignMs`) and its trade ids by its own id span: a short capture keeps playing
 * next to a long one, and no market ever repeats a trade id or goes back in time.
 */
export class Replayer {
  private readonly series: readonly EventSeries[];
  private readonly cursor: number[];
  private readonly laps: number[];
  private readonly spans: number[];
  private readonly idSpans: number[];
  /** Min-heap of series indices with events left, keyed by (next rebased ts, index). */
  private readonly heap: number[] = [];
  private taken = 0;
  /** Events in one lap of every series. */
  readonly total: number;
  /** Time of the first and of the last event of the first lap (undefined: no events). */
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;

  /** Either one sorted event list moved by `offsetMs`, or several series (already moved). */
  constructor(source: readonly FeedEvent[] | readonly EventSeries[], offsetMs = 0, private readonly loop = false) {
    const isEvents = source.length > 0 && 'kind' in (source[0] as object);
    this.series = isEvents ? [arraySeries(source as readonly FeedEvent[], offsetMs)] : (source as readonly EventSeries[]).filter((s) => s.length > 0);
    this.cursor = this.series.map(() => 0);
    this.laps = this.series.map(() => 0);
    this.total = this.series.reduce((n, s) => n + s.length, 0);
    this.spans = this.series.map((s) => {
      const align = s.alignMs !== undefined && s.alignMs > 1 ? s.alignMs : 1;
      return Math.ceil((s.ts(s.length - 1) - s.ts(0) + 1000) / align) * align;
    });
    this.idSpans = this.series.map((s) => (s.tradeIds ? s.tradeIds.hi - s.tradeIds.lo + 1 : 0));
    this.firstTs = this.total > 0 ? Math.min(...this.series.map((s) => s.ts(0))) : undefined;
    this.lastTs = this.total > 0 ? Math.max(...this.series.map((s) => s.ts(s.length - 1))) : undefined;
    this.series.forEach((_, k) => this.push(k));
  }

  /** True once a non-looping replay has handed out every event. */
  get exhausted(): boolean {
    return !this.loop && this.heap.length === 0;
  }

  get replayed(): number {
    return this.taken;
  }

  /** Laps every series has completed. */
  get lap(): number {
    return this.laps.length === 0 ? 0 : Math.min(...this.laps);
  }

  /** Rebased time of the next event, or undefined when there is none. */
  nextTs(): number | undefined {
    const k = this.heap[0];
    return k === undefined ? undefined : this.keyOf(k);
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

  private keyOf(k: number): number {
    return (this.series[k] as EventSeries).ts(this.cursor[k] as number) + (this.laps[k] as number) * (this.spans[k] as number);
  }

  private take(): FeedEvent {
    const k = this.pop();
    const s = this.series[k] as EventSeries;
    const i = this.cursor[k] as number;
    const lap = this.laps[k] as number;
    const e = s.event(i);
    this.taken += 1;
    if (i + 1 < s.length) {
      this.cursor[k] = i + 1;
      this.push(k);
    } else if (this.loop) {
      this.cursor[k] = 0;
      this.laps[k] = lap + 1;
      this.push(k);
    } else this.cursor[k] = i + 1;
    if (lap === 0) return e;
    const ts = e.ts + lap * (this.spans[k] as number);
    return e.kind === 'trade' ? { ...e, ts, id: e.id + lap * (this.idSpans[k] as number) } : { ...e, ts };
  }

  private less(a: number, b: number): boolean {
    const ta = this.keyOf(a);
    const tb = this.keyOf(b);
    return ta < tb || (ta === tb && a < b);
  }

  private push(k: number): void {
    const h = this.heap;
    h.push(k);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as number, h[p] as number)) break;
      [h[i], h[p]] = [h[p] as number, h[i] as number];
      i = p;
    }
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l] as number, h[m] as number)) m = l;
        if (r < h.length && this.less(h[r] as number, h[m] as number)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as number, h[i] as number];
        i = m;
      }
    }
    return top;
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
