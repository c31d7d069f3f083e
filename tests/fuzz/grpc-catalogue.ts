/**
 * The gRPC surface of the fleet, from the .proto files: every service and method is read from
 * proto/ with @grpc/proto-loader (the options the kit uses, shared/src/grpc/proto.ts), and every
 * request field gets its hostile-value kind from its name and type. What the schema cannot say is
 * declared here: a valid baseline request per method, the services' own kind overrides, and the
 * precise set of status codes a hostile request may get. A method or field the schema has and
 * this file does not cover fails the suite (see `rpcTargets`).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, PROTO_ROOT, type ServiceName } from '@cte/shared';
import type { Kind } from './hostile';

const { INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, OK } = grpc.status;

/** Every fuzzed service's proto (the console serves only gRPC health: see FuzzedService in rig.ts). */
export const PROTO_FILES: Record<Exclude<ServiceName, 'console'>, string> = {
  'price-stream': 'cte/market/v1/market.proto',
  'signal-generator': 'cte/signals/v1/signal_generator.proto',
  'signals-aggregator': 'cte/consensus/v1/consensus.proto',
  recommendations: 'cte/recommendations/v1/recommendations.proto',
  risk: 'cte/risk/v1/risk.proto',
  execution: 'cte/execution/v1/execution.proto',
  portfolio: 'cte/portfolio/v1/portfolio.proto',
};

/** protobuf field types, as proto-loader's descriptors spell them. */
export type FieldType = 'TYPE_STRING' | 'TYPE_DOUBLE' | 'TYPE_FLOAT' | 'TYPE_INT32' | 'TYPE_UINT32' | 'TYPE_INT64' | 'TYPE_UINT64' | 'TYPE_BOOL' | 'TYPE_MESSAGE' | 'TYPE_BYTES' | 'TYPE_ENUM' | 'TYPE_SINT32' | 'TYPE_SINT64';

export interface RpcField {
  name: string;
  number: number;
  type: FieldType;
  repeated: boolean;
  /** How hostile values are made for it; `bool` fields only get a wrong wire type. */
  kind: Kind;
}

export interface RpcSpec {
  /** A valid request (proto-loader object form). `$agent` is replaced by the id of an agent the suite creates. */
  baseline: Record<string, unknown>;
  /** Status codes a hostile request may get. Methods without inputs (empty requests) must answer OK. */
  allowed: grpc.status[];
  /** Kinds that the name rules below would get wrong for this method. */
  kinds?: Record<string, Kind>;
}

const IA_ONLY = [INVALID_ARGUMENT];
const LOOKUP = [INVALID_ARGUMENT, NOT_FOUND];
const NO_INPUT = [OK];
const agentRef = { baseline: { id: '$agent' }, allowed: LOOKUP };

/** Per service, per method (the proto's name). */
export const RPC_SPECS: Record<string, Record<string, RpcSpec>> = {
  'cte.market.v1.PriceStream': {
    GetPrice: { baseline: { symbol: 'BTC/USD' }, allowed: LOOKUP },
    GetPrices: { baseline: { symbols: ['BTC/USD'] }, allowed: IA_ONLY },
    StreamPrices: { baseline: { symbols: ['BTC/USD'] }, allowed: IA_ONLY },
    GetBars: { baseline: { symbol: 'BTC/USD', timeframe: '1h', from: '0', to: '0', limit: 10, cursor: '', exchange: 'coinbase' }, allowed: LOOKUP, kinds: { cursor: { k: 'ref-id' }, exchange: { k: 'new-id' } } },
    StartMonitor: { baseline: { symbol: 'BTC/USD', threshold_pct: 5, window_ms: '60000' }, allowed: IA_ONLY },
    StopMonitor: { baseline: {}, allowed: LOOKUP },
    IsMonitorActive: { baseline: {}, allowed: LOOKUP },
    ListMonitors: { baseline: {}, allowed: NO_INPUT },
    StreamAlerts: { baseline: { symbols: ['BTC/USD'] }, allowed: IA_ONLY },
  },
  'cte.signals.v1.SignalGenerator': {
    CreateAgent: { baseline: { name: 'fuzz-agent-rpc', type: 'trend_follower', symbol: 'BTC/USD', timeframe: '1h', config_json: '{}' }, allowed: IA_ONLY, kinds: { name: { k: 'new-id' } } },
    ListAgents: { baseline: { type: 'trend_follower', status: 'stopped', symbol: 'BTC/USD', limit: 10, offset: 0 }, allowed: IA_ONLY },
    GetAgent: agentRef,
    // A well-formed expected_version that is not the agent's is a stale optimistic lock: ALREADY_EXISTS.
    UpdateAgent: { baseline: { id: '$agent', name: 'fuzz-agent-rpc-renamed' }, allowed: [INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS], kinds: { name: { k: 'new-id' } } },
    DeleteAgent: { baseline: {}, allowed: LOOKUP },
    StartAgent: { baseline: {}, allowed: LOOKUP },
    StopAgent: { baseline: {}, allowed: LOOKUP },
    GetAgentLogs: { baseline: { id: '$agent', level: 'info', limit: 10, offset: 0 }, allowed: LOOKUP },
    ExecuteAgent: { baseline: { id: '$agent', parameters_json: '{}', priority: 5, timeout_ms: 1000, max_attempts: 1 }, allowed: LOOKUP },
    GetTask: { baseline: {}, allowed: LOOKUP },
    CancelTask: { baseline: {}, allowed: LOOKUP },
  },
  'cte.consensus.v1.SignalsAggregator': {
    GetConsensus: { baseline: { symbol: 'BTC/USD' }, allowed: LOOKUP },
    StreamConsensus: { baseline: { symbols: ['BTC/USD'], snapshot: false }, allowed: IA_ONLY },
    ListSources: { baseline: {}, allowed: NO_INPUT },
  },
  'cte.recommendations.v1.Recommendations': {
    GetRecommendation: { baseline: {}, allowed: LOOKUP },
    ListRecommendations: { baseline: { status: 'pending', symbol: 'BTC/USD', limit: 10, offset: 0 }, allowed: IA_ONLY },
    Propose: {
      baseline: { symbol: 'BTC/USD', side: 'buy', qty: '0.01', source: 'manual', reason: 'fuzz baseline', idempotency_key: 'fuzz-propose-1', trace_id: 'fuzz0000trace0003' },
      allowed: IA_ONLY,
      kinds: { idempotency_key: { k: 'new-id' } },
    },
  },
  'cte.risk.v1.Risk': {
    Check: {
      baseline: { recommendation_id: 'fuzz-check-rpc-1', symbol: 'BTC/USD', side: 'buy', qty: '0.01', price: '8000', trace_id: 'fuzz0000trace0004' },
      allowed: IA_ONLY,
      kinds: { recommendation_id: { k: 'new-id' } },
    },
    GetTradingState: { baseline: {}, allowed: NO_INPUT },
    SetTradingState: { baseline: { state: 'ACTIVE', reason: 'fuzz baseline' }, allowed: IA_ONLY, kinds: { reason: { k: 'text', required: true } } },
    GetLimits: { baseline: {}, allowed: NO_INPUT },
    UpdateLimits: { baseline: { max_position_pct: '5', min_order_notional: '10', allowed_symbols: ['BTC/USD'] }, allowed: IA_ONLY },
  },
  'cte.execution.v1.Execution': {
    Submit: {
      baseline: { client_order_id: 'fuzz-order-rpc-1', symbol: 'BTC/USD', side: 'buy', type: 'limit', qty: '0.01', limit_price: '1000', recommendation_id: 'fuzz-rec-rpc-1', trace_id: 'fuzz0000trace0005' },
      allowed: IA_ONLY,
      kinds: { client_order_id: { k: 'new-id' }, recommendation_id: { k: 'new-id' }, data_time: { k: 'time' } },
    },
    // id or client_order_id: either one hostile, the other empty.
    Cancel: { baseline: {}, allowed: LOOKUP, kinds: { client_order_id: { k: 'ref-id' } } },
    GetOrder: { baseline: {}, allowed: LOOKUP, kinds: { client_order_id: { k: 'ref-id' } } },
    ListOrders: { baseline: { status: 'FILLED', symbol: 'BTC/USD', limit: 10, offset: 0 }, allowed: IA_ONLY },
    StreamOrderEvents: { baseline: { symbols: ['BTC/USD'] }, allowed: IA_ONLY },
    GetVenueBalances: { baseline: {}, allowed: NO_INPUT },
  },
  'cte.portfolio.v1.Portfolio': {
    GetPortfolio: { baseline: {}, allowed: NO_INPUT },
    GetPositions: { baseline: {}, allowed: NO_INPUT },
    GetExposure: { baseline: {}, allowed: NO_INPUT },
  },
};

const ENUM_FIELDS = new Set(['side', 'type', 'state', 'status', 'source', 'level', 'timeframe', 'decision']);
const INT_FIELDS = new Set(['limit', 'offset', 'window_ms', 'priority', 'timeout_ms', 'max_attempts', 'expected_version', 'max_trades_per_day', 'max_trades_per_day_per_symbol', 'max_price_age_ms']);
const DECIMAL_FIELDS = new Set(['qty', 'price', 'limit_price', 'max_position_pct', 'max_gross_exposure_pct', 'max_order_notional', 'max_daily_loss_pct', 'max_drawdown_pct']);

/** The kind of a request field, from its name and type; undefined when the rules do not know it. */
export function inferKind(name: string, type: FieldType, repeated: boolean): Kind | undefined {
  if (type === 'TYPE_BOOL') return { k: 'bool' };
  if (repeated) return name === 'symbols' || name.endsWith('_symbols') ? { k: 'symbols' } : undefined;
  if (name === 'symbol') return { k: 'symbol' };
  if (name === 'trace_id') return { k: 'trace_id' };
  if (name.endsWith('_json')) return { k: 'json' };
  if (name === 'id' || name.endsWith('_id')) return { k: 'ref-id' };
  if (name === 'reason') return { k: 'text' };
  if (name === 'from' || name === 'to') return { k: 'time' };
  if (ENUM_FIELDS.has(name)) return { k: 'enum' };
  if (INT_FIELDS.has(name)) return { k: 'int' };
  if (DECIMAL_FIELDS.has(name)) return { k: 'decimal' };
  if (name === 'min_order_notional') return { k: 'decimal', zeroOk: true };
  if (type === 'TYPE_DOUBLE' || type === 'TYPE_FLOAT') return { k: 'number' };
  return undefined;
}

export interface RpcTarget {
  service: Exclude<ServiceName, 'console'>;
  /** e.g. cte.risk.v1.Risk */
  protoService: string;
  method: string;
  /** e.g. /cte.risk.v1.Risk/Check */
  path: string;
  streaming: boolean;
  fields: RpcField[];
  spec: RpcSpec;
  serialize(request: Record<string, unknown>): Buffer;
  /** As the server decodes a request. */
  deserialize(bytes: Buffer): Record<string, unknown>;
}

interface DescriptorField {
  name: string;
  number: number;
  label: string;
  type: FieldType;
}
interface MethodDefinitionLike {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(v: unknown): Buffer;
  requestDeserialize(b: Buffer): Record<string, unknown>;
  requestType: { type: { field: DescriptorField[] } };
}

/** Every RPC of every service from the protos, with field kinds; throws naming anything uncovered. */
export function rpcTargets(): RpcTarget[] {
  const out: RpcTarget[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [service, file] of Object.entries(PROTO_FILES) as Array<[Exclude<ServiceName, 'console'>, string]>) {
    const def = protoLoader.loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    for (const [protoService, methods] of Object.entries(def)) {
      // Message and enum definitions carry a `format`; a service is an object of method definitions.
      if (!('format' in methods) && typeof methods === 'object' && Object.values(methods).some((m) => typeof (m as { path?: unknown }).path === 'string')) {
        seen.add(protoService);
        const specs = RPC_SPECS[protoService];
        if (!specs) {
          problems.push(`service ${protoService} has no entry in RPC_SPECS`);
          continue;
        }
        for (const [method, m] of Object.entries(methods as Record<string, MethodDefinitionLike>)) {
          const spec = specs[method];
          if (!spec) {
            problems.push(`${protoService}/${method} has no entry in RPC_SPECS`);
            continue;
          }
          if (m.requestStream) {
            problems.push(`${protoService}/${method} is client-streaming: the suite does not fuzz those yet`);
            continue;
          }
          const fields: RpcField[] = [];
          for (const f of m.requestType.type.field) {
            const repeated = f.label === 'LABEL_REPEATED';
            const kind = spec.kinds?.[f.name] ?? inferKind(f.name, f.type, repeated);
            if (!kind) {
              problems.push(`${protoService}/${method}: no hostile-value kind for field ${f.name} (${f.type}); add one to RPC_SPECS`);
              continue;
            }
            fields.push({ name: f.name, number: f.number, type: f.type, repeated, kind });
          }
          out.push({ service, protoService, method, path: m.path, streaming: m.responseStream, fields, spec, serialize: (r) => m.requestSerialize(r), deserialize: (b) => m.requestDeserialize(b) });
        }
        for (const method of Object.keys(specs)) if (!(method in (methods as object))) problems.push(`RPC_SPECS names ${protoService}/${method}, which the proto does not have`);
      }
    }
  }
  for (const s of Object.keys(RPC_SPECS)) if (!seen.has(s)) problems.push(`RPC_SPECS names ${s}, which no proto file of PROTO_FILES defines`);
  if (problems.length > 0) throw new Error(`the gRPC fuzz catalogue does not match proto/:\n  ${problems.join('\n  ')}`);
  return out;
}
