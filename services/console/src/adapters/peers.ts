/**
 * The console's gRPC clients: it calls the fleet on the operator's behalf with the fleet's API key,
 * which stays in this process. Only idempotent reads are retried.
 */
import {
  createGrpcClient,
  loadProto,
  type ExecutionClient,
  type ExecutionProtoGrpcType,
  type GrpcClient,
  type Logger,
  type MarketProtoGrpcType,
  type PortfolioClient,
  type PortfolioProtoGrpcType,
  type PriceStreamClient,
  type RiskClient,
  type RiskProtoGrpcType,
} from '@cte/shared';

export interface PeerAddresses {
  priceStream: string;
  risk: string;
  execution: string;
  portfolio: string;
}

export class Peers {
  readonly risk: GrpcClient<RiskClient>;
  readonly execution: GrpcClient<ExecutionClient>;
  readonly portfolio: GrpcClient<PortfolioClient>;
  readonly priceStream: GrpcClient<PriceStreamClient>;

  constructor(addr: PeerAddresses, o: { apiKey: string; deadlineMs: number; logger: Logger }) {
    const common = { apiKey: o.apiKey, deadlineMs: o.deadlineMs, logger: o.logger };
    const risk = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
    const execution = loadProto<ExecutionProtoGrpcType>('cte/execution/v1/execution.proto');
    const portfolio = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
    const market = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
    this.risk = createGrpcClient<RiskClient>(risk.cte.risk.v1.Risk, addr.risk, { ...common, idempotentMethods: ['GetTradingState', 'GetLimits'] });
    this.execution = createGrpcClient<ExecutionClient>(execution.cte.execution.v1.Execution, addr.execution, { ...common, idempotentMethods: ['ListOrders', 'GetOrder'] });
    this.portfolio = createGrpcClient<PortfolioClient>(portfolio.cte.portfolio.v1.Portfolio, addr.portfolio, {
      ...common,
      idempotentMethods: ['GetPortfolio', 'GetPositions', 'GetExposure'],
    });
    this.priceStream = createGrpcClient<PriceStreamClient>(market.cte.market.v1.PriceStream, addr.priceStream, { ...common, idempotentMethods: ['GetBars', 'GetPrices'] });
  }

  close(): void {
    this.risk.close();
    this.execution.close();
    this.portfolio.close();
    this.priceStream.close();
  }
}
