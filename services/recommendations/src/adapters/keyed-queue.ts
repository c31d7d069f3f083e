/**
 * Runs tasks one at a time per key (tasks of different keys run concurrently), with a bound
 * on the tasks waiting per key. Used to process consensus messages of one symbol in order.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, { tail: Promise<void>; depth: number }>();

  constructor(private readonly maxDepth: number) {}

  /** Queues `task` behind the key's earlier tasks; false (not queued) when the key is full. */
  push(key: string, task: () => Promise<void>): boolean {
    const q = this.tails.get(key) ?? { tail: Promise.resolve(), depth: 0 };
    if (q.depth >= this.maxDepth) return false;
    q.depth++;
    q.tail = q.tail
      .then(task)
      .catch(() => undefined)
      .finally(() => {
        q.depth--;
        if (q.depth === 0 && this.tails.get(key) === q) this.tails.delete(key);
      });
    this.tails.set(key, q);
    return true;
  }

  /** Tasks queued or running. */
  size(): number {
    let n = 0;
    for (const q of this.tails.values()) n += q.depth;
    return n;
  }

  /** Resolves when every task queued so far has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()].map((q) => q.tail));
  }
}
