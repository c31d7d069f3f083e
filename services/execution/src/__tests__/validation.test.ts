import { ConfigError, InvalidArgumentError, TradableSymbols } from '@cte/shared';
import { readConfig } from '../config';
import { defaultPrecision, parseMarketPrecision, PrecisionTable } from '../engine/precision';
import { validateOrderRequest, type ValidationContext } from '../engine/validation';

const ctx: ValidationContext = {
  symbols: new TradableSymbols(['BTC/USD', 'XRP/ETH'], 'TRADABLE_SYMBOLS'),
  precision: new PrecisionTable(parseMarketPrecision('BTC/USD:qty=6,price=2')),
};
const good = { client_order_id: 'rec-1:o', symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.5', limit_price: '10000.25' };

function reject(body: unknown, strict = true): InvalidArgumentError {
  try {
    validateOrderRequest(body, ctx, strict);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('validateOrderRequest', () => {
  it('accepts a good order and normalises symbol, side and type', () => {
    const r = validateOrderRequest({ ...good, symbol: 'btc-usd', side: 'BUY', type: 'Limit', recommendation_id: 'rec-1', trace_id: 'abcdef0123' }, ctx, true);
    expect(r).toMatchObject({ clientOrderId: 'rec-1:o', symbol: 'BTC/USD', side: 'buy', type: 'limit', recommendationId: 'rec-1', traceId: 'abcdef0123' });
    expect(r.qty.toFixed()).toBe('0.5');
    expect(r.limitPrice!.toFixed()).toBe('10000.25');
    const m = validateOrderRequest({ client_order_id: 'x', symbol: 'BTC/USD', side: 'sell', type: 'market', qty: 1.25, limit_price: '' }, ctx);
    expect(m.limitPrice).toBeNull();
    expect(m.qty.toFixed()).toBe('1.25');
  });

  it.each([
    ['zero qty', { ...good, qty: '0' }, /qty must be > 0/],
    ['negative qty', { ...good, qty: '-1' }, /qty must be > 0/],
    ['negative numeric qty', { ...good, qty: -1 }, /qty must be > 0/],
    ['NaN qty', { ...good, qty: 'NaN' }, /qty must be a decimal/],
    ['Infinity qty', { ...good, qty: 'Infinity' }, /qty must be a decimal/],
    ['exponent qty', { ...good, qty: '1e3' }, /qty must be a decimal/],
    ['missing qty', { ...good, qty: undefined }, /qty is required/],
    ['qty as object', { ...good, qty: {} }, /qty must be a decimal/],
    ['too many qty decimals', { ...good, qty: '0.0000001' }, /qty has too many decimals.*at most 6/],
    ['too many price decimals', { ...good, limit_price: '100.123' }, /limit_price has too many decimals.*at most 2/],
    ['zero price', { ...good, limit_price: '0' }, /limit_price must be > 0/],
    ['huge qty', { ...good, qty: '10000000000000000' }, /qty must be at most/],
    ['limit without price', { ...good, limit_price: undefined }, /limit_price is required/],
    ['market with price', { ...good, type: 'market' }, /limit_price is only allowed/],
    ['unknown symbol', { ...good, symbol: 'DOGE/USD' }, /^unknown symbol DOGE\/USD: tradable symbols are BTC\/USD, XRP\/ETH \(TRADABLE_SYMBOLS\)/],
    ['malformed symbol', { ...good, symbol: 'BTCUSD' }, /symbol is invalid/],
    ['unknown side', { ...good, side: 'hold' }, /side must be buy or sell/],
    ['unknown type', { ...good, type: 'stop' }, /type must be market or limit/],
    ['missing client_order_id', { ...good, client_order_id: undefined }, /client_order_id is required/],
    ['empty client_order_id', { ...good, client_order_id: '' }, /client_order_id is required/],
    ['bad client_order_id', { ...good, client_order_id: 'has space' }, /client_order_id is invalid/],
    ['bad trace_id', { ...good, trace_id: 'x' }, /^trace_id must be 8-64 of A-Z a-z 0-9 -, got "x"$/],
    ['negative data_time', { ...good, data_time: -1 }, /^data_time must be a non-negative integer of epoch milliseconds/],
    ['fractional data_time', { ...good, data_time: 1.5 }, /^data_time must be a non-negative integer/],
    ['unsafe data_time', { ...good, data_time: 2 ** 53 }, /^data_time must be a non-negative integer/],
    ['data_time as a signed string', { ...good, data_time: '-5' }, /^data_time must be a non-negative integer/],
    ['data_time as an object', { ...good, data_time: {} }, /^data_time must be a non-negative integer/],
    ['unknown field', { ...good, quantity: '1' }, /unknown field\(s\): quantity/],
    ['not an object', [good], /must be a JSON object/],
  ])('rejects %s', (_name, body, message) => {
    expect(reject(body).message).toMatch(message);
  });

  it('takes data_time as a number or a gRPC int64 string; 0 or absent is none', () => {
    expect(validateOrderRequest({ ...good, data_time: 1_700_000_000_000 }, ctx, true).dataTime).toBe(1_700_000_000_000);
    expect(validateOrderRequest({ ...good, data_time: '1700000000000' }, ctx, false).dataTime).toBe(1_700_000_000_000);
    expect(validateOrderRequest({ ...good, data_time: '0' }, ctx, false)).not.toHaveProperty('dataTime');
    expect(validateOrderRequest({ ...good, data_time: 0 }, ctx, true)).not.toHaveProperty('dataTime');
    expect(validateOrderRequest(good, ctx, true)).not.toHaveProperty('dataTime');
    expect(reject({ ...good, data_time: -2 }).details).toMatchObject({ field: 'data_time' });
  });

  it('names the field in the details', () => {
    expect(reject({ ...good, qty: '-2' }).details).toMatchObject({ field: 'qty' });
  });

  it('gRPC mode ignores unknown fields (proto decoding has none) but checks the rest', () => {
    expect(validateOrderRequest({ ...good, extra: 1 }, ctx, false).clientOrderId).toBe('rec-1:o');
  });
});

describe('market precision', () => {
  it('defaults: 8 qty decimals; 2 price decimals for fiat and dollar stablecoins, else 8', () => {
    expect(defaultPrecision('BTC/USD')).toEqual({ qtyDecimals: 8, priceDecimals: 2 });
    expect(defaultPrecision('ETH/USDT')).toEqual({ qtyDecimals: 8, priceDecimals: 2 });
    expect(defaultPrecision('XRP/ETH')).toEqual({ qtyDecimals: 8, priceDecimals: 8 });
  });

  it('parses overrides and refuses bad ones', () => {
    const p = parseMarketPrecision(' BTC/USD:qty=8,price=2 ; xrp-usd:price=4 ');
    expect(p.get('BTC/USD')).toEqual({ qtyDecimals: 8, priceDecimals: 2 });
    expect(p.get('XRP/USD')).toEqual({ qtyDecimals: 8, priceDecimals: 4 });
    expect(() => parseMarketPrecision('BTC/USD')).toThrow(/expected SYMBOL:qty=N,price=N/);
    expect(() => parseMarketPrecision('BTC/USD:qty=19')).toThrow(/0..18/);
    expect(() => parseMarketPrecision('BTC/USD:size=2')).toThrow(/qty=N or price=N/);
    expect(() => parseMarketPrecision('BTC/USD:qty=2;BTC/USD:qty=3')).toThrow(/given twice/);
  });
});

describe('config', () => {
  const base = { TRADING_API_KEY: 'k'.repeat(20) };

  it('has defaults for everything but the API key', () => {
    const c = readConfig(base);
    expect(c).toMatchObject({ tradingMode: 'mock', riskGrpcAddr: '127.0.0.1:9027', httpPort: 8024, grpcPort: 9024, haltCancelsOpeningOrders: true });
    expect(c.mock.slippageBps.toFixed()).toBe('5');
    expect(c.mock.liquidityNotional.toFixed()).toBe('100000');
  });

  it('MARKET_PRECISION may only name tradable symbols', () => {
    expect(() => readConfig({ ...base, MARKET_PRECISION: 'FOO/BAR:qty=2' })).toThrow(/MARKET_PRECISION: unknown symbol FOO\/BAR/);
  });

  it('TRADING_MODE=live fails fast without venue keys and the acknowledgement (ccxt-venue-config.test.ts has the rest)', () => {
    expect(() => readConfig({ ...base, TRADING_MODE: 'live' })).toThrow(ConfigError);
    expect(() => readConfig({ ...base, TRADING_MODE: 'live' })).toThrow(/LIVE_TRADING_ACK: is not set[\s\S]*LIVE_VENUES: is required/);
  });

  it('names every bad variable', () => {
    let err: ConfigError | undefined;
    try {
      readConfig({ ...base, MARKET_PRECISION: 'nope', MOCK_SLIPPAGE_BPS: '-1', MOCK_LIQUIDITY_NOTIONAL: '0', TRADABLE_SYMBOLS: 'BTCUSD', RISK_GRPC_ADDR: 'risk' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems.map((p) => p.split(':')[0]).sort()).toEqual(['MARKET_PRECISION', 'MOCK_LIQUIDITY_NOTIONAL', 'MOCK_SLIPPAGE_BPS', 'RISK_GRPC_ADDR', 'TRADABLE_SYMBOLS']);
  });
});
