/**
 * Published request limits. Pure: time is passed in.
 * - RateLimiter (Binance.US): request weight per IP in fixed one-minute windows, order counts per
 *   account in 10-second and one-day windows. Going over the weight limit answers 429; a client
 *   that keeps sending after `banAfter429s` of those is banned (418) for `banMs`, doubled for every
 *   further ban of the same IP (capped at three days).
 * - WindowLimiter (Coinbase, KuCoin): a weighted count per key in fixed windows.
 */

export interface RateLimitOptions {
  weightPerMinute: number;
  ordersPer10s: number;
  ordersPerDay: number;
  banAfter429s: number;
  banMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { weightPerMinute: 1200, ordersPer10s: 100, ordersPerDay: 200_000, banAfter429s: 5, banMs: 120_000 };

const MINUTE = 60_000;
const TEN_S = 10_000;
const DAY = 86_400_000;
const MAX_BAN = 3 * DAY;

interface IpState {
  window: number;
  used: number;
  rejected: number;
  bannedUntil: number;
  bans: number;
}

interface OrderState {
  w10: number;
  n10: number;
  wDay: number;
  nDay: number;
}

export type WeightVerdict =
  | { ok: true; used: number }
  | { ok: false; status: 429; used: number; retryAfterS: number }
  | { ok: false; status: 418; used: number; retryAfterS: number; bannedUntil: number };

export type OrderVerdict = { ok: true; count10s: number; countDay: number } | { ok: false; interval: '10s' | '1d'; limit: number; count10s: number; countDay: number; retryAfterS: number };

export class RateLimiter {
  private readonly ips = new Map<string, IpState>();
  private readonly orders = new Map<string, OrderState>();

  constructor(public options: RateLimitOptions = DEFAULT_RATE_LIMITS) {}

  /** Counts `weight` for `ip` and says whether the request may be answered. */
  weigh(ip: string, weight: number, now: number): WeightVerdict {
    const s = this.ipState(ip, now);
    if (s.bannedUntil > now) return { ok: false, status: 418, used: s.used, retryAfterS: Math.ceil((s.bannedUntil - now) / 1000), bannedUntil: s.bannedUntil };
    s.used += weight;
    if (s.used <= this.options.weightPerMinute) return { ok: true, used: s.used };
    s.rejected += 1;
    if (s.rejected > this.options.banAfter429s) {
      s.bans += 1;
      s.bannedUntil = now + Math.min(MAX_BAN, this.options.banMs * 2 ** (s.bans - 1));
      return { ok: false, status: 418, used: s.used, retryAfterS: Math.ceil((s.bannedUntil - now) / 1000), bannedUntil: s.bannedUntil };
    }
    return { ok: false, status: 429, used: s.used, retryAfterS: Math.ceil((s.window + MINUTE - now) / 1000) };
  }

  used(ip: string, now: number): number {
    return this.ipState(ip, now).used;
  }

  /** Counts one new order for `account`. */
  countOrder(account: string, now: number): OrderVerdict {
    const s = this.orderState(account, now);
    const o = this.options;
    if (s.n10 >= o.ordersPer10s) return { ok: false, interval: '10s', limit: o.ordersPer10s, count10s: s.n10, countDay: s.nDay, retryAfterS: Math.ceil((s.w10 + TEN_S - now) / 1000) };
    if (s.nDay >= o.ordersPerDay) return { ok: false, interval: '1d', limit: o.ordersPerDay, count10s: s.n10, countDay: s.nDay, retryAfterS: Math.ceil((s.wDay + DAY - now) / 1000) };
    s.n10 += 1;
    s.nDay += 1;
    return { ok: true, count10s: s.n10, countDay: s.nDay };
  }

  orderCounts(account: string, now: number): { count10s: number; countDay: number } {
    const s = this.orderState(account, now);
    return { count10s: s.n10, countDay: s.nDay };
  }

  /** Forgets every count and ban. */
  reset(): void {
    this.ips.clear();
    this.orders.clear();
  }

  private ipState(ip: string, now: number): IpState {
    const window = Math.floor(now / MINUTE) * MINUTE;
    let s = this.ips.get(ip);
    if (!s) {
      s = { window, used: 0, rejected: 0, bannedUntil: 0, bans: 0 };
      this.ips.set(ip, s);
    } else if (s.window !== window) {
      s.window = window;
      s.used = 0;
      s.rejected = 0;
    }
    return s;
  }

  private orderState(account: string, now: number): OrderState {
    const w10 = Math.floor(now / TEN_S) * TEN_S;
    const wDay = Math.floor(now / DAY) * DAY;
    let s = this.orders.get(account);
    if (!s) {
      s = { w10, n10: 0, wDay, nDay: 0 };
      this.orders.set(account, s);
    }
    if (s.w10 !== w10) {
      s.w10 = w10;
      s.n10 = 0;
    }
    if (s.wDay !== wDay) {
      s.wDay = wDay;
      s.nDay = 0;
    }
    return s;
  }
}

/**
 * Request limits counted in fixed windows per key (Coinbase: requests per second per API key;
 * KuCoin: a weighted resource pool per 30 s).
 */
export type WindowVerdict = { ok: true; used: number; remaining: number; resetMs: number } | { ok: false; used: number; remaining: 0; resetMs: number; retryAfterS: number };

export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    public limit: number,
    public windowMs: number,
  ) {}

  /** Counts `weight` for `key`; refused (and not counted) when it would exceed the limit. */
  take(key: string, now: number, weight = 1): WindowVerdict {
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, used: 0 };
      this.windows.set(key, w);
    }
    const resetMs = start + this.windowMs - now;
    if (w.used + weight > this.limit) return { ok: false, used: w.used, remaining: 0, resetMs, retryAfterS: Math.max(1, Math.ceil(resetMs / 1000)) };
    w.used += weight;
    return { ok: true, used: w.used, remaining: this.limit - w.used, resetMs };
  }

  reset(): void {
    this.windows.clear();
  }

  /** The limit under the venue's admin field name; with `patch`, that field's new value is applied and counts start over. */
  limitsAs(field: string, patch?: Readonly<Record<string, number>>): Record<string, number> {
    const v = patch?.[field];
    if (v !== undefined) this.limit = v;
    if (patch) this.reset();
    return { [field]: this.limit };
  }
}
