/** The hooks a venue server calls so a venue's private side (orders, user-data streams) can answer. */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { VenueUpdate } from '../../engine/market-state';

export interface PrivateRestContext {
  method: string;
  path: string;
  /** Raw query string without '?' (signatures are computed over it byte for byte). */
  rawQuery: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  ip: string;
}

export type PrivateRestResult =
  /** Answer with this (a private route, or a refusal such as 429/418). */
  | { kind: 'reply'; status: number; body: unknown; headers: Record<string, string> }
  /** Not private: the public codec answers, with these headers added (request weight). */
  | { kind: 'public'; headers: Record<string, string> }
  /** Close the connection without a reply (the request was processed). */
  | { kind: 'destroy' };

export interface PrivateSide {
  rest(ctx: PrivateRestContext): Promise<PrivateRestResult>;
  /** Takes the upgrade when the path is a private stream (true), else leaves it to the public codec. */
  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): boolean;
  /** A replayed update: resting orders may fill. */
  onUpdate(u: VenueUpdate): void;
  /** Open private sockets. */
  readonly connections: number;
  close(): void;
}
