#!/usr/bin/env node
/**
 * risk benchmark (not part of `make bench`; run `node services/risk/dist/bench/run.js`):
 *  - the engine alone: p50/p99 of one RiskEngine.check (target p99 <= 20 µs);
 *  - Check over gRPC in one process: the kit's server and client on loopback, the real
 *    RiskService with a stub exposure source and an in-memory event store (so no MySQL in the
 *    loop: what Check costs with a warm exposure cache and write-behind), target p50 <= 0.6 ms;
 *  - the floor measured in the same run: an empty unary method on a plain grpc-js server called
 *    by a plain grpc-js client.
 */
import * as grpc from '@grpc/grpc-js';
import {
  createGrpcClient,
  createGrpcServer,
  createLogger,
  createMetrics,
  Dec,
  loadProto,
  TradableSymbols,
  type RiskClient,
  type RiskProtoGrpcType,
  type Symbol,
} from '@cte/shared';
import { benchRow, median, reportBench } from '@cte/bench';
import { DecisionIndex } from '../adapters/decision-index';
import { EventWriter } from '../adapters/event-writer';
import { riskGrpcHandlers } from '../adapters/grpc';
import { LimitsStore } from '../adapters/limits-store';
import { RiskService } from '../adapters/risk-service';
import { TradingStateStore } from '../adapters/trading-state';
import { DEFAULT_WIRE_LIMITS, limitsFromWire, prepareLimits } from '../engine/limits';
import { RiskEngine } from '../engine/risk-engine';
import type { CheckContext, CheckInput, ExposureSnapshot, SymbolPosition } from '../engine/types';

export interface RiskBenchOptions {
  /** Engine checks timed one by one. Default 200,000. */
  engineChecks?: number;
  /** Sequential gRPC calls per measurement (after a warm-up). Default 3,000. */
  grpcCalls?: number;
}

export interface RiskBenchResult {
  engine: { checks: number; p50Us: number; p99Us: number; meanUs: number; /** p50/p99 of the timer alone (two hrtime reads): the measurement floor. */ timerP50Us: number; timerP99Us: number };
  grpc: {
    calls: number;
    checkP50Ms: number;
    checkP99Ms: number;
    /** GetTradingState (no work) through the same kit server and client: the kit's own cost. */
    kitP50Ms: number;
    /** An empty unary on a plain grpc-js server and client. */
    floorP50Ms: number;
    floorP99Ms: number;
  };
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT', 'DOGE/USDT', 'DOT/USDT', 'LTC/USDT'] as Symbol[];

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** A portfolio holding a little of every symbol: 100k equity, 24% gross. */
function benchExposure(): ExposureSnapshot {
  const symbols = new Map<Symbol, SymbolPosition>();
  for (const [i, s] of SYMBOLS.entries()) symbols.set(s, { qty: new Dec(i % 2 === 0 ? '30' : '-20'), notional: new Dec(i % 2 === 0 ? '3000' : '2000') });
  return { equity: new Dec('100000'), grossExposure: new Dec('20000'), symbols, startOfDayEquity: new Dec('101000'), peakEquity: new Dec('104000') };
}

/** A mix of approvals, resizes (position cap), reducing orders and flips. */
function benchOrders(): CheckInput[] {
  const out: CheckInput[] = [];
  for (const [i, s] of SYMBOLS.entries()) {
    out.push({ symbol: s, side: 'buy', qty: new Dec('1.25') });
    out.push({ symbol: s, side: 'sell', qty: new Dec('45.5') });
    out.push({ symbol: s, side: i % 2 === 0 ? 'buy' : 'sell', qty: new Dec('80') });
    out.push({ symbol: s, side: 'buy', qty: new Dec('0.3'), price: new Dec('101.37') });
  }
  return out;
}

export function benchmarkEngine(checks = 200_000): RiskBenchResult['engine'] {
  const engine = new RiskEngine({ maxFeedSilenceMs: 120_000 });
  const limits = prepareLimits(limitsFromWire(DEFAULT_WIRE_LIMITS));
  const exposure = benchExposure();
  const orders = benchOrders();
  const price = { price: new Dec('100'), ageMs: 1000, feedSilenceMs: 10 };
  const ctx: CheckContext = { limits, state: 'ACTIVE', exposure, price, tradesToday: 10, tradesTodaySymbol: 2, pending: undefined };
  for (let i = 0; i < 20_000; i++) engine.check(orders[i % orders.length] as CheckInput, ctx);
  const times = new Float64Array(checks);
  let sink = 0;
  for (let i = 0; i < checks; i++) {
    const t0 = process.hrtime.bigint();
    const r = engine.check(orders[i % orders.length] as CheckInput, ctx);
    times[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    sink += r.reasons.length;
  }
  if (sink < 0) throw new Error('unreachable');
  const sorted = Array.from(times).sort((a, b) => a - b);
  for (let i = 0; i < checks; i++) {
    const t0 = process.hrtime.bigint();
    times[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  const timer = Array.from(times).sort((a, b) => a - b);
  return {
    checks,
    p50Us: quantile(sorted, 0.5),
    p99Us: quantile(sorted, 0.99),
    meanUs: sorted.reduce((a, b) => a + b, 0) / checks,
    timerP50Us: quantile(timer, 0.5),
    timerP99Us: quantile(timer, 0.99),
  };
}

async function timeCalls(calls: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(1000, calls); i++) await call(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await call(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

/** Check over gRPC through the kit, in one process, next to a bare grpc-js unary floor. */
export async function benchmarkGrpc(calls = 3000): Promise<RiskBenchResult['grpc']> {
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const apiKey = 'bench-key-0123456789abcdef';
  const now = Date.now();
  const exposure = benchExposure();
  const state = new TradingStateStore({
    repo: { loadTradingState: async () => undefined, saveTradingState: async () => undefined },
    publish: async () => undefined,
    logger,
    broadcastMs: 0,
  });
  const limits = new LimitsStore(DEFAULT_WIRE_LIMITS, { loadLimitOverrides: async () => [], saveLimits: async () => undefined }, () => state.state);
  const writer = new EventWriter({ store: { insertEvents: async () => [] }, logger, flushMs: 20, batchSize: 500, maxQueue: 1_000_000 });
  const service = new RiskService({
    engine: new RiskEngine({ maxFeedSilenceMs: 120_000 }),
    symbols: new TradableSymbols(SYMBOLS, 'bench'),
    exposure: { getExposure: async () => exposure, invalidate: () => undefined },
    decisions: new DecisionIndex(100_000, 1_000_000),
    events: writer,
    lookup: { findFinalCheck: async () => undefined, listEvents: async () => ({ events: [], total: 0 }) },
    state,
    limits,
    logger,
    pendingTtlMs: 0,
    durable: false,
  });
  for (const s of SYMBOLS) service.onTick({ exchange: 'bench', symbol: s, price: '100', ts: now }, now);

  const server = createGrpcServer({ service: 'risk', apiKey, logger, registry: createMetrics('risk') });
  const proto = loadProto<RiskProtoGrpcType>('cte/risk/v1/risk.proto');
  server.addService(proto.cte.risk.v1.Risk.service, riskGrpcHandlers(service));
  const port = await server.listen(0, '127.0.0.1');
  const client = createGrpcClient<RiskClient>(proto.cte.risk.v1.Risk, `127.0.0.1:${port}`, { apiKey, idempotentMethods: ['Check'] });
  await client.waitForReady();

  // The floor: a plain grpc-js server and client, an empty unary method, no kit.
  const floorDef: grpc.ServiceDefinition = {
    Empty: {
      path: '/bench.Floor/Empty',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  };
  const floorServer = new grpc.Server();
  floorServer.addService(floorDef, { Empty: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.alloc(0)) });
  const floorPort = await new Promise<number>((resolve, reject) =>
    floorServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const FloorClient = grpc.makeGenericClientConstructor(floorDef, 'Floor');
  const floorClient = new FloorClient(`127.0.0.1:${floorPort}`, grpc.credentials.createInsecure()) as unknown as {
    Empty(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
    close(): void;
  };

  try {
    const symbolOf = (i: number): Symbol => SYMBOLS[Math.abs(i) % SYMBOLS.length] as Symbol;
    const check = await timeCalls(calls, (i) =>
      client.unary('Check', { recommendation_id: `bench-${process.pid}-${i}`, symbol: symbolOf(i), side: i % 3 === 0 ? 'sell' : 'buy', qty: '1.5', price: '', trace_id: '' }),
    );
    const kit = await timeCalls(calls, () => client.unary('GetTradingState', {}));
    const floor = await timeCalls(calls, () => new Promise<void>((resolve, reject) => floorClient.Empty(Buffer.alloc(0), (err) => (err ? reject(err) : resolve()))));
    return {
      calls,
      checkP50Ms: quantile(check, 0.5),
      checkP99Ms: quantile(check, 0.99),
      kitP50Ms: quantile(kit, 0.5),
      floorP50Ms: quantile(floor, 0.5),
      floorP99Ms: quantile(floor, 0.99),
    };
  } finally {
    client.close();
    floorClient.close();
    floorServer.forceShutdown();
    await server.shutdown(1000);
    await writer.drain(1000);
  }
}

/** Both benchmarks; numbers only (timings are never asserted in tests). */
export async function benchmarkRisk(opts: RiskBenchOptions = {}): Promise<RiskBenchResult> {
  const engine = benchmarkEngine(opts.engineChecks ?? 200_000);
  const grpcResult = await benchmarkGrpc(opts.grpcCalls ?? 3000);
  return { engine, grpc: grpcResult };
}

async function cli(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const results: RiskBenchResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await benchmarkRisk());
  const col = (f: (r: RiskBenchResult) => number): number[] => results.map(f);
  reportBench(
    'risk',
    [
      benchRow('engine check p50', 'µs', col((r) => r.engine.p50Us), 'timer alone (2 hrtime reads) p50', col((r) => r.engine.timerP50Us), 'n/a', false),
      benchRow('engine check p99', 'µs', col((r) => r.engine.p99Us), 'timer alone (2 hrtime reads) p99', col((r) => r.engine.timerP99Us), 'p99 <= 20 µs', false),
      benchRow('gRPC Check p50 (kit, in process)', 'ms', col((r) => r.grpc.checkP50Ms), 'bare grpc-js empty unary p50', col((r) => r.grpc.floorP50Ms), 'p50 <= 0.6 ms', false),
      benchRow('gRPC GetTradingState p50 (kit, no work)', 'ms', col((r) => r.grpc.kitP50Ms), 'bare grpc-js empty unary p50', col((r) => r.grpc.floorP50Ms), 'n/a', false),
      benchRow('gRPC Check p99 (kit, in process)', 'ms', col((r) => r.grpc.checkP99Ms), 'bare grpc-js empty unary p99', col((r) => r.grpc.floorP99Ms), 'n/a', false),
    ],
    runs,
    { engine_checks: results[0]?.engine.checks, grpc_calls: results[0]?.grpc.calls, engine_p99_us_median: median(col((r) => r.engine.p99Us)) },
  );
  process.exit(0);
}

if (require.main === module) {
  cli().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
