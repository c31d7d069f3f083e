/**
 * Test doubles of the peers of recommendations, as ONE real in-test gRPC server (the kit's
 * createGrpcServer, so auth, error mapping and health behave as in the fleet) implementing the
 * Risk, Execution, Portfolio, SignalsAggregator and PriceStream protos. Behaviour is set per
 * test through plain properties. Like the real services, risk's Check is idempotent per
 * recommendation_id and execution's Submit is idempotent per client_order_id.
 */
import {
  ConflictError,
  createGrpcServer,
  createLogger,
  createMetrics,
  InvalidArgumentError,
  loadProto,
  NotFoundError,
  unary,
  UnavailableError,
  type ConsensusProtoGrpcType,
  type ExecutionHandlers,
  type ExecutionProtoGrpcType,
  type GrpcServerKit,
  type MarketProtoGrpcType,
  type PortfolioHandlers,
  type PortfolioProtoGrpcType,
  type PriceStreamHandlers,
  type RiskHandlers,
  type RiskProtoGrpcType,
  type SignalsAggregatorHandlers,
} from '@cte/shared';

export interface CheckCall {
  recommendation_id: string;
  symbol: string;
  side: string;
  qty: string;
  price: string;
  trace_id: string;
}

export interface Decision {
  decision: 'APPROVED' | 'RESIZED' | 'REJECTED';
  approved_qty?: string;
  reasons?: string[];
}

export interface SubmitCall {
  client_order_id: string;
  symbol: string;
  side: string;
  type: string;
  qty: string;
  recommendation_id: string;
  trace_id: string;
  /** int64 as gRPC decodes it (a decimal string; '0' = none). */
  data_time: string;
}

export interface DoubleOrder {
  id: string;
  client_order_id: string;
  symbol: string;
  side: string;
  type: string;
  qty: string;
  status: string;
  filled_qty: string;
  avg_fill_price: string;
  reason: string;
  recommendation_id: string;
}

/**
 * How the execution double answers a Submit:
 *   ok        – records the order (once per client order id) and returns it;
 *   lose-ack  – records the order, then answers UNAVAILABLE (the ack is lost);
 *   hang      – records the order, then holds the answer until release() (then UNAVAILABLE);
 *   down      – UNAVAILABLE without recording anything;
 *   refuse    – INVALID_ARGUMENT.
 */
export type SubmitMode = 'ok' | 'lose-ack' | 'hang' | 'down' | 'refuse';

export interface SourceDouble {
  agent_id: string;
  hit_rate: number;
  base_weight: number;
  scored: number;
}

export interface BarDouble {
  open_time: number;
  high: string;
  low: string;
  close: string;
}

export class PeerDoubles {
  address = '';
  private kit!: GrpcServerKit;

  // risk
  checks: CheckCall[] = [];
  readonly decisions = new Map<string, Decision>();
  /** Per request; 'down' answers UNAVAILABLE. */
  decide: (req: CheckCall) => Decision | 'down' = () => ({ decision: 'APPROVED' });

  // execution
  submits: SubmitCall[] = [];
  readonly orders = new Map<string, DoubleOrder>();
  submitMode: (req: SubmitCall) => SubmitMode = () => 'ok';
  /** Status of a newly created order. */
  initialStatus: (req: SubmitCall) => { status: string; filled_qty?: string; avg_fill_price?: string } = () => ({ status: 'SUBMITTED' });
  getOrderCalls = 0;
  private hung: Array<() => void> = [];
  private orderSeq = 0;

  // portfolio
  equity = '10000';
  positions: Record<string, string> = {};
  portfolioDown = false;

  // signals-aggregator
  sources: SourceDouble[] = [{ agent_id: 'agent_a', hit_rate: 0.75, base_weight: 1, scored: 40 }];
  aggregatorDown = false;
  listSourcesCalls = 0;

  // price-stream
  bars: (symbol: string) => BarDouble[] = () => [];
  getBarsCalls: Array<{ symbol: string; timeframe: string; from: string; to: string }> = [];

  constructor(readonly apiKey: string) {}

  async start(): Promise<void> {
    const logger = createLogger({ service: 'test-peers', level: 'silent' });
    this.kit = createGrpcServer({ service: 'test-peers', apiKey: this.apiKey, logger, registry: createMetrics('test-peers') });
    const risk = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
    const execution = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
    const portfolio = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
    const consensus = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
    const market = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
    this.kit.addService(risk.cte.risk.v1.Risk.service, this.riskHandlers());
    this.kit.addService(execution.cte.execution.v1.Execution.service, this.executionHandlers());
    this.kit.addService(portfolio.cte.portfolio.v1.Portfolio.service, this.portfolioHandlers());
    this.kit.addService(consensus.cte.consensus.v1.SignalsAggregator.service, this.aggregatorHandlers());
    this.kit.addService(market.cte.market.v1.PriceStream.service, this.marketHandlers());
    const port = await this.kit.listen(0, '127.0.0.1');
    this.address = `127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.release();
    await this.kit?.shutdown(1000);
  }

  /** Lets every held ('hang') Submit answer (UNAVAILABLE). */
  release(): void {
    const h = this.hung;
    this.hung = [];
    for (const r of h) r();
  }

  ordersFor(clientOrderId: string): DoubleOrder[] {
    return [...this.orders.values()].filter((o) => o.client_order_id === clientOrderId);
  }

  submitsFor(recommendationId: string): SubmitCall[] {
    return this.submits.filter((s) => s.recommendation_id === recommendationId);
  }

  checksFor(recommendationId: string): CheckCall[] {
    return this.checks.filter((c) => c.recommendation_id === recommendationId);
  }

  private riskHandlers(): RiskHandlers {
    const unused = unary(async () => {
      throw new UnavailableError('not implemented by the test double');
    });
    return {
      Check: unary(async (req) => {
        const call: CheckCall = { recommendation_id: req.recommendation_id, symbol: req.symbol, side: req.side, qty: req.qty, price: req.price, trace_id: req.trace_id };
        this.checks.push(call);
        let d = this.decisions.get(req.recommendation_id);
        if (!d) {
          const made = this.decide(call);
          if (made === 'down') throw new UnavailableError('risk double is down');
          d = made;
          this.decisions.set(req.recommendation_id, d);
        }
        return {
          decision: d.decision,
          approved_qty: d.approved_qty ?? (d.decision === 'REJECTED' ? '0' : req.qty),
          reasons: d.reasons ?? [],
          trading_state: 'ACTIVE',
          event_id: `risk-${req.recommendation_id}`,
          reduces_position: false,
        };
      }),
      GetTradingState: unused,
      SetTradingState: unused,
      GetLimits: unused,
      UpdateLimits: unused,
    };
  }

  private executionHandlers(): ExecutionHandlers {
    const toProto = (o: DoubleOrder) => ({ ...o, venue: 'mock', limit_price: '', fees: '0', fee_currency: 'USD', created_at: '1', updated_at: '1', venue_order_id: '' });
    return {
      Submit: unary(async (req) => {
        const call: SubmitCall = {
          client_order_id: req.client_order_id,
          symbol: req.symbol,
          side: req.side,
          type: req.type,
          qty: req.qty,
          recommendation_id: req.recommendation_id,
          trace_id: req.trace_id,
          data_time: String(req.data_time),
        };
        this.submits.push(call);
        const mode = this.submitMode(call);
        if (mode === 'down') throw new UnavailableError('execution double is down');
        if (mode === 'refuse') throw new InvalidArgumentError('qty is below the venue minimum');
        if (!req.client_order_id) throw new InvalidArgumentError('client_order_id is required');
        let order = this.orders.get(req.client_order_id);
        if (order) {
          if (order.qty !== req.qty || order.side !== req.side || order.symbol !== req.symbol) throw new ConflictError('client_order_id reused with different parameters');
        } else {
          const init = this.initialStatus(call);
          order = {
            id: `ord-${++this.orderSeq}`,
            client_order_id: req.client_order_id,
            symbol: req.symbol,
            side: req.side,
            type: req.type,
            qty: req.qty,
            status: init.status,
            filled_qty: init.filled_qty ?? (init.status === 'FILLED' ? req.qty : '0'),
            avg_fill_price: init.avg_fill_price ?? (init.status === 'FILLED' ? '25000' : ''),
            reason: '',
            recommendation_id: req.recommendation_id,
          };
          this.orders.set(req.client_order_id, order);
        }
        if (mode === 'lose-ack') throw new UnavailableError('ack lost (test double)');
        if (mode === 'hang') {
          await new Promise<void>((resolve) => this.hung.push(resolve));
          throw new UnavailableError('ack lost (test double, held)');
        }
        return toProto(order);
      }),
      GetOrder: unary(async (req) => {
        this.getOrderCalls++;
        const order = req.id ? [...this.orders.values()].find((o) => o.id === req.id) : this.orders.get(req.client_order_id);
        if (!order) throw new NotFoundError('order not found');
        return toProto(order);
      }),
      Cancel: unary(async () => {
        throw new UnavailableError('not implemented by the test double');
      }),
      ListOrders: unary(async () => ({ orders: [...this.orders.values()].map(toProto), total: this.orders.size })),
      StreamOrderEvents: () => undefined,
      GetVenueBalances: unary(async () => ({ venues: [] })),
    };
  }

  private portfolioHandlers(): PortfolioHandlers {
    const unused = unary(async () => {
      throw new UnavailableError('not implemented by the test double');
    });
    return {
      GetExposure: unary(async () => {
        if (this.portfolioDown) throw new UnavailableError('portfolio double is down');
        return {
          equity: this.equity,
          gross_exposure: '0',
          gross_exposure_pct: '0',
          net_exposure: '0',
          symbols: Object.entries(this.positions).map(([symbol, qty]) => ({ symbol, qty, notional: '0', pct_of_equity: '0' })),
          start_of_day_equity: this.equity,
          daily_pnl: '0',
          peak_equity: this.equity,
          drawdown_pct: '0',
          as_of: String(Date.now()),
        };
      }),
      GetPortfolio: unused,
      GetPositions: unused,
    };
  }

  private aggregatorHandlers(): SignalsAggregatorHandlers {
    return {
      ListSources: unary(async () => {
        this.listSourcesCalls++;
        if (this.aggregatorDown) throw new UnavailableError('aggregator double is down');
        return {
          sources: this.sources.map((s) => ({
            agent_id: s.agent_id,
            source_type: 'ml_model',
            base_weight: s.base_weight,
            hit_rate: s.hit_rate,
            hits: String(Math.round(s.hit_rate * s.scored)),
            scored: String(s.scored),
            multiplier: 2 * s.hit_rate,
            effective_weight: 2 * s.hit_rate * s.base_weight,
            pending: 0,
            last_scored_at: '0',
          })),
        };
      }),
      GetConsensus: unary(async () => {
        throw new NotFoundError('no consensus');
      }),
      StreamConsensus: () => undefined,
    };
  }

  private marketHandlers(): PriceStreamHandlers {
    const unused = unary(async () => {
      throw new UnavailableError('not implemented by the test double');
    });
    return {
      GetBars: unary(async (req) => {
        this.getBarsCalls.push({ symbol: req.symbol, timeframe: req.timeframe, from: String(req.from), to: String(req.to) });
        const from = Number(req.from);
        const to = Number(req.to);
        const bars = this.bars(req.symbol).filter((b) => b.open_time >= from && (to === 0 || b.open_time <= to));
        return {
          bars: bars.map((b) => ({
            exchange: 'test',
            symbol: req.symbol,
            timeframe: req.timeframe,
            open_time: String(b.open_time),
            close_time: String(b.open_time + 3_600_000),
            open: b.close,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: '1',
            trades: 1,
          })),
          next_cursor: '',
        };
      }),
      GetPrice: unused,
      GetPrices: unused,
      IsMonitorActive: unused,
      ListMonitors: unused,
      StartMonitor: unused,
      StopMonitor: unused,
      StreamAlerts: () => undefined,
      StreamPrices: () => undefined,
    };
  }
}
