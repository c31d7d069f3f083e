import { findSharedDataDir, sharedData } from '@cte/testkit';

/** The real-market-data folder, located once by the test kit (see tools/testkit/src/shared-data.ts). */
export const SHARED_DATA_DIR = findSharedDataDir();
export { sharedData };

export const XRPETH_TRADES = sharedData('trades', 'binance_xrpeth_trades.json.gz');
export const XRPETH_1M_FEATHER = sharedData('candles', 'binance_xrpeth_1m.feather');
export const XRPETH_5M_FEATHER = sharedData('candles', 'binance_xrpeth_5m.feather');
export const COINBASE_BTCUSD_1H_CSV = sharedData('candles', 'coinbase_btcusd_1h.csv');
export const LEAN_DIR = sharedData('candles', 'lean_crypto');
