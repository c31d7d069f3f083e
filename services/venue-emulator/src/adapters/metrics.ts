import { Counter, Gauge, type Registry } from 'prom-client';
import { FAULT_KINDS, type FaultKind } from '../engine/faults';
import { VENUE_IDS, type VenueId } from '../engine/types';

export interface EmulatorMetrics {
  faults: Counter<'venue' | 'fault'>;
  restRequests: Counter<'venue' | 'status'>;
  wsConnections: Gauge<'venue'>;
  wsFrames: Counter<'venue'>;
  replayed: Counter<'venue'>;
  fault(venue: VenueId, kind: FaultKind, n?: number): void;
}

export function createEmulatorMetrics(registry: Registry): EmulatorMetrics {
  const faults = new Counter({
    name: 'venue_emulator_faults_injected_total',
    help: 'Faults injected, by venue and kind (one per affected request, socket or frame)',
    labelNames: ['venue', 'fault'] as const,
    registers: [registry],
  });
  // Every series exists from the start, so a rate() over a fault that never happened reads 0, not absent.
  for (const venue of VENUE_IDS) for (const fault of FAULT_KINDS) faults.inc({ venue, fault }, 0);
  return {
    faults,
    restRequests: new Counter({ name: 'venue_emulator_rest_requests_total', help: 'REST requests answered, by venue and status', labelNames: ['venue', 'status'] as const, registers: [registry] }),
    wsConnections: new Gauge({ name: 'venue_emulator_ws_connections', help: 'Open WebSocket connections, by venue', labelNames: ['venue'] as const, registers: [registry] }),
    wsFrames: new Counter({ name: 'venue_emulator_ws_frames_sent_total', help: 'WebSocket frames sent, by venue', labelNames: ['venue'] as const, registers: [registry] }),
    replayed: new Counter({ name: 'venue_emulator_replayed_events_total', help: 'Capture events replayed, by venue', labelNames: ['venue'] as const, registers: [registry] }),
    fault(venue, kind, n = 1) {
      faults.inc({ venue, fault: kind }, n);
    },
  };
}
