/**
 * Checks an open order read back from MySQL at start, before it is handed to the venue and
 * reconciled: a row that is storable but not a valid order (quantity 0, a limit order without
 * a price, more filled than ordered, a malformed symbol...) is quarantined instead.
 */
import { InvalidArgumentError, parseSymbol } from '@cte/shared/core';
import type { Order } from './types';

export function checkStoredOrder(o: Order): Order {
  parseSymbol(o.symbol);
  if (o.side !== 'buy' && o.side !== 'sell') throw new InvalidArgumentError(`side ${String(o.side)} is not buy or sell`);
  if (!o.qty.gt(0)) throw new InvalidArgumentError(`qty ${o.qty.toFixed()} is not > 0`);
  if (o.filledQty.lt(0) || o.filledQty.gt(o.qty)) throw new InvalidArgumentError(`filled_qty ${o.filledQty.toFixed()} is outside 0..qty ${o.qty.toFixed()}`);
  if (o.type === 'limit' && (o.limitPrice === null || !o.limitPrice.gt(0))) throw new InvalidArgumentError('a limit order without a limit_price > 0');
  if (o.type === 'market' && o.limitPrice !== null) throw new InvalidArgumentError('a market order with a limit_price');
  if (o.status !== 'NEW' && o.venueOrderId === null) throw new InvalidArgumentError(`status ${o.status} without a venue_order_id`);
  if (o.avgFillPrice !== null && !o.avgFillPrice.gt(0)) throw new InvalidArgumentError(`avg_fill_price ${o.avgFillPrice.toFixed()} is not > 0`);
  if (o.fees.lt(0)) throw new InvalidArgumentError(`fees ${o.fees.toFixed()} are negative`);
  return o;
}
