import { ConflictError, type Bar, type Logger } from '@cte/shared';
import type { AgentType } from '../engine/strategies';
import type { AgentService } from '../agents/agent-service';
import type { ModelRegistry } from './model-registry';

/**
 * Out of the box, each new market gets one running agent of each strategy type, plus an
 * ml_model agent when the registry has a model for it — unless agents for it already exist.
 * Names follow the seed's example: `btc_trend_follower_1h`.
 */
export async function seedDefaultAgents(agents: AgentService, models: ModelRegistry, bar: Bar, logger: Logger): Promise<void> {
  const existing = await agents.list({ symbol: bar.symbol, limit: 1 });
  if (existing.total > 0) return;
  const base = bar.symbol.split('/')[0]!.toLowerCase();
  const types: AgentType[] = ['trend_follower', 'mean_reversion', 'breakout'];
  if (models.get(bar.symbol, bar.timeframe)) types.unshift('ml_model');
  for (const type of types) {
    const name = `${base}_${type}_${bar.timeframe}`;
    try {
      const agent = await agents.create({ name, type, symbol: bar.symbol, timeframe: bar.timeframe, config: {} });
      await agents.start(agent.id);
      logger.info({ agent: name }, 'default agent created and started');
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}
