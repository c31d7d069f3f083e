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
