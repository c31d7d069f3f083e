/**
 * The test's own record of the fills it sent (a `trades`-shaped table, `test_trades`, in the
 * throw-away database) and two recomputations of the books from it that share no code with the
 * service:
 *   - in SQL with DECIMAL arithmetic: everything that does not depend on order (final quantities,
 *     fees, every balance);
 *   - the BigInt replay of reference-ledger.ts: what does (average entry, realised PnL).
 */
import { batchInsert, type Database, type FillMessage } from '@cte/shared';
import { canon, recompute, type RefBooks, type RefFill } from './reference-ledger';

export async function createTradesTable(db: Database): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS test_trades (
    seq INT NOT NULL,
    id VARCHAR(128) NOT NULL,
    venue VARCHAR(32) NOT NULL,
    venue_trade_id VARCHAR(128) NOT NULL,
    symbol VARCHAR(41) NOT NULL,
    side ENUM('buy','sell') NOT NULL,
    qty DECIMAL(36,18) NOT NULL,
    price DECIMAL(36,18) NOT NULL,
    fee DECIMAL(36,18) NOT NULL,
    fee_currency VARCHAR(20) NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY (id)
  )`);
}

/** Records fills in the order they were sent (first occurrences only). */
export async function recordTrades(db: Database, fills: readonly FillMessage[]): Promise<void> {
  const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM test_trades');
  let seq = Number(row?.n ?? 0);
  const seen = new Set((await db.query<{ id: string }>('SELECT id FROM test_trades')).map((r) => r.id));
  const rows = [];
  for (const f of fills) {
    if (seen.has(f.fill_id)) continue;
    seen.add(f.fill_id);
    rows.push([++seq, f.fill_id, f.venue, f.venue_trade_id, f.symbol, f.side, f.qty, f.price, f.fee, f.fee_currency]);
  }
  await batchInsert(db, 'test_trades', ['seq', 'id', 'venue', 'venue_trade_id', 'symbol', 'side', 'qty', 'price', 'fee', 'fee_currency'], rows, { chunkSize: 1000 });
}

export interface SqlBooks {
  positions: Map<string, { qty: string; fees: string; fills: number }>;
  balances: Map<string, string>;
}

/** Order-independent books in SQL (DECIMAL arithmetic, no application code). */
export async function sqlBooks(db: Database, seed: Record<string, string>): Promise<SqlBooks> {
  const pos = await db.query<{ symbol: string; qty: string; fees: string; fills: number }>(`
    SELECT symbol,
           SUM(IF(side = 'buy', qty, -qty)) AS qty,
           SUM(CASE WHEN fee_currency = SUBSTRING_INDEX(symbol, '/', -1) THEN fee
                    WHEN fee_currency = SUBSTRING_INDEX(symbol, '/', 1) THEN ROUND(fee * price, 18)
                    ELSE 0 END) AS fees,
           COUNT(*) AS fills
    FROM test_trades GROUP BY symbol`);
  const seedSql = Object.keys(seed).map(() => 'SELECT ? AS asset, CAST(? AS DECIMAL(36,18)) AS amount').join(' UNION ALL ');
  const bal = await db.query<{ asset: string; total: string }>(
    `SELECT asset, SUM(amount) AS total FROM (
       SELECT SUBSTRING_INDEX(symbol, '/', -1) AS asset, IF(side = 'buy', -ROUND(qty * price, 18), ROUND(qty * price, 18)) AS amount FROM test_trades
       UNION ALL SELECT SUBSTRING_INDEX(symbol, '/', 1), IF(side = 'buy', qty, -qty) FROM test_trades
       UNION ALL SELECT fee_currency, -fee FROM test_trades WHERE fee <> 0
       UNION ALL ${seedSql}
     ) flows GROUP BY asset`,
    Object.entries(seed).flat(),
  );
  return {
    positions: new Map(pos.map((p) => [p.symbol, { qty: canon(String(p.qty)), fees: canon(String(p.fees)), fills: Number(p.fills) }])),
    balances: new Map(bal.map((b) => [b.asset, canon(String(b.total))])),
  };
}

/** The BigInt replay over the recorded trades, in the order they were sent. */
export async function referenceBooks(db: Database, seed: Record<string, string>): Promise<RefBooks> {
  const rows = await db.query<RefFill & { id: string }>('SELECT id, symbol, side, qty, price, fee, fee_currency FROM test_trades ORDER BY seq');
  return recompute(rows.map((r) => ({ ...r, fill_id: r.id })), seed);
}

export interface ServiceBooks {
  positions: Map<string, { qty: string; avg_entry_price: string; realized_pnl: string; fees: string; fills: number }>;
  balances: Map<string, string>;
  applied: Array<{ fill_id: string; seq: number; realized_pnl: string }>;
}

/** What the service committed to its own tables. */
export async function serviceBooks(db: Database): Promise<ServiceBooks> {
  const pos = await db.query<{ symbol: string; qty: string; avg_entry_price: string; realized_pnl: string; fees: string; fills: number }>(
    'SELECT symbol, qty, avg_entry_price, realized_pnl, fees, fills FROM portfolio_positions',
  );
  const bal = await db.query<{ asset: string; total: string }>('SELECT asset, total FROM balances');
  const applied = await db.query<{ fill_id: string; seq: number; realized_pnl: string }>('SELECT fill_id, seq, realized_pnl FROM applied_fills ORDER BY seq');
  return {
    positions: new Map(pos.map((p) => [p.symbol, { qty: canon(p.qty), avg_entry_price: canon(p.avg_entry_price), realized_pnl: canon(p.realized_pnl), fees: canon(p.fees), fills: Number(p.fills) }])),
    balances: new Map(bal.map((b) => [b.asset, canon(b.total)])),
    applied: applied.map((a) => ({ fill_id: a.fill_id, seq: Number(a.seq), realized_pnl: canon(a.realized_pnl) })),
  };
}

/** Asserts the service's books equal both recomputations, digit for digit. */
export function expectBooksMatch(service: ServiceBooks, sql: SqlBooks, ref: RefBooks): void {
  // Every fill exactly once, in the order it was sent.
  expect(service.applied.map((a) => a.fill_id)).toEqual(ref.order);
  expect(service.applied.map((a) => a.seq)).toEqual(ref.order.map((_, i) => i + 1));
  expect(Object.fromEntries(service.applied.map((a) => [a.fill_id, a.realized_pnl]))).toEqual(Object.fromEntries(ref.realizedByFill));

  const sorted = <T>(m: Map<string, T>): Array<[string, T]> => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  expect(sorted(service.balances)).toEqual(sorted(sql.balances));
  expect(sorted(service.balances)).toEqual(sorted(ref.balances));
  expect(sorted(service.positions)).toEqual(sorted(ref.positions));
  expect(sorted(service.positions).map(([s, p]) => [s, { qty: p.qty, fees: p.fees, fills: p.fills }])).toEqual(sorted(sql.positions));
}
