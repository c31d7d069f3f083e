/**
 * A test double of the portfolio service: a real gRPC server (the kit's) implementing
 * `cte.portfolio.v1.Portfolio.GetExposure` from the proto, answering whatever the test sets.
 */
import {
  createGrpcServer,
  createLogger,
  createMetrics,
  loadProto,
  unary,
  UnavailableError,
  type GrpcServerKit,
  type PortfolioHandlers,
  type PortfolioProtoGrpcType,
} from '@cte/shared';

export interface ExposureFixture {
  equity: string;
  positions?: Record<string, [qty: string, notional: string]>;
  sod?: string;
  peak?: string;
}

export interface PortfolioDouble {
  address: string;
  /** What GetExposure answers. */
  set(f: ExposureFixture): void;
  /** false: GetExposure fails with UNAVAILABLE. */
  available: boolean;
  calls(): number;
  stop(): Promise<void>;
}

export function exposureMessage(f: ExposureFixture) {
  const symbols = Object.entries(f.positions ?? {}).map(([symbol, [qty, notional]]) => ({ symbol, qty, notional, pct_of_equity: '0' }));
  let gross = 0;
  for (const s of symbols) gross += Number(s.notional);
  return {
    equity: f.equity,
    gross_exposure: String(gross),
    gross_exposure_pct: '0',
    net_exposure: '0',
    symbols,
    start_of_day_equity: f.sod ?? f.equity,
    daily_pnl: '0',
    peak_equity: f.peak ?? f.equity,
    drawdown_pct: '0',
    as_of: String(Date.now()),
  };
}

export async function startPortfolioDouble(apiKey: string, port = 0): Promise<PortfolioDouble> {
  const logger = createLogger({ service: 'portfolio-double', level: 'silent' });
  let fixture: ExposureFixture = { equity: '100000' };
  let calls = 0;
  const state = { available: true };
  const kit: GrpcServerKit = createGrpcServer({ service: 'portfolio', apiKey, logger, registry: createMetrics('portfolio') });
  const proto = loadProto<PortfolioProtoGrpcType>('cte/portfolio/v1/portfolio.proto');
  const handlers: Partial<PortfolioHandlers> = {
    GetExposure: unary(() => {
      calls++;
      if (!state.available) throw new UnavailableError('portfolio double is down');
      return exposureMessage(fixture);
    }),
  };
  kit.addService(proto.cte.portfolio.v1.Portfolio.service, handlers as PortfolioHandlers);
  const bound = await kit.listen(port, '127.0.0.1');
  return {
    address: `127.0.0.1:${bound}`,
    set: (f) => {
      fixture = f;
    },
    get available() {
      return state.available;
    },
    set available(v: boolean) {
      state.available = v;
    },
    calls: () => calls,
    stop: () => kit.shutdown(500),
  };
}
