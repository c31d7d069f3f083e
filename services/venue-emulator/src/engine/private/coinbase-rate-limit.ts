/**
 * Request limits counted in fixed windows per key (Coinbase: requests per second per API key;
 * KuCoin: a weighted resource pool per 30 s). Pure: time is passed in.
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
}
