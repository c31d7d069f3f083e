import { WebSocket, type RawData } from 'ws';

/** A plain WebSocket client that records every frame, for protocol-level assertions. */
export class RawClient {
  readonly frames: string[] = [];
  closed: { code: number } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: RawData) => {
      this.frames.push(Buffer.isBuffer(d) ? d.toString('utf8') : Buffer.from(d as ArrayBuffer).toString('utf8'));
      this.wake();
    });
    ws.on('close', (code: number) => {
      this.closed = { code };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(v: unknown): void {
    this.ws.send(typeof v === 'string' ? v : JSON.stringify(v));
  }

  /** Waits until `pred` holds (checked on every frame and close), or fails after `ms`. */
  async until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${this.frames.slice(-3).join(' | ').slice(0, 600)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits until no frame has arrived for `ms` (the socket has drained what was sent). */
  async quiet(ms = 100): Promise<void> {
    let n = -1;
    while (n !== this.frames.length) {
      n = this.frames.length;
      await new Promise((r) => setTimeout(r, ms));
    }
  }

  json(): unknown[] {
    return this.frames.flatMap((f) => {
      try {
        return [JSON.parse(f) as unknown];
      } catch {
        return [];
      }
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The RawClients a test opened, closed together (closeAll in afterEach). */
export class RawClients {
  private readonly opened: RawClient[] = [];

  async open(url: string): Promise<RawClient> {
    const r = await RawClient.open(url);
    this.opened.push(r);
    return r;
  }

  closeAll(): void {
    for (const r of this.opened.splice(0)) r.close();
  }
}
