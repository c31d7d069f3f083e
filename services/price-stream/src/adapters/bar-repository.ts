import { batchUpsert, floatSumToDecimalString, InvalidArgumentError, numberToDecimalString, type Bar, type Database, type Symbol, type Timeframe } from '@cte/shared';
import type { BarStore } from './bar-writer';

const BAR_COLUMNS = ['exchange', 'symbol', 'timeframe', 'open_time', 'close_time', 'open', 'high', 'low', 'close', 'volume', 'trades'] as const;
const UPDATED_ON_CONFLICT = ['close_time', 'open', 'high', 'low', 'close', 'volume', 'trades'];

/** A bar as it leaves storage: prices and volume are exact decimal strings. */
export interface StoredBar {
  exchange: string;
  symbol: string;
  timeframe: string;
  openTime: number;
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number | null;
}

export interface BarQuery {
  exchange: string;
  symbol: Symbol;
  timeframe: Timeframe;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
}

export interface BarPage {
  bars: StoredBar[];
  nextCursor: string | undefined;
}

/** `crypto_prices`, owned by price-stream. */
export class BarRepository implements BarStore {
  constructor(private readonly db: Database) {}

  async upsertBars(bars: readonly Bar[]): Promise<void> {
    const rows = bars.map((b) => [
      b.exchange,
      b.symbol,
      b.timeframe,
      b.openTime,
      b.closeTime,
      numberToDecimalString(b.open),
      numberToDecimalString(b.high),
      numberToDecimalString(b.low),
      numberToDecimalString(b.close),
      floatSumToDecimalString(b.volume),
      b.trades,
    ]);
    await batchUpsert(this.db, 'crypto_prices', BAR_COLUMNS, rows, { updateColumns: UPDATED_ON_CONFLICT, chunkSize: 1000 });
  }

  async getBars(q: BarQuery): Promise<BarPage> {
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const where = ['exchange = ?', 'symbol = ?', 'timeframe = ?'];
    const params: (string | number)[] = [q.exchange, q.symbol, q.timeframe];
    if (q.fromMs !== undefined) {
      where.push('open_time >= ?');
      params.push(q.fromMs);
    }
    if (q.toMs !== undefined) {
      where.push('open_time <= ?');
      params.push(q.toMs);
    }
    if (after !== undefined) {
      where.push('open_time > ?');
      params.push(after);
    }
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT exchange, symbol, timeframe, open_time, close_time, open, high, low, close, volume, trades
         FROM crypto_prices WHERE ${where.join(' AND ')} ORDER BY open_time ASC LIMIT ?`,
      [...params, q.limit + 1],
    );
    const page = rows.slice(0, q.limit).map(toStoredBar);
    const last = page.at(-1);
    return { bars: page, nextCursor: rows.length > q.limit && last ? encodeCursor(last.openTime) : undefined };
  }
}

function toStoredBar(r: Record<string, unknown>): StoredBar {
  return {
    exchange: String(r.exchange),
    symbol: String(r.symbol),
    timeframe: String(r.timeframe),
    openTime: Number(r.open_time),
    closeTime: Number(r.close_time),
    open: trimDecimal(String(r.open)),
    high: trimDecimal(String(r.high)),
    low: trimDecimal(String(r.low)),
    close: trimDecimal(String(r.close)),
    volume: trimDecimal(String(r.volume)),
    trades: r.trades === null || r.trades === undefined ? null : Number(r.trades),
  };
}

/** DECIMAL(36,18) comes back with 18 fraction digits; drop the trailing zeros. */
export function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function encodeCursor(openTime: number): string {
  return Buffer.from(`ot:${openTime}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^ot:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidArgumentError('invalid cursor: pass next_cursor from a previous page unchanged');
  return Number(m[1]);
}
