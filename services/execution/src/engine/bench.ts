/**
 * Engine throughput of the order path: wire JSON → validateOrderRequest → OrderManager.create →
 * PaperExchange.submit (mock fill with slippage, fees, liquidity) → OrderManager.submitted →
 * applyFill for every fill, with a price tick per symbol every few orders so resting limit orders
 * fill too. The baseline, measured in the same run on the same messages, is the trivial part any
 * order path pays: JSON.parse plus parsing the quantity as a decimal.
 * Not part of `make bench`; call it from a REPL or script:
 *   node -e "console.log(require('./services/execution/dist/engine/bench').benchmarkOrderManager())"
 */
import { Dec, TradableSymbols } from '@cte/shared/core';
import { OrderManager } from './order-manager';
import { PaperExchange } from './paper-exchange';
import { PrecisionTable } from './precision';
import type { Order } from './types';
import { validateOrderRequest } from './validation';

export interface OrderManagerBenchOptions {
  orders?: number;
  symbols?: number;
  runs?: number;
}

export interface OrderManagerBenchResult {
  /** Median orders/s through validate + state machine + mock fill. */
  ordersPerSec: number;
  /** Median orders/s of JSON.parse + the quantity's decimal parse alone. */
  baselinePerSec: number;
  orders: number;
  fills: number;
  symbols: number;
  runs: number;
}

const T0 = Date.UTC(2019, 7, 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function workload(n: number, symbols: number): { messages: string[]; prices: string[] } {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const messages = new Array<string>(n);
  const prices = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const sym = i % symbols;
    const price = 10_000 + 100 * Math.sin(i / 500) + sym;
    prices[i] = price.toFixed(2);
    const limit = rnd() < 0.3;
    const side = rnd() < 0.5 ? 'buy' : 'sell';
    messages[i] = JSON.stringify({
      client_order_id: `bench-${i}`,
      symbol: `B${sym}/USD`,
      side,
      type: limit ? 'limit' : 'market',
      qty: (0.001 + Math.floor(rnd() * 5000) / 1e4).toFixed(4),
      ...(limit ? { limit_price: (price * (side === 'buy' ? 0.999 : 1.001)).toFixed(2) } : {}),
      trace_id: `trace${String(i).padStart(8, '0')}`,
    });
  }
  return { messages, prices };
}

export function benchmarkOrderManager(opts: OrderManagerBenchOptions = {}): OrderManagerBenchResult {
  const n = opts.orders ?? 50_000;
  const symbols = opts.symbols ?? 10;
  const runs = opts.runs ?? 5;
  const { messages, prices } = workload(n, symbols);
  const precision = new PrecisionTable();
  const ctx = { symbols: new TradableSymbols(Array.from({ length: symbols }, (_, i) => `B${i}/USD`), 'bench'), precision };

  const engineRuns: number[] = [];
  const baselineRuns: number[] = [];
  let fills = 0;
  let sink = 0;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const m = JSON.parse(messages[i]!) as { qty: string };
      sink += new Dec(m.qty).isZero() ? 0 : 1;
    }
    baselineRuns.push(n / (Number(process.hrtime.bigint() - t) / 1e9));

    const manager = new OrderManager('mock');
    const exchange = new PaperExchange({
      venue: 'mock',
      slippageBps: new Dec(5),
      impactBps: new Dec(10),
      liquidityNotional: new Dec(100_000),
      takerFeeBps: new Dec(10),
      makerFeeBps: new Dec(5),
      maxPriceAgeMs: 60_000,
      maxPriceSilenceMs: 0,
      precision,
    });
    for (const s of ctx.symbols.list()) exchange.onPrice(s, new Dec(prices[0]!), T0, T0);
    const open = new Map<string, Order>();
    fills = 0;
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const now = T0 + i;
      const req = validateOrderRequest(JSON.parse(messages[i]!), ctx);
      let order = manager.create(req, `o-${i}`, req.traceId ?? 'trace-none', now);
      const res = exchange.submit({ orderId: order.id, clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, type: order.type, qty: order.qty, limitPrice: order.limitPrice }, now);
      if (!res.accepted) {
        order = manager.rejected(order, res.reason, now);
        continue;
      }
      order = manager.submitted(order, res.venueOrderId, now);
      for (const f of res.fills) {
        order = manager.applyFill(order, f, now).order;
        fills++;
      }
      if (order.status !== 'FILLED') open.set(order.id, order);
      // A new price for one symbol every 10 orders: fills resting limit orders and remainders.
      if (i % 10 === 9) {
        const sym = `B${(i / 10) % symbols | 0}/USD`;
        for (const f of exchange.onPrice(sym, new Dec(prices[i]!), now, now)) {
          const o = open.get(f.orderId);
          if (!o) continue;
          const next = manager.applyFill(o, f, now).order;
          fills++;
          if (next.status === 'FILLED') open.delete(o.id);
          else open.set(o.id, next);
        }
      }
    }
    engineRuns.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
    sink += open.size;
  }
  if (sink === -1) console.log(sink); // keep the work observable
  return { ordersPerSec: Math.round(median(engineRuns)), baselinePerSec: Math.round(median(baselineRuns)), orders: n, fills, symbols, runs };
}

if (require.main === module) console.log(JSON.stringify(benchmarkOrderManager(), null, 2));
