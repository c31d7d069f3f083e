import { describeValue, DomainError, type ExecutionClient, type GrpcClient } from '@cte/shared';
import { isOrderStatus, type ExecutionOrderStatus } from '../engine/orders';
import type { OrderSideName } from '../engine/kelly-sizer';
import type { OrderMessage } from './proto-types';

/** What this service needs of an execution order. */
export interface OrderView {
  id: string;
  clientOrderId: string;
  status: ExecutionOrderStatus;
  filledQty: string;
  avgFillPrice: string;
  reason: string;
}

export interface SubmitInput {
  clientOrderId: string;
  recommendationId: string;
  symbol: string;
  side: OrderSideName;
  qty: string;
  traceId: string;
  /** The data time (epoch ms) the order is as of (the consensus's); the paper venue fills at the first price at or after it. */
  dataTime?: number;
}

export interface ExecutionPort {
  submit(input: SubmitInput): Promise<OrderView>;
  /** By order id when known, else by client order id. NotFoundError when there is no such order. */
  getOrder(ref: { id?: string; clientOrderId?: string }, traceId?: string): Promise<OrderView>;
}

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * execution's `Submit` (idempotent by client_order_id: sending the same id again returns the
 * existing order, so the client may retry it) and `GetOrder`. Orders are market orders.
 */
export class ExecutionGateway implements ExecutionPort {
  constructor(private readonly client: GrpcClient<ExecutionClient>) {}

  async submit(input: SubmitInput): Promise<OrderView> {
    const order = await this.client.unary(
      'Submit',
      {
        client_order_id: input.clientOrderId,
        symbol: input.symbol,
        side: input.side,
        type: 'market',
        qty: input.qty,
        limit_price: '',
        recommendation_id: input.recommendationId,
        trace_id: input.traceId,
        data_time: input.dataTime ?? 0,
      },
      { traceId: input.traceId },
    );
    return toOrderView(order);
  }

  async getOrder(ref: { id?: string; clientOrderId?: string }, traceId?: string): Promise<OrderView> {
    const order = await this.client.unary('GetOrder', { id: ref.id ?? '', client_order_id: ref.id ? '' : (ref.clientOrderId ?? '') }, traceId ? { traceId } : {});
    return toOrderView(order);
  }
}

/** Validates an order from execution; a malformed one is an INTERNAL error (nothing is recorded). */
export function toOrderView(o: OrderMessage): OrderView {
  if (typeof o.id !== 'string' || o.id === '' || o.id.length > 64) throw new DomainError('INTERNAL', 'execution returned an order without a valid id');
  if (!isOrderStatus(o.status)) throw new DomainError('INTERNAL', `execution returned an unknown order status ${describeValue(o.status)}`);
  return {
    id: o.id,
    clientOrderId: o.client_order_id ?? '',
    status: o.status,
    filledQty: DECIMAL.test(o.filled_qty ?? '') ? o.filled_qty : '0',
    avgFillPrice: DECIMAL.test(o.avg_fill_price ?? '') ? o.avg_fill_price : '',
    reason: typeof o.reason === 'string' ? o.reason.slice(0, 200) : '',
  };
}
