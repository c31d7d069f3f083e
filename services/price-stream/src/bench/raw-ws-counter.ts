/**
 * The floor's consumer: the least a WebSocket client can do with a venue's trade stream. A bare
 * RFC 6455 client on node:net (handshake, masked text frames out, unmasked frames in) that counts
 * trades by a marker in each frame's bytes, without decoding or parsing JSON, so what it measures
 * is what the emulator pushes, not what a client does with it.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export class RawWsCounter {
  /** Trades counted (occurrences of the marker) since the last reset. */
  trades = 0;
  frames = 0;
  /** hrtime of the last frame that held a trade. */
  lastTradeNs = 0n;
  private pending: Buffer = Buffer.alloc(0);
  private readonly marker: Buffer;
  private readonly waiters: { text: string; resolve: () => void }[] = [];

  private constructor(
    private readonly socket: net.Socket,
    marker: string,
  ) {
    this.marker = Buffer.from(marker);
  }

  /** Connects to `ws://host:port/path` and completes the upgrade. */
  static connect(url: string, marker: string, timeoutMs = 10_000): Promise<RawWsCounter> {
    const u = new URL(url);
    if (u.protocol !== 'ws:' || (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost')) return Promise.reject(new Error(`raw counter: only ws:// on loopback, got ${u.protocol}//${u.hostname}`));
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: u.hostname, port: Number(u.port) });
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(new Error(`raw counter: no upgrade from ${u.host} in ${timeoutMs} ms`)), timeoutMs);
      let head = Buffer.alloc(0);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onHandshake = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHandshake);
        clearTimeout(timer);
        const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        if (!/^HTTP\/1\.1 101 /.test(status)) return fail(new Error(`raw counter: upgrade refused by ${u.host}: ${status.slice(0, 100)}`));
        const c = new RawWsCounter(socket, marker);
        socket.on('data', (d: Buffer) => c.onData(d));
        c.onData(head.subarray(end + 4));
        resolve(c);
      };
      socket.on('data', onHandshake);
      // After the upgrade an error only destroys the socket (the promise is settled by then).
      socket.on('error', fail);
      socket.once('connect', () => {
        const key = randomBytes(16).toString('base64');
        socket.write(
          `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends one text frame (masked, as a client must). */
  send(text: string): void {
    this.writeFrame(OP_TEXT, Buffer.from(text));
  }

  /** Resolves when a frame containing `text` arrives (setup: acks, welcome). */
  waitForText(text: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw counter: no frame with ${JSON.stringify(text)} in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        text,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  reset(): void {
    this.trades = 0;
    this.frames = 0;
    this.lastTradeNs = 0n;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let o = 0;
    for (;;) {
      if (buf.length - o < 2) break;
      const b0 = buf[o]!;
      const b1 = buf[o + 1]!;
      let len = b1 & 0x7f;
      let at = o + 2;
      if (len === 126) {
        if (buf.length - o < 4) break;
        len = buf.readUInt16BE(o + 2);
        at = o + 4;
      } else if (len === 127) {
        if (buf.length - o < 10) break;
        len = Number(buf.readBigUInt64BE(o + 2));
        at = o + 10;
      }
      if (b1 & 0x80) at += 4; // servers never mask; skip a key all the same
      if (buf.length - at < len) break;
      this.onFrame(b0 & 0x0f, buf.subarray(at, at + len));
      o = at + len;
    }
    buf = buf.subarray(o);
    // Keep a copy of a partial frame only (a view would pin the whole chunk).
    this.pending = buf.length > 0 ? Buffer.from(buf) : Buffer.alloc(0);
  }

  private onFrame(op: number, payload: Buffer): void {
    if (op === OP_PING) return this.writeFrame(OP_PONG, payload);
    if (op === OP_CLOSE) return void this.socket.end();
    if (op === OP_PONG) return;
    this.frames++;
    let n = 0;
    for (let i = payload.indexOf(this.marker); i >= 0; i = payload.indexOf(this.marker, i + this.marker.length)) n++;
    if (n > 0) {
      this.trades += n;
      this.lastTradeNs = process.hrtime.bigint();
    }
    if (this.waiters.length > 0) {
      const text = payload.toString('utf8');
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (text.includes(this.waiters[i]!.text)) this.waiters.splice(i, 1)[0]!.resolve();
      }
    }
  }

  private writeFrame(op: number, payload: Buffer): void {
    const len = payload.length;
    const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | op;
    if (len < 126) head[1] = 0x80 | len;
    else if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = randomBytes(4);
    const body = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) body[i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(Buffer.concat([head, mask, body]));
  }
}
