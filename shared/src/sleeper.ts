/**
 * Timed waits that a shutdown can cut short: `wakeAll()` resolves every pending `sleep` at once, so
 * a stopping service never waits out a reconnect backoff or a settle delay.
 */
export class Sleeper {
  private readonly wakes = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakes.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakes.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakes]) wake();
  }

  get pending(): number {
    return this.wakes.size;
  }
}
