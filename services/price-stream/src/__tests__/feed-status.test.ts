/** When feed statuses are published (FeedStatusTracker): every transition at once, every feed each interval. */
import { parseFeedStatusMessage } from '@cte/shared';
import { feedCheckPeriodMs, FeedStatusTracker } from '../engine/feed-status';
import { FeedHealth } from '../engine/live-feed';

const T0 = 1_700_000_000_000;

function feeds(): [FeedHealth, FeedHealth] {
  return [new FeedHealth('coinbase', 'BTC/USD', 'BTC/USD', T0), new FeedHealth('kucoin', 'BTC/USD', 'BTC/USDT', T0)];
}

describe('FeedStatusTracker', () => {
  it('publishes every feed on the first round, live, with no transition', () => {
    const t = new FeedStatusTracker(1000, 5000);
    const r = t.round(feeds(), T0 + 10);
    expect(r.transitions).toEqual([]);
    expect(r.statuses).toEqual([
      { exchange: 'coinbase', symbol: 'BTC/USD', stale: false, last_message_ms: null, age_ms: 10, threshold_ms: 1000, interval_ms: 5000, ts: T0 + 10 },
      { exchange: 'kucoin', symbol: 'BTC/USD', stale: false, last_message_ms: null, age_ms: 10, threshold_ms: 1000, interval_ms: 5000, ts: T0 + 10 },
    ]);
    // What it publishes passes the receivers' validation.
    for (const s of r.statuses) expect(parseFeedStatusMessage(s)).toEqual(s);
  });

  it('publishes a transition at once, only for the feed that changed, and again when data resumes', () => {
    const [a, b] = feeds();
    const t = new FeedStatusTracker(1000, 5000);
    t.round([a, b], T0);
    b.lastMessageMs = T0 + 900;
    expect(t.round([a, b], T0 + 1000)).toEqual({ statuses: [], transitions: [] });
    const stalled = t.round([a, b], T0 + 1001);
    expect(stalled.transitions).toEqual([{ exchange: 'coinbase', symbol: 'BTC/USD', to: 'stale', ageMs: 1001 }]);
    expect(stalled.statuses).toEqual([expect.objectContaining({ exchange: 'coinbase', stale: true, age_ms: 1001 })]);
    expect(t.staleCount()).toBe(1);
    expect(t.round([a, b], T0 + 1500).statuses).toEqual([]);
    a.lastMessageMs = T0 + 1600;
    const resumed = t.round([a, b], T0 + 1700);
    expect(resumed.transitions).toEqual([{ exchange: 'coinbase', symbol: 'BTC/USD', to: 'live', ageMs: 100 }]);
    expect(resumed.statuses).toEqual([expect.objectContaining({ exchange: 'coinbase', stale: false, last_message_ms: T0 + 1600, age_ms: 100 })]);
    expect(t.staleCount()).toBe(0);
  });

  it('re-sends every feed each interval, stale or live', () => {
    const [a, b] = feeds();
    const t = new FeedStatusTracker(1000, 5000);
    t.round([a, b], T0);
    b.lastMessageMs = T0 + 4500;
    expect(t.round([a, b], T0 + 4999).statuses.map((s) => s.exchange)).toEqual(['coinbase']);
    const full = t.round([a, b], T0 + 5000);
    expect(full.transitions).toEqual([]);
    expect(full.statuses.map((s) => [s.exchange, s.stale])).toEqual([
      ['coinbase', true],
      ['kucoin', false],
    ]);
    b.lastMessageMs = T0 + 9500;
    expect(t.round([a, b], T0 + 9999).statuses).toEqual([]);
    expect(t.round([a, b], T0 + 10_000).statuses).toHaveLength(2);
  });

  it('refuses a zero threshold or interval; looks often enough to see a stall within a tenth of the threshold (50 ms..1 s)', () => {
    expect(() => new FeedStatusTracker(0, 5000)).toThrow(RangeError);
    expect(() => new FeedStatusTracker(1000, 0)).toThrow(RangeError);
    expect([feedCheckPeriodMs(100), feedCheckPeriodMs(3000), feedCheckPeriodMs(60_000)]).toEqual([50, 300, 1000]);
  });
});
