/**
 * Admin routes of the private sides (kit port, behind X-TRADING-API-KEY), the same for every venue:
 * - POST /admin/venues/{venue}/accounts: create a trading account; the reply is the only place
 *   its secret (and KuCoin passphrase) is ever shown, with the credentials ccxt takes.
 * - GET /admin/venues/{venue}/accounts/{api_key}: balances and open orders (no secret). A Coinbase
 *   key name has slashes: URL-encode it.
 * - GET and PUT /admin/venues/{venue}/rate-limits: the published limits (each venue has its own
 *   fields); a change forgets counts and bans.
 * Plus arming the private fault kinds for POST /admin/venues/{venue}/faults.
 */
import type { Request, Response, Router } from 'express';
import { ConflictError, InvalidArgumentError, NotFoundError } from '@cte/shared';
import type { PrivateFaultKind } from '../../engine/faults';
import { VENUE_IDS, type VenueId } from '../../engine/types';
import type { Emulator } from '../emulator';
import type { PrivateVenue } from './types';
import { parseAccount } from './accounts';

type Body = Record<string, unknown>;

function bodyOf(req: Request): Body {
  const b: unknown = req.body;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new InvalidArgumentError('body must be a JSON object');
  return b as Body;
}

function privateSide(emu: Emulator, v: unknown): { venue: VenueId; side: PrivateVenue } {
  if (!VENUE_IDS.includes(v as VenueId)) throw new NotFoundError(`venue must be one of ${VENUE_IDS.join(', ')}`);
  const side = emu.privateSides.get(v as VenueId);
  if (!side) throw new NotFoundError(`${String(v)} is not enabled (VENUE_EMULATOR_VENUES)`);
  return { venue: v as VenueId, side };
}

function optInt(b: Body, name: string, def: number, min: number, max: number): number {
  const v = b[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Arms one private fault kind; returns how many uses were armed. */
export function armPrivateFault(emu: Emulator, venue: VenueId, kind: PrivateFaultKind, b: Body, count: number): number {
  privateSide(emu, venue);
  emu.faults.armPrivate(venue, { kind, delayMs: optInt(b, 'delay_ms', 10_000, 0, 600_000), status: optInt(b, 'status', 503, 500, 599) }, count);
  return count;
}

export function mountPrivateAdminRoutes(router: Router, emu: Emulator): void {
  router.post('/admin/venues/:venue/accounts', (req: Request, res: Response) => {
    const { venue, side } = privateSide(emu, req.params['venue']);
    let cfg;
    try {
      cfg = parseAccount(bodyOf(req), venue);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : 'invalid account');
    }
    if (cfg.apiKey !== undefined && side.exchange.account(cfg.apiKey)) throw new ConflictError('an account with this api_key exists');
    let created;
    try {
      created = side.createAccount(cfg);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : 'invalid account');
    }
    const { account: a, credentials: c } = created;
    const reply: Record<string, unknown> = { venue, api_key: c.apiKey, secret: c.secret };
    if (c.password !== undefined) reply['passphrase'] = c.password;
    res.status(201).json({ ...reply, ccxt: c, maker_fee: a.makerRate, taker_fee: a.takerRate, balances: side.exchange.balances(a) });
  });

  router.get('/admin/venues/:venue/accounts/:key', (req: Request, res: Response) => {
    const { venue, side } = privateSide(emu, req.params['venue']);
    const a = side.exchange.account(String(req.params['key']));
    if (!a) throw new NotFoundError('no account with this api_key');
    const open = side.exchange.openOrders(a).map((o) => ({ order_id: o.id, client_order_id: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, price: o.price, qty: o.origQty, executed_qty: o.executedQty, status: o.status }));
    res.json({ venue, api_key: a.apiKey, maker_fee: a.makerRate, taker_fee: a.takerRate, balances: side.exchange.balances(a), open_orders: open });
  });

  router.get('/admin/venues/:venue/rate-limits', (req: Request, res: Response) => {
    const { venue, side } = privateSide(emu, req.params['venue']);
    res.json({ venue, ...side.limits() });
  });

  router.put('/admin/venues/:venue/rate-limits', (req: Request, res: Response) => {
    const { venue, side } = privateSide(emu, req.params['venue']);
    const b = bodyOf(req);
    const names = side.limitFields.map((f) => f.name);
    const extra = Object.keys(b).find((k) => !names.includes(k));
    if (extra !== undefined) throw new InvalidArgumentError(`unknown field ${extra.slice(0, 40)} (${venue} takes ${names.join(', ')})`);
    const cur = side.limits();
    const patch: Record<string, number> = {};
    for (const f of side.limitFields) patch[f.name] = optInt(b, f.name, cur[f.name] ?? f.min, f.min, f.max);
    res.json({ venue, ...side.setLimits(patch) });
  });
}
