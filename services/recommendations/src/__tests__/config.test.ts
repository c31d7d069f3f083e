import { ConfigError } from '@cte/shared';
import { readConfig } from '../config';

const KEY = { TRADING_API_KEY: 'a-test-key-of-16-chars' };

describe('config', () => {
  it('has defaults for everything but the API key', () => {
    const cfg = readConfig(KEY);
    expect(cfg).toMatchObject({
      httpPort: 8022,
      grpcPort: 9022,
      riskGrpcAddr: '127.0.0.1:9027',
      executionGrpcAddr: '127.0.0.1:9024',
      portfolioGrpcAddr: '127.0.0.1:9026',
      signalsAggregatorGrpcAddr: '127.0.0.1:9028',
      priceStreamGrpcAddr: '127.0.0.1:9023',
      consensusChannel: 'signals.consensus',
      orderEventsChannel: 'events.orders',
      recTimeframe: '1h',
      atrPeriod: 14,
      ttlMs: 60_000,
      cooldownMs: 3_600_000,
      kelly: { kellyFraction: 0.25, maxPositionPct: 5, payoffRatio: 1.5, stopAtrMult: 2, takeProfitAtrMult: 3, allowShort: false, defaultQtyDecimals: 8 },
    });
  });

  it('derives the payoff ratio from the ATR multiples unless given', () => {
    expect(readConfig({ ...KEY, STOP_ATR_MULT: '1', TAKE_PROFIT_ATR_MULT: '2' }).kelly.payoffRatio).toBe(2);
    expect(readConfig({ ...KEY, KELLY_PAYOFF_RATIO: '1.2' }).kelly.payoffRatio).toBe(1.2);
  });

  it('parses per-symbol quantity precision', () => {
    expect(readConfig({ ...KEY, QTY_DECIMALS_BY_SYMBOL: 'btc-usd=5, ETH/USD=4' }).kelly.qtyDecimals).toEqual({ 'BTC/USD': 5, 'ETH/USD': 4 });
    expect(() => readConfig({ ...KEY, QTY_DECIMALS_BY_SYMBOL: 'FOO/BAR=5' })).toThrow(/QTY_DECIMALS_BY_SYMBOL: unknown symbol FOO\/BAR/);
  });

  it('names every bad variable', () => {
    try {
      readConfig({ ...KEY, KELLY_FRACTION: '0', MAX_POSITION_PCT: 'x', REC_TIMEFRAME: '2h', RISK_GRPC_ADDR: 'nope', SUBMIT_RETRY_AFTER_MS: '90000', QTY_DECIMALS_BY_SYMBOL: 'BTC/USD=40' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      for (const name of ['KELLY_FRACTION', 'MAX_POSITION_PCT', 'REC_TIMEFRAME', 'RISK_GRPC_ADDR', 'SUBMIT_RETRY_AFTER_MS', 'QTY_DECIMALS_BY_SYMBOL']) expect(msg).toContain(name);
    }
  });
});
