/**
 * What each ccxt call of CcxtVenue costs in the venue's shared rate-limit budget, and at which
 * priority it waits. Costs are the venue's own units: Binance.US request weight (its published
 * weights, the higher of the old and current figure where they differ), KuCoin spot
 * resource-pool weight, Coinbase requests. A unified call that makes several requests (loading
 * markets) is charged for all of them.
 *
 * Priorities: a cancel is 'critical' (it reduces risk and may use the reserve); sending an order,
 * loading markets and resolving an ambiguous send (fetchOrder, fetchOrders) are 'normal'; the
 * periodic reconciliation's listings are 'low'. An order request carries no reduce-only flag yet,
 * so every createOrder is 'normal'.
 */
export type CallPriority = 'critical' | 'normal' | 'low';

export interface CallBudget {
  cost: number;
  priority: CallPriority;
}

const PRIORITY: Record<string, CallPriority> = {
  cancelOrder: 'critical',
  createOrder: 'normal',
  loadMarkets: 'normal',
  fetchOrder: 'normal',
  fetchOrders: 'normal',
  fetchOpenOrders: 'low',
  fetchOrderTrades: 'low',
  fetchMyTrades: 'low',
};

const COST: Record<string, Record<string, number>> = {
  // GET /api/v3/exchangeInfo 20, order 4, openOrders (with symbol) 6, allOrders 20, myTrades 20.
  binanceus: { loadMarkets: 20, createOrder: 1, cancelOrder: 1, fetchOrder: 4, fetchOpenOrders: 6, fetchOrders: 20, fetchMyTrades: 20, fetchOrderTrades: 20 },
  // Loading markets reads several product and currency lists.
  coinbase: { loadMarkets: 5 },
  // Cancels and lookups go by client order id (5 and 3); fills 10; markets plus margin symbol lists.
  kucoin: { loadMarkets: 30, createOrder: 2, cancelOrder: 5, fetchOrder: 3, fetchOpenOrders: 2, fetchOrders: 2, fetchMyTrades: 10, fetchOrderTrades: 10 },
};

export function callBudget(venue: string, call: string): CallBudget {
  return { cost: COST[venue]?.[call] ?? 1, priority: PRIORITY[call] ?? 'normal' };
}
