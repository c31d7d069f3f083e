/**
 * The running agents, indexed by (symbol, timeframe). For each bar's features
 * it evaluates every running agent on that market and returns the signals in
 * the fleet's SignalMessage shape; persisting (ml_signals) and publishing
 * (signals.raw) are the caller's job. No I/O: clocks and ids are injectable.
 *
 * Per-agent strategy state (e.g. the trend follower's previous EMA relation)
 * lives here, in memory. A bar not newer than the last one an agent evaluated
 * is ignored, so a replayed bar neither advances state nor repeats a signal.
 */
import { randomUUID } from 'node:crypto';
import { isMessageTraceId, numberToDecimalString, type SignalMessage, type Symbol, type Timeframe } from '@cte/shared';
import {
  evaluateStrategy,
  initialStrategyState,
  type FeatureView,
  type ModelPredictor,
  type StrategyDecision,
  type StrategyState,
} from '../engine/strategies';
import type { Agent, AgentRuntimeHooks } from './types';

/** The bar the features belong to: the domain Bar fits, and so does a bus bar mapped to these names. */
export interface RuntimeBar {
  /** Epoch ms, open time; becomes the signal's bar_time. */
  openTime: number;
  /** Close price; becomes the signal's price (a decimal string). */
  close: number | string;
  /** Trace id of the bar's message, carried onto its signals. */
  traceId?: string | undefined;
}

/** The model (if any) an ml_model agent should use. */
export type PredictorLookup = (agent: Agent) => ModelPredictor | undefined;

export interface AgentRuntimeOptions {
  /** Also emit HOLD decisions as signals (default false: only BUY and SELL). */
  emitHold?: boolean;
  now?: () => number;
  newId?: () => string;
  /** Every decision, emitted or not (for debug logs and metrics). */
  onDecision?: (agent: Agent, decision: StrategyDecision, bar: RuntimeBar) => void;
  /** A strategy (or its model) threw; the agent is skipped for this bar. The caller may mark it failed. */
  onError?: (agent: Agent, err: unknown) => void;
}

interface Armed {
  agent: Agent;
  state: StrategyState;
  lastBarTime: number | undefined;
}

export class AgentRuntime implements AgentRuntimeHooks {
  private readonly byId = new Map<string, Armed>();
  private readonly byMarket = new Map<string, Set<string>>();
  private readonly emitHold: boolean;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly opts: AgentRuntimeOptions = {}) {
    this.emitHold = opts.emitHold ?? false;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
  }

  /**
   * Arms (or re-arms) an agent. Its state is kept when only its name, leverage
   * or horizon changed; a new type, market or strategy config starts afresh.
   */
  arm(agent: Agent): void {
    const prev = this.byId.get(agent.id);
    const sameStrategy =
      prev !== undefined &&
      prev.agent.type === agent.type &&
      prev.agent.symbol === agent.symbol &&
      prev.agent.timeframe === agent.timeframe &&
      sameParams(prev.agent, agent);
    if (prev) this.unindex(prev.agent);
    this.byId.set(agent.id, {
      agent,
      state: sameStrategy ? prev.state : initialStrategyState(),
      lastBarTime: sameStrategy ? prev.lastBarTime : undefined,
    });
    const key = marketKey(agent.symbol, agent.timeframe);
    let ids = this.byMarket.get(key);
    if (!ids) this.byMarket.set(key, (ids = new Set()));
    ids.add(agent.id);
  }

  disarm(agentId: string): void {
    const prev = this.byId.get(agentId);
    if (!prev) return;
    this.unindex(prev.agent);
    this.byId.delete(agentId);
  }

  has(agentId: string): boolean {
    return this.byId.has(agentId);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Armed agents, in arming order. */
  agents(): Agent[] {
    return [...this.byId.values()].map((a) => a.agent);
  }

  /** The (symbol, timeframe) pairs some agent runs on: what the caller needs features for. */
  markets(): Array<{ symbol: Symbol; timeframe: Timeframe }> {
    return [...this.byMarket.keys()].map((k) => {
      const [symbol, timeframe] = k.split('|') as [Symbol, Timeframe];
      return { symbol, timeframe };
    });
  }

  /** Running agents on this market. */
  agentsFor(symbol: Symbol, timeframe: Timeframe): Agent[] {
    const ids = this.byMarket.get(marketKey(symbol, timeframe));
    return ids ? [...ids].map((id) => (this.byId.get(id) as Armed).agent) : [];
  }

  /**
   * Evaluates the running agents on (symbol, timeframe) with this bar's
   * features and returns their signals (BUY/SELL, plus HOLD when emitHold).
   */
  onFeatures(symbol: Symbol, timeframe: Timeframe, bar: RuntimeBar, features: FeatureView, predictorFor?: PredictorLookup): SignalMessage[] {
    const ids = this.byMarket.get(marketKey(symbol, timeframe));
    if (!ids || ids.size === 0) return [];
    const out: SignalMessage[] = [];
    const createdAt = this.now();
    const price = typeof bar.close === 'number' ? numberToDecimalString(bar.close) : bar.close;
    const traceId = isMessageTraceId(bar.traceId) ? bar.traceId : undefined;
    for (const id of ids) {
      const armed = this.byId.get(id) as Armed;
      if (armed.lastBarTime !== undefined && bar.openTime <= armed.lastBarTime) continue;
      armed.lastBarTime = bar.openTime;
      const agent = armed.agent;
      let decision: StrategyDecision;
      let modelVersion: string | undefined;
      try {
        let predictor: ModelPredictor | undefined;
        if (agent.type === 'ml_model' && predictorFor) {
          predictor = predictorFor(agent);
          modelVersion = predictor?.version;
        }
        decision = evaluateStrategy(agent, features, armed.state, {
          predictProba: predictor ? (f) => predictor.predictProba(f) : undefined,
        });
      } catch (err) {
        this.opts.onError?.(agent, err);
        continue;
      }
      this.opts.onDecision?.(agent, decision, bar);
      if (decision.side === 'HOLD' && !this.emitHold) continue;
      const signal: SignalMessage = {
        id: this.newId(),
        agent_id: agent.id,
        source_type: agent.type,
        symbol,
        timeframe,
        side: decision.side,
        confidence: decision.confidence,
        horizon_ms: agent.config.horizon_ms,
        price,
        bar_time: bar.openTime,
        created_at: createdAt,
        trace_id: traceId ?? randomUUID(),
      };
      if (modelVersion !== undefined) signal.model_version = modelVersion;
      out.push(signal);
    }
    return out;
  }

  private unindex(agent: Agent): void {
    const key = marketKey(agent.symbol, agent.timeframe);
    const ids = this.byMarket.get(key);
    if (!ids) return;
    ids.delete(agent.id);
    if (ids.size === 0) this.byMarket.delete(key);
  }
}

function marketKey(symbol: string, timeframe: string): string {
  return `${symbol}|${timeframe}`;
}

/** Same strategy parameters, ignoring leverage and horizon (which do not affect decisions). */
function sameParams(a: Agent, b: Agent): boolean {
  const strip = (c: Agent['config']): string => {
    const { leverage: _l, horizon_ms: _h, ...rest } = c as unknown as Record<string, unknown>;
    return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
  };
  return strip(a.config) === strip(b.config);
}
