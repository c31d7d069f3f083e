import { createHash } from 'node:crypto';
import net from 'node:net';
import { RawWsCounter } from '../raw-ws-counter';

/** An unmasked server frame, with the 7-bit, 16-bit or 64-bit length form `payload` needs. */
function serverFrame(op: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | op, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | op;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | op;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Decodes one masked client frame at the start of `buf` (payloads here are < 126 bytes). */
function clientFrame(buf: Buffer): { op: number; masked: boolean; text: string; size: number } {
  const len = buf[1]! & 0x7f;
  const mask = buf.subarray(2, 6);
  const body = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i & 3]!));
  return { op: buf[0]! & 0x0f, masked: (buf[1]! & 0x80) !== 0, text: body.toString(), size: 6 + len };
}

interface Peer {
  port: number;
  socket: Promise<net.Socket>;
  received: Buffer[];
  close(): Promise<void>;
}

/** A WebSocket server reduced to the handshake: the test writes raw frames to the socket it accepted. */
async function peer(): Promise<Peer> {
  let accept!: (s: net.Socket) => void;
  const socket = new Promise<net.Socket>((r) => (accept = r));
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    let upgraded = false;
    s.on('data', (d: Buffer) => {
      if (upgraded) return void received.push(d);
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(d.toString('latin1'))?.[1] ?? '';
      const acceptKey = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey}\r\n\r\n`);
      upgraded = true;
      accept(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    socket,
    received,
    close: async () => {
      (await socket).destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const MARKER = '"e":"aggTrade"';
const trade = (pad = 0): Buffer => Buffer.from(JSON.stringify({ e: 'aggTrade', p: '1.0', pad: 'x'.repeat(pad) }));

describe('RawWsCounter', () => {
  it('counts trades across frames of every length form, split anywhere, and answers pings', async () => {
    const p = await peer();
    const c = await RawWsCounter.connect(`ws://127.0.0.1:${p.port}/ws`, MARKER);
    try {
      const s = await p.socket;
      const twoTrades = Buffer.from(`[${trade().toString()},${trade().toString()}]`);
      const stream = Buffer.concat([
        serverFrame(0x1, trade()),
        serverFrame(0x1, Buffer.from('{"result":null,"id":1}')),
        serverFrame(0x9, Buffer.from('hi')),
        serverFrame(0x1, trade(300)),
        serverFrame(0x1, trade(70_000)),
        serverFrame(0x1, twoTrades),
      ]);
      // One byte per write for the first 40 bytes, then the rest in uneven chunks.
      for (let i = 0; i < 40; i++) s.write(stream.subarray(i, i + 1));
      for (let i = 40; i < stream.length; i += 997) s.write(stream.subarray(i, i + 997));
      await until('5 trades', () => c.trades === 5);
      expect(c.frames).toBe(5);
      expect(c.lastTradeNs).toBeGreaterThan(0n);
      await until('the pong', () => Buffer.concat(p.received).length >= 8);
      const pong = clientFrame(Buffer.concat(p.received));
      expect(pong).toMatchObject({ op: 0xa, masked: true, text: 'hi' });
    } finally {
      c.close();
      await p.close();
    }
  });

  it('sends masked text frames and resolves waitForText on a matching frame', async () => {
    const p = await peer();
    const c = await RawWsCounter.connect(`ws://127.0.0.1:${p.port}/`, MARKER);
    try {
      const s = await p.socket;
      const acked = c.waitForText('"subscriptions"');
      c.send('{"type":"subscribe"}');
      await until('the subscribe frame', () => Buffer.concat(p.received).length >= 6 + 20);
      expect(clientFrame(Buffer.concat(p.received))).toMatchObject({ op: 0x1, masked: true, text: '{"type":"subscribe"}' });
      s.write(serverFrame(0x1, Buffer.from('{"channel":"subscriptions"}')));
      await acked;
      c.reset();
      expect(c.trades).toBe(0);
    } finally {
      c.close();
      await p.close();
    }
  });

  it('refuses anything but ws:// on loopback', async () => {
    await expect(RawWsCounter.connect('ws://10.0.0.1:1/ws', MARKER)).rejects.toThrow(/only ws:\/\/ on loopback/);
    await expect(RawWsCounter.connect('wss://127.0.0.1:1/ws', MARKER)).rejects.toThrow(/only ws:\/\/ on loopback/);
  });
});
