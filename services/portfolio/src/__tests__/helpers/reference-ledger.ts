/**
 * An independent recomputation of the books from a list of fills, written separately from the
 * service's Ledger on purpose: integer fixed-point arithmetic with BigInt (amounts × 10^18), no
 * decimal.js. It follows the written rules (README, "Accounting rules"):
 *   - weighted average entry, rounded to 18 decimals half away from zero;
 *   - realised PnL on the closed part, rounded likewise; a flip opens the rest at the fill price;
 *   - quote cash −/+ qty×price (rounded likewise), base ±qty, fee debited from its currency;
 *   - position fees in the quote currency (base-currency fees valued at the fill price).
 * Tests compare the service's MySQL rows and API answers with this, digit for digit.
 */
const SCALE = 18n;
const ONE = 10n ** SCALE;

export interface RefFill {
  fill_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: string;
  price: string;
  fee: string;
  fee_currency: string;
}

export interface RefPosition {
  qty: string;
  avg_entry_price: string;
  realized_pnl: string;
  fees: string;
  fills: number;
}

export interface RefBooks {
  positions: Map<string, RefPosition>;
  balances: Map<string, string>;
  /** Realised PnL booked by each fill, by fill id. */
  realizedByFill: Map<string, string>;
  /** Fill ids in the order they were applied (first occurrence wins). */
  order: string[];
}

/** "12.5" → 12500000000000000000n (× 10^18); at most 18 decimals. */
export function toUnits(s: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new Error(`not a decimal: ${s}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > 18) throw new Error(`more than 18 decimals: ${s}`);
  const v = BigInt(m[2]!) * ONE + BigInt(frac.padEnd(18, '0') || '0');
  return m[1] === '-' ? -v : v;
}

/** Units back to a minimal decimal string ("12.5", "-0.000000000000000001", "0"). */
export function fromUnits(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / ONE;
  const frac = (a % ONE).toString().padStart(18, '0').replace(/0+$/, '');
  const s = frac ? `${int}.${frac}` : `${int}`;
  return neg && s !== '0' ? `-${s}` : s;
}

/** n / d rounded to an integer, half away from zero (d > 0). */
function divHalfAway(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('divisor must be positive');
  const neg = n < 0n;
  const a = neg ? -n : n;
  let q = a / d;
  const r = a % d;
  if (2n * r >= d) q += 1n;
  return neg ? -q : q;
}

/** a × b for two unit amounts, back in units, rounded half away from zero. */
function mul(a: bigint, b: bigint): bigint {
  return divHalfAway(a * b, ONE);
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

interface Pos {
  qty: bigint;
  avg: bigint;
  realized: bigint;
  fees: bigint;
  fills: number;
}

export function recompute(fills: readonly RefFill[], seed: Record<string, string>): RefBooks {
  const positions = new Map<string, Pos>();
  const balances = new Map<string, bigint>();
  const realizedByFill = new Map<string, string>();
  const order: string[] = [];
  const seen = new Set<string>();
  const add = (asset: string, v: bigint): void => {
    balances.set(asset, (balances.get(asset) ?? 0n) + v);
  };
  for (const [asset, amount] of Object.entries(seed)) add(asset, toUnits(amount));

  for (const f of fills) {
    if (seen.has(f.fill_id)) continue;
    seen.add(f.fill_id);
    order.push(f.fill_id);
    const [base, quote] = f.symbol.split('/') as [string, string];
    const qty = toUnits(f.qty);
    const price = toUnits(f.price);
    const fee = toUnits(f.fee);
    const signed = f.side === 'buy' ? qty : -qty;
    const p = positions.get(f.symbol) ?? { qty: 0n, avg: 0n, realized: 0n, fees: 0n, fills: 0 };
    let realized = 0n;
    if (p.qty === 0n) {
      p.avg = price;
      p.qty = signed;
    } else if ((p.qty > 0n) === (signed > 0n)) {
      const held = abs(p.qty);
      // (held·avg + qty·price) / (held + qty): numerator in units², divisor in units → units.
      p.avg = divHalfAway(held * p.avg + qty * price, held + qty);
      p.qty += signed;
    } else {
      const held = abs(p.qty);
      const closed = qty < held ? qty : held;
      realized = p.qty > 0n ? mul(closed, price - p.avg) : mul(closed, p.avg - price);
      const after = p.qty + signed;
      if (after === 0n) p.avg = 0n;
      else if (qty > held) p.avg = price;
      p.qty = after;
    }
    p.realized += realized;
    if (f.fee_currency === quote) p.fees += fee;
    else if (f.fee_currency === base) p.fees += mul(fee, price);
    p.fills++;
    positions.set(f.symbol, p);
    realizedByFill.set(f.fill_id, fromUnits(realized));

    const notional = mul(qty, price);
    add(quote, f.side === 'buy' ? -notional : notional);
    add(base, signed);
    if (fee !== 0n) add(f.fee_currency, -fee);
  }

  const outPositions = new Map<string, RefPosition>();
  for (const [symbol, p] of positions) {
    outPositions.set(symbol, { qty: fromUnits(p.qty), avg_entry_price: fromUnits(p.avg), realized_pnl: fromUnits(p.realized), fees: fromUnits(p.fees), fills: p.fills });
  }
  const outBalances = new Map<string, string>();
  for (const [asset, v] of balances) outBalances.set(asset, fromUnits(v));
  return { positions: outPositions, balances: outBalances, realizedByFill, order };
}

/** A minimal decimal string from anything decimal-looking ("100.500000000000000000" → "100.5"). */
export function canon(s: string): string {
  return fromUnits(toUnits(s));
}
