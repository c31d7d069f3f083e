import { randomUUID } from 'node:crypto';
import { Dec, type Bus, type ConsensusMessage, type Envelope, type Logger, type Subscription, type TradableSymbols } from '@cte/shared';
import { validateConsensus } from '../engine/consensus';
import type { KellySizer, Sizing } from '../engine/kelly-sizer';
import type { RecommendationFlow } from './flow';
import { KeyedQueue } from './keyed-queue';
import type { MarketData } from './market-data';
import type { RecommendationsMetrics } from './metrics';
import type { PortfolioPort } from './portfolio.gateway';
import type { NewRecommendation } from './records';
import type { RecommendationRepository } from './repository';
import type { SourcesPort } from './sources.gateway';

export interface ConsensusIntakeOptions {
  bus: Pick<Bus, 'subscribe'>;
  channel: string;
  repo: RecommendationRepository;
  flow: RecommendationFlow;
  sizer: KellySizer;
  market: MarketData;
  portfolio: PortfolioPort;
  sources: SourcesPort;
  metrics: RecommendationsMetrics;
  logger: Logger;
  /** Consensus data time a risk-approved recommendation blocks the same symbol and side for. */
  cooldownMs: number;
  maxQueuePerSymbol: number;
  maxClockSkewMs: number;
  /** The fleet's tradable symbols: a consensus for another is invalid (counted, ignored). */
  symbols: TradableSymbols;
  now?: () => number;
}

/** Ratios are stored with 18 decimals (DECIMAL(36,18)). */
const r18 = (d: Dec): string => d.toDecimalPlaces(18).toFixed();

/**
 * The `signals.consensus` subscriber. Per message: validate (bad ones are counted by reason and
 * ignored) → HOLD is ignored → per symbol, in order: dedupe by consensus id → skip while a
 * recommendation of the same symbol and side is open (pending/approved/resized/submitted), when
 * the other side already trades on the same bar (consensus data time), or within the cooldown
 * after a risk-approved one → size with the KellySizer (equity and position
 * from portfolio, track record from signals-aggregator, ATR from bars, latest price) → store
 * (as rejected with the reason when sizing finds no trade) → drive through risk and execution.
 */
export class ConsensusIntake {
  private readonly queue: KeyedQueue;
  private readonly now: () => number;
  private sub: Subscription | undefined;
  private stopping = false;

  constructor(private readonly o: ConsensusIntakeOptions) {
    this.queue = new KeyedQueue(o.maxQueuePerSymbol);
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.sub = await this.o.bus.subscribe(this.o.channel, (env) => this.handle(env));
  }

  /**
   * Stops taking consensus messages. Those queued but not started are abandoned (pub/sub gives
   * no redelivery either); those being processed finish: see drain.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.sub?.unsubscribe();
    this.sub = undefined;
  }

  drain(): Promise<void> {
    return this.queue.drain();
  }

  handle(env: Envelope<unknown>): void {
    const { metrics, logger } = this.o;
    const v = validateConsensus(env.data, this.now(), this.o.maxClockSkewMs, this.o.symbols);
    if (!v.ok) {
      metrics.consensus.inc({ outcome: 'invalid' });
      metrics.consensusInvalid.inc({ reason: v.reason });
      logger.warn({ trace_id: env.trace_id, reason: v.reason, error: v.message }, 'ignored invalid consensus');
      return;
    }
    const c = v.consensus;
    if (c.side === 'HOLD') {
      metrics.consensus.inc({ outcome: 'hold' });
      return;
    }
    const queued = this.queue.push(c.symbol, () => this.process(c, env.ts));
    if (!queued) {
      metrics.consensus.inc({ outcome: 'overloaded' });
      logger.warn({ trace_id: c.trace_id, symbol: c.symbol, consensus_id: c.id }, 'consensus queue of the symbol is full; dropped');
    }
  }

  /** Sizes and stores one BUY/SELL consensus, then drives its recommendation. */
  async process(c: ConsensusMessage, envelopeTs: number): Promise<void> {
    const { repo, metrics } = this.o;
    const log = this.o.logger.child({ trace_id: c.trace_id, consensus_id: c.id, symbol: c.symbol });
    const side = c.side === 'BUY' ? 'buy' : 'sell';
    if (this.stopping) {
      metrics.consensus.inc({ outcome: 'abandoned' });
      return;
    }
    try {
      if (await repo.consensusExists(c.id)) {
        metrics.consensus.inc({ outcome: 'duplicate' });
        return;
      }
      if (await repo.hasOpen(c.symbol, side)) {
        metrics.consensus.inc({ outcome: 'open' });
        log.debug({ side }, 'a recommendation for this symbol and side is still open; consensus skipped');
        return;
      }
      if (await repo.hasSideAtConsensusTs(c.symbol, side === 'buy' ? 'sell' : 'buy', c.ts)) {
        metrics.consensus.inc({ outcome: 'opposite_same_bar' });
        log.info({ side, ts: c.ts }, 'the other side already trades on this bar; consensus skipped');
        return;
      }
      if (this.o.cooldownMs > 0) {
        const last = await repo.lastApprovedConsensusTs(c.symbol, side);
        if (last !== undefined && c.ts - last < this.o.cooldownMs) {
          metrics.consensus.inc({ outcome: 'cooldown' });
          log.debug({ side, last_ts: last }, 'within the cooldown of the last approved recommendation; consensus skipped');
          return;
        }
      }
      const rec = await this.size(c, side, log);
      const stored = rec.sizing?.trade
        ? await repo.insert(rec.record, `sized from consensus ${c.id}`)
        : await repo.insert(rec.record, `sized from consensus ${c.id}`, { to: 'rejected', reason: rec.rejectReason });
      if (!stored) {
        metrics.consensus.inc({ outcome: 'duplicate' });
        return;
      }
      metrics.consensus.inc({ outcome: 'sized' });
      metrics.recommendations.inc({ status: 'pending' });
      if (stored.status === 'rejected') {
        metrics.recommendations.inc({ status: 'rejected' });
        log.info({ recommendation_id: stored.id, reason: rec.rejectReason }, 'no trade');
        return;
      }
      log.info({ recommendation_id: stored.id, side, qty: stored.qty, fraction: stored.fraction, p: stored.winProbability }, 'recommendation sized');
      await this.o.flow.drive(stored.id, { consensusEnvelopeTs: envelopeTs });
    } catch (err) {
      metrics.consensus.inc({ outcome: 'failed' });
      log.error({ err }, 'consensus processing failed');
    }
  }

  private async size(c: ConsensusMessage, side: 'buy' | 'sell', log: Logger): Promise<{ record: NewRecommendation; sizing?: Sizing; rejectReason: string }> {
    const { market, sizer, metrics } = this.o;
    // The consensus' own price (the decided bar's close, at c.ts): fixed by data time, unlike the
    // latest tick, which depends on how far the feed ran ahead of the pipeline.
    const price = new Dec(c.price);
    const base: NewRecommendation = {
      id: randomUUID(),
      symbol: c.symbol,
      side,
      source: 'consensus',
      consensusId: c.id,
      consensusTs: c.ts,
      idempotencyKey: null,
      confidence: r18(new Dec(c.confidence)),
      hitRate: null,
      calibration: null,
      winProbability: null,
      payoffRatio: null,
      kellyFraction: null,
      fraction: null,
      equity: null,
      qty: '0',
      price: price.toFixed(),
      notional: null,
      atr: null,
      stopLoss: null,
      takeProfit: null,
      reasons: [],
      note: null,
      traceId: c.trace_id,
      createdAt: this.now(),
    };
    let exposure;
    try {
      exposure = await this.o.portfolio.exposure(c.trace_id);
    } catch (err) {
      metrics.peerFailures.inc({ peer: 'portfolio' });
      log.warn({ err: (err as Error).message }, 'portfolio unavailable: cannot size');
      return { record: { ...base, reasons: ['portfolio_unavailable'] }, rejectReason: 'portfolio_unavailable' };
    }
    const [tracks, atr] = await Promise.all([this.o.sources.tracks(), market.atrOf(c.symbol, c.ts)]);
    const sizing = sizer.size({
      symbol: c.symbol,
      side: c.side as 'BUY' | 'SELL',
      confidence: c.confidence,
      price,
      equity: exposure.equity,
      positionQty: exposure.positions.get(c.symbol) ?? new Dec(0),
      sources: tracks,
      atr,
    });
    metrics.kellyFraction.observe({ stage: 'kelly' }, sizing.kelly.toNumber());
    metrics.kellyFraction.observe({ stage: 'applied' }, sizing.fraction.toNumber());
    const record: NewRecommendation = {
      ...base,
      hitRate: r18(sizing.calibration.hitRate),
      calibration: sizing.calibration.basis,
      winProbability: r18(sizing.calibration.p),
      payoffRatio: r18(sizing.payoffRatio),
      kellyFraction: r18(sizing.kelly),
      fraction: r18(sizing.fraction),
      equity: exposure.equity.toFixed(),
      qty: sizing.qty.toFixed(),
      notional: r18(sizing.notional),
      atr: atr === undefined ? null : r18(atr),
      stopLoss: sizing.stopLoss?.toFixed() ?? null,
      takeProfit: sizing.takeProfit?.toFixed() ?? null,
      reasons: sizing.reason ? [sizing.reason] : [],
    };
    return { record, sizing, rejectReason: sizing.reason ?? 'no_trade' };
  }
}
