#!/usr/bin/env node
/**
 * cte-backtest: the fleet's engines over recorded market data, in one process.
 *
 *   cte-backtest [--files a.csv,b.zip] [--start ISO] [--end ISO] [--symbols BTC/USD,ETH/USD]
 *                [--mysql --bar-timeframe 1h] [--agents agents.json] [--json file|-]
 *                [--expect-fingerprint FP] [--compare-trades MYSQL_URL]
 *
 * Everything else comes from the environment the services read (TIMEFRAMES, SIGNAL_TIMEFRAMES,
 * MODEL_DIR, CONSENSUS_*, KELLY_*, ALLOW_SHORT, RISK_*, MOCK_*, INITIAL_CAPITAL, ...); the flags
 * are shorthands for REPLAY_FILES, REPLAY_START, REPLAY_END and SYMBOLS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseSymbol, parseTimeframe, type Timeframe } from '@cte/shared';
import { parseAgentType } from '@cte/signal-generator/engine';
import type { AgentSpec } from './backtest';
import { readFleetConfig } from './config';
import { compareDecisions, compareFills, formatComparison, formatDecisionComparison, readFleetDecisions, readFleetTrades } from './compare';
import { formatReport } from './report';
import { configuredMysqlInput, runBacktest } from './run';

const USAGE = `usage: cte-backtest [options]
  --files LIST          bar or trade files, comma-separated (REPLAY_FILES): CSV, Lean zip, trades JSON, pandas JSON
  --mysql               read bars from crypto_prices (MYSQL_URL) instead of files
  --bar-timeframe TF    with --mysql: the stored bars' timeframe to replay (default 1h)
  --start TIME          first data time, ISO-8601 or epoch ms (REPLAY_START)
  --end TIME            last data time (REPLAY_END)
  --symbols LIST        symbols to replay and trade, comma-separated (SYMBOLS)
  --agents FILE         JSON list of agents {name, type, symbol, timeframe, config}; default: signal-generator's seeded agents
  --json FILE           also write the report as JSON to FILE ('-': to stdout, instead of the text)
  --expect-fingerprint FP  exit 1 unless the fills' fingerprint is FP (e.g. the one make demo printed)
  --compare-trades URL  compare the fills, one by one, with a fleet run's trades table (MySQL URL, e.g.
                        make demo's mysql://cte:cte@127.0.0.1:3306/crypto_trading_demo); exit 1 when they differ
  -h, --help`;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validates an agents file: a JSON list of {name, type, symbol, timeframe, config?}. */
export function parseAgents(raw: unknown): AgentSpec[] {
  if (!Array.isArray(raw)) throw new Error('agents: expected a JSON list');
  return raw.map((a: unknown, i) => {
    if (!isPlainObject(a)) throw new Error(`agents[${i}]: expected an object`);
    if (typeof a.name !== 'string' || !/^[\w.-]{1,100}$/.test(a.name)) throw new Error(`agents[${i}].name: 1-100 of letters, digits, _ . -`);
    if (a.config !== undefined && !isPlainObject(a.config)) throw new Error(`agents[${i}].config: expected an object`);
    return {
      name: a.name,
      type: parseAgentType(a.type),
      symbol: parseSymbol(a.symbol),
      timeframe: parseTimeframe(a.timeframe),
      ...(a.config === undefined ? {} : { config: a.config }),
    };
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      files: { type: 'string' },
      mysql: { type: 'boolean' },
      'bar-timeframe': { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      symbols: { type: 'string' },
      agents: { type: 'string' },
      json: { type: 'string' },
      'expect-fingerprint': { type: 'string' },
      'compare-trades': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env: Record<string, string | undefined> = { ...process.env };
  if (values.files !== undefined) env.REPLAY_FILES = values.files;
  if (values.start !== undefined) env.REPLAY_START = values.start;
  if (values.end !== undefined) env.REPLAY_END = values.end;
  if (values.symbols !== undefined) env.SYMBOLS = values.symbols;
  const config = readFleetConfig(env);
  const agents = values.agents === undefined ? undefined : parseAgents(JSON.parse(readFileSync(values.agents, 'utf8')) as unknown);
  const barTimeframe: Timeframe = parseTimeframe(values['bar-timeframe'] ?? '1h');
  const input = values.mysql ? configuredMysqlInput(config, barTimeframe) : undefined;
  const { report, backtest } = await runBacktest({ config, input, agents });
  const json = values.json;
  if (json !== '-') console.log(formatReport(report));
  if (json !== undefined) {
    const text = JSON.stringify(report, null, 2) + '\n';
    if (json === '-') process.stdout.write(text);
    else writeFileSync(json, text);
  }
  const fleetUrl = values['compare-trades'];
  if (fleetUrl !== undefined) {
    const out = json === '-' ? process.stderr : process.stdout;
    const decisions = compareDecisions(backtest.decisions, await readFleetDecisions(fleetUrl));
    out.write(formatDecisionComparison(decisions) + '\n');
    const comparison = compareFills(report.fills, await readFleetTrades(fleetUrl));
    out.write(formatComparison(comparison) + '\n');
    if (!comparison.equal) return 1;
  }
  const expected = values['expect-fingerprint'];
  if (expected !== undefined && expected !== report.fingerprint) {
    process.stderr.write(`cte-backtest: fingerprint ${report.fingerprint} differs from the expected ${expected}\n`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`cte-backtest: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
