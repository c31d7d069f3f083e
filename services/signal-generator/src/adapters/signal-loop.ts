import { CHANNELS, newTraceId, type Bar, type Bus, type Logger, type SignalMessage } from '@cte/shared';
import { Counter, Histogram, type Registry } from 'prom-client';
import { FeaturePipeline } from '../engine/features';
import type { FeatureView, ModelPredictor } from '../engine/strategies';
import type { AgentRuntime } from '../agents/agent-runtime';
import type { Agent } from '../agents/types';
import type { BarOrigin } from './bar-feed';
import type { BarHistory } from './price-history';
import type { ModelRegistry } from './model-registry';
import type { SignalRepository } from './signal-repository';

export interface SignalLoopOptions {
  history: BarHistory;
  warmStartBars: number;
  runtime: AgentRuntime;
  models: ModelRegistry;
  signals: SignalRepository;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  /** Called the first time a (symbol, timeframe) is seen, after warm start (e.g. to seed default agents). */
  onNewMarket?: (bar: Bar) => Promise<void>;
}

interface Market {
  pipeline: FeaturePipeline;
  lastBar: Bar | undefined;
}

/**
 * For each closed bar: warm the (symbol, timeframe) pipeline from price-stream history the first
 * time, compute its features, let the running agents decide, store the new signals in
 * `ml_signals`, then append them to the durable `signals.raw` stream. Bars of one market arrive
 * here one at a time (BarFeed serialises them).
 */
export class SignalLoop {
  private readonly markets = new Map<string, Market>();
  private readonly warming = new Map<string, Promise<Market>>();
  private readonly emitted: Counter<'source_type' | 'side'>;
  private readonly barSeconds: Histogram;
  private readonly warmStarts: Counter<'result'>;
  private readonly pipelineLatency: Histogram<'stage'>;

  constructor(private readonly o: SignalLoopOptions) {
    this.emitted = new Counter({
      name: 'cte_signals_emitted_total',
      help: 'Signals stored and published on signals.raw.',
      labelNames: ['source_type', 'side'],
      registers: [o.registry],
    });
    this.barSeconds = new Histogram({
      name: 'cte_signal_bar_seconds',
      help: 'Time from a closed bar arriving to its signals being published.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [o.registry],
    });
    this.pipelineLatency = new Histogram({
      name: 'cte_pipeline_latency_seconds',
      help: 'Time from the bar being published by price-stream to its signals being published (stage="signal").',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers: [o.registry],
    });
    this.warmStarts = new Counter({
      name: 'cte_warm_starts_total',
      help: 'Feature pipelines warmed from price-stream history, by result.',
      labelNames: ['result'],
      registers: [o.registry],
    });
  }

  async onBar(bar: Bar, origin?: BarOrigin): Promise<void> {
    const started = process.hrtime.bigint();
    const market = await this.marketFor(bar);
    const last = market.pipeline.lastBarTime();
    if (last !== undefined && bar.openTime <= last) return; // a bar the warm start already covered, or a duplicate
    const vector = market.pipeline.update(bar);
    market.lastBar = bar;
    const view = vectorView(market.pipeline.names, vector);
    const signals = this.o.runtime.onFeatures(bar.symbol, bar.timeframe, { openTime: bar.openTime, close: bar.close, traceId: origin?.traceId ?? newTraceId() }, view, (agent) =>
      this.predictorFor(agent, vector),
    );
    await this.emit(signals);
    this.barSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    // Skipped for bars replayed from a backlog (over a minute old), which would only measure the backlog.
    if (origin && signals.length > 0 && Date.now() - origin.publishedAt < 60_000) {
      this.pipelineLatency.observe({ stage: 'signal' }, (Date.now() - origin.publishedAt) / 1000);
    }
  }

  /** Latest features of a market, for tasks that evaluate an agent on demand. */
  latest(symbol: string, timeframe: string): { bar: Bar; view: FeatureView; vector: Float64Array; warm: boolean } | undefined {
    for (const m of this.markets.values()) {
      const b = m.lastBar;
      if (b && b.symbol === symbol && b.timeframe === timeframe) {
        const vector = Float64Array.from(m.pipeline.names, (n) => m.pipeline.get(n));
        return { bar: b, view: vectorView(m.pipeline.names, vector), vector, warm: m.pipeline.isWarm() };
      }
    }
    return undefined;
  }

  predictorFor(agent: Agent, vector: Float64Array): ModelPredictor | undefined {
    const model = this.o.models.get(agent.symbol, agent.timeframe);
    if (!model) return undefined;
    return { version: model.version, predictProba: () => model.predictProba(vector) };
  }

  /** Stores new signals (a replayed bar never doubles one), then appends them to signals.raw. */
  async emit(signals: readonly SignalMessage[]): Promise<SignalMessage[]> {
    if (signals.length === 0) return [];
    const fresh = await this.o.signals.insert(signals);
    for (const s of fresh) {
      await this.o.bus.append(CHANNELS.signalsRaw, { type: 'signal', data: s, trace_id: s.trace_id });
      this.emitted.inc({ source_type: s.source_type, side: s.side });
    }
    return fresh;
  }

  private marketFor(bar: Bar): Promise<Market> {
    const key = `${bar.exchange}|${bar.symbol}|${bar.timeframe}`;
    const known = this.markets.get(key);
    if (known) return Promise.resolve(known);
    let pending = this.warming.get(key);
    if (!pending) {
      pending = this.warm(bar).then(async (m) => {
        this.markets.set(key, m);
        this.warming.delete(key);
        await this.o.onNewMarket?.(bar);
        return m;
      });
      this.warming.set(key, pending);
    }
    return pending;
  }

  private async warm(bar: Bar): Promise<Market> {
    const pipeline = new FeaturePipeline();
    const market: Market = { pipeline, lastBar: undefined };
    try {
      const bars = await this.o.history.recentBars(bar.symbol, bar.timeframe, bar.openTime, this.o.warmStartBars, bar.exchange);
      for (const b of bars) {
        pipeline.update(b);
        market.lastBar = b;
      }
      this.warmStarts.inc({ result: bars.length > 0 ? 'ok' : 'empty' });
      this.o.logger.info({ symbol: bar.symbol, timeframe: bar.timeframe, bars: bars.length, warm: pipeline.isWarm() }, 'feature pipeline warmed from history');
    } catch (err) {
      // price-stream unreachable: start cold; signals begin once the pipeline has warmed up on live bars.
      this.warmStarts.inc({ result: 'failed' });
      this.o.logger.warn({ err: (err as Error).message, symbol: bar.symbol, timeframe: bar.timeframe }, 'warm start failed; starting cold');
    }
    return market;
  }
}

const indexes = new WeakMap<readonly string[], Map<string, number>>();

/** A FeatureView over one vector; the name → index map is built once per name list. */
function vectorView(names: readonly string[], vector: Float64Array): FeatureView {
  let index = indexes.get(names);
  if (!index) {
    index = new Map(names.map((n, i) => [n, i]));
    indexes.set(names, index);
  }
  const idx = index;
  return { get: (name) => {
    const i = idx.get(name);
    return i === undefined ? NaN : vector[i]!;
  } };
}
