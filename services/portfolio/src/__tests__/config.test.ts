import { ConfigError } from '@cte/shared';
import { readConfig } from '../config';

const KEY = { TRADING_API_KEY: 'k'.repeat(24) };

describe('config', () => {
  it('has a default for everything but the API key', () => {
    const c = readConfig(KEY);
    expect(c).toMatchObject({
      httpPort: 8026,
      grpcPort: 9026,
      fillsStream: 'events.fills',
      consumerName: 'portfolio',
      fillsMaxDeliveries: 20,
      fillsClaimIdleMs: 30_000,
      fillsBatchSize: 50,
      quoteCurrency: 'USD',
      snapshotIntervalMs: 60_000,
      recommendationsGrpcAddr: '127.0.0.1:9022',
      recommendationsDeadlineMs: 2000,
      rebalanceQtyDecimals: 8,
      busNamespace: '',
    });
    expect(c.initialCapital.toFixed()).toBe('100000');
    expect(c.rebalanceMinNotional.toFixed()).toBe('10');
  });

  it('reads every variable', () => {
    const c = readConfig({
      ...KEY,
      INITIAL_CAPITAL: '2500.5',
      QUOTE_CURRENCY: 'USDT',
      SNAPSHOT_INTERVAL_MS: '250',
      CONSUMER_NAME: 'portfolio-a',
      RECOMMENDATIONS_GRPC_ADDR: 'recommendations.cte.svc:9022',
      REBALANCE_MIN_NOTIONAL: '0',
    });
    expect(c.initialCapital.toFixed()).toBe('2500.5');
    expect(c).toMatchObject({ quoteCurrency: 'USDT', snapshotIntervalMs: 250, consumerName: 'portfolio-a', recommendationsGrpcAddr: 'recommendations.cte.svc:9022' });
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      readConfig({ ...KEY, INITIAL_CAPITAL: '-5', QUOTE_CURRENCY: 'usd', SNAPSHOT_INTERVAL_MS: 'soon', RECOMMENDATIONS_GRPC_ADDR: 'nope', REBALANCE_MIN_NOTIONAL: '1e3', FILLS_MAX_DELIVERIES: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['INITIAL_CAPITAL', 'QUOTE_CURRENCY', 'SNAPSHOT_INTERVAL_MS', 'RECOMMENDATIONS_GRPC_ADDR', 'REBALANCE_MIN_NOTIONAL', 'FILLS_MAX_DELIVERIES']) expect(msg).toContain(name);
    expect(() => readConfig({ ...KEY, INITIAL_CAPITAL: '0' })).toThrow('INITIAL_CAPITAL');
    expect(() => readConfig({})).toThrow('TRADING_API_KEY');
  });
});
