import type { FillMessage } from '@cte/shared';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer count of 10^-decimals units as a decimal string: units(12345, 4) = "1.2345". */
export function units(n: bigint, decimals: number): string {
  if (decimals === 0) return n.toString();
  const s = n.toString().padStart(decimals + 1, '0');
  return `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

export interface GenerateOptions {
  n: number;
  symbols: string[];
  seed: number;
  /** Decimals of quantities (default 8). */
  qtyDecimals?: number;
  /** Decimals of prices (default 2). */
  priceDecimals?: number;
  /** Largest quantity in whole units (default 3). */
  maxQty?: number;
  /** Share of fills whose fee is in the base asset (default 0.1). */
  baseFeeShare?: number;
  idPrefix: string;
  ts0?: number;
}

/**
 * Random buys and sells over several symbols. Sides are random and quantities vary by three orders
 * of magnitude, so positions wander around zero and flip through it often (longs become shorts and
 * back). Prices follow a random walk per symbol.
 */
export function generateFills(o: GenerateOptions): FillMessage[] {
  const rnd = prng(o.seed);
  const qd = o.qtyDecimals ?? 8;
  const pd = o.priceDecimals ?? 2;
  const maxQtyUnits = BigInt(o.maxQty ?? 3) * 10n ** BigInt(qd);
  const prices = o.symbols.map((_, i) => 1000 * (i + 1) * 10 ** pd);
  const held = o.symbols.map(() => 0n);
  const out: FillMessage[] = [];
  for (let i = 0; i < o.n; i++) {
    const si = Math.floor(rnd() * o.symbols.length);
    const symbol = o.symbols[si]!;
    const [base, quote] = symbol.split('/') as [string, string];
    prices[si] = Math.max(10 ** pd, Math.round(prices[si]! * (1 + (rnd() - 0.5) * 0.02)));
    // Quantity: magnitude 10^-3..1 of the max, so small fills add up and big ones flip the position.
    const scale = 10 ** -Math.floor(rnd() * 4);
    let qtyUnits = BigInt(Math.max(1, Math.floor(Number(maxQtyUnits) * scale * rnd())));
    // Lean against the position (mean reversion), and now and then trade straight through zero.
    const h = held[si]!;
    const lean = Math.tanh(Number(h) / Number(maxQtyUnits));
    let side: 'buy' | 'sell' = rnd() < 0.5 + 0.4 * lean ? 'sell' : 'buy';
    if (h !== 0n && rnd() < 0.15) {
      side = h > 0n ? 'sell' : 'buy';
      qtyUnits = (h > 0n ? h : -h) + qtyUnits;
    }
    held[si] = h + (side === 'buy' ? qtyUnits : -qtyUnits);
    const feeInBase = rnd() < (o.baseFeeShare ?? 0.1);
    const fee = feeInBase ? units(BigInt(Math.floor(rnd() * 100_000)), 10) : units(BigInt(Math.floor(rnd() * 2e8)), 8);
    out.push({
      fill_id: `${o.idPrefix}-${i}`,
      venue: 'paper',
      venue_trade_id: `${o.idPrefix}-t${i}`,
      order_id: `${o.idPrefix}-o${i}`,
      client_order_id: `${o.idPrefix}-c${i}`,
      symbol,
      side,
      qty: units(qtyUnits, qd),
      price: units(BigInt(prices[si]), pd),
      fee,
      fee_currency: feeInBase ? base : quote,
      liquidity: rnd() < 0.5 ? 'maker' : 'taker',
      ts: (o.ts0 ?? 1_566_259_200_000) + i * 1000,
      trace_id: `trace-${o.idPrefix}-${i}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64),
    });
  }
  return out;
}

/** Counts sign changes through zero per symbol (long → short or short → long) in a fill sequence. */
export function countFlips(fills: readonly FillMessage[]): number {
  const qty = new Map<string, number>();
  let flips = 0;
  for (const f of fills) {
    const before = qty.get(f.symbol) ?? 0;
    const after = before + (f.side === 'buy' ? 1 : -1) * Number(f.qty);
    if ((before > 0 && after < 0) || (before < 0 && after > 0)) flips++;
    qty.set(f.symbol, after);
  }
  return flips;
}
