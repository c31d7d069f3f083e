import path from 'node:path';

/**
 * The real-market-data folder (`../shared/data` beside the repository; see its
 * PROVENANCE.md). GPL files there are read in place, never copied into the project.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..'); // helpers → __tests__ → src → price-stream → services → repo
export const SHARED_DATA_DIR = process.env['CTE_SHARED_DATA'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');

export function sharedData(...parts: string[]): string {
  return path.join(SHARED_DATA_DIR, ...parts);
}

export const XRPETH_TRADES = sharedData('trades', 'binance_xrpeth_trades.json.gz');
export const XRPETH_1M_FEATHER = sharedData('candles', 'binance_xrpeth_1m.feather');
export const XRPETH_5M_FEATHER = sharedData('candles', 'binance_xrpeth_5m.feather');
export const COINBASE_BTCUSD_1H_CSV = sharedData('candles', 'coinbase_btcusd_1h.csv');
export const LEAN_DIR = sharedData('candles', 'lean_crypto');
