/**
 * Bundled bar files as replay sources (VENUE_EMULATOR_BARS): read with price-stream's own
 * readers (CSV, Lean zips, trade files, …), windowed like price-stream's REPLAY_START/REPLAY_END
 * (on the generated trades' original times), and turned into prints for the engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, describeValue, parseSymbol, timeframeMs, type Bar, type Timeframe } from '@cte/shared';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { barPrints, tickPrints, type Print } from '../engine/bar-events';
import { VENUE_IDS, type MarketDef, type VenueId } from '../engine/types';

export const BARS_ENV = 'VENUE_EMULATOR_BARS';

export interface BarsItem {
  venue: VenueId;
  /** Canonical BASE/QUOTE. */
  symbol: string;
  /** Absolute path of the file. */
  file: string;
}

export interface BarWindow {
  /** Original (file) time, inclusive. */
  startMs?: number | undefined;
  endMs?: number | undefined;
}

export interface BarMarket {
  venue: VenueId;
  def: MarketDef;
  /** The market's trades in time order (original times), inside the window. */
  prints: Print[];
  /** The bars' timeframe in ms (1 for trade files): rebasing keeps bar boundaries on multiples of it. */
  alignMs: number;
  files: string[];
}

/** `venue:MARKET=path`, e.g. `coinbase:BTC/USD=services/price-stream/data/replay/coinbase_btcusd_1h.csv` (path relative to the working directory). */
export function parseBarsItem(item: string, cwd = process.cwd()): BarsItem {
  const colon = item.indexOf(':');
  const eq = item.indexOf('=', colon + 1);
  if (colon < 0 || eq < 0) throw new Error('expected venue:MARKET=path');
  const venue = item.slice(0, colon).trim();
  if (!VENUE_IDS.includes(venue as VenueId)) throw new Error(`venue must be one of ${VENUE_IDS.join(', ')}`);
  const symbol = parseSymbol(item.slice(colon + 1, eq).trim());
  const rel = item.slice(eq + 1).trim();
  if (rel === '') throw new Error('the path is empty');
  const file = path.resolve(cwd, rel);
  let isFile = false;
  try {
    isFile = fs.statSync(file).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) throw new Error(`${rel} is not a readable file`);
  return { venue: venue as VenueId, symbol, file };
}

function problem(message: string): ConfigError {
  return new ConfigError([`${BARS_ENV}: ${message}`]);
}

/**
 * Reads every item; items naming the same venue and market are one market (e.g. one Lean zip per
 * day). Throws ConfigError (naming the variable) for a file price-stream's readers reject, files of
 * one market with different timeframes, or a window that leaves a market without trades.
 */
export function loadBarMarkets(items: readonly BarsItem[], window: BarWindow = {}): BarMarket[] {
  const groups = new Map<string, BarsItem[]>();
  for (const it of items) {
    const key = `${it.venue}:${it.symbol}`;
    groups.set(key, [...(groups.get(key) ?? []), it]);
  }
  const inWindow = (ts: number): boolean => (window.startMs === undefined || ts >= window.startMs) && (window.endMs === undefined || ts <= window.endMs);
  const out: BarMarket[] = [];
  for (const [key, group] of groups) {
    const first = group[0] as BarsItem;
    const bars: Bar[] = [];
    const ticks: Print[] = [];
    const timeframes = new Set<Timeframe | 'trades'>();
    for (const it of group) {
      let data: ReturnType<typeof readAnyFile>;
      try {
        data = readAnyFile(it.file, { symbol: it.symbol, exchange: it.venue });
      } catch (err) {
        throw problem(`${it.file}: ${err instanceof Error ? err.message : describeValue(err)}`);
      }
      if (data.kind === 'ticks') {
        timeframes.add('trades');
        ticks.push(...tickPrints(data.ticks));
      } else {
        for (const b of data.bars) timeframes.add(b.timeframe);
        bars.push(...data.bars);
      }
    }
    if (timeframes.size > 1) throw problem(`${key}: its files mix ${[...timeframes].join(' and ')}; give one timeframe per market`);
    const tf = [...timeframes][0];
    let prints: Print[];
    if (tf === 'trades' || tf === undefined) prints = ticks.filter((p) => inWindow(p.ts));
    else {
      // Bars sorted, one per open time; only those that can have a trade inside the window.
      const byOpen = new Map<number, Bar>();
      for (const b of bars.sort((a, b2) => a.openTime - b2.openTime)) if (!byOpen.has(b.openTime)) byOpen.set(b.openTime, b);
      const near = [...byOpen.values()].filter((b) => (window.startMs === undefined || b.closeTime > window.startMs) && (window.endMs === undefined || b.openTime <= window.endMs));
      prints = barPrints(near).filter((p) => inWindow(p.ts));
    }
    if (prints.length === 0) throw new ConfigError([`${BARS_ENV}: ${key} has no trades between VENUE_EMULATOR_BARS_START and VENUE_EMULATOR_BARS_END`]);
    const [base, quote] = first.symbol.split('/') as [string, string];
    out.push({
      venue: first.venue,
      def: { symbol: first.symbol, base, quote },
      prints,
      alignMs: tf === 'trades' || tf === undefined ? 1 : timeframeMs(tf),
      files: group.map((g) => g.file),
    });
  }
  return out;
}
