/**
 * Readiness: may this process take traffic now? A service adds one check per
 * dependency (database, Redis, reconciliation done, ...). A check returns when
 * ready (optionally with a short detail string shown in /ready) and throws with a
 * short reason when not. `GET /ready` runs them all.
 *
 * Once shutdown starts, `setShuttingDown()` makes the process not ready before
 * anything else happens, so load balancers stop sending traffic while
 * in-flight work drains.
 */
export type ReadinessCheck = () => Promise<void | string> | void | string;

export interface ReadinessCheckResult {
  ok: boolean;
  /** The reason a check failed (its error message, truncated); absent when ok. */
  error?: string;
  /** What a passing check returned, if anything (e.g. which stored rows were quarantined at start). */
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  shuttingDown: boolean;
  checks: Record<string, ReadinessCheckResult>;
}

export interface ReadinessOptions {
  /** A check slower than this fails with "timed out after N ms". Default 1000. */
  timeoutMs?: number;
}

const MAX_REASON_LENGTH = 200;

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : typeof err === 'string' ? err : 'check failed';
  const reason = msg.trim() === '' ? 'check failed' : msg;
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly timeoutMs: number;
  private shutting = false;
  private readonly shutdownListeners: Array<() => void> = [];

  constructor(opts: ReadinessOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
  }

  /** Adds (or replaces) the check called `name`. Reasons are shown on the unauthenticated /ready: keep them free of secrets. */
  addCheck(name: string, fn: ReadinessCheck): this {
    this.checks.set(name, fn);
    return this;
  }

  removeCheck(name: string): void {
    this.checks.delete(name);
  }

  /** From now on the process reports not ready, whatever the checks say. Irreversible. */
  setShuttingDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const fn of this.shutdownListeners) fn();
  }

  /** Calls `fn` when shutdown makes the process not ready (at once if it already has): the gRPC health service follows /ready. */
  onShuttingDown(fn: () => void): void {
    if (this.shutting) fn();
    else this.shutdownListeners.push(fn);
  }

  get isShuttingDown(): boolean {
    return this.shutting;
  }

  /** Runs every check concurrently, each bounded by the timeout. */
  async check(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, fn]): Promise<[string, ReadinessCheckResult]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const detail = await Promise.race([
            Promise.resolve().then(fn),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
              timer.unref();
            }),
          ]);
          return [name, typeof detail === 'string' && detail !== '' ? { ok: true, detail } : { ok: true }];
        } catch (err) {
          return [name, { ok: false, error: reasonOf(err) }];
        } finally {
          if (timer) clearTimeout(timer);
        }
      }),
    );
    const checks: Record<string, ReadinessCheckResult> = Object.fromEntries(entries);
    const allOk = entries.every(([, r]) => r.ok);
    return { ready: allOk && !this.shutting, shuttingDown: this.shutting, checks };
  }
}
