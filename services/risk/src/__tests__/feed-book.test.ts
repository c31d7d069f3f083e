/** Feed staleness from price-stream's data.feeds: the FeedBook rule and the engine's stale_price on it. */
import type { FeedStatusMessage, Symbol } from '@cte/shared';
import { FeedBook } from '../engine/feed-book';
import { RiskEngine } from '../engine/risk-engine';
import { BTC, ctx, ETH, exposure, order } from './helpers/engine';

const T0 = 1_700_000_000_000;
const INTERVAL = 5_000;

function status(exchange: string, symbol: Symbol, stale: boolean, ts = T0): FeedStatusMessage {
  const age = stale ? 61_000 : 100;
  return { exchange, symbol, stale, last_message_ms: ts - age, age_ms: age, threshold_ms: 60_000, interval_ms: INTERVAL, ts };
}

describe('FeedBook', () => {
  it('knows nothing at start: no symbol is stale (a restart assumes nothing)', () => {
    const b = new FeedBook();
    expect(b.isStale(BTC, T0)).toBe(false);
    expect(b.staleSymbols(T0)).toEqual([]);
    expect(b.knownSymbols(T0)).toEqual([]);
  });

  it('marks a symbol stale when its only feed is stale, and clears it when a live status arrives', () => {
    const b = new FeedBook();
    b.apply(status('coinbase', BTC, true), T0);
    expect(b.isStale(BTC, T0)).toBe(true);
    expect(b.isStale(ETH, T0)).toBe(false);
    expect(b.staleSymbols(T0)).toEqual([{ symbol: BTC, exchanges: ['coinbase'], ageMs: 61_000 }]);
    b.apply(status('coinbase', BTC, false, T0 + 1000), T0 + 1000);
    expect(b.isStale(BTC, T0 + 1000)).toBe(false);
    expect(b.knownSymbols(T0 + 1000)).toEqual([BTC]);
  });

  it('a symbol is stale only while every known feed of it is stale', () => {
    const b = new FeedBook();
    b.apply(status('coinbase', BTC, true), T0);
    b.apply(status('kucoin', BTC, false), T0);
    expect(b.isStale(BTC, T0)).toBe(false);
    b.apply(status('kucoin', BTC, true, T0 + 10), T0 + 10);
    expect(b.staleSymbols(T0 + 10)).toEqual([{ symbol: BTC, exchanges: ['coinbase', 'kucoin'], ageMs: 61_000 }]);
  });

  it('ignores a status older than the one held', () => {
    const b = new FeedBook();
    expect(b.apply(status('coinbase', BTC, false, T0 + 100), T0 + 100)).toBe(true);
    expect(b.apply(status('coinbase', BTC, true, T0), T0 + 101)).toBe(false);
    expect(b.isStale(BTC, T0 + 101)).toBe(false);
  });

  it('forgets a status after three of its intervals without a newer one (the publisher went away)', () => {
    const b = new FeedBook();
    b.apply(status('coinbase', BTC, true), T0);
    expect(b.isStale(BTC, T0 + 3 * INTERVAL - 1)).toBe(true);
    expect(b.isStale(BTC, T0 + 3 * INTERVAL)).toBe(false);
    expect(b.knownSymbols(T0 + 3 * INTERVAL)).toEqual([]);
    // Once forgotten, an older status than the forgotten one counts again.
    expect(b.apply(status('coinbase', BTC, true, T0 - 1), T0 + 3 * INTERVAL)).toBe(true);
  });
});

describe('RiskEngine with feedStale', () => {
  const engine = new RiskEngine();

  it('rejects with stale_price while the symbol is feed-stale, even with a fresh tick and a caller price', () => {
    expect(engine.check(order('buy', '1'), ctx())).toMatchObject({ decision: 'APPROVED' });
    expect(engine.check(order('buy', '1'), { ...ctx(), feedStale: true })).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
    expect(engine.check(order('buy', '1', BTC, '100'), { ...ctx(), feedStale: true })).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'] });
    expect(engine.check(order('buy', '1'), { ...ctx(), feedStale: false })).toMatchObject({ decision: 'APPROVED' });
  });

  it('treats reducing orders as the other price guards do: rejected too', () => {
    const long = exposure({ positions: { [BTC]: ['10', '1000'] } });
    expect(engine.check(order('sell', '4'), ctx({ exposure: long }))).toMatchObject({ decision: 'APPROVED' });
    expect(engine.check(order('sell', '4'), { ...ctx({ exposure: long }), feedStale: true })).toMatchObject({ decision: 'REJECTED', reasons: ['stale_price'], reducesPosition: true });
  });

  it('leaves no_price as it is when no price is known', () => {
    expect(engine.check(order('buy', '1'), { ...ctx({ price: null }), feedStale: true })).toMatchObject({ decision: 'REJECTED', reasons: ['no_price'] });
  });
});
