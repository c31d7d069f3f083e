import * as ccxt from 'ccxt';
import { parseAckReply } from '../engine/venue-trades';

/** A market as ccxt's parsers need it (no loadMarkets: the replies below are what ccxt parses). */
const market = (symbol: string, id: string): ccxt.Market => ({ id, symbol, base: symbol.split('/')[0], quote: symbol.split('/')[1], spot: true, type: 'spot' }) as unknown as ccxt.Market;

describe('parseAckReply: a createOrder reply, as ccxt parses it, is an acknowledgement', () => {
  it('KuCoin: ccxt gives only the order id (no status, no fills): open, under our symbol', () => {
    const ex = new ccxt.kucoin({});
    const parsed = ex.parseOrder({ orderId: '5bd6e9286d99522a52e458de', clientOid: 'cte-abc' }, market('BTC/USDT', 'BTC-USDT'));
    expect(parsed.status).toBeUndefined();
    expect(parseAckReply(parsed, 'BTC/USDT')).toEqual(expect.objectContaining({ venueOrderId: '5bd6e9286d99522a52e458de', status: 'open', symbol: 'BTC/USDT' }));
  });

  it('Coinbase Advanced Trade: success_response has no status either', () => {
    const ex = new ccxt.coinbase({});
    const parsed = ex.parseOrder({ order_id: '11111-00000-000000', product_id: 'BTC-USD', side: 'BUY', client_order_id: 'cte-abc' }, market('BTC/USD', 'BTC-USD'));
    expect(parsed.status).toBeUndefined();
    expect(parseAckReply(parsed, 'BTC/USD')).toEqual(expect.objectContaining({ venueOrderId: '11111-00000-000000', status: 'open', symbol: 'BTC/USD' }));
  });

  it('Binance.US: the reply carries its status, which is kept (an IOC market order may come back filled)', () => {
    const ex = new ccxt.binanceus({});
    const parsed = ex.parseOrder(
      { symbol: 'BTCUSDT', orderId: 28, clientOrderId: 'cte-abc', transactTime: 1507725176595, price: '0', origQty: '0.001', executedQty: '0.001', cummulativeQuoteQty: '30', status: 'FILLED', timeInForce: 'IOC', type: 'MARKET', side: 'BUY' },
      market('BTC/USDT', 'BTCUSDT'),
    );
    expect(parseAckReply(parsed, 'BTC/USDT')).toEqual(expect.objectContaining({ venueOrderId: '28', status: 'filled', symbol: 'BTC/USDT' }));
  });

  it('a reply without an order id is no acknowledgement', () => {
    expect(parseAckReply({ status: 'open' }, 'BTC/USDT')).toBeUndefined();
    expect(parseAckReply(undefined, 'BTC/USDT')).toBeUndefined();
  });
});
