import { ConfigError, EnvReader, readBaseConfig } from '../config';

const KEY = 'k'.repeat(32);

describe('EnvReader / readBaseConfig', () => {
  it('applies documented defaults', () => {
    const env = new EnvReader({ TRADING_API_KEY: KEY });
    const cfg = readBaseConfig(env, 'price-stream');
    env.done();
    expect(cfg.httpPort).toBe(8023);
    expect(cfg.grpcPort).toBe(9023);
    expect(cfg.mysqlUrl).toBe('mysql://root@127.0.0.1:3306/crypto_trading');
    expect(cfg.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('reads <SERVICE>_PORT and <SERVICE>_GRPC_PORT', () => {
    const env = new EnvReader({ TRADING_API_KEY: KEY, PRICE_STREAM_PORT: '18023', PRICE_STREAM_GRPC_PORT: '19023' });
    const cfg = readBaseConfig(env, 'price-stream');
    env.done();
    expect([cfg.httpPort, cfg.grpcPort]).toEqual([18023, 19023]);
  });

  it('fails when TRADING_API_KEY is missing, naming the variable', () => {
    const env = new EnvReader({});
    readBaseConfig(env, 'price-stream');
    expect(() => env.done()).toThrow(/TRADING_API_KEY: is required/);
  });

  it('reports every bad variable at once', () => {
    const env = new EnvReader({
      TRADING_API_KEY: 'short',
      PRICE_STREAM_PORT: 'eighty',
      PRICE_STREAM_GRPC_PORT: '70000',
      MYSQL_URL: 'postgres://x',
      LOG_LEVEL: 'loud',
    });
    readBaseConfig(env, 'price-stream');
    let err: ConfigError | undefined;
    try {
      env.done();
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = err!.problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining(['TRADING_API_KEY', 'PRICE_STREAM_PORT', 'PRICE_STREAM_GRPC_PORT', 'MYSQL_URL', 'LOG_LEVEL']),
    );
  });

  it('rejects equal HTTP and gRPC ports', () => {
    const env = new EnvReader({ TRADING_API_KEY: KEY, PRICE_STREAM_PORT: '9000', PRICE_STREAM_GRPC_PORT: '9000' });
    readBaseConfig(env, 'price-stream');
    expect(() => env.done()).toThrow(/PRICE_STREAM_GRPC_PORT: must differ/);
  });

  it('parses typed values', () => {
    const env = new EnvReader({ A: 'yes', B: '2.5', C: 'x, y ,z', D: 'maybe' });
    expect(env.bool('A')).toBe(true);
    expect(env.number('B', { min: 0 })).toBe(2.5);
    expect(env.list('C', (s) => s.toUpperCase())).toEqual(['X', 'Y', 'Z']);
    env.bool('D');
    expect(() => env.done()).toThrow(/D: must be true or false/);
  });
});
