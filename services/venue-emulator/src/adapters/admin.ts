/**
 * Admin API on the kit port, behind X-TRADING-API-KEY (the kit's key check runs before these
 * routes): inspect venues, step the replay, and inject faults. Bodies are validated here; bad
 * input is a 400 naming the field.
 */
import type { Router, Request, Response } from 'express';
import { InvalidArgumentError, NotFoundError } from '@cte/shared';
import { FAULT_KINDS, MALFORMED_KINDS, type FaultKind, type MalformedKind, type PrivateFaultKind } from '../engine/faults';
import { VENUE_IDS, type VenueId } from '../engine/types';
import type { Emulator } from './emulator';
import { armPrivateFault, mountPrivateAdminRoutes } from './private/admin';

type Body = Record<string, unknown>;

function body(req: Request): Body {
  const b: unknown = req.body;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new InvalidArgumentError('body must be a JSON object');
  return b as Body;
}

function venueOf(req: Request): VenueId {
  const v = req.params['venue'];
  if (!VENUE_IDS.includes(v as VenueId)) throw new NotFoundError(`venue must be one of ${VENUE_IDS.join(', ')}`);
  return v as VenueId;
}

function int(b: Body, name: string, def: number, min: number, max: number): number {
  const v = b[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
  return v;
}

function optString(b: Body, name: string, pattern: RegExp): string | undefined {
  const v = b[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw new InvalidArgumentError(`${name} must match ${pattern}`);
  return v;
}

export function mountAdminRoutes(router: Router, emu: Emulator): void {
  router.get('/admin/venues', (_req: Request, res: Response) => {
    res.json({ manual: emu.manual, start: emu.start, venues: emu.info() });
  });

  router.get('/admin/venues/:venue/requests', (req: Request, res: Response) => {
    const v = emu.venue(venueOf(req));
    if (!v) throw new NotFoundError('venue is not enabled');
    res.json({ requests: v.server.requests });
  });

  router.post('/admin/replay/advance', (req: Request, res: Response) => {
    const b = body(req);
    const venue = b['venue'] === undefined ? undefined : (VENUE_IDS.find((v) => v === b['venue']) ?? badVenue());
    if ((b['events'] === undefined) === (b['ms'] === undefined)) throw new InvalidArgumentError('give exactly one of events or ms');
    const replayed = b['events'] !== undefined ? emu.step(venue, int(b, 'events', 0, 1, 1_000_000)) : emu.advanceBy(venue, int(b, 'ms', 0, 0, 1e12));
    res.json({ replayed });
  });

  router.post('/admin/venues/:venue/faults', (req: Request, res: Response) => {
    const venue = venueOf(req);
    const b = body(req);
    const fault = b['fault'];
    if (typeof fault !== 'string' || !(FAULT_KINDS as readonly string[]).includes(fault)) throw new InvalidArgumentError(`fault must be one of ${FAULT_KINDS.join(', ')}`);
    const count = int(b, 'count', 1, 1, 100_000);
    const pathPrefix = optString(b, 'path_prefix', /^\/[\w/.-]{0,200}$/) ?? '';
    let affected: number;
    switch (fault as FaultKind) {
      case 'rest_429':
      case 'rest_418':
        emu.armRest(venue, { kind: fault as 'rest_429' | 'rest_418', retryAfterS: int(b, 'retry_after_s', 1, 0, 86_400) }, count, pathPrefix);
        affected = count;
        break;
      case 'rest_5xx':
        emu.armRest(venue, { kind: 'rest_5xx', status: int(b, 'status', 503, 500, 599) }, count, pathPrefix);
        affected = count;
        break;
      case 'rest_delay':
        emu.armRest(venue, { kind: 'rest_delay', delayMs: int(b, 'delay_ms', 1000, 0, 120_000) }, count, pathPrefix);
        affected = count;
        break;
      case 'ws_close':
        affected = emu.drop(venue, 'close');
        break;
      case 'ws_reset':
        affected = emu.drop(venue, 'reset');
        break;
      case 'ws_stall':
        affected = emu.stall(venue, int(b, 'duration_ms', 5000, 1, 3_600_000));
        break;
      case 'ws_skip_sequence': {
        const symbol = optString(b, 'symbol', /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/);
        if (symbol !== undefined && !emu.venue(venue)?.state.market(symbol)) throw new NotFoundError(`${symbol} is not listed on ${venue}`);
        affected = emu.skipSequence(venue, symbol, int(b, 'skip', 1, 1, 1_000_000));
        break;
      }
      case 'order_lost_ack':
      case 'order_timeout':
      case 'order_5xx_after_accept':
      case 'user_stream_drop':
      case 'fill_duplicate':
      case 'fill_out_of_order':
        affected = armPrivateFault(emu, venue, fault as PrivateFaultKind, b, count);
        break;
      case 'ws_malformed': {
        const kind = b['kind'] ?? 'truncated';
        if (typeof kind !== 'string' || !(MALFORMED_KINDS as readonly string[]).includes(kind)) throw new InvalidArgumentError(`kind must be one of ${MALFORMED_KINDS.join(', ')}`);
        affected = emu.malformed(venue, kind as MalformedKind, count);
        break;
      }
    }
    res.status(202).json({ venue, fault, affected });
  });

  mountPrivateAdminRoutes(router, emu);

  router.delete('/admin/venues/:venue/faults', (req: Request, res: Response) => {
    emu.faults.clear(venueOf(req));
    res.status(204).end();
  });
}

function badVenue(): never {
  throw new InvalidArgumentError(`venue must be one of ${VENUE_IDS.join(', ')}`);
}
