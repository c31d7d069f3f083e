/**
 * The fleet's configuration, read by each service's own `readConfig` from the same environment
 * variables the services use (REPLAY_FILES, TIMEFRAMES, SIGNAL_TIMEFRAMES, KELLY_*, RISK_*,
 * MOCK_*, INITIAL_CAPITAL, ...). Nothing is defaulted here: a default lives once, in the service.
 */
import { readConfig as readExecutionConfig, type ExecutionConfig } from '@cte/execution/dist/config';
import { readConfig as readPortfolioConfig, type PortfolioConfig } from '@cte/portfolio/dist/config';
import { readConfig as readPriceStreamConfig, type PriceStreamConfig } from '@cte/price-stream/dist/config';
import { readConfig as readRecommendationsConfig, type RecommendationsConfig } from '@cte/recommendations/dist/config';
import { readConfig as readRiskConfig, type RiskConfig } from '@cte/risk/dist/config';
import { readConfig as readSignalGeneratorConfig, type SignalGeneratorConfig } from '@cte/signal-generator/dist/config';
import { readConfig as readAggregatorConfig, type SignalsAggregatorConfig } from '@cte/signals-aggregator/dist/config';

export interface FleetConfig {
  priceStream: PriceStreamConfig;
  signalGenerator: SignalGeneratorConfig;
  aggregator: SignalsAggregatorConfig;
  recommendations: RecommendationsConfig;
  risk: RiskConfig;
  execution: ExecutionConfig;
  portfolio: PortfolioConfig;
}

/**
 * A backtest talks to nobody, so the fleet's API key is not needed; every service's config
 * requires one, so a placeholder stands in when TRADING_API_KEY is unset (never printed).
 */
const PLACEHOLDER_KEY = 'backtest-has-no-network-and-needs-no-key';

export function readFleetConfig(source: Record<string, string | undefined> = process.env): FleetConfig {
  const env: Record<string, string | undefined> = { ...source };
  if (!env.TRADING_API_KEY) env.TRADING_API_KEY = PLACEHOLDER_KEY;
  // The paper venue: a backtest never trades live, whatever TRADING_MODE the shell has.
  env.TRADING_MODE = 'mock';
  env.MARKET_SOURCE = 'replay';
  return {
    priceStream: readPriceStreamConfig(env),
    signalGenerator: readSignalGeneratorConfig(env),
    aggregator: readAggregatorConfig(env),
    recommendations: readRecommendationsConfig(env),
    risk: readRiskConfig(env),
    execution: readExecutionConfig(env),
    portfolio: readPortfolioConfig(env),
  };
}
