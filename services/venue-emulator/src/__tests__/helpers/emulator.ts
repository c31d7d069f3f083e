import { createLogger, createMetrics } from '@cte/shared';
import { findSharedDataDir } from '@cte/testkit';
import type { Registry } from 'prom-client';
import { loadVenueCaptures, type CaptureSource } from '../../adapters/captures';
import { Emulator } from '../../adapters/emulator';
import { createEmulatorMetrics } from '../../adapters/metrics';
import type { RebaseMode } from '../../engine/replay';
import type { VenueId } from '../../engine/types';
import type { BarsItem, BarWindow } from '../../adapters/bars';

/** Captures are parsed once per test file (events are never mutated: the replay copies them). */
const parsed = new Map<VenueId, CaptureSource[]>();
function captures(venue: VenueId): CaptureSource[] {
  let c = parsed.get(venue);
  if (!c) {
    c = loadVenueCaptures(findSharedDataDir(), venue);
    parsed.set(venue, c);
  }
  return c;
}

export interface RunningEmulator {
  emu: Emulator;
  registry: Registry;
  ports: Record<VenueId, number>;
  close(): Promise<void>;
}

/** The emulator in this process, every venue on a free port of 127.0.0.1, replay stepped by hand (speed 0). */
export interface StartOptions {
  venues?: VenueId[];
  speed?: number;
  heartbeatMs?: number;
  loop?: boolean;
  useCaptures?: boolean;
  bars?: BarsItem[];
  barsWindow?: BarWindow;
  rebase?: RebaseMode;
  syntheticMarkets?: number;
}

export async function startEmulator(opts: StartOptions = {}): Promise<RunningEmulator> {
  const registry = createMetrics('venue-emulator');
  const emu = new Emulator({
    venues: opts.venues ?? ['binanceus', 'coinbase', 'kucoin'],
    ports: { binanceus: 0, coinbase: 0, kucoin: 0 },
    host: '127.0.0.1',
    speed: opts.speed ?? 0,
    loop: opts.loop ?? false,
    dataDir: findSharedDataDir(),
    heartbeatMs: opts.heartbeatMs ?? 1000,
    restDelayMs: 0,
    metrics: createEmulatorMetrics(registry),
    logger: createLogger({ service: 'venue-emulator', level: 'fatal' }),
    captures,
    ...(opts.useCaptures !== undefined ? { useCaptures: opts.useCaptures } : {}),
    ...(opts.bars !== undefined ? { bars: opts.bars } : {}),
    ...(opts.barsWindow !== undefined ? { barsWindow: opts.barsWindow } : {}),
    ...(opts.rebase !== undefined ? { rebase: opts.rebase } : {}),
    ...(opts.syntheticMarkets !== undefined ? { syntheticMarkets: opts.syntheticMarkets } : {}),
  });
  await emu.startAll();
  return {
    emu,
    registry,
    ports: { binanceus: emu.port('binanceus'), coinbase: emu.port('coinbase'), kucoin: emu.port('kucoin') },
    close: () => emu.close(100),
  };
}

/** Value of one series of the faults counter. */
export async function faultCount(registry: Registry, venue: VenueId, fault: string): Promise<number> {
  const m = await registry.getSingleMetric('venue_emulator_faults_injected_total')?.get();
  return m?.values.find((v) => v.labels['venue'] === venue && v.labels['fault'] === fault)?.value ?? 0;
}
