import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BARS_CSV_HEADER, UsageError, parseBarsArgs, run } from '../cli/bars';
import { COINBASE_BTCUSD_1H_CSV, XRPETH_TRADES } from './helpers/shared-data';

function capture(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = run(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('parseBarsArgs', () => {
  it('parses a file, a timeframe and optional symbol and exchange in any order', () => {
    expect(parseBarsArgs(['trades.json', '--timeframe', '5m'])).toEqual({ kind: 'run', args: { file: 'trades.json', timeframe: '5m' } });
    expect(parseBarsArgs(['-t', '1h', '--symbol', 'xrp-eth', 'f.csv', '--exchange=Binance'])).toEqual({
      kind: 'run',
      args: { file: 'f.csv', timeframe: '1h', symbol: 'XRP/ETH', exchange: 'binance' },
    });
    expect(parseBarsArgs(['--timeframe=1d', '--', '-odd-name.csv'])).toEqual({ kind: 'run', args: { file: '-odd-name.csv', timeframe: '1d' } });
  });

  it('returns help for -h/--help wherever it is', () => {
    expect(parseBarsArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseBarsArgs(['f.csv', '-t', 'bogus', '-h'])).toEqual({ kind: 'help' });
  });

  it.each<[string[], RegExp]>([
    [[], /missing <file>/],
    [['f.csv'], /missing --timeframe/],
    [['f.csv', '--timeframe', '2m'], /invalid timeframe "2m": expected one of 1m, 5m, 15m, 1h, 4h, 1d/],
    [['f.csv', '--timeframe'], /--timeframe needs a value/],
    [['f.csv', '--timeframe', '--symbol', 'A/B'], /--timeframe needs a value/],
    [['f.csv', '--timeframe='], /--timeframe needs a value/],
    [['f.csv', '-t', '1m', '-t', '5m'], /given more than once/],
    [['f.csv', '-t', '1m', '--verbose'], /unknown option --verbose/],
    [['a.csv', 'b.csv', '-t', '1m'], /expected one file, got 2/],
    [['f.csv', '-t', '1m', '--symbol', 'not a symbol'], /invalid symbol/],
    [['f.csv', '-t', '1m', '--exchange', 'bin ance'], /invalid exchange id/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBarsArgs(argv)).toThrow(UsageError);
    expect(() => parseBarsArgs(argv)).toThrow(message);
  });
});

describe('cte-bars run', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cte-bars-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('aggregates the XRP/ETH trades into 5m bars as CSV', () => {
    const { code, stdout, stderr } = capture([XRPETH_TRADES, '--timeframe', '5m']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(BARS_CSV_HEADER);
    expect(lines).toHaveLength(1 + 706);
    // The first freqtrade 5m candle: 2019-10-11 00:00 O 0.00141342 H 0.00141658 L 0.00141192 C 0.00141192 V 3478.
    expect(lines[1]).toMatch(/^1570752000000,2019-10-11T00:00:00\.000Z,0\.00141342,0\.00141658,0\.00141192,0\.00141192,3478,\d+$/);
    const trades = lines.slice(1).reduce((n, line) => n + Number(line.split(',')[7]), 0);
    expect(trades).toBe(12_477);
  });

  it('resamples a bar file into a coarser timeframe', () => {
    const { code, stdout } = capture([COINBASE_BTCUSD_1H_CSV, '-t', '1d']);
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(800);
    expect(rows[0]!.startsWith(`${Date.UTC(2017, 6, 1)},2017-07-01T00:00:00.000Z,2505.56,`)).toBe(true);
  });

  it('prints help and exits 0', () => {
    const { code, stdout } = capture(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: cte-bars <file> --timeframe <tf>');
  });

  it('exits 2 with a clear message on bad arguments', () => {
    expect(capture(['--timeframe', '5m'])).toEqual({ code: 2, stdout: '', stderr: "cte-bars: missing <file>\nTry 'cte-bars --help'.\n" });
    expect(capture([path.join(dir, 'nope.json'), '-t', '5m'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    expect(capture([COINBASE_BTCUSD_1H_CSV, '-t', '5m'])).toMatchObject({
      code: 2,
      stderr: 'cte-bars: cannot make 5m bars from 1h bars: --timeframe must be a multiple of 1h\n',
    });
  });

  it('exits 1 on invalid file contents, naming file and line', () => {
    const file = path.join(dir, 'broken.csv');
    writeFileSync(file, 'ts,price,qty\n1704067200000,100,1\n1704067201000,abc,1\n');
    expect(capture([file, '-t', '1m', '--symbol', 'BTC/USDT'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `cte-bars: ${file}:3: price is not a number: "abc"\n`,
    });
  });

  it('labels bars with --symbol/--exchange for files that do not name them', () => {
    const file = path.join(dir, 'ticks.csv');
    writeFileSync(file, 'ts,price,qty\n1704067200000,100,1\n1704067230000,101,2\n1704067260000,0.0000001,3\n');
    const { code, stdout } = capture([file, '-t', '1m', '-s', 'SHIB/USDT']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${BARS_CSV_HEADER}\n1704067200000,2024-01-01T00:00:00.000Z,100,101,100,101,3,2\n1704067260000,2024-01-01T00:01:00.000Z,0.0000001,0.0000001,0.0000001,0.0000001,3,1\n`,
    );
  });
});
