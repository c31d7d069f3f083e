export * from './coinbase-cdd-csv';
export * from './lean-zip';
export * from './ohlcv-csv';
export * from './pandas-json';
export * from './trades-json';
export * from './read-any-file';
export { pairToSymbol, inferMarketFromFileName, inferTimeframe } from './market-names';
export { readTextFile } from './file-text';
