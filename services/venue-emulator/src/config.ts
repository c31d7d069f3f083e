import fs from 'node:fs';
import path from 'node:path';
import { API_KEY_ENV, EnvReader, MIN_API_KEY_LENGTH, readAcceptedApiKeys, SANDBOX_SERVICES, SHUTDOWN_DRAIN_DELAY_ENV, describeValue, SHUTDOWN_TIMING } from '@cte/shared';
import { parseBarsItem, type BarsItem } from './adapters/bars';
import type { FaultKind } from './engine/faults';
import type { RebaseMode } from './engine/replay';
import { MAX_SYNTHETIC_MARKETS } from './engine/synthetic';
import { VENUE_IDS, type VenueId } from './engine/types';
import { parseAccountsEnv, type AccountConfig } from './adapters/private/accounts';

export const SERVICE = 'venue-emulator' as const;

export interface StartupFault {
  venue: VenueId;
  fault: Extract<FaultKind, 'rest_429' | 'rest_418' | 'rest_5xx' | 'rest_delay'>;
  count: number;
}

export interface VenueEmulatorConfig {
  service: typeof SERVICE;
  version: string;
  /** Kit port: /health, /ready, /metrics and the admin API. */
  httpPort: number;
  /** Port per venue (REST and WebSocket on the same port). */
  venuePorts: Record<VenueId, number>;
  venues: VenueId[];
  /** Address the venue ports and the admin port bind to. */
  host: string;
  /** Capture ms per wall ms; 0 = manual (advanced only through the admin API). */
  speed: number;
  loop: boolean;
  dataDir: string;
  heartbeatMs: number;
  restDelayMs: number;
  /** Bundled bar files served as markets (VENUE_EMULATOR_BARS), windowed by BARS_START/BARS_END (file time). */
  bars: BarsItem[];
  barsStartMs: number | undefined;
  barsEndMs: number | undefined;
  rebase: RebaseMode;
  /** Serve the captured markets of the data folder. */
  captures: boolean;
  /** Extra markets per venue derived from capture markets. */
  syntheticMarkets: number;
  startupFaults: StartupFault[];
  /** VENUE_EMULATOR_ACCOUNTS: trading accounts created at start (private side). */
  accounts: AccountConfig[];
  apiKey: string;
  /** TRADING_API_KEY plus TRADING_API_KEYS_ACCEPTED (a key rotation in progress), as for every service. */
  apiKeys: readonly string[];
  logLevel: string;
  shutdownGraceMs: number;
  /** SHUTDOWN_DRAIN_DELAY_MS: keeps serving this long after readiness turns false. */
  shutdownDrainDelayMs: number;
  httpBodyLimit: string;
}

/** Declared once, with the sandbox deployments, in shared/src/services.ts. */
const DECLARED = SANDBOX_SERVICES[SERVICE];
export const DEFAULT_PORTS = { http: DECLARED.httpPort, binanceus: DECLARED.ports.binanceus!, coinbase: DECLARED.ports.coinbase!, kucoin: DECLARED.ports.kucoin! } as const;

/** `../shared/data` beside the repository (or any ancestor), where the real captures live. */
export function locateDataDir(from = __dirname): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const c = path.join(path.dirname(dir), 'shared', 'data');
    if (fs.existsSync(path.join(c, 'PROVENANCE.md'))) return c;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const REST_FAULTS = ['rest_429', 'rest_418', 'rest_5xx', 'rest_delay'] as const;

export function parseStartupFault(item: string): StartupFault {
  const [venue, fault, count = '1', extra] = item.split(':');
  if (!VENUE_IDS.includes(venue as VenueId)) throw new Error(`venue must be one of ${VENUE_IDS.join(', ')}`);
  if (!(REST_FAULTS as readonly string[]).includes(fault ?? '')) throw new Error(`fault must be one of ${REST_FAULTS.join(', ')} (socket faults go through the admin API)`);
  if (extra !== undefined || !/^\d{1,6}$/.test(count) || Number(count) < 1) throw new Error('expected venue:fault[:count] with count >= 1');
  return { venue: venue as VenueId, fault: fault as StartupFault['fault'], count: Number(count) };
}

function readAccounts(env: EnvReader): AccountConfig[] {
  const text = env.optionalString('VENUE_EMULATOR_ACCOUNTS');
  if (text === undefined) return [];
  try {
    return parseAccountsEnv(text);
  } catch (e) {
    env.problem('VENUE_EMULATOR_ACCOUNTS', e instanceof Error ? e.message : 'invalid');
    return [];
  }
}

/** Epoch ms or an ISO-8601 time (as price-stream's REPLAY_START/REPLAY_END). */
function optionalTime(env: EnvReader, name: string): number | undefined {
  const raw = env.optionalString(name);
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(ms)) {
    env.problem(name, `must be epoch ms or an ISO-8601 time, got ${describeValue(raw)}`);
    return undefined;
  }
  return ms;
}

export function readConfig(source: Record<string, string | undefined> = process.env): VenueEmulatorConfig {
  const env = new EnvReader(source);
  const port = { min: 0, max: 65535 };
  const dataEnv = env.optionalString('VENUE_EMULATOR_DATA_DIR') ?? env.optionalString('CTE_SHARED_DATA');
  const apiKey = env.string(API_KEY_ENV, { required: true, minLength: MIN_API_KEY_LENGTH });
  const cfg: VenueEmulatorConfig = {
    service: SERVICE,
    version: '0.1.0',
    httpPort: env.int('VENUE_EMULATOR_PORT', { default: DEFAULT_PORTS.http, ...port }),
    venuePorts: {
      binanceus: env.int('VENUE_EMULATOR_BINANCEUS_PORT', { default: DEFAULT_PORTS.binanceus, ...port }),
      coinbase: env.int('VENUE_EMULATOR_COINBASE_PORT', { default: DEFAULT_PORTS.coinbase, ...port }),
      kucoin: env.int('VENUE_EMULATOR_KUCOIN_PORT', { default: DEFAULT_PORTS.kucoin, ...port }),
    },
    venues: env.list('VENUE_EMULATOR_VENUES', (v) => {
      if (!VENUE_IDS.includes(v as VenueId)) throw new Error(`must be one of ${VENUE_IDS.join(', ')}`);
      return v as VenueId;
    }, { default: [...VENUE_IDS], minItems: 1 }),
    host: env.string('VENUE_EMULATOR_HOST', { default: '127.0.0.1', pattern: /^[\w.:-]{1,253}$/ }),
    speed: env.number('VENUE_EMULATOR_SPEED', { default: 1, min: 0, max: 10_000_000 }),
    loop: env.bool('VENUE_EMULATOR_LOOP', { default: true }),
    dataDir: dataEnv ?? locateDataDir() ?? '',
    heartbeatMs: env.int('VENUE_EMULATOR_HEARTBEAT_MS', { default: 1000, min: 10, max: 60_000 }),
    restDelayMs: env.int('VENUE_EMULATOR_REST_DELAY_MS', { default: 0, min: 0, max: 60_000 }),
    bars: env.list('VENUE_EMULATOR_BARS', (item) => parseBarsItem(item), { default: [] }),
    barsStartMs: optionalTime(env, 'VENUE_EMULATOR_BARS_START'),
    barsEndMs: optionalTime(env, 'VENUE_EMULATOR_BARS_END'),
    rebase: env.oneOf('VENUE_EMULATOR_REBASE', ['start', 'end'] as const, { default: 'start' }),
    captures: env.bool('VENUE_EMULATOR_CAPTURES', { default: true }),
    syntheticMarkets: env.int('VENUE_EMULATOR_SYNTHETIC_MARKETS', { default: 0, min: 0, max: MAX_SYNTHETIC_MARKETS }),
    startupFaults: env.list('VENUE_EMULATOR_FAULTS', parseStartupFault, { default: [] }),
    accounts: readAccounts(env),
    apiKey,
    apiKeys: readAcceptedApiKeys(env, apiKey),
    logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, { default: 'info' }),
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: SHUTDOWN_TIMING.graceMs, min: 0, max: 600_000 }),
    shutdownDrainDelayMs: env.int(SHUTDOWN_DRAIN_DELAY_ENV, { default: SHUTDOWN_TIMING.drainDelayMs, min: 0, max: 120_000 }),
    httpBodyLimit: env.string('HTTP_BODY_LIMIT', { default: '100kb', pattern: /^\d+(b|kb|mb)$/i }),
  };
  if (cfg.barsStartMs !== undefined && cfg.barsEndMs !== undefined && cfg.barsStartMs > cfg.barsEndMs) env.problem('VENUE_EMULATOR_BARS_START', 'must not be after VENUE_EMULATOR_BARS_END');
  for (const b of cfg.bars) if (!cfg.venues.includes(b.venue)) env.problem('VENUE_EMULATOR_BARS', `${b.venue}:${b.symbol} is on a venue missing from VENUE_EMULATOR_VENUES`);
  if (!cfg.captures && cfg.bars.length === 0 && cfg.syntheticMarkets === 0) env.problem('VENUE_EMULATOR_CAPTURES', 'false serves nothing unless VENUE_EMULATOR_BARS or VENUE_EMULATOR_SYNTHETIC_MARKETS is set');
  // The captures are read only to serve them or to derive synthetic markets from them.
  const needsCaptures = cfg.captures || cfg.syntheticMarkets > 0;
  if (needsCaptures && cfg.dataDir === '') env.problem('VENUE_EMULATOR_DATA_DIR', 'not set and ../shared/data (with PROVENANCE.md) was not found beside the repository');
  else if (needsCaptures && !fs.existsSync(path.join(cfg.dataDir, 'ws'))) env.problem('VENUE_EMULATOR_DATA_DIR', `${cfg.dataDir} has no ws/ capture folder`);
  const used = new Map<number, string>();
  const names: [string, number][] = [['VENUE_EMULATOR_PORT', cfg.httpPort], ...cfg.venues.map((v): [string, number] => [`VENUE_EMULATOR_${v.toUpperCase()}_PORT`, cfg.venuePorts[v]])];
  for (const [name, p] of names) {
    if (p === 0) continue;
    const other = used.get(p);
    if (other) env.problem(name, `must differ from ${other} (${p})`);
    used.set(p, name);
  }
  env.done();
  return cfg;
}
