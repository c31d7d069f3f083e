/** The hooks a venue server calls so a venue's private side (orders, user-data streams) can answer. */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { VenueUpdate } from '../../engine/market-state';
import type { Account, PrivateExchange } from '../../engine/private/exchange';
import type { VenueId } from '../../engine/types';

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

/** An account to create; absent credentials are generated in the venue's own format. */
export interface AccountRequest {
  balances: Readonly<Record<string, string>>;
  apiKey?: string;
  /** Binance: HMAC secret; Coinbase: EC P-256 private key PEM; KuCoin: HMAC secret. */
  secret?: string;
  /** KuCoin only: the API passphrase. */
  passphrase?: string;
  /** Fee rates as fractions ('0.001' = 0.1 %). */
  makerRate?: string;
  takerRate?: string;
}

/** What a ccxt client needs for the account (ccxt's option names: `password` is KuCoin's passphrase). */
export interface Credentials {
  apiKey: string;
  secret: string;
  password?: string;
}

export interface CreatedAccount {
  account: Account;
  credentials: Credentials;
}

/** One published request limit, as PUT /admin/venues/{venue}/rate-limits names it. */
export interface LimitField {
  name: string;
  min: number;
  max: number;
}

/** A venue's private side as the admin API and VENUE_EMULATOR_ACCOUNTS see it. */
export interface PrivateVenue extends PrivateSide {
  readonly venue: VenueId;
  readonly exchange: PrivateExchange;
  /** Throws (a message naming the field, never the secret) when a given credential is malformed. */
  createAccount(spec: AccountRequest): CreatedAccount;
  readonly limitFields: readonly LimitField[];
  /** The published limits by field name. */
  limits(): Record<string, number>;
  /** Changes some limits (already validated against `limitFields`) and forgets counts and bans. */
  setLimits(patch: Readonly<Record<string, number>>): Record<string, number>;
}
