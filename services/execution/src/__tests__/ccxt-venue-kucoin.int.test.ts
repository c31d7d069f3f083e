/**
 * TRADING_MODE=live against the venue emulator's KuCoin private side (API key v2 with a signed
 * passphrase; in this process, on 127.0.0.1), with the real MariaDB and Redis: the checks of
 * helpers/live-venue-suite.ts. Fills come from the private socket's trade orders topic, and an
 * order is looked up by its clientOid.
 */
import { liveVenueSuite } from './helpers/live-venue-suite';

liveVenueSuite({
  venue: 'kucoin',
  // ccxt calls KuCoin's BCHSV by its common code BSV (the account holds BCHSV).
  symbol: 'BSV/USDT',
  balances: { USDT: '100000', BCHSV: '100' },
  overdraw: '1000',
  clientIdParam: 'clientOid',
  insufficientReason: /^venue: Balance insufficient/,
});
