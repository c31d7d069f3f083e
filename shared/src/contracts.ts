/**
 * Generated gRPC contract types (from proto/, by proto-loader-gen-types at build time),
 * re-exported so services import them from `@cte/shared` only.
 */
export type { ProtoGrpcType as MarketProtoGrpcType } from './gen/market';
export type { PriceStreamHandlers, PriceStreamClient } from './gen/cte/market/v1/PriceStream';
export type { Price as PriceProto, Price__Output as PriceProtoOutput } from './gen/cte/market/v1/Price';
export type { Alert as AlertProto, Alert__Output as AlertProtoOutput } from './gen/cte/market/v1/Alert';
export type { Monitor as MonitorProto, Monitor__Output as MonitorProtoOutput } from './gen/cte/market/v1/Monitor';
export type { Bar as BarProto, Bar__Output as BarProtoOutput } from './gen/cte/common/v1/Bar';
export type { ProtoGrpcType as ConsensusProtoGrpcType } from './gen/consensus';
export type { SignalsAggregatorHandlers, SignalsAggregatorClient } from './gen/cte/consensus/v1/SignalsAggregator';
export type { Consensus as ConsensusProto, Consensus__Output as ConsensusProtoOutput } from './gen/cte/consensus/v1/Consensus';
export type { Source as SourceProto, Source__Output as SourceProtoOutput } from './gen/cte/consensus/v1/Source';
export type { ProtoGrpcType as SignalGeneratorProtoGrpcType } from './gen/signal_generator';
export type { SignalGeneratorHandlers, SignalGeneratorClient } from './gen/cte/signals/v1/SignalGenerator';
export type { Agent as AgentProto, Agent__Output as AgentProtoOutput } from './gen/cte/signals/v1/Agent';
export type { Task as TaskProto, Task__Output as TaskProtoOutput } from './gen/cte/signals/v1/Task';
export type { AgentLog as AgentLogProto } from './gen/cte/signals/v1/AgentLog';
export type { ProtoGrpcType as RiskProtoGrpcType } from './gen/risk';
export type { RiskHandlers, RiskClient } from './gen/cte/risk/v1/Risk';
export type { ProtoGrpcType as ExecutionProtoGrpcType } from './gen/execution';
export type { ExecutionHandlers, ExecutionClient } from './gen/cte/execution/v1/Execution';
export type { ProtoGrpcType as PortfolioProtoGrpcType } from './gen/portfolio';
export type { PortfolioHandlers, PortfolioClient } from './gen/cte/portfolio/v1/Portfolio';
export type { ProtoGrpcType as RecommendationsProtoGrpcType } from './gen/recommendations';
export type { RecommendationsHandlers, RecommendationsClient } from './gen/cte/recommendations/v1/Recommendations';
