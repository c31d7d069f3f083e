/**
 * The fleet in one process: price-stream's MarketDataEngine → signal-generator's FeaturePipeline,
 * AgentRuntime and XGBoost models → signals-aggregator's ConsensusEngine and BarDecider →
 * recommendations' KellySizer and AtrBook → risk's RiskEngine (PriceBook, TradeCounter,
 * PendingBook) → execution's OrderManager and PaperExchange → portfolio's Portfolio (Ledger).
 *
 * Only the glue is here: what each service's adapters do between its engine calls (validate,
 * dedupe, map one message shape to the next), called synchronously in data-time order instead of
 * over Redis and gRPC. No decision is made here that an engine does not make in the fleet.
 *
 * Event order for each tick (what a fleet with no latency does):
 *   1. MarketDataEngine.onTick; for each bar it closes, in order:
 *        the aggregator's price feed (PRICE_TIMEFRAME bars; BarDecider deadline),
 *        recommendations' ATR (REC_TIMEFRAME bars),
 *        signal-generator (SIGNAL_TIMEFRAMES bars) → signals → consensus → recommendation →
 *        risk check → order (its data time is the consensus' bar close) → paper venue;
 *   2. the tick's price to the paper venue (fills), risk's PriceBook, the portfolio's marks and
 *      (PRICE_TICKS) the aggregator.
 * Bars are published by price-stream the moment a tick closes them, while ticks are conflated and
 * published later, so decisions on a bar come before the tick that closed it reaches the venue;
 * an order then fills at the first price at or after its data time (PaperExchange).
 *
 * Wall time does not exist here: every `now` is the data time of the tick being processed.
 */
import { createHash } from 'node:crypto';
import {
  Dec,
  InvalidArgumentError,
  numberToDecimalString,
  type Bar,
  type ConsensusMessage,
  type SignalMessage,
  type Symbol,
  type Tick,
  type Timeframe,
  type TradingStateName,
} from '@cte/shared';
import { MarketDataEngine } from '@cte/price-stream/engine';
import { FeaturePipeline, parseAgentStrategy, type AgentType, type FeatureView, type LoadedModel, type ModelPredictor } from '@cte/signal-generator/engine';
import { AgentRuntime } from '@cte/signal-generator/dist/agents/agent-runtime';
import type { Agent } from '@cte/signal-generator/dist/agents/types';
import { BarDecider, ConsensusEngine, type ReadyBar } from '@cte/signals-aggregator/engine';
import { decisionId } from '@cte/signals-aggregator/dist/adapters/signal-intake';
import { toConsensusMessage, type ConsensusRecord } from '@cte/signals-aggregator/dist/adapters/records';
import { AtrBook, KellySizer, clientOrderIdFor, validateConsensus, type Sizing } from '@cte/recommendations/engine';
import { PendingBook, PriceBook, RiskEngine, TradeCounter, limitsFromWire, prepareLimits, utcDay, type ExposureSnapshot, type PreparedLimits } from '@cte/risk/engine';
import { parseExposure } from '@cte/risk/dist/adapters/portfolio.gateway';
import { OrderManager, PaperExchange, PrecisionTable, netPositions, validateOrderRequest, type Fill, type Order } from '@cte/execution/engine';
import { toFillMessage } from '@cte/execution/dist/adapters/repository';
import { Exact, Ledger, Portfolio, fmt, toLedgerFill } from '@cte/portfolio/engine';
import type { FleetConfig } from './config';

/** The serving model of a market (signal-generator's ModelRegistry.get). */
export type ModelLookup = (symbol: Symbol, timeframe: Timeframe) => LoadedModel | undefined;

/** One agent to run (the fleet's agents table). Config keys as the agents API takes them. */
export interface AgentSpec {
  name: string;
  type: AgentType;
  symbol: Symbol;
  timeframe: Timeframe;
  config?: Record<string, unknown>;
}

export interface BacktestOptions {
  config: FleetConfig;
  models: ModelLookup;
  /**
   * The agents to run. Absent: what signal-generator seeds (SEED_AGENTS) on the first bar of a
   * symbol it has no agents for: ml_model (when a model serves the market), trend_follower,
   * mean_reversion and breakout on that bar's timeframe.
   */
  agents?: readonly AgentSpec[] | undefined;
}

/** A fill as recorded (the `trades` row's fields that the demo report reads). */
export interface FillRecord {
  symbol: Symbol;
  side: 'buy' | 'sell';
  qty: string;
  price: string;
  fee: string;
  feeCurrency: string;
  liquidity: 'maker' | 'taker';
  /** Data time of the fill. */
  ts: number;
  orderId: string;
  recommendationId: string;
}

export interface EquityPoint {
  ts: number;
  equity: string;
}

/** One consensus decision (a `consensus_signals` row's decision fields). */
export interface DecisionRecord {
  symbol: string;
  side: string;
  confidence: number;
  agreement: number;
  sources: number;
  price: string;
  /** Data time the decision is as of (the bar's close). */
  ts: number;
  reason: string;
}

/** Counts by label, like the fleet's Prometheus counters. */
export type Counts = Record<string, number>;

export interface BacktestCounters {
  ticks: number;
  barsClosed: Counts;
  /** Agents put in `error` (and stopped) by a strategy that threw: `name: message`. */
  agentErrors: Counts;
  signals: Counts;
  signalsRejected: Counts;
  lateSignals: number;
  consensus: Counts;
  recommendations: Counts;
  riskDecisions: Counts;
  riskRejections: Counts;
  orders: Counts;
  ledgerRejections: number;
}

const ZERO = new Dec(0);
/** First 8 hex digits of the ids the backtest makes, by kind. */
const ID_KINDS = { signal: '5167a100', consensus: 'c0a5e500', recommendation: 'ec0a0e00', order: '0dde7000', fill: 'f1110000', trace: '7ace0000' } as const;
const SEED_TYPES: readonly AgentType[] = ['trend_follower', 'mean_reversion', 'breakout'];

function inc(c: Counts, key: string, n = 1): void {
  c[key] = (c[key] ?? 0) + n;
}

/** A UUID-shaped id that depends only on its label (deterministic runs). */
function stableId(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

interface OpenOrder {
  order: Order;
  recommendationId: string;
  /** symbol|side of its recommendation: open until the order ends. */
  recKey: string;
}

export class Backtest {
  readonly market: MarketDataEngine;
  readonly runtime: AgentRuntime;
  readonly consensus: ConsensusEngine;
  readonly decider: BarDecider | undefined;
  readonly sizer: KellySizer;
  readonly atr: AtrBook;
  readonly risk: RiskEngine;
  readonly riskPrices = new PriceBook();
  readonly riskTrades = new TradeCounter();
  readonly riskPending = new PendingBook();
  readonly orderManager: OrderManager;
  readonly venue: PaperExchange;
  readonly portfolio: Portfolio;

  readonly fills: FillRecord[] = [];
  readonly equityCurve: EquityPoint[] = [];
  /** Every consensus decision, in the order made. */
  readonly decisions: DecisionRecord[] = [];
  readonly counters: BacktestCounters = {
    ticks: 0,
    barsClosed: {},
    agentErrors: {},
    signals: {},
    signalsRejected: {},
    lateSignals: 0,
    consensus: {},
    recommendations: {},
    riskDecisions: {},
    riskRejections: {},
    orders: {},
    ledgerRejections: 0,
  };
  firstTs: number | undefined;
  lastTs: number | undefined;
  maxDrawdown = ZERO;

  private readonly cfg: FleetConfig;
  private readonly models: ModelLookup;
  private readonly limits: PreparedLimits;
  private readonly precision: PrecisionTable;
  private readonly pipelines = new Map<string, FeaturePipeline>();
  private readonly seededSymbols = new Set<string>();
  private readonly followed: ReadonlySet<string>;
  private readonly signalTimeframes: ReadonlySet<string>;
  private readonly equityTimeframe: Timeframe;
  /** symbol|side|consensus ts of recommendations risk let through (not `rejected`). */
  private readonly tradedAt = new Set<string>();
  private readonly seenConsensus = new Set<string>();
  private readonly openRecs = new Map<string, number>();
  private readonly lastApproved = new Map<string, number>();
  private readonly orders = new Map<string, OpenOrder>();
  private tradingState: TradingStateName = 'ACTIVE';
  private flat = false;
  private fillsAtLastSample = 0;
  private now = 0;
  private seq = 0;

  constructor(o: BacktestOptions) {
    const cfg = o.config;
    this.cfg = cfg;
    this.models = o.models;
    this.market = new MarketDataEngine(cfg.priceStream.timeframes);
    // signal-generator: ids and clocks injected, so runs repeat exactly.
    this.runtime = new AgentRuntime({
      emitHold: cfg.signalGenerator.emitHold,
      now: () => this.now,
      newId: () => this.nextId('signal'),
      // AgentService.markError: a strategy that throws puts its agent in `error`, disarmed.
      onError: (agent, err) => {
        this.runtime.disarm(agent.id);
        inc(this.counters.agentErrors, `${agent.name}: ${err instanceof Error ? err.message : String(err)}`);
      },
    });
    const sg = cfg.signalGenerator;
    this.followed = new Set(sg.symbols.length > 0 ? sg.symbols : cfg.signalGenerator.tradableSymbols.list());
    this.signalTimeframes = new Set(sg.timeframes);
    this.equityTimeframe = cfg.priceStream.timeframes[0]!;
    if (o.agents) {
      for (const spec of o.agents) this.arm(spec);
      // Explicit agents: nothing is seeded.
      for (const spec of o.agents) this.seededSymbols.add(spec.symbol);
    }
    // signals-aggregator, as its main.ts builds them.
    const sa = cfg.aggregator;
    this.consensus = new ConsensusEngine({
      halfLifeMs: sa.halfLifeMs,
      maxAgeMs: sa.maxAgeMs,
      minQuorum: sa.minQuorum,
      minAgreement: sa.minAgreement,
      baseWeights: sa.sourceWeights,
      trackRecord: { priorMean: sa.trackRecordPrior, priorStrength: sa.trackRecordPriorWeight, maxPendingPerSymbol: sa.maxPendingPerSymbol },
      maxLeadMs: sa.signalMaxLeadMs,
      maxClockSkewMs: sa.signalMaxClockSkewMs,
      tradable: sa.tradableSymbols,
    });
    this.decider =
      sa.decision === 'signal'
        ? undefined
        : new BarDecider({ expectedSources: sa.expectedSources, learnWindowBars: sa.learnWindowBars, deadlineBars: sa.deadlineBars, graceMs: sa.decideGraceMs });
    // recommendations
    this.sizer = new KellySizer(cfg.recommendations.kelly);
    this.atr = new AtrBook(cfg.recommendations.atrPeriod);
    // risk: the environment's limits (a fresh database has no stored overrides).
    this.risk = new RiskEngine({ qtyDecimals: cfg.risk.qtyDecimals, haltedAllowsReducing: cfg.risk.haltedAllowsReducing, maxFeedSilenceMs: 0 });
    this.limits = prepareLimits(limitsFromWire(cfg.risk.envLimits));
    // execution: the paper venue as MockVenue builds it.
    this.precision = new PrecisionTable(cfg.execution.marketPrecision);
    this.orderManager = new OrderManager('mock');
    this.venue = new PaperExchange({ venue: 'mock', precision: this.precision, ...cfg.execution.mock });
    // portfolio: seeded with the initial capital, as on a fresh database.
    const capital = new Exact(cfg.portfolio.initialCapital.toFixed());
    const ledger = new Ledger();
    ledger.credit(cfg.portfolio.quoteCurrency, capital);
    this.portfolio = new Portfolio({ quoteCurrency: cfg.portfolio.quoteCurrency, initialCapital: capital, ledger: ledger.state() });
  }

  /** One tick, in data-time order. */
  onTick(tick: Tick): void {
    this.now = tick.ts;
    this.counters.ticks++;
    this.firstTs ??= tick.ts;
    this.lastTs = tick.ts;
    const { bars } = this.market.onTick(tick);
    for (const bar of bars) this.onBar(bar);
    this.onPrice(tick);
  }

  // --- price-stream's outputs ---------------------------------------------------------------

  private onBar(bar: Bar): void {
    inc(this.counters.barsClosed, bar.timeframe);
    const close = numberToDecimalString(bar.close);
    if (bar.timeframe === this.cfg.aggregator.priceTimeframe) this.aggregatorPrice(bar.symbol, close, bar.closeTime);
    if (bar.timeframe === this.cfg.recommendations.recTimeframe) {
      this.atr.push(bar.symbol, { openTime: bar.openTime, high: new Dec(numberToDecimalString(bar.high)), low: new Dec(numberToDecimalString(bar.low)), close: new Dec(close) });
    }
    if (this.signalTimeframes.has(bar.timeframe) && this.followed.has(bar.symbol)) this.signalBar(bar);
    if (bar.timeframe === this.equityTimeframe) this.sampleEquity(bar.closeTime);
  }

  private onPrice(tick: Tick): void {
    const symbol = tick.symbol;
    const priceStr = numberToDecimalString(tick.price);
    const price = new Dec(priceStr);
    if (this.cfg.execution.tradableSymbols.has(symbol) && price.gt(0)) this.onFills(this.venue.onPrice(symbol, price, tick.ts, 0));
    this.riskPrices.update(symbol, price, tick.ts, 0);
    if (price.gt(0)) this.portfolio.onPrice(symbol, new Exact(priceStr), tick.ts);
    if (this.cfg.aggregator.priceTicks) this.aggregatorPrice(symbol, priceStr, tick.ts);
  }

  // --- signal-generator (SignalLoop) --------------------------------------------------------

  private signalBar(bar: Bar): void {
    const key = `${bar.exchange}|${bar.symbol}|${bar.timeframe}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = new FeaturePipeline();
      this.pipelines.set(key, pipeline);
      if (this.cfg.signalGenerator.seedAgents) this.seedAgents(bar);
    }
    const last = pipeline.lastBarTime();
    if (last !== undefined && bar.openTime <= last) return;
    const vector = pipeline.update(bar);
    const view = vectorView(pipeline.names, vector);
    const traceId = this.nextTraceId();
    const signals = this.runtime.onFeatures(bar.symbol, bar.timeframe, { openTime: bar.openTime, close: bar.close, traceId }, view, (agent) => this.predictorFor(agent, vector));
    for (const s of signals) {
      inc(this.counters.signals, s.side);
      this.onSignal(s);
    }
  }

  private predictorFor(agent: Agent, vector: Float64Array): ModelPredictor | undefined {
    const model = this.models(agent.symbol, agent.timeframe);
    if (!model) return undefined;
    return { version: model.version, predictProba: () => model.predictProba(vector) };
  }

  /** seedDefaultAgents: once per symbol, on the first bar signal-generator sees of it. */
  private seedAgents(bar: Bar): void {
    if (this.seededSymbols.has(bar.symbol)) return;
    this.seededSymbols.add(bar.symbol);
    const base = bar.symbol.split('/')[0]!.toLowerCase();
    const types: AgentType[] = [...SEED_TYPES];
    if (this.models(bar.symbol, bar.timeframe)) types.unshift('ml_model');
    for (const type of types) this.arm({ name: `${base}_${type}_${bar.timeframe}`, type, symbol: bar.symbol, timeframe: bar.timeframe });
  }

  private arm(spec: AgentSpec): void {
    const strategy = parseAgentStrategy(spec.type, spec.timeframe, spec.config ?? {});
    const agent = {
      id: stableId(`agent|${spec.name}`),
      name: spec.name,
      symbol: spec.symbol,
      timeframe: spec.timeframe,
      status: 'running',
      created_at: 0,
      updated_at: 0,
      version: 1,
      ...strategy,
    } as Agent;
    this.runtime.arm(agent);
  }

  // --- signals-aggregator (SignalIntake, PriceFeed) -----------------------------------------

  private aggregatorPrice(symbol: Symbol, price: string, ts: number): void {
    this.consensus.onPrice(symbol, price, ts, this.decider === undefined);
    const ready = this.decider?.onPrice(symbol, ts) ?? [];
    if (ready.length > 0) this.decideBars(ready);
  }

  private onSignal(raw: SignalMessage): void {
    const v = this.consensus.validate(raw, this.now, this.decider === undefined);
    if (!v.ok) {
      inc(this.counters.signalsRejected, v.reason);
      return;
    }
    const signal = v.signal;
    if (!this.decider) {
      const result = this.consensus.apply(signal);
      if (result.duplicate) return;
      this.consensus.track(signal);
      this.publishConsensus({ ...result.consensus, id: this.nextId('consensus'), trace_id: signal.trace_id, created_at: this.now });
      return;
    }
    this.consensus.trackRecord.observe(signal.agent_id, signal.source_type);
    this.consensus.track(signal);
    const { status, ready } = this.decider.add(signal);
    if (status === 'late') {
      this.counters.lateSignals++;
      return;
    }
    this.decideBars(ready);
  }

  private decideBars(bars: readonly ReadyBar[]): void {
    for (const bar of bars) {
      const { consensus } = this.consensus.decide(bar);
      const traceId = bar.signals[0]?.trace_id;
      if (traceId === undefined) continue;
      this.publishConsensus({ ...consensus, id: decisionId(bar), trace_id: traceId, created_at: this.now });
    }
  }

  private publishConsensus(record: ConsensusRecord): void {
    inc(this.counters.consensus, record.side);
    const { symbol, side, confidence, agreement, sources, price, ts, reason } = record;
    this.decisions.push({ symbol, side, confidence, agreement, sources, price, ts, reason });
    this.onConsensus(toConsensusMessage(record));
  }

  // --- recommendations (ConsensusIntake, RecommendationFlow) --------------------------------

  private onConsensus(raw: ConsensusMessage): void {
    const rc = this.cfg.recommendations;
    const v = validateConsensus(raw, this.now, rc.maxClockSkewMs, rc.tradableSymbols);
    if (!v.ok) return inc(this.counters.recommendations, 'invalid');
    const c = v.consensus;
    if (c.side === 'HOLD') return inc(this.counters.recommendations, 'hold');
    if (this.seenConsensus.has(c.id)) return inc(this.counters.recommendations, 'duplicate');
    this.seenConsensus.add(c.id);
    const side = c.side === 'BUY' ? 'buy' : 'sell';
    const recKey = `${c.symbol}|${side}`;
    if ((this.openRecs.get(recKey) ?? 0) > 0) return inc(this.counters.recommendations, 'open');
    // One bar never buys and sells: the other side already trades at this consensus data time.
    if (this.tradedAt.has(`${c.symbol}|${side === 'buy' ? 'sell' : 'buy'}|${c.ts}`)) return inc(this.counters.recommendations, 'opposite_same_bar');
    const last = this.lastApproved.get(recKey);
    if (rc.cooldownMs > 0 && last !== undefined && c.ts - last < rc.cooldownMs) return inc(this.counters.recommendations, 'cooldown');

    // The consensus' own price (the decided bar's close, at its data time).
    const price = new Dec(c.price);
    const exposure = this.portfolio.exposure();
    const equity = new Dec(fmt(exposure.equity));
    const position = exposure.symbols.find((s) => s.symbol === c.symbol);
    const sizing: Sizing = this.sizer.size({
      symbol: c.symbol,
      side: c.side,
      confidence: c.confidence,
      price,
      equity,
      positionQty: position ? new Dec(fmt(position.qty)) : ZERO,
      sources: this.consensus.sources().map((s) => ({ hitRate: Math.round(s.hitRate * 1e6) / 1e6, baseWeight: s.baseWeight, scored: s.scored })),
      atr: this.atr.value(c.symbol),
    });
    inc(this.counters.recommendations, 'sized');
    if (!sizing.trade) return inc(this.counters.recommendations, `no_trade:${sizing.reason ?? 'no_trade'}`);
    const recId = this.nextId('recommendation');
    const approved = this.riskCheck(recId, c.symbol, side, sizing.qty, price);
    if (approved === undefined) return inc(this.counters.recommendations, 'rejected');
    inc(this.counters.recommendations, approved.lt(sizing.qty) ? 'resized' : 'approved');
    this.lastApproved.set(recKey, Math.max(c.ts, this.lastApproved.get(recKey) ?? c.ts));
    this.tradedAt.add(`${recKey}|${c.ts}`);
    this.submit(recId, recKey, c.symbol, side, approved, c.trace_id, c.ts);
  }

  // --- risk (RiskService.check) -------------------------------------------------------------

  /** The approved quantity, or undefined when rejected. */
  private riskCheck(recId: string, symbol: Symbol, side: 'buy' | 'sell', qty: Dec, price: Dec): Dec | undefined {
    const exposure = this.riskExposure();
    const dataNow = this.riskPrices.dataNow > 0 ? this.riskPrices.dataNow : this.now;
    const day = utcDay(dataNow);
    const result = this.risk.check(
      { symbol, side, qty, price },
      {
        limits: this.limits,
        state: this.tradingState,
        exposure,
        price: this.riskPrices.view(symbol, 0),
        feedStale: false,
        tradesToday: this.riskTrades.total(day),
        tradesTodaySymbol: this.riskTrades.forSymbol(day, symbol),
        pending: this.riskPending.view(symbol),
      },
    );
    // A tripped breaker halts the fleet (the kill switch) until an operator resets it.
    if (result.trip.length > 0) this.tradingState = 'HALTED';
    inc(this.counters.riskDecisions, result.decision);
    if (result.decision === 'REJECTED' || result.approvedQty.lte(0)) {
      inc(this.counters.riskRejections, result.reasons[0] ?? 'none');
      return undefined;
    }
    this.riskTrades.record(day, symbol);
    // Pending until its order ends (the fleet keeps it PENDING_TTL_MS of wall time; here the
    // portfolio shows the fill as soon as it happens, so the order's end is the right moment).
    if (this.cfg.risk.pendingTtlMs > 0 && result.openingQty.gt(0) && result.price !== undefined) {
      this.riskPending.add(recId, symbol, side, result.openingQty, result.openingQty.mul(result.price), Number.POSITIVE_INFINITY);
    }
    return result.approvedQty.gt(qty) ? qty : result.approvedQty;
  }

  /** The portfolio's exposure as risk reads it: GetExposure, decimals as the wire carries them. */
  private riskExposure(): ExposureSnapshot {
    const e = this.portfolio.exposure();
    return parseExposure({
      equity: fmt(e.equity),
      gross_exposure: fmt(e.grossExposure),
      symbols: e.symbols.map((s) => ({ symbol: s.symbol, qty: fmt(s.qty), notional: fmt(s.notional) })),
      start_of_day_equity: fmt(e.startOfDayEquity),
      peak_equity: fmt(e.peak),
    });
  }

  /** RiskService.onFill: after fills, the circuit breakers are checked on fresh exposure. */
  private checkBreakers(): void {
    if (this.tradingState === 'HALTED') return;
    if (this.risk.breaches(this.riskExposure(), this.limits).length > 0) this.tradingState = 'HALTED';
  }

  // --- execution (ExecutionService, MockVenue) ----------------------------------------------

  private submit(recId: string, recKey: string, symbol: Symbol, side: 'buy' | 'sell', qty: Dec, traceId: string, dataTime: number): void {
    let req;
    try {
      req = validateOrderRequest(
        { client_order_id: clientOrderIdFor(recId), symbol, side, type: 'market', qty: qty.toFixed(), recommendation_id: recId, trace_id: traceId },
        { symbols: this.cfg.execution.tradableSymbols, precision: this.precision },
      );
    } catch (err) {
      // Execution refuses it (e.g. more decimals than the market takes): the recommendation fails.
      if (!(err instanceof InvalidArgumentError)) throw err;
      inc(this.counters.orders, 'refused');
      this.riskPending.release(recId);
      return;
    }
    let order = this.orderManager.create(req, this.nextId('order'), traceId, this.now);
    if (this.tradingState !== 'ACTIVE') {
      const positions = netPositions(this.fills.map((f) => ({ symbol: f.symbol, side: f.side, qty: new Dec(f.qty) })));
      let openBuy = ZERO;
      let openSell = ZERO;
      for (const o of this.orders.values()) {
        if (o.order.symbol !== symbol) continue;
        const rest = this.orderManager.remaining(o.order);
        if (o.order.side === 'buy') openBuy = openBuy.plus(rest);
        else openSell = openSell.plus(rest);
      }
      const gate = this.orderManager.gate(this.tradingState, req, { position: positions.get(symbol) ?? ZERO, openBuy, openSell });
      if (!gate.ok) {
        order = this.orderManager.rejected(order, gate.reason, this.now);
        inc(this.counters.orders, order.status);
        this.riskPending.release(recId);
        return;
      }
    }
    const ack = this.venue.submit({ orderId: order.id, clientOrderId: order.clientOrderId, symbol, side, type: 'market', qty: order.qty, limitPrice: null }, 0, dataTime);
    if (!ack.accepted) {
      order = this.orderManager.rejected(order, ack.reason, this.now);
      inc(this.counters.orders, order.status);
      this.riskPending.release(recId);
      return;
    }
    order = this.orderManager.submitted(order, ack.venueOrderId, this.now);
    this.orders.set(order.id, { order, recommendationId: recId, recKey });
    this.openRecs.set(recKey, (this.openRecs.get(recKey) ?? 0) + 1);
    this.onFills(ack.fills);
  }

  private onFills(fills: readonly Fill[]): void {
    if (fills.length === 0) return;
    for (const fill of fills) {
      const open = this.orders.get(fill.orderId);
      if (!open) continue;
      const { order } = this.orderManager.applyFill(open.order, fill, this.now);
      open.order = order;
      // portfolio: the fill as events.fills carries it.
      const message = toFillMessage(fill, this.nextId('fill'), order.traceId);
      try {
        this.portfolio.applyFill(toLedgerFill(message));
      } catch {
        this.counters.ledgerRejections++;
      }
      this.fills.push({
        symbol: fill.symbol,
        side: fill.side,
        qty: message.qty,
        price: message.price,
        fee: message.fee,
        feeCurrency: fill.feeCurrency,
        liquidity: fill.liquidity,
        ts: fill.ts,
        orderId: order.id,
        recommendationId: open.recommendationId,
      });
      if (order.status === 'FILLED') {
        inc(this.counters.orders, 'FILLED');
        this.orders.delete(order.id);
        this.openRecs.set(open.recKey, Math.max(0, (this.openRecs.get(open.recKey) ?? 1) - 1));
        this.riskPending.release(open.recommendationId);
      }
    }
    this.checkBreakers();
  }

  // --- portfolio ----------------------------------------------------------------------------

  private sampleEquity(ts: number): void {
    // Flat and no fill since the last sample: equity is the unchanged cash (no valuation needed).
    const last = this.equityCurve.at(-1);
    if (last !== undefined && this.flat && this.fills.length === this.fillsAtLastSample) {
      this.equityCurve.push({ ts, equity: last.equity });
      return;
    }
    const v = this.portfolio.valuation();
    this.equityCurve.push({ ts, equity: fmt(v.equity) });
    if (v.drawdown.gt(this.maxDrawdown)) this.maxDrawdown = v.drawdown;
    this.flat = v.openPositions === 0;
    this.fillsAtLastSample = this.fills.length;
  }

  /** Orders still waiting for a price when the data ended. */
  openOrders(): number {
    return this.orders.size;
  }

  /** A UUID-shaped id from a run-wide sequence: the same run gives the same ids. */
  private nextId(kind: keyof typeof ID_KINDS): string {
    return `${ID_KINDS[kind]}-0000-4000-8000-${(++this.seq).toString(16).padStart(12, '0')}`;
  }

  private nextTraceId(): string {
    return `${ID_KINDS.trace}${(++this.seq).toString(16).padStart(24, '0')}`;
  }
}

const indexes = new WeakMap<readonly string[], Map<string, number>>();

/** A FeatureView over one vector (as signal-generator's SignalLoop builds it). */
function vectorView(names: readonly string[], vector: Float64Array): FeatureView {
  let index = indexes.get(names);
  if (!index) {
    index = new Map(names.map((n, i) => [n, i]));
    indexes.set(names, index);
  }
  const idx = index;
  return {
    get: (name) => {
      const i = idx.get(name);
      return i === undefined ? NaN : vector[i]!;
    },
  };
}
