/**
 * The venue emulator (services/venue-emulator, built) as a child process for the live benches
 * (price-stream's and execution's), so its event loop and CPU are not the consumer's. Every port is a free one on 127.0.0.1; the venue
 * ports it got are read from its admin API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './service-process';

/** The venues the emulator serves (price-stream's LiveExchangeId, execution's LiveVenueId). */
export type EmulatorVenueId = 'binanceus' | 'coinbase' | 'kucoin';

export const EMULATOR_MAIN = path.resolve(__dirname, '..', '..', '..', 'services', 'venue-emulator', 'dist', 'main.js');

export interface EmulatorVenue {
  venue: EmulatorVenueId;
  port: number;
  /** Unified ccxt symbols (`COMP/USDT`). */
  markets: string[];
}

export interface EmulatorProcess {
  child: ChildProcess;
  adminUrl: string;
  venues: EmulatorVenue[];
  /** Replays the next `events` events of `venue` (default: of every venue) in manual mode; resolves with how many were replayed. */
  advance(events: number, venue?: EmulatorVenueId): Promise<number>;
  /** Replays everything up to `ms` after the replay start (every venue). */
  advanceToMs(ms: number): Promise<number>;
  /** GET /admin/venues as the emulator answers it. */
  info(): Promise<unknown>;
  /** POST /admin/venues/{venue}/accounts: the reply (with the credentials, shown only here). */
  createAccount(venue: EmulatorVenueId, body: Record<string, unknown>): Promise<EmulatorAccount>;
  /** `venue_emulator_ws_frames_sent_total` per venue. */
  framesSent(): Promise<Record<string, number>>;
  logs(): string;
  stop(): Promise<void>;
}

export interface EmulatorAccount {
  api_key: string;
  secret: string;
  /** KuCoin only. */
  passphrase?: string;
}

/** Starts the emulator; `env` adds or overrides its variables (VENUE_EMULATOR_SPEED and the like). */
export async function startEmulatorProcess(env: Record<string, string> = {}, readyTimeoutMs = 60_000): Promise<EmulatorProcess> {
  if (!fs.existsSync(EMULATOR_MAIN)) throw new Error(`${EMULATOR_MAIN} missing: build the venue emulator first (make build)`);
  const apiKey = randomBytes(24).toString('hex');
  const adminPort = await freePort();
  const child = spawn(process.execPath, [EMULATOR_MAIN], {
    env: {
      ...process.env,
      TRADING_API_KEY: apiKey,
      VENUE_EMULATOR_HOST: '127.0.0.1',
      VENUE_EMULATOR_PORT: String(adminPort),
      VENUE_EMULATOR_BINANCEUS_PORT: '0',
      VENUE_EMULATOR_COINBASE_PORT: '0',
      VENUE_EMULATOR_KUCOIN_PORT: '0',
      VENUE_EMULATOR_SPEED: '0',
      VENUE_EMULATOR_LOOP: 'true',
      // Not info: a log line per admin request would be part of what the floor measures.
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '500',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the bench (an error or exit mid-run would leave it running).
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let out = '';
  const keep = (d: Buffer): void => {
    if (out.length < 200_000) out += d.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`venue emulator exited with ${child.exitCode}:\n${out.slice(-4000)}`);
    try {
      if ((await fetch(`${adminUrl}/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`venue emulator not ready in ${readyTimeoutMs} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const headers = { 'X-TRADING-API-KEY': apiKey, 'content-type': 'application/json' };
  const info = (await (await fetch(`${adminUrl}/admin/venues`, { headers })).json()) as { venues: EmulatorVenue[] };
  const post = async (body: Record<string, unknown>): Promise<number> => {
    const res = await fetch(`${adminUrl}/admin/replay/advance`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`advance: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return ((await res.json()) as { replayed: number }).replayed;
  };
  return {
    child,
    adminUrl,
    venues: info.venues.map((v) => ({ venue: v.venue, port: v.port, markets: v.markets })),
    advance: (events: number, venue?: EmulatorVenueId): Promise<number> => post({ events, ...(venue ? { venue } : {}) }),
    advanceToMs: (ms: number): Promise<number> => post({ ms: Math.max(0, Math.round(ms)) }),
    async info(): Promise<unknown> {
      return (await fetch(`${adminUrl}/admin/venues`, { headers })).json();
    },
    async createAccount(venue: EmulatorVenueId, body: Record<string, unknown>): Promise<EmulatorAccount> {
      const res = await fetch(`${adminUrl}/admin/venues/${venue}/accounts`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`create ${venue} account: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      const a = (await res.json()) as Partial<EmulatorAccount>;
      if (typeof a.api_key !== 'string' || typeof a.secret !== 'string') throw new Error(`create ${venue} account: no api_key or secret in the reply`);
      return { api_key: a.api_key, secret: a.secret, ...(typeof a.passphrase === 'string' ? { passphrase: a.passphrase } : {}) };
    },
    async framesSent(): Promise<Record<string, number>> {
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^venue_emulator_ws_frames_sent_total\{[^}]*venue="(\w+)"[^}]*\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
      return out;
    },
    logs: () => out,
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
