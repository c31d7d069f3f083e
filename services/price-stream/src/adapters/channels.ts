import { symbolToChannelKey, type Symbol, type Timeframe } from '@cte/shared';

/** Channel names price-stream publishes on (DESIGN.md, "The flow"). */
export const ALERTS_CHANNEL = 'data.alerts';
export const tickChannel = (symbol: Symbol): string => `data.ticks.${symbolToChannelKey(symbol)}`;
export const barChannel = (tf: Timeframe, symbol: Symbol): string => `data.bars.${tf}.${symbolToChannelKey(symbol)}`;
