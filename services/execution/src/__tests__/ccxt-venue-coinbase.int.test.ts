/**
 * TRADING_MODE=live against the venue emulator's Coinbase Advanced Trade private side (CDP key,
 * ES256 JWT; in this process, on 127.0.0.1), with the real MariaDB and Redis: the checks of
 * helpers/live-venue-suite.ts. Coinbase has no trade stream: fills come from its `user` channel's
 * order updates plus the fills list over REST, and an order is looked up by client order id
 * through the order list.
 */
import { liveVenueSuite } from './helpers/live-venue-suite';

liveVenueSuite({
  venue: 'coinbase',
  symbol: 'NMR/EUR',
  balances: { EUR: '100000', NMR: '100' },
  overdraw: '1000',
  clientIdParam: 'client_order_id',
  insufficientReason: /^venue: .*insufficient/i,
});
