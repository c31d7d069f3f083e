import fs from 'node:fs';
import path from 'node:path';
import { EnvReader } from '@cte/shared';
import type { FaultKind } from './engine/faults';
import { VENUE_IDS, type VenueId } from './engine/types';

export const SERVICE = 'venue-emulator';

export interface StartupFault {
  venue: VenueId;
  fault: Extract<FaultKind, 'rest_429' | 'rest_418' | 'rest_5xx' | 'rest_delay'>;
  count: number;
}

export interface VenueEmulatorConfig {
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
  startupFaults: StartupFault[];
  apiKey: string;
  logLevel: string;
  shutdownGraceMs: number;
  httpBodyLimit: string;
}

export const DEFAULT_PORTS = { http: 8030, binanceus: 8031, coinbase: 8032, kucoin: 8033 } as const;

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

export function readConfig(source: Record<string, string | undefined> = process.env): VenueEmulatorConfig {
  const env = new EnvReader(source);
  const port = { min: 0, max: 65535 };
  const dataEnv = env.optionalString('VENUE_EMULATOR_DATA_DIR') ?? env.optionalString('CTE_SHARED_DATA');
  const cfg: VenueEmulatorConfig = {
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
    speed: env.number('VENUE_EMULATOR_SPEED', { default: 1, min: 0, max: 100_000 }),
    loop: env.bool('VENUE_EMULATOR_LOOP', { default: true }),
    dataDir: dataEnv ?? locateDataDir() ?? '',
    heartbeatMs: env.int('VENUE_EMULATOR_HEARTBEAT_MS', { default: 1000, min: 10, max: 60_000 }),
    restDelayMs: env.int('VENUE_EMULATOR_REST_DELAY_MS', { default: 0, min: 0, max: 60_000 }),
    startupFaults: env.list('VENUE_EMULATOR_FAULTS', parseStartupFault, { default: [] }),
    apiKey: env.string('TRADING_API_KEY', { required: true, minLength: 16 }),
    logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, { default: 'info' }),
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: 10_000, min: 0, max: 600_000 }),
    httpBodyLimit: env.string('HTTP_BODY_LIMIT', { default: '100kb', pattern: /^\d+(b|kb|mb)$/i }),
  };
  if (cfg.dataDir === '') env.problem('VENUE_EMULATOR_DATA_DIR', 'not set and ../shared/data (with PROVENANCE.md) was not found beside the repository');
  else if (!fs.existsSync(path.join(cfg.dataDir, 'ws'))) env.problem('VENUE_EMULATOR_DATA_DIR', `${cfg.dataDir} has no ws/ capture folder`);
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
