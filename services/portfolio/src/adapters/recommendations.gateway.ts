/**
 * Outbound: recommendations' `Propose` (proto/cte/recommendations/v1/recommendations.proto), the
 * only way rebalancing orders enter the trading path: they go through risk and execution exactly
 * like consensus-driven ones, never straight to execution. Propose is idempotent by
 * `idempotency_key`, so the client retries it on UNAVAILABLE / DEADLINE_EXCEEDED.
 */
import {
  createGrpcClient,
  loadProto,
  type GrpcClient,
  type Logger,
  type RecommendationsClient,
  type RecommendationsProtoGrpcType,
  type UnaryRequest,
  type UnaryResponse,
} from '@cte/shared';

export type ProposeRequest = UnaryRequest<RecommendationsClient, 'Propose'>;
export type RecommendationReply = UnaryResponse<RecommendationsClient, 'Propose'>;

export interface Proposer {
  propose(req: ProposeRequest, traceId: string): Promise<RecommendationReply>;
}

export class RecommendationsGateway implements Proposer {
  private readonly client: GrpcClient<RecommendationsClient>;

  constructor(o: { address: string; apiKey: string; deadlineMs: number; logger: Logger }) {
    const proto = loadProto<RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
    this.client = createGrpcClient<RecommendationsClient>(proto.cte.recommendations.v1.Recommendations, o.address, {
      apiKey: o.apiKey,
      deadlineMs: o.deadlineMs,
      idempotentMethods: ['Propose'],
      logger: o.logger,
    });
  }

  propose(req: ProposeRequest, traceId: string): Promise<RecommendationReply> {
    return this.client.unary('Propose', req, { traceId });
  }

  close(): void {
    this.client.close();
  }
}
