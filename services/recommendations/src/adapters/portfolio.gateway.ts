import { describeValue, Dec, DomainError, type GrpcClient, type PortfolioClient } from '@cte/shared';

export interface ExposureView {
  equity: Dec;
  /** Signed quantity per symbol (< 0 short); absent = flat. */
  positions: ReadonlyMap<string, Dec>;
}

export interface PortfolioPort {
  exposure(traceId?: string): Promise<ExposureView>;
}

const SIGNED_DECIMAL = /^-?\d+(\.\d+)?$/;

/** portfolio's `GetExposure`: equity and the position of each symbol. */
export class PortfolioGateway implements PortfolioPort {
  constructor(private readonly client: GrpcClient<PortfolioClient>) {}

  async exposure(traceId?: string): Promise<ExposureView> {
    const res = await this.client.unary('GetExposure', {}, traceId ? { traceId } : {});
    if (!SIGNED_DECIMAL.test(res.equity ?? '')) throw new DomainError('INTERNAL', `portfolio returned a malformed equity ${describeValue(res.equity)}`);
    const positions = new Map<string, Dec>();
    for (const s of res.symbols ?? []) {
      if (typeof s.symbol === 'string' && SIGNED_DECIMAL.test(s.qty ?? '')) positions.set(s.symbol, new Dec(s.qty));
    }
    return { equity: new Dec(res.equity), positions };
  }
}
