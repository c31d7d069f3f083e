/**
 * The effective limits. Precedence, per limit: a row in risk_limits (set through PUT /limits or
 * UpdateLimits) wins over the environment (RISK_<LIMIT>), which wins over the built-in default.
 * A limit never set through the API follows the environment, also after restarts; `null` in
 * PUT /limits deletes the row, so that limit follows the environment again.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, InvalidArgumentError, restoreRows, type Quarantine, type TradingStateName } from '@cte/shared';
import {
  isLimitName,
  LIMIT_NAMES,
  limitsFromWire,
  parseLimitValue,
  prepareLimits,
  validateLimitSet,
  type LimitName,
  type LimitsPatch,
  type WireLimits,
} from '../engine/limits';
import type { PreparedLimits } from '../engine/types';
import type { EventRow } from './repository';

export interface LimitsPersistence {
  loadLimitOverrides(): Promise<Array<{ name: string; value: unknown }>>;
  saveLimits(set: Record<string, string | string[]>, reset: readonly string[], updatedBy: string, now: number, event: EventRow): Promise<void>;
}

export type LimitSource = 'env' | 'db';

export interface LimitsView extends WireLimits {
  /** Where each value comes from. */
  source: Record<LimitName, LimitSource>;
}

export class LimitsStore {
  private overrides = new Map<LimitName, string | string[]>();
  private wire: WireLimits;
  private prepared: PreparedLimits;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly envLimits: WireLimits,
    private readonly repo: LimitsPersistence,
    private readonly state: () => TradingStateName,
    private readonly now: () => number = Date.now,
  ) {
    this.wire = envLimits;
    this.prepared = prepareLimits(limitsFromWire(envLimits));
  }

  /**
   * Reads the stored overrides. With `quarantine` (the service), a stored value that is not valid
   * is quarantined (skipped, left in risk_limits) and that limit follows the environment; without
   * it, any invalid value stops the start (ConfigError).
   */
  async load(quarantine?: Quarantine): Promise<void> {
    const rows = await this.repo.loadLimitOverrides();
    if (quarantine) return this.loadQuarantining(rows, quarantine);
    const overrides = new Map<LimitName, string | string[]>();
    const problems: string[] = [];
    for (const { name, value } of rows) {
      if (!isLimitName(name)) {
        problems.push(`risk_limits.${name}: unknown limit`);
        continue;
      }
      try {
        overrides.set(name, parseLimitValue(name, value, undefined));
      } catch (err) {
        problems.push(`risk_limits.${name}: ${(err as Error).message}`);
      }
    }
    const wire = this.compose(overrides);
    try {
      validateLimitSet(wire);
    } catch (err) {
      problems.push(`risk_limits with the environment: ${(err as Error).message}`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    this.install(overrides, wire);
  }

  private async loadQuarantining(rows: ReadonlyArray<{ name: string; value: unknown }>, quarantine: Quarantine): Promise<void> {
    const overrides = new Map<LimitName, string | string[]>();
    await restoreRows(rows, {
      table: 'risk_limits',
      quarantine,
      idOf: (r) => r.name,
      restore: ({ name, value }) => {
        if (!isLimitName(name)) throw new InvalidArgumentError(`unknown limit ${name}`);
        overrides.set(name, parseLimitValue(name, value, undefined));
      },
    });
    let wire = this.compose(overrides);
    try {
      validateLimitSet(wire);
    } catch (error) {
      // The only cross-limit rule is min_order_notional <= max_order_notional: drop the stored side(s).
      for (const name of ['min_order_notional', 'max_order_notional'] as const) {
        if (overrides.delete(name)) quarantine.add({ table: 'risk_limits', id: name, action: 'skipped', error });
      }
      wire = this.compose(overrides);
      validateLimitSet(wire);
    }
    this.install(overrides, wire);
  }

  current(): PreparedLimits {
    return this.prepared;
  }

  view(): LimitsView {
    const source = {} as Record<LimitName, LimitSource>;
    for (const n of LIMIT_NAMES) source[n] = this.overrides.has(n) ? 'db' : 'env';
    return { ...this.wire, allowed_symbols: [...this.wire.allowed_symbols], source };
  }

  /** Validates the result, persists (with a risk_events row), then applies. Serialized. */
  update(patch: LimitsPatch, updatedBy: string): Promise<LimitsView> {
    const run = async (): Promise<LimitsView> => {
      const overrides = new Map(this.overrides);
      for (const n of patch.reset) overrides.delete(n);
      for (const [n, v] of Object.entries(patch.set) as Array<[LimitName, string | string[]]>) overrides.set(n, v);
      const wire = this.compose(overrides);
      validateLimitSet(wire);
      const now = this.now();
      await this.repo.saveLimits(patch.set, patch.reset, updatedBy, now, this.eventRow(patch, updatedBy, now));
      this.install(overrides, wire);
      return this.view();
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private compose(overrides: ReadonlyMap<LimitName, string | string[]>): WireLimits {
    const wire: WireLimits = { ...this.envLimits, allowed_symbols: [...this.envLimits.allowed_symbols] };
    const target = wire as unknown as Record<LimitName, string | string[]>;
    for (const [n, v] of overrides) target[n] = v;
    return wire;
  }

  private install(overrides: Map<LimitName, string | string[]>, wire: WireLimits): void {
    this.overrides = overrides;
    this.wire = wire;
    this.prepared = prepareLimits(limitsFromWire(wire));
  }

  private eventRow(patch: LimitsPatch, updatedBy: string, now: number): EventRow {
    return {
      id: randomUUID(),
      kind: 'limits',
      recommendation_id: null,
      final: true,
      symbol: null,
      side: null,
      decision: null,
      reasons: [],
      requested_qty: null,
      approved_qty: null,
      price: null,
      equity: null,
      reduces_position: null,
      trading_state: this.state(),
      previous_state: null,
      updated_by: updatedBy,
      message: JSON.stringify({ set: patch.set, reset: patch.reset }).slice(0, 1000),
      trace_id: null,
      ts: now,
      day: null,
      created_at: now,
    };
  }
}
