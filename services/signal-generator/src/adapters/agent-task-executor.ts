import { randomUUID } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, newTraceId, numberToDecimalString, type SignalMessage } from '@cte/shared';
import { evaluateStrategy, initialStrategyState } from '../engine/strategies';
import type { TaskExecutor } from '../tasks/types';
import type { SignalLoop } from './signal-loop';

/**
 * What `POST /agents/:id/execute` runs: the agent evaluated once on the latest closed bar of its
 * market. Parameters: `{ emit?: boolean }` — when true, a BUY/SELL decision is also stored and
 * published like a bar-driven signal (idempotent per agent and bar).
 */
export function agentTaskExecutor(loop: SignalLoop): TaskExecutor {
  return async (agent, parameters, signal) => {
    const emit = parameters.emit ?? false;
    if (typeof emit !== 'boolean') throw new InvalidArgumentError('parameters.emit must be a boolean');
    const latest = loop.latest(agent.symbol, agent.timeframe);
    if (!latest) throw new FailedPreconditionError(`no closed ${agent.timeframe} bar of ${agent.symbol} seen yet`);
    signal.throwIfAborted();
    const predictor = loop.predictorFor(agent, latest.vector);
    const decision = evaluateStrategy(agent, latest.view, initialStrategyState(), { predictProba: predictor ? () => predictor.predictProba(latest.view) : undefined });
    let emitted: SignalMessage[] = [];
    if (emit && decision.side !== 'HOLD') {
      const message: SignalMessage = {
        id: randomUUID(),
        agent_id: agent.id,
        source_type: agent.type,
        symbol: agent.symbol,
        timeframe: agent.timeframe,
        side: decision.side,
        confidence: decision.confidence,
        horizon_ms: agent.config.horizon_ms,
        price: numberToDecimalString(latest.bar.close),
        model_version: agent.type === 'ml_model' ? predictor?.version : undefined,
        bar_time: latest.bar.openTime,
        created_at: Date.now(),
        trace_id: newTraceId(),
      };
      emitted = await loop.emit([message]);
    }
    return {
      side: decision.side,
      confidence: decision.confidence,
      reason: decision.reason,
      bar_time: latest.bar.openTime,
      price: numberToDecimalString(latest.bar.close),
      features_warm: latest.warm,
      model_version: predictor?.version ?? null,
      emitted: emitted.map((s) => s.id),
    };
  };
}
