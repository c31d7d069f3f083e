/** Order checks against a market's rules, in the order venues apply them (precision, price, quantity, notional). */
import { decCmp, decMul } from '../decimal';
import { decimalsOf, isMultiple } from './dec';
import type { MarketRules, OrderRequest, RejectReason } from './types';

/**
 * Why `req` breaks a rule of `r`, or undefined. `refPrice` is the venue's reference price (last
 * trade, else the book's opposite best) for the notional of market orders and the percent band.
 */
export function checkOrder(r: MarketRules, req: OrderRequest, refPrice: string | undefined, openOrders: number): RejectReason | undefined {
  for (const v of [req.qty, req.price, req.quoteQty]) if (v !== undefined && decimalsOf(v) > r.maxDecimals) return { kind: 'precision' };
  if (req.price !== undefined) {
    const p = req.price;
    if (decCmp(p, r.minPrice) < 0 || decCmp(p, r.maxPrice) > 0 || !isMultiple(p, r.tickSize)) return { kind: 'filter', filter: 'PRICE_FILTER' };
    if (refPrice !== undefined && r.percentUp !== '0') {
      if (decCmp(p, decMul(refPrice, r.percentUp)) > 0 || decCmp(p, decMul(refPrice, r.percentDown)) < 0) return { kind: 'filter', filter: 'PERCENT_PRICE' };
    }
  }
  if (req.qty !== undefined) {
    const q = req.qty;
    if (decCmp(q, r.minQty) < 0 || decCmp(q, r.maxQty) > 0 || !isMultiple(q, r.stepSize)) return { kind: 'filter', filter: 'LOT_SIZE' };
    if (req.type === 'MARKET' && r.marketMaxQty !== '0' && decCmp(q, r.marketMaxQty) > 0) return { kind: 'filter', filter: 'MARKET_LOT_SIZE' };
  }
  if (r.minNotional !== '0') {
    let notional: string | undefined;
    if (req.type !== 'MARKET') notional = decMul(req.price ?? '0', req.qty ?? '0');
    else if (r.notionalAppliesToMarket) notional = req.quoteQty ?? (refPrice !== undefined ? decMul(refPrice, req.qty ?? '0') : undefined);
    if (notional !== undefined && decCmp(notional, r.minNotional) < 0) return { kind: 'filter', filter: 'NOTIONAL' };
  }
  if (req.type !== 'MARKET' && openOrders >= r.maxOpenOrders) return { kind: 'filter', filter: 'MAX_NUM_ORDERS' };
  return undefined;
}
