import { readConfig } from '../config';

const KEY = { TRADING_API_KEY: 'x'.repeat(24) };

describe('signals-aggregator config', () => {
  it('has documented defaults', () => {
    const cfg = readConfig(KEY);
    expect([cfg.httpPort, cfg.grpcPort]).toEqual([8028, 9028]);
    expect(cfg).toMatchObject({
      signalsStream: 'signals.raw',
      consensusChannel: 'signals.consensus',
      priceTimeframe: '1m',
      priceTicks: false,
      halfLifeMs: 900_000,
      maxAgeMs: 3_600_000,
      minQuorum: 2,
      minAgreement: 0.6,
      sourceWeights: {},
      trackRecordPrior: 0.5,
      trackRecordPriorWeight: 10,
      signalMaxLeadMs: 3_600_000,
      signalsRetain: 100_000,
    });
    expect(cfg.consumerName).toMatch(/-\d+$/);
  });

  it('parses weights, symbols and consensus parameters', () => {
    const cfg = readConfig({
      ...KEY,
      SOURCE_WEIGHTS: 'ml_model=1.5, trend_follower=1,btc_trend_follower=0',
      TRADABLE_SYMBOLS: 'btc-usd,ETH/USD',
      CONSENSUS_MIN_QUORUM: '3',
      CONSENSUS_MIN_AGREEMENT: '0.75',
      PRICE_TIMEFRAME: '5m',
      PRICE_TICKS: 'true',
    });
    expect(cfg.sourceWeights).toEqual({ ml_model: 1.5, trend_follower: 1, btc_trend_follower: 0 });
    expect(cfg.tradableSymbols.list()).toEqual(['BTC/USD', 'ETH/USD']);
    expect(cfg).toMatchObject({ minQuorum: 3, minAgreement: 0.75, priceTimeframe: '5m', priceTicks: true });
  });

  it.each([
    ['SOURCE_WEIGHTS', { SOURCE_WEIGHTS: 'ml_model' }],
    ['SOURCE_WEIGHTS', { SOURCE_WEIGHTS: 'ml_model=-1' }],
    ['SOURCE_WEIGHTS', { SOURCE_WEIGHTS: 'ml_model=heavy' }],
    ['SOURCE_WEIGHTS', { SOURCE_WEIGHTS: 'a=1,a=2' }],
    ['CONSENSUS_MIN_AGREEMENT', { CONSENSUS_MIN_AGREEMENT: '1.2' }],
    ['CONSENSUS_MIN_QUORUM', { CONSENSUS_MIN_QUORUM: '0' }],
    ['CONSENSUS_HALF_LIFE_MS', { CONSENSUS_HALF_LIFE_MS: 'soon' }],
    ['CONSENSUS_MAX_AGE_MS', { CONSENSUS_MAX_AGE_MS: '0' }],
    ['TRACK_RECORD_PRIOR', { TRACK_RECORD_PRIOR: '2' }],
    ['TRACK_RECORD_PRIOR_WEIGHT', { TRACK_RECORD_PRIOR_WEIGHT: '0' }],
    ['PRICE_TIMEFRAME', { PRICE_TIMEFRAME: '7m' }],
    ['TRADABLE_SYMBOLS', { TRADABLE_SYMBOLS: 'BTCUSD' }],
    ['SIGNALS_STREAM', { SIGNALS_STREAM: 'bad stream name' }],
    ['TRADING_API_KEY', { TRADING_API_KEY: 'short' }],
  ])('fails fast naming %s', (name, env) => {
    expect(() => readConfig({ ...KEY, ...env })).toThrow(new RegExp(`${name}:`));
  });

  it('names every bad variable at once', () => {
    expect(() => readConfig({ ...KEY, CONSENSUS_MIN_QUORUM: '0', SOURCE_WEIGHTS: 'x' })).toThrow(/CONSENSUS_MIN_QUORUM:[\s\S]*SOURCE_WEIGHTS:|SOURCE_WEIGHTS:[\s\S]*CONSENSUS_MIN_QUORUM:/);
  });
});
