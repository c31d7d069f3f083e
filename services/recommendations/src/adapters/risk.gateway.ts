import { describeValue, Dec, DomainError, type GrpcClient, type RiskClient } from '@cte/shared';
import type { OrderSideName } from '../engine/kelly-sizer';

export type RiskDecisionName = 'APPROVED' | 'RESIZED' | 'REJECTED';

export interface RiskDecision {
  decision: RiskDecisionName;
  /** 0 when rejected; for APPROVED the requested qty when risk left it empty. */
  approvedQty: Dec;
  reasons: string[];
  eventId: string;
  tradingState: string;
}

export interface RiskCheckInput {
  recommendationId: string;
  symbol: string;
  side: OrderSideName;
  qty: Dec;
  /** Reference price; undefined = risk uses its latest. */
  price: Dec | undefined;
  traceId: string;
}

export interface RiskPort {
  check(input: RiskCheckInput): Promise<RiskDecision>;
}

const DECISIONS: ReadonlySet<string> = new Set(['APPROVED', 'RESIZED', 'REJECTED']);
const REASON = /^[\w.:-]{1,64}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** risk's `Check` (idempotent per recommendation_id, so the client retries it on UNAVAILABLE). */
export class RiskGateway implements RiskPort {
  constructor(private readonly client: GrpcClient<RiskClient>) {}

  async check(input: RiskCheckInput): Promise<RiskDecision> {
    const res = await this.client.unary(
      'Check',
      {
        recommendation_id: input.recommendationId,
        symbol: input.symbol,
        side: input.side,
        qty: input.qty.toFixed(),
        price: input.price ? input.price.toFixed() : '',
        trace_id: input.traceId,
      },
      { traceId: input.traceId },
    );
    if (!DECISIONS.has(res.decision)) throw new DomainError('INTERNAL', `risk answered an unknown decision ${describeValue(res.decision)}`);
    const decision = res.decision as RiskDecisionName;
    let approvedQty: Dec;
    if (res.approved_qty === '' || res.approved_qty === undefined) {
      if (decision === 'RESIZED') throw new DomainError('INTERNAL', 'risk answered RESIZED without approved_qty');
      approvedQty = decision === 'APPROVED' ? input.qty : new Dec(0);
    } else if (DECIMAL.test(res.approved_qty)) {
      approvedQty = new Dec(res.approved_qty);
    } else {
      throw new DomainError('INTERNAL', `risk answered a malformed approved_qty ${describeValue(res.approved_qty)}`);
    }
    return {
      decision,
      approvedQty,
      reasons: (res.reasons ?? []).filter((r) => typeof r === 'string' && REASON.test(r)).slice(0, 20),
      eventId: typeof res.event_id === 'string' ? res.event_id.slice(0, 64) : '',
      tradingState: typeof res.trading_state === 'string' ? res.trading_state.slice(0, 16) : '',
    };
  }
}
