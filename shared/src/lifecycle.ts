import type { Logger } from './logger';

/**
 * Graceful shutdown in phases. On the first SIGTERM/SIGINT:
 *   1. readiness flips to not-ready, so load balancers stop sending work; for the drain
 *      delay after that the process keeps serving as before (HTTP, gRPC, consumers), since
 *      endpoint removal takes a moment to reach every load balancer and client;
 *   2. `intake` hooks stop taking new work (sources, consumers);
 *   3. `drain` hooks finish in-flight work (HTTP, gRPC, pending writes);
 *   4. `close` hooks close connections (bus, database).
 * The phases after the delay share one grace period; a second signal forces exit.
 */
export type ShutdownPhase = 'intake' | 'drain' | 'close';

interface Hook {
  name: string;
  phase: ShutdownPhase;
  fn: (graceMs: number) => Promise<void> | void;
}

export interface LifecycleOptions {
  logger: Logger;
  graceMs: number;
  /** Milliseconds to keep serving after readiness turns false, before `intake` (default 0). */
  drainDelayMs?: number;
  readiness?: { setShuttingDown(): void };
  /** Injected for tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

const PHASES: readonly ShutdownPhase[] = ['intake', 'drain', 'close'];

export class Lifecycle {
  private readonly hooks: Hook[] = [];
  private shuttingDown: Promise<number> | undefined;
  private readonly exit: (code: number) => void;

  constructor(private readonly opts: LifecycleOptions) {
    this.exit = opts.exit ?? ((code) => process.exit(code));
  }

  /** Registers a hook. Within a phase, hooks run concurrently; phases run in order. */
  onShutdown(phase: ShutdownPhase, name: string, fn: Hook['fn']): void {
    this.hooks.push({ name, phase, fn });
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  installSignalHandlers(): void {
    const handler = (signal: NodeJS.Signals) => {
      if (this.shuttingDown) {
        this.opts.logger.warn({ signal }, 'second signal: forcing exit');
        this.exit(1);
        return;
      }
      void this.shutdown(signal).then((code) => this.exit(code));
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }

  /** Runs every phase once and resolves with the exit code (0 clean, 1 if a hook failed or overran). */
  shutdown(reason: string): Promise<number> {
    this.shuttingDown ??= this.run(reason);
    return this.shuttingDown;
  }

  private async run(reason: string): Promise<number> {
    const { logger, graceMs } = this.opts;
    const drainDelayMs = this.opts.drainDelayMs ?? 0;
    logger.info({ reason, graceMs, drainDelayMs }, 'shutdown: readiness off');
    this.opts.readiness?.setShuttingDown();
    if (drainDelayMs > 0) {
      logger.info({ drainDelayMs }, 'shutdown: still serving while load balancers drop this endpoint');
      await new Promise<void>((resolve) => setTimeout(resolve, drainDelayMs));
    }
    const started = Date.now();
    let failed = false;
    for (const phase of PHASES) {
      const remaining = Math.max(0, graceMs - (Date.now() - started));
      const hooks = this.hooks.filter((h) => h.phase === phase);
      const results = await Promise.all(hooks.map((h) => this.runHook(h, remaining)));
      if (results.includes(false)) failed = true;
    }
    logger.info({ ms: Date.now() - started + drainDelayMs, failed }, 'shutdown complete');
    return failed ? 1 : 0;
  }

  private async runHook(hook: Hook, budgetMs: number): Promise<boolean> {
    // Each hook gets the remaining budget plus a small margin to finish its own forced cleanup.
    const limit = budgetMs + 1000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve(hook.fn(budgetMs)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${limit} ms`)), limit);
          timer.unref();
        }),
      ]);
      this.opts.logger.debug({ hook: hook.name, phase: hook.phase }, 'shutdown hook done');
      return true;
    } catch (err) {
      this.opts.logger.error({ hook: hook.name, phase: hook.phase, err: (err as Error).message }, 'shutdown hook failed');
      return false;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
