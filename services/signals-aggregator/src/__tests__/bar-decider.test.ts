/**
 * Issue 13: one consensus decision per (symbol, timeframe, bar), a function of the bars' signals
 * alone. The same signals fed in any arrival order and interleaved with prices at any point give
 * the same decisions; a late signal never reaches a decision.
 */
import type { SignalMessage } from '@cte/shared';
import { BarDecider, type BarDeciderOptions, type ReadyBar } from '../engine/bar-decider';
import { ConsensusEngine, type BarConsensus } from '../engine/consensus-engine';
import { MIN, T0, sig } from './helpers/signals';

const AGENTS = ['agent_a', 'agent_b', 'agent_c'] as const;
const SIDES = ['BUY', 'SELL', 'HOLD'] as const;

/** Deterministic pseudo-random numbers (mulberry32), so every run checks the same orders. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 3 sources × `bars` 1m bars of BTC/USD, sides and confidences varying by bar. */
function barsOfSignals(bars: number): SignalMessage[] {
  const out: SignalMessage[] = [];
  const r = rng(7);
  for (let b = 0; b < bars; b++) {
    const price = String(100 + b);
    for (const agent of AGENTS) {
      out.push(
        sig({
          id: `s-${b}-${agent}`,
          agent_id: agent,
          source_type: agent === 'agent_c' ? 'trend_follower' : 'ml_model',
          side: SIDES[Math.floor(r() * 3)]!,
          confidence: Math.round(r() * 100) / 100,
          price,
          bar_time: T0 + b * MIN,
          created_at: T0 + (b + 1) * MIN,
          trace_id: `trace-bar-${String(b).padStart(4, '0')}`,
        }),
      );
    }
  }
  return out;
}

/**
 * Arrival order: each source publishes its bars in order, but the sources interleave at random,
 * so one source may run any number of bars ahead of another (as the ML model runs ahead of the
 * slower strategy agents in the demo).
 */
function interleave(signals: readonly SignalMessage[], seed: number): SignalMessage[] {
  const r = rng(seed);
  const queues = AGENTS.map((a) => signals.filter((s) => s.agent_id === a));
  const out: SignalMessage[] = [];
  while (queues.some((q) => q.length > 0)) {
    const heads = queues.filter((q) => q.length > 0);
    out.push(heads[Math.floor(r() * heads.length)]!.shift()!);
  }
  return out;
}

const engine = () => new ConsensusEngine({ halfLifeMs: 15 * MIN, maxAgeMs: 60 * MIN, minQuorum: 2, minAgreement: 0.6, baseWeights: { ml_model: 1.5 }, symbols: ['BTC/USD'] });

/** The fleet's path in one process: signals (and prices, at `pricesAt`) in, decisions out. */
function run(arrivals: readonly SignalMessage[], opts: BarDeciderOptions = {}, pricesAhead = 0): { decisions: BarConsensus[]; late: string[] } {
  const e = engine();
  const d = new BarDecider(opts);
  const decisions: BarConsensus[] = [];
  const late: string[] = [];
  const decide = (ready: ReadyBar[]) => {
    for (const bar of ready) decisions.push(e.decide(bar).consensus);
  };
  for (const s of arrivals) {
    // Prices racing ahead of the signals (pub/sub) must change nothing.
    if (pricesAhead > 0) decide(d.onPrice(s.symbol, s.bar_time + pricesAhead * MIN));
    if (pricesAhead > 0) e.onPrice(s.symbol, '1', s.bar_time + pricesAhead * MIN, false);
    e.track(s);
    const r = d.add(s);
    if (r.status === 'late') late.push(s.id);
    decide(r.ready);
  }
  decide(d.flush());
  return { decisions, late };
}

/** What a decision is, without the fields that name no data (none today; keeps the comparison explicit). */
const essence = (c: BarConsensus) => ({ bar: c.bar_time, tf: c.timeframe, side: c.side, confidence: c.confidence, agreement: c.agreement, ids: c.signal_ids, price: c.price, ts: c.ts, reason: c.reason });

describe('BarDecider + ConsensusEngine.decide', () => {
  const signals = barsOfSignals(40);

  it('the same signals in 25 different interleavings give the same decisions, one per bar, none late', () => {
    const reference = run(signals, { expectedSources: 3 });
    expect(reference.late).toEqual([]);
    expect(reference.decisions.map((c) => c.bar_time)).toEqual(Array.from({ length: 40 }, (_, b) => T0 + b * MIN));
    expect(new Set(reference.decisions.map((c) => c.side)).size).toBeGreaterThan(1);
    for (let seed = 1; seed <= 25; seed++) {
      const arrivals = interleave(signals, seed);
      expect(arrivals.map((s) => s.id)).not.toEqual(signals.map((s) => s.id));
      const got = run(arrivals, { expectedSources: 3 });
      expect(got.late).toEqual([]);
      expect(got.decisions.map(essence)).toEqual(reference.decisions.map(essence));
    }
  });

  it('learning the expected sources from the data gives the same decisions as configuring them', () => {
    const configured = run(signals, { expectedSources: 3 });
    // The sources start together (their first bar arrives first), then run at any relative pace:
    // a source the aggregator has never heard of cannot be waited for.
    const firstBar = signals.filter((s) => s.bar_time === T0);
    for (let seed = 100; seed < 110; seed++) {
      const learned = run([...firstBar, ...interleave(signals.filter((s) => s.bar_time !== T0), seed)], {});
      expect(learned.late).toEqual([]);
      expect(learned.decisions.map(essence)).toEqual(configured.decisions.map(essence));
    }
    // The first bar of a series has nothing to learn from: it waits for the next bar.
    const d = new BarDecider();
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 })).ready).toEqual([]);
    // Once a source moves past it, it is complete; the next bar is complete as soon as the
    // sources learned on the first have reported.
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 + MIN })).ready.map((b) => [b.barTime, b.reason])).toEqual([
      [T0, 'complete'],
      [T0 + MIN, 'complete'],
    ]);
  });

  it('prices running ahead of the signals change no decision (no "stale" drops in data time)', () => {
    const reference = run(signals, { expectedSources: 3 });
    const racing = run(interleave(signals, 3), { expectedSources: 3 }, 5);
    expect(racing.late).toEqual([]);
    expect(racing.decisions.map(essence)).toEqual(reference.decisions.map(essence));
  });

  it('each decision is as of its bar close, priced at the bar, and counts only decided bars', () => {
    const { decisions } = run(signals, { expectedSources: 3 });
    decisions.forEach((c, b) => {
      expect(c.ts).toBe(T0 + (b + 1) * MIN);
      expect(c.price).toBe(String(100 + b));
      expect(c.signal_ids.every((id) => Number(/^s-(\d+)-/.exec(id)![1]) <= b)).toBe(true);
    });
  });

  it('a signal for a decided bar is late: counted, never decided on, and never a second decision of its bar', () => {
    const d = new BarDecider({ expectedSources: 2 });
    const a0 = sig({ agent_id: 'agent_a', bar_time: T0 });
    const b0 = sig({ agent_id: 'agent_b', bar_time: T0, side: 'SELL' });
    expect(d.add(a0)).toEqual({ status: 'pending', ready: [] });
    const r = d.add(b0);
    expect(r.ready).toHaveLength(1);
    expect(r.ready[0]).toMatchObject({ barTime: T0, reason: 'complete' });
    expect(r.ready[0]!.signals.map((s) => s.agent_id)).toEqual(['agent_a', 'agent_b']);
    // A third source, late for T0: recorded by the caller, no decision, and not carried to T0+1.
    const c0 = sig({ agent_id: 'agent_c', bar_time: T0, side: 'SELL' });
    expect(d.add(c0)).toEqual({ status: 'late', ready: [] });
    expect(d.isLate(c0)).toBe(true);
    const next = d.add(sig({ agent_id: 'agent_a', bar_time: T0 + MIN }));
    expect(next.ready).toEqual([]);
    const done = d.add(sig({ agent_id: 'agent_b', bar_time: T0 + MIN }));
    expect(done.ready.map((b) => [b.barTime, b.signals.map((s) => s.agent_id)])).toEqual([[T0 + MIN, ['agent_a', 'agent_b']]]);
  });

  it('a source moving past a bar completes it for that source; a silent source holds it until the deadline', () => {
    const d = new BarDecider({ expectedSources: 2 });
    d.add(sig({ agent_id: 'agent_a', bar_time: T0 }));
    // agent_b skips T0: its first signal is for T0+1, so T0 has all it will get.
    expect(d.add(sig({ agent_id: 'agent_b', bar_time: T0 + MIN })).ready.map((b) => [b.barTime, b.reason])).toEqual([[T0, 'complete']]);
    // agent_a moves past T0+1, which agent_b reported: complete.
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 + 2 * MIN })).ready.map((b) => [b.barTime, b.reason])).toEqual([[T0 + MIN, 'complete']]);
    // agent_b silent from here: agent_a runs ahead, nothing is decided without a deadline.
    for (let b = 3; b < 6; b++) expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 + b * MIN })).ready).toEqual([]);
    expect(d.pendingBars()).toBe(4);
  });

  it('with CONSENSUS_DEADLINE_BARS, an incomplete bar is decided when a newer bar starts (superseded), in bar order', () => {
    const d = new BarDecider({ expectedSources: 2, deadlineBars: 1 });
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 })).ready).toEqual([]);
    const r = d.add(sig({ agent_id: 'agent_a', bar_time: T0 + MIN }));
    expect(r.ready.map((b) => [b.barTime, b.reason])).toEqual([[T0, 'superseded']]);
    expect(d.pendingBars()).toBe(1);
  });

  it('with a price deadline, a bar is decided once the price data time passes its close + grace; without one, prices decide nothing', () => {
    const off = new BarDecider({ expectedSources: 2 });
    off.add(sig({ agent_id: 'agent_a', bar_time: T0 }));
    expect(off.onPrice('BTC/USD', T0 + 100 * MIN)).toEqual([]);
    const on = new BarDecider({ expectedSources: 2, graceMs: 30_000 });
    on.add(sig({ agent_id: 'agent_a', bar_time: T0 }));
    expect(on.onPrice('BTC/USD', T0 + MIN + 29_999)).toEqual([]);
    expect(on.onPrice('BTC/USD', T0 + MIN + 30_000).map((b) => [b.barTime, b.reason])).toEqual([[T0, 'deadline']]);
  });

  it('a repeated source on a bar keeps its newest signal whatever the arrival order', () => {
    const older = sig({ id: 'rep-1', agent_id: 'agent_a', side: 'BUY', created_at: T0 + MIN });
    const newer = sig({ id: 'rep-2', agent_id: 'agent_a', side: 'SELL', created_at: T0 + MIN + 1 });
    for (const order of [[older, newer], [newer, older]]) {
      const d = new BarDecider({ expectedSources: 1 });
      const first = d.add(order[0]!);
      expect(first.ready).toHaveLength(1);
      expect(first.ready[0]!.signals[0]!.id).toBe(order[0]!.id);
      // Decided as soon as complete: the second is late either way; with two sources expected
      // the newest wins whatever the order.
      const d2 = new BarDecider({ expectedSources: 2 });
      d2.add(order[0]!);
      d2.add(order[1]!);
      const r = d2.add(sig({ agent_id: 'agent_b' }));
      expect(r.ready[0]!.signals.find((s) => s.agent_id === 'agent_a')!.id).toBe('rep-2');
    }
  });

  it('after a data gap longer than the learn window, a late source is expected again from its late signal on', () => {
    const d = new BarDecider({ learnWindowBars: 2 });
    const both = (b: number): ReadyBar[] => [...d.add(sig({ agent_id: 'agent_a', bar_time: T0 + b * MIN })).ready, ...d.add(sig({ agent_id: 'agent_b', bar_time: T0 + b * MIN })).ready];
    for (let b = 0; b < 3; b++) both(b);
    // A gap of 10 bars: agent_a's first bar after it is decided alone (agent_b fell out of the window)...
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 + 13 * MIN })).ready.map((b) => [b.barTime, b.reason])).toEqual([[T0 + 13 * MIN, 'complete']]);
    // ...so agent_b's signal for that bar is late, but it shows agent_b reports again.
    expect(d.add(sig({ agent_id: 'agent_b', bar_time: T0 + 13 * MIN })).status).toBe('late');
    // The next bar waits for agent_b and is decided with both sources.
    expect(d.add(sig({ agent_id: 'agent_a', bar_time: T0 + 14 * MIN })).ready).toEqual([]);
    const r = d.add(sig({ agent_id: 'agent_b', bar_time: T0 + 14 * MIN }));
    expect(r.status).toBe('pending');
    expect(r.ready.map((b) => [b.barTime, b.reason, b.signals.map((s) => s.agent_id)])).toEqual([[T0 + 14 * MIN, 'complete', ['agent_a', 'agent_b']]]);
  });

  it('rejects bad options', () => {
    expect(() => new BarDecider({ expectedSources: -1 })).toThrow(RangeError);
    expect(() => new BarDecider({ deadlineBars: -1 })).toThrow(RangeError);
    expect(() => new BarDecider({ maxPendingBars: 0 })).toThrow(RangeError);
    expect(() => new BarDecider({ learnWindowBars: 0 })).toThrow(RangeError);
    expect(() => new BarDecider({ graceMs: -1 })).toThrow(RangeError);
  });
});
