/**
 * The ready queue: a binary heap ordered by priority (higher first), then by
 * queue time (older first), then by arrival. Removal is lazy (`delete` marks,
 * `pop` skips), so cancelling a queued task is O(1).
 */
export interface QueuedTask {
  id: string;
  priority: number;
  queuedAt: number;
  /** Arrival order, for ties. */
  seq: number;
}

function before(a: QueuedTask, b: QueuedTask): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.queuedAt !== b.queuedAt) return a.queuedAt < b.queuedAt;
  return a.seq < b.seq;
}

export class TaskQueue<T extends QueuedTask> {
  private heap: T[] = [];
  private readonly live = new Set<string>();

  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  push(item: T): void {
    if (this.live.has(item.id)) return;
    this.live.add(item.id);
    this.heap.push(item);
    this.up(this.heap.length - 1);
  }

  /** Removes `id` if queued; true when it was. */
  delete(id: string): boolean {
    const had = this.live.delete(id);
    if (had && this.live.size === 0) this.heap = [];
    return had;
  }

  /** The first live item, removed. */
  pop(): T | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0] as T;
      const last = this.heap.pop() as T;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.down(0);
      }
      if (this.live.delete(top.id)) return top;
    }
    return undefined;
  }

  clear(): void {
    this.heap = [];
    this.live.clear();
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as T, h[p] as T)) break;
      [h[i], h[p]] = [h[p] as T, h[i] as T];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as T, h[m] as T)) m = l;
      if (r < h.length && before(h[r] as T, h[m] as T)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as T, h[i] as T];
      i = m;
    }
  }
}
