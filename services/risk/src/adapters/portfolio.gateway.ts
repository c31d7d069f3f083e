/**
 * The portfolio's exposure, as the engine needs it: Portfolio.GetExposure over gRPC
 * (PORTFOLIO_GRPC_ADDR), validated at the boundary, cached for a short TTL and invalidated when
 * a fill arrives. Any failure (unreachable, deadline, malformed answer) reaches the caller as an
 * error; Check turns it into REJECTED `portfolio_unavailable`, never an approval.
 */
import {
  describeValue,
  createGrpcClient,
  Dec,
  InvalidArgumentError,
  loadProto,
  parseSymbol,
  type GrpcClient,
  type Logger,
  type PortfolioClient,
  type PortfolioProtoGrpcType,
  type Symbol,
} from '@cte/shared';
import type { ExposureSnapshot, SymbolPosition } from '../engine/types';

export interface ExposureSource {
  getExposure(): Promise<ExposureSnapshot>;
}

/** What GetExposure answers (the generated Exposure__Output, restated so the parser is testable alone). */
export interface ExposureMessage {
  equity: string;
  gross_exposure: string;
  symbols: Array<{ symbol: string; qty: string; notional: string }>;
  start_of_day_equity: string;
  peak_equity: string;
}

const SIGNED = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const ZERO = new Dec(0);

function decimal(v: unknown, field: string, opts: { optional?: boolean; signed?: boolean } = {}): Dec {
  if ((v === '' || v === undefined || v === null) && opts.optional) return ZERO;
  if (typeof v !== 'string' || !SIGNED.test(v) || v.length > 60) throw new InvalidArgumentError(`exposure.${field} must be a decimal string, got ${describeValue(v)}`);
  const d = new Dec(v);
  if (!opts.signed && d.isNegative() && !d.isZero()) throw new InvalidArgumentError(`exposure.${field} must not be negative, got ${v}`);
  return d;
}

/** Validates a GetExposure answer; throws InvalidArgumentError naming the field. */
export function parseExposure(m: ExposureMessage): ExposureSnapshot {
  const symbols = new Map<Symbol, SymbolPosition>();
  for (const [i, s] of (m.symbols ?? []).entries()) {
    const symbol = parseSymbol(s.symbol);
    const qty = decimal(s.qty, `symbols[${i}].qty`, { signed: true });
    const notional = decimal(s.notional, `symbols[${i}].notional`, { optional: true, signed: true }).abs();
    const prev = symbols.get(symbol);
    symbols.set(symbol, prev ? { qty: prev.qty.plus(qty), notional: prev.notional.plus(notional) } : { qty, notional });
  }
  return {
    equity: decimal(m.equity, 'equity', { signed: true }),
    grossExposure: decimal(m.gross_exposure, 'gross_exposure', { optional: true }),
    symbols,
    startOfDayEquity: decimal(m.start_of_day_equity, 'start_of_day_equity', { optional: true, signed: true }),
    peakEquity: decimal(m.peak_equity, 'peak_equity', { optional: true, signed: true }),
  };
}

export interface PortfolioGatewayOptions {
  address: string;
  apiKey: string;
  deadlineMs: number;
  retries: number;
  logger?: Logger;
}

export class PortfolioGateway implements ExposureSource {
  private readonly client: GrpcClient<PortfolioClient>;

  constructor(o: PortfolioGatewayOptions) {
    const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
    this.client = createGrpcClient<PortfolioClient>(proto.cte.portfolio.v1.Portfolio, o.address, {
      apiKey: o.apiKey,
      deadlineMs: o.deadlineMs,
      retries: o.retries,
      backoffMs: 20,
      maxBackoffMs: 200,
      idempotentMethods: ['GetExposure'],
      ...(o.logger ? { logger: o.logger } : {}),
    });
  }

  async getExposure(): Promise<ExposureSnapshot> {
    return parseExposure(await this.client.unary('GetExposure', {}));
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Reuses one exposure for `ttlMs`; concurrent callers share one fetch. `invalidate()` (on a fill)
 * drops the cached value and makes callers that arrive later wait for a fetch started after it.
 */
export class ExposureCache implements ExposureSource {
  private value: ExposureSnapshot | undefined;
  private fetchedAt = 0;
  private generation = 0;
  private inflight: { generation: number; promise: Promise<ExposureSnapshot> } | undefined;

  constructor(
    private readonly source: ExposureSource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly onFetch?: (ok: boolean) => void,
  ) {}

  getExposure(): Promise<ExposureSnapshot> {
    const v = this.value;
    if (v !== undefined && this.now() - this.fetchedAt < this.ttlMs) return Promise.resolve(v);
    return this.fetch();
  }

  /** The cached value without fetching, when still fresh. */
  peek(): ExposureSnapshot | undefined {
    return this.value !== undefined && this.now() - this.fetchedAt < this.ttlMs ? this.value : undefined;
  }

  invalidate(): void {
    this.generation++;
    this.value = undefined;
  }

  /** Fetches now (sharing an in-flight fetch of the current generation). */
  fetch(): Promise<ExposureSnapshot> {
    const gen = this.generation;
    if (this.inflight && this.inflight.generation === gen) return this.inflight.promise;
    const started = this.now();
    const promise = this.source.getExposure().then(
      (exposure) => {
        this.onFetch?.(true);
        if (this.generation === gen) {
          this.value = exposure;
          this.fetchedAt = started;
        }
        return exposure;
      },
      (err: unknown) => {
        this.onFetch?.(false);
        throw err;
      },
    );
    const entry = { generation: gen, promise };
    this.inflight = entry;
    void promise.then(
      () => this.inflight === entry && (this.inflight = undefined),
      () => this.inflight === entry && (this.inflight = undefined),
    );
    return promise;
  }
}
