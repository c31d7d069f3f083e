export { Backtest, type AgentSpec, type BacktestOptions, type BacktestCounters, type FillRecord, type EquityPoint, type ModelLookup, type DecisionRecord } from './backtest';
export { readFleetConfig, type FleetConfig } from './config';
export { fileInput, mysqlInput, type MarketInput, type FileInputOptions, type MysqlInputOptions, type TickSink } from './inputs';
export { buildReport, formatReport, type BacktestReport, type SymbolRow } from './report';
export { runBacktest, configuredInput, configuredMysqlInput, followedSymbols, type RunOptions } from './run';
export {
  compareDecisions,
  compareFills,
  formatComparison,
  formatDecisionComparison,
  readFleetDecisions,
  readFleetTrades,
  type Comparison,
  type DecisionComparison,
  type FillLine,
  type TradeRow,
} from './compare';
