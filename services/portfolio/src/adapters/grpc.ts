/**
 * gRPC `cte.portfolio.v1.Portfolio`: GetPortfolio, GetPositions, GetExposure. Served from memory
 * (views cached per portfolio version), so risk and recommendations can call them on every
 * decision. A position without a price has `mark_price` "" (it is valued at its average entry);
 * percentages are "" when equity <= 0.
 */
import { unary, type PortfolioClient, type PortfolioHandlers, type UnaryResponse } from '@cte/shared';
import type { PortfolioApi, PositionJson } from './portfolio-api';

type PositionProto = UnaryResponse<PortfolioClient, 'GetPositions'>['positions'][number];

function positionProto(p: PositionJson): PositionProto {
  return {
    symbol: p.symbol,
    qty: p.qty,
    avg_entry_price: p.avg_entry_price,
    realized_pnl: p.realized_pnl,
    fees: p.fees,
    mark_price: p.mark_price ?? '',
    unrealized_pnl: p.unrealized_pnl,
    notional: p.notional,
    updated_at: String(p.updated_at),
  };
}

export function portfolioGrpcHandlers(api: PortfolioApi): PortfolioHandlers {
  return {
    GetPortfolio: unary(async () => {
      const s = api.summary();
      return {
        quote_currency: s.quote_currency,
        initial_capital: s.initial_capital,
        cash: s.cash,
        equity: s.equity,
        realized_pnl: s.realized_pnl,
        unrealized_pnl: s.unrealized_pnl,
        fees: s.fees,
        peak_equity: s.peak_equity,
        drawdown_pct: s.drawdown_pct,
        positions: s.positions.map(positionProto),
        balances: s.balances,
        fills_applied: String(s.fills_applied),
        as_of: String(s.as_of),
      };
    }),
    GetPositions: unary(async () => ({ positions: api.positions().positions.map(positionProto) })),
    GetExposure: unary(async () => {
      const e = api.exposure();
      return { ...e, as_of: String(e.as_of) };
    }),
  };
}
