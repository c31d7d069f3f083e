/**
 * Message types of the peers' contracts, derived from the generated clients re-exported by the
 * kit (so this service needs no additions to shared/src/contracts.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  ExecutionClient,
  PortfolioClient,
  PriceStreamClient,
  RecommendationsHandlers,
  RiskClient,
  SignalsAggregatorClient,
  UnaryRequest,
  UnaryResponse,
} from '@cte/shared';

export type CheckRequest = UnaryRequest<RiskClient, 'Check'>;
export type CheckResponse = UnaryResponse<RiskClient, 'Check'>;
export type SubmitOrderRequest = UnaryRequest<ExecutionClient, 'Submit'>;
export type OrderRef = UnaryRequest<ExecutionClient, 'GetOrder'>;
export type OrderMessage = UnaryResponse<ExecutionClient, 'Submit'>;
export type ExposureMessage = UnaryResponse<PortfolioClient, 'GetExposure'>;
export type ListSourcesMessage = UnaryResponse<SignalsAggregatorClient, 'ListSources'>;
export type GetBarsRequest = UnaryRequest<PriceStreamClient, 'GetBars'>;
export type GetBarsMessage = UnaryResponse<PriceStreamClient, 'GetBars'>;

type ResponseOf<H> = H extends grpc.handleUnaryCall<infer _Req, infer Res> ? Res : never;
type RequestOf<H> = H extends grpc.handleUnaryCall<infer Req, infer _Res> ? Req : never;
export type RecommendationMessage = ResponseOf<RecommendationsHandlers['GetRecommendation']>;
export type ListRecommendationsMessage = ResponseOf<RecommendationsHandlers['ListRecommendations']>;
export type ProposeRequestMessage = RequestOf<RecommendationsHandlers['Propose']>;
export type ListRecommendationsRequestMessage = RequestOf<RecommendationsHandlers['ListRecommendations']>;
