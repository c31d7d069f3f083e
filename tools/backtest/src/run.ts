/** One backtest from configuration to report: models, input, the engines, the report. */
import type { Symbol } from '@cte/shared';
import { FEATURE_NAMES } from '@cte/signal-generator/engine';
import { ModelRegistry } from '@cte/signal-generator/dist/adapters/model-registry';
import { Backtest, type AgentSpec } from './backtest';
import type { FleetConfig } from './config';
import { fileInput, mysqlInput, type MarketInput } from './inputs';
import { buildReport, type BacktestReport } from './report';

export interface RunOptions {
  config: FleetConfig;
  /** Default: the replay files of the configuration (REPLAY_FILES, REPLAY_START, REPLAY_END). */
  input?: MarketInput | undefined;
  agents?: readonly AgentSpec[] | undefined;
}

/** The symbols price-stream replays: SYMBOLS, else every tradable symbol. */
export function followedSymbols(config: FleetConfig): Symbol[] {
  const ps = config.priceStream;
  return ps.symbols.length > 0 ? [...ps.symbols] : [...ps.tradableSymbols.list()];
}

/** The configuration's replay (what `make demo` replays with the same environment). */
export function configuredInput(config: FleetConfig): MarketInput {
  const ps = config.priceStream;
  return fileInput({ files: ps.replay.files, startMs: ps.replay.startMs, endMs: ps.replay.endMs, symbols: followedSymbols(config), exchange: ps.exchange });
}

/** `crypto_prices` over the configured window (REPLAY_START/REPLAY_END) at `timeframe`. */
export function configuredMysqlInput(config: FleetConfig, timeframe: FleetConfig['priceStream']['timeframes'][number]): MarketInput {
  const ps = config.priceStream;
  return mysqlInput({ url: ps.mysqlUrl, exchange: ps.exchange, symbols: followedSymbols(config), timeframe, startMs: ps.replay.startMs, endMs: ps.replay.endMs });
}

export async function runBacktest(o: RunOptions): Promise<{ report: BacktestReport; backtest: Backtest }> {
  // signal-generator's ModelRegistry reads MODEL_DIR exactly as the service does (once, no watching).
  const models = new ModelRegistry({ dir: o.config.signalGenerator.modelDir, pipelineFeatures: FEATURE_NAMES, watch: false });
  try {
    await models.start();
    const backtest = new Backtest({ config: o.config, models: (symbol, timeframe) => models.get(symbol, timeframe), agents: o.agents });
    const input = o.input ?? configuredInput(o.config);
    await input.run((tick) => backtest.onTick(tick));
    return { report: buildReport(backtest, input.description), backtest };
  } finally {
    models.close();
  }
}
