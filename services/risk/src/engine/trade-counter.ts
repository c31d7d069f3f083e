/**
 * Trades approved per UTC day, overall and per symbol. The day is given by the caller (the data
 * clock's day, so replays count by the market's calendar). Only the newest two days are kept.
 * Pure.
 */
export const DAY_MS = 86_400_000;

/** UTC day number of an epoch-ms time. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** `2019-08-20` for a day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

interface DayCounts {
  total: number;
  bySymbol: Map<string, number>;
}

export class TradeCounter {
  private readonly days = new Map<number, DayCounts>();
  private newest = -Infinity;

  record(day: number, symbol: string, n = 1): void {
    let d = this.days.get(day);
    if (d === undefined) {
      d = { total: 0, bySymbol: new Map() };
      this.days.set(day, d);
      if (day > this.newest) {
        this.newest = day;
        for (const k of this.days.keys()) if (k < day - 1) this.days.delete(k);
      }
    }
    d.total += n;
    d.bySymbol.set(symbol, (d.bySymbol.get(symbol) ?? 0) + n);
  }

  total(day: number): number {
    return this.days.get(day)?.total ?? 0;
  }

  forSymbol(day: number, symbol: string): number {
    return this.days.get(day)?.bySymbol.get(symbol) ?? 0;
  }

  bySymbol(day: number): Record<string, number> {
    return Object.fromEntries([...(this.days.get(day)?.bySymbol ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)));
  }
}
