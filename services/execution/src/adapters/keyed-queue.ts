/**
 * Runs tasks one at a time per key (an order id, a symbol), in the order they were queued; tasks
 * of different keys run concurrently. A failing task does not block the ones behind it.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once everything queued for `key` so far (and anything queued meanwhile) has run. */
  async idle(key: string): Promise<void> {
    for (let t = this.tails.get(key); t; t = this.tails.get(key)) await t;
  }

  /** Resolves once every key is idle. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get size(): number {
    return this.tails.size;
  }
}
