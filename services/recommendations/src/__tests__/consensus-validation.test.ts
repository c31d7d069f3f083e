import { TradableSymbols } from '@cte/shared';
import { validateConsensus } from '../engine/consensus';

const NOW = Date.UTC(2026, 0, 1);
const good = () => ({
  id: 'c0ffee00-1111-2222-3333-444455556666',
  symbol: 'BTC/USD',
  side: 'BUY',
  confidence: 0.8,
  agreement: 0.9,
  sources: 2,
  signal_ids: ['s-1', 's-2'],
  price: '25000.5',
  ts: NOW - 1000,
  trace_id: 'trace-0001',
});

describe('consensus validation', () => {
  it('accepts a well-formed consensus', () => {
    const v = validateConsensus(good(), NOW);
    expect(v).toMatchObject({ ok: true, consensus: { symbol: 'BTC/USD', side: 'BUY', price: '25000.5' } });
  });

  it('normalises the symbol', () => {
    expect(validateConsensus({ ...good(), symbol: 'btc-usd' }, NOW)).toMatchObject({ ok: true, consensus: { symbol: 'BTC/USD' } });
  });

  it('with the tradable symbols, refuses a consensus for another symbol as `symbol`, naming it', () => {
    const tradable = new TradableSymbols(['BTC/USD', 'ETH/USD'], 'TRADABLE_SYMBOLS');
    expect(validateConsensus(good(), NOW, 60_000, tradable)).toMatchObject({ ok: true });
    expect(validateConsensus({ ...good(), symbol: 'FOO/BAR' }, NOW, 60_000, tradable)).toEqual({
      ok: false,
      reason: 'symbol',
      message: 'consensus.symbol: unknown symbol FOO/BAR: tradable symbols are BTC/USD, ETH/USD (TRADABLE_SYMBOLS)',
    });
  });

  it.each([
    ['not an object', null, 'malformed'],
    ['an array', [], 'malformed'],
    ['no id', { ...good(), id: '' }, 'id'],
    ['bad symbol', { ...good(), symbol: 'BTCUSD' }, 'symbol'],
    ['bad side', { ...good(), side: 'buy' }, 'side'],
    ['confidence > 1', { ...good(), confidence: 1.5 }, 'confidence'],
    ['confidence NaN', { ...good(), confidence: Number.NaN }, 'confidence'],
    ['confidence as a string', { ...good(), confidence: '0.5' }, 'confidence'],
    ['agreement < 0', { ...good(), agreement: -0.1 }, 'agreement'],
    ['fractional sources', { ...good(), sources: 1.5 }, 'sources'],
    ['signal_ids not a list', { ...good(), signal_ids: 's-1' }, 'malformed'],
    ['zero price', { ...good(), price: '0' }, 'price'],
    ['negative price', { ...good(), price: '-1' }, 'price'],
    ['price as a number', { ...good(), price: 25000 }, 'price'],
    ['price in exponent form', { ...good(), price: '2.5e4' }, 'price'],
    ['no ts', { ...good(), ts: undefined }, 'timestamp'],
    ['ts in the future', { ...good(), ts: NOW + 3_600_000 }, 'future'],
    ['bad trace id', { ...good(), trace_id: 'has space' }, 'trace_id'],
  ])('rejects %s', (_name, raw, reason) => {
    expect(validateConsensus(raw, NOW)).toMatchObject({ ok: false, reason });
  });
});
