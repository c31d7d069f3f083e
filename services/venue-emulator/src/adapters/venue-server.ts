/**
 * One venue's HTTP + WebSocket server on its own port. REST requests go through the fault book,
 * then the venue codec; WebSocket frames from the replay are encoded per session by the codec.
 * No API key here: these ports speak the venue's public protocol.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { URL, URLSearchParams } from 'node:url';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from '@cte/shared';
import type { RestRequest, VenueCodec, WsSession } from '../engine/encoders';
import { malformedFrame, restFaultReply, type FaultBook, type MalformedKind } from '../engine/faults';
import type { VenueState, VenueUpdate } from '../engine/market-state';
import type { EmulatorMetrics } from './metrics';
import type { PrivateSide } from './private/types';

const MAX_BODY = 64 * 1024;
const MAX_FRAME = 64 * 1024;
/** Requests remembered for the admin API (what clients actually sent). */
const REQUEST_LOG = 200;

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
  status: number;
}

interface Conn {
  ws: WebSocket;
  session: WsSession;
  /** Last data frame sent: the template for a 'wrong_types' malformed frame. */
  lastFrame: string | undefined;
}

export interface VenueServerOptions {
  codec: VenueCodec;
  state: VenueState;
  faults: FaultBook;
  metrics: EmulatorMetrics;
  logger: Logger;
  now: () => number;
  /** Constant extra latency on every REST reply (env), on top of injected delays. */
  restDelayMs: number;
  /** The venue's private side (orders, user-data streams), when it has one. */
  privateSide?: PrivateSide;
  /** Private channels on the public socket (Coinbase's `user` channel). */
  privateWs?: PrivateWsHook;
}

/** One public socket as a private channel sees it. */
export interface PrivateWsConn {
  readonly session: WsSession;
  send(frame: string): void;
  terminate(): void;
}

/** Takes a client frame meant for a private channel (true), or leaves it to the public codec. */
export interface PrivateWsHook {
  message(conn: PrivateWsConn, text: string): boolean;
  closed(conn: PrivateWsConn): void;
}

export class VenueServer {
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false });
  private readonly conns = new Set<Conn>();
  private readonly sockets = new Set<Socket>();
  readonly requests: RecordedRequest[] = [];
  private boundPort = 0;

  constructor(private readonly o: VenueServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handleRest(req, res).catch((err: unknown) => {
        this.o.logger.error({ err: err instanceof Error ? err.message : 'unknown', venue: o.codec.venue }, 'venue request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"internal"}');
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.handleUpgrade(req, socket, head));
  }

  get venue(): VenueCodec['venue'] {
    return this.o.codec.venue;
  }

  get port(): number {
    return this.boundPort;
  }

  get connections(): number {
    return this.conns.size;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    return this.boundPort;
  }

  private async handleRest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    const venue = this.o.codec.venue;
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      this.record({ method: req.method ?? 'GET', url: `${url.pathname}${url.search}`, body: body ?? '', status });
      this.o.metrics.restRequests.inc({ venue, status: String(status) });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      // A Buffer is a private side's raw (non-JSON) body, sent with the content-type it set.
      res.end(Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
    };
    if (body === undefined) return reply(413, { error: 'payload too large' });
    const fault = this.o.faults.takeRest(venue, url.pathname);
    if (fault) {
      this.o.metrics.fault(venue, fault.kind);
      if (fault.kind === 'rest_delay') await sleep(fault.delayMs);
      const r = restFaultReply(venue, fault);
      if (r) return reply(r.status, r.body, r.headers);
    }
    if (this.o.restDelayMs > 0) await sleep(this.o.restDelayMs);
    const priv = await this.o.privateSide?.rest({ method: req.method ?? 'GET', path: url.pathname, rawQuery: url.search.slice(1), body, headers: req.headers, ip: req.socket.remoteAddress ?? 'unknown' });
    if (priv?.kind === 'destroy') {
      this.record({ method: req.method ?? 'GET', url: `${url.pathname}${url.search}`, body, status: 0 });
      req.socket.destroy();
      return;
    }
    if (priv?.kind === 'reply') return reply(priv.status, priv.body, priv.headers);
    const request: RestRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, headers: { host: req.headers.host } };
    const r = this.o.codec.rest(request, this.o.state, this.o.now());
    reply(r.status, r.body, { ...r.headers, ...priv?.headers });
  }

  private record(r: RecordedRequest): void {
    this.requests.push(r);
    if (this.requests.length > REQUEST_LOG) this.requests.splice(0, this.requests.length - REQUEST_LOG);
  }

  private handleUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.o.privateSide?.upgrade(req, socket, head)) return;
    const url = new URL(req.url ?? '/', 'http://emulator');
    const opened = this.o.codec.wsOpen(url.pathname, new URLSearchParams(url.search), this.o.state, this.o.now());
    if (!opened) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, session: opened.session, lastFrame: undefined };
      const pconn: PrivateWsConn = { session: conn.session, send: (f) => this.send(conn, f), terminate: () => ws.terminate() };
      this.conns.add(conn);
      this.o.metrics.wsConnections.inc({ venue: this.venue });
      ws.on('message', (data: RawData) => {
        const text = rawText(data);
        if (this.o.privateWs?.message(pconn, text)) return;
        for (const f of this.o.codec.wsMessage(conn.session, text, this.o.state, this.o.now())) this.send(conn, f);
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.o.privateWs?.closed(pconn);
        if (this.conns.delete(conn)) this.o.metrics.wsConnections.dec({ venue: this.venue });
      });
      for (const f of opened.frames) this.send(conn, f);
    });
  }

  private send(conn: Conn, frame: string, isData = false): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(frame);
    if (isData) conn.lastFrame = frame;
    this.o.metrics.wsFrames.inc({ venue: this.venue });
  }

  /** Sends one replayed update to every subscribed session (nothing while the feed is stalled). */
  publish(update: VenueUpdate): void {
    this.o.privateSide?.onUpdate(update);
    const now = this.o.now();
    if (this.o.faults.isStalled(this.venue, now)) return;
    for (const conn of this.conns) for (const f of this.o.codec.encodeUpdate(conn.session, update, now)) this.send(conn, f, true);
  }

  heartbeat(): void {
    const now = this.o.now();
    if (this.o.faults.isStalled(this.venue, now)) return;
    for (const conn of this.conns) for (const f of this.o.codec.heartbeat(conn.session, now)) this.send(conn, f);
  }

  /** Drops every connection: a clean close frame, or an abrupt TCP reset. Returns how many. */
  drop(mode: 'close' | 'reset'): number {
    const n = this.conns.size;
    for (const conn of [...this.conns]) {
      if (mode === 'close') conn.ws.close(1001, 'going away (emulator fault)');
      else conn.ws.terminate();
    }
    this.o.metrics.fault(this.venue, mode === 'close' ? 'ws_close' : 'ws_reset', n);
    return n;
  }

  /** Sends `count` malformed frames to every connection. Returns frames sent. */
  malformed(kind: MalformedKind, count: number): number {
    let n = 0;
    for (const conn of this.conns) {
      for (let i = 0; i < count; i++) {
        this.send(conn, malformedFrame(kind, conn.lastFrame ?? '{"type":"message","data":{"price":"1.0","size":"1"}}'));
        n += 1;
      }
    }
    this.o.metrics.fault(this.venue, 'ws_malformed', n);
    return n;
  }

  /** Burns sequence numbers: the book's (Binance U/u, KuCoin sequenceStart/End) and each connection's (Coinbase sequence_num). */
  skipSequence(symbol: string | undefined, n: number): number {
    let markets = 0;
    for (const m of this.o.state.markets.values()) {
      if (symbol !== undefined && m.def.symbol !== symbol) continue;
      m.book.skip(n);
      markets += 1;
    }
    for (const conn of this.conns) conn.session.outSeq += n;
    this.o.metrics.fault(this.venue, 'ws_skip_sequence', markets);
    return markets;
  }

  async close(graceMs = 1000): Promise<void> {
    this.o.privateSide?.close();
    for (const conn of this.conns) conn.ws.close(1001, 'shutting down');
    this.wss.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    timer.unref();
    for (const conn of this.conns) conn.ws.terminate();
    this.server.closeIdleConnections();
    await closed;
    clearTimeout(timer);
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
