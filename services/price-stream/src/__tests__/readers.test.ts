import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError } from '@cte/shared';
import {
  epochToMs,
} from '../adapters/readers/parse-helpers';
import {
  inferMarketFromFileName,
  pairToSymbol,
  parseCddDate,
  parseCoinbaseCddCsv,
  parseLeanCsv,
  parseLeanZipPath,
  parseOhlcvCsv,
  parseTradesCsv,
  parseTradesJson,
  readAnyFile,
  readCoinbaseCddCsv,
  readLeanZip,
  readOhlcvCsv,
  readPandasColumnsJson,
  readTradesJson,
} from '../adapters/readers';
import { COINBASE_BTCUSD_1H_CSV, LEAN_DIR, XRPETH_TRADES, sharedData } from './helpers/shared-data';

const iso = (ms: number): string => new Date(ms).toISOString();
const increasing = (times: number[]): boolean => times.every((t, i) => i === 0 || t > times[i - 1]!);

describe('CryptoDataDownload CSV (Coinbase BTC/USD 1h)', () => {
  const bars = readCoinbaseCddCsv(COINBASE_BTCUSD_1H_CSV);

  it('reads 20,111 hourly bars, oldest first', () => {
    expect(bars).toHaveLength(20_111);
    expect(increasing(bars.map((b) => b.openTime))).toBe(true);
    expect(iso(bars[0]!.openTime)).toBe('2017-07-01T11:00:00.000Z');
    expect(iso(bars[bars.length - 1]!.openTime)).toBe('2019-10-17T09:00:00.000Z');
  });

  it('uses the base (BTC) volume and the unified symbol', () => {
    expect(bars[bars.length - 1]).toEqual({
      exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h',
      openTime: Date.UTC(2019, 9, 17, 9), closeTime: Date.UTC(2019, 9, 17, 10),
      open: 8051, high: 8056.83, low: 8021.23, close: 8035.88, volume: 61.25, trades: 0,
    });
    expect(bars[0]).toMatchObject({ open: 2505.56, close: 2509.17, volume: 114.6 });
  });

  it('reads the 12-hour clock as UTC', () => {
    expect(iso(parseCddDate('2019-10-17 12-AM')!)).toBe('2019-10-17T00:00:00.000Z');
    expect(iso(parseCddDate('2019-10-17 12-PM')!)).toBe('2019-10-17T12:00:00.000Z');
    expect(iso(parseCddDate('2019-10-17 01-PM')!)).toBe('2019-10-17T13:00:00.000Z');
    expect(iso(parseCddDate('2019-10-17 11-PM')!)).toBe('2019-10-17T23:00:00.000Z');
    expect(parseCddDate('2019-10-17 13-PM')).toBeUndefined();
    expect(parseCddDate('2019-10-17 00-AM')).toBeUndefined();
    expect(parseCddDate('yesterday')).toBeUndefined();
  });

  const header = 'banner\ndate,symbol,open,high,low,close,volume_btc,volume\n';
  it.each([
    ['a bad date', '2019-10-17 9am,BTCUSD,1,1,1,1,1,1', /x\.csv:3: unrecognised date/],
    ['a non-numeric price', '2019-10-17 09-AM,BTCUSD,1,abc,1,1,1,1', /x\.csv:3: high is not a number/],
    ['too few fields', '2019-10-17 09-AM,BTCUSD,1,1', /x\.csv:3: expected at least 7 fields/],
    ['high below low', '2019-10-17 09-AM,BTCUSD,1,1,2,1,1,1', /x\.csv:3: inconsistent bar/],
    ['an unknown pair', '2019-10-17 09-AM,FOOBAR,1,1,1,1,1,1', /cannot tell base from quote/],
  ])('rejects %s with file:line', (_label, row, message) => {
    expect(() => parseCoinbaseCddCsv(`${header}${row}\n`, 'x.csv')).toThrow(message);
  });

  it('rejects duplicate hours and a missing header', () => {
    const row = '2019-10-17 09-AM,BTCUSD,1,1,1,1,1,1';
    expect(() => parseCoinbaseCddCsv(`${header}${row}\n${row}\n`, 'x.csv')).toThrow(/x\.csv:4: duplicate time .* \(also at line 3\)/);
    expect(() => parseCoinbaseCddCsv(`date,open\n${row}\n`, 'x.csv')).toThrow(InvalidArgumentError);
  });
});

describe('Lean crypto zips', () => {
  const minuteZip = path.join(LEAN_DIR, 'coinbase', 'minute', 'btcusd', '20170904_trade.zip');

  it('reads a minute day-file: 1440 bars within the UTC day of the file name', () => {
    const bars = readLeanZip(minuteZip);
    expect(bars).toHaveLength(1_440);
    // Days with quiet minutes have fewer rows: gaps, not filler bars.
    expect(readLeanZip(path.join(LEAN_DIR, 'coinbase', 'minute', 'btcusd', '20161008_trade.zip'))).toHaveLength(1_400);
    expect(bars[0]).toMatchObject({
      exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1m', openTime: Date.UTC(2017, 8, 4), open: 4626.05, volume: 5.1629512,
    });
    expect(bars.every((b) => b.openTime >= Date.UTC(2017, 8, 4) && b.closeTime <= Date.UTC(2017, 8, 5) && b.openTime % 60_000 === 0)).toBe(true);
    expect(increasing(bars.map((b) => b.openTime))).toBe(true);
  });

  it('reads every trade zip in the data set', () => {
    const files = [
      ['binance/minute/btcbusd/20221213_trade.zip', 'binance', 'BTC/BUSD', '1m'],
      ['bybit/minute/btcusdt/20221213_trade.zip', 'bybit', 'BTC/USDT', '1m'],
      ['coinbase/minute/ethusd/20180404_trade.zip', 'coinbase', 'ETH/USD', '1m'],
      ['binance/hour/btcusdt_trade.zip', 'binance', 'BTC/USDT', '1h'],
      ['bitfinex/hour/btcusd_trade.zip', 'bitfinex', 'BTC/USD', '1h'],
      ['coinbase/daily/btcusd_trade.zip', 'coinbase', 'BTC/USD', '1d'],
    ];
    for (const [file, exchange, symbol, timeframe] of files) {
      const bars = readLeanZip(path.join(LEAN_DIR, file!));
      expect(bars.length).toBeGreaterThan(100);
      expect(bars[0]).toMatchObject({ exchange, symbol, timeframe });
      expect(increasing(bars.map((b) => b.openTime))).toBe(true);
    }
    const hourly = readLeanZip(path.join(LEAN_DIR, 'binance/hour/btcusdt_trade.zip'));
    expect(hourly[0]).toMatchObject({ openTime: Date.UTC(2018, 4, 1, 0), open: 9246.01, high: 9248.99, low: 8934.44, close: 8955.01, volume: 5263.799551 });
  });

  it('refuses quote files and unknown layouts', () => {
    expect(() => readLeanZip(path.join(LEAN_DIR, 'coinbase/minute/btcusd/20170904_quote.zip'))).toThrow(/quote files are not supported/);
    expect(() => parseLeanZipPath('/data/coinbase/second/btcusd/20170904_trade.zip')).toThrow(/resolution/);
    expect(() => parseLeanZipPath('/data/coinbase/minute/btcusd/20170231_trade.zip')).toThrow(/invalid date/);
    expect(() => parseLeanZipPath('/data/whatever.zip')).toThrow(InvalidArgumentError);
  });

  it('takes symbol and exchange overrides', () => {
    expect(parseLeanZipPath(minuteZip, { symbol: 'xbt-usd', exchange: 'gdax' })).toMatchObject({ symbol: 'XBT/USD', exchange: 'gdax' });
  });

  it('rejects malformed rows with file:line', () => {
    const info = parseLeanZipPath(minuteZip);
    expect(() => parseLeanCsv('0,1,1,1,1,1\n60000,1,1,1,1\n', 'z.csv', info)).toThrow(/z\.csv:2: expected 6 fields/);
    expect(() => parseLeanCsv('0,1,1,1,1,1\n86400000,1,1,1,1,1\n', 'z.csv', info)).toThrow(/z\.csv:2: time must be whole milliseconds/);
    expect(() => parseLeanCsv('30000,1,1,1,1,1\n', 'z.csv', info)).toThrow(/z\.csv:1: .*not aligned/);
    expect(() => parseLeanCsv('0,1,1,1,1,-1\n', 'z.csv', info)).toThrow(/z\.csv:1: volume must be >= 0/);
  });
});

describe('trades JSON (freqtrade/ccxt dump)', () => {
  it('reads 12,477 gzipped Binance XRP/ETH trades, naming market from the file name', () => {
    const ticks = readTradesJson(XRPETH_TRADES);
    expect(ticks).toHaveLength(12_477);
    expect(ticks[0]).toEqual({ exchange: 'binance', symbol: 'XRP/ETH', ts: 1570752011620, price: 0.00141342, qty: 23, side: 'sell', tradeId: '13519807' });
    expect(readTradesJson(XRPETH_TRADES, { exchange: 'replay', symbol: 'xrp_eth' })[0]).toMatchObject({ exchange: 'replay', symbol: 'XRP/ETH' });
  });

  it('sorts trades by time, keeping file order for equal times', () => {
    const text = JSON.stringify([[3, 'c', null, 'buy', 1, 1, 1], [1, 'a', null, 'sell', 1, 1, 1], [3, 'd', null, null, 1, 1, 1]]);
    expect(parseTradesJson(text, 'XRP_ETH-trades.json').map((t) => t.tradeId)).toEqual(['a', 'c', 'd']);
  });

  it.each([
    ['not JSON', '[[1,', /t\.json: invalid JSON/],
    ['not an array', '{}', /expected a JSON array/],
    ['a short row', '[[1,2,3]]', /t\.json:\[0\]: expected \[ts_ms/],
    ['a string time', '[["1","a",null,"buy",1,1,1]]', /t\.json:\[0\]: ts must be epoch ms/],
    ['a zero price', '[[1,"a",null,"buy",1,1,1],[2,"b",null,"buy",0,1,0]]', /t\.json:\[1\]: price must be > 0/],
    ['a negative amount', '[[1,"a",null,"buy",1,-1,1]]', /amount must be >= 0/],
    ['an unknown side', '[[1,"a",null,"long",1,1,1]]', /side must be buy, sell or null/],
  ])('rejects %s', (_label, text, message) => {
    expect(() => parseTradesJson(text, 't.json', { symbol: 'XRP/ETH' })).toThrow(message);
  });

  it('needs a symbol when the file name has none', () => {
    expect(() => parseTradesJson('[]', 'trades.json')).toThrow(/does not name its symbol/);
  });
});

describe('generic OHLCV and trades CSV', () => {
  it('reads Binance hourly bars with microsecond open times', () => {
    const bars = readOhlcvCsv(sharedData('candles', 'binance_btcusdt_1h_2025-01.csv'));
    expect(bars).toHaveLength(744);
    expect(bars[0]).toMatchObject({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', openTime: Date.UTC(2025, 0, 1), open: 93576, volume: 755.9901 });
  });

  it('reads date-time strings (nautilus BTC perp 1m, with gaps) given a symbol', () => {
    const file = sharedData('candles', 'btc_perp_1m_2022-01.csv');
    expect(() => readOhlcvCsv(file)).toThrow(/does not name its symbol/);
    const bars = readOhlcvCsv(file, { symbol: 'BTC/USD', exchange: 'ftx' });
    expect(bars).toHaveLength(45_031);
    expect(bars[0]).toMatchObject({ timeframe: '1m', openTime: Date.UTC(2021, 11, 31, 23, 1), open: 46319, close: 46377 });
  });

  it('detects epoch units by magnitude', () => {
    const ms = Date.UTC(2024, 0, 1);
    expect([epochToMs(ms / 1000), epochToMs(ms), epochToMs(ms * 1000), epochToMs(ms * 1e6)]).toEqual([ms, ms, ms, ms]);
    const csv = (t: number): string => `open_time,open,high,low,close,volume\n${t},1,2,1,2,3\n${t + 60},2,2,2,2,1\n`;
    expect(parseOhlcvCsv(csv(ms / 1000), 'x.csv', { symbol: 'A/B' }).map((b) => [b.openTime, b.timeframe])).toEqual([
      [ms, '1m'],
      [ms + 60_000, '1m'],
    ]);
  });

  it('reads header-less bars and sorts newest-first files', () => {
    const bars = parseOhlcvCsv('1704067500000,1,1,1,1,1\n1704067200000,2,2,2,2,2\n', 'x.csv', { symbol: 'A/B' });
    expect(bars.map((b) => [b.openTime, b.open, b.timeframe])).toEqual([
      [1704067200000, 2, '5m'],
      [1704067500000, 1, '5m'],
    ]);
  });

  it('rejects malformed bar CSVs with file:line', () => {
    const head = 'open_time,open,high,low,close,volume\n';
    expect(() => parseOhlcvCsv(`${head}1704067200000,1,1,1,1,1\nnope,1,1,1,1,1\n`, 'x.csv', { symbol: 'A/B' })).toThrow(/x\.csv:3: time must be/);
    expect(() => parseOhlcvCsv(`${head}1704067200000,1,1,1,1,NaN\n`, 'x.csv', { symbol: 'A/B' })).toThrow(/x\.csv:2: volume is not a number/);
    expect(() => parseOhlcvCsv(`${head}1704067200000,1,1,1,1,1\n1704067207000,1,1,1,1,1\n`, 'x.csv', { symbol: 'A/B' })).toThrow(/7000 ms apart/);
    expect(() => parseOhlcvCsv('time,open,close\n1,1,1\n', 'x.csv', { symbol: 'A/B' })).toThrow(/missing column\(s\) high, low, volume/);
  });

  it('reads trades CSVs with or without a header and side', () => {
    const withHeader = parseTradesCsv('ts,price,qty,side\n1704067200000,100.5,0.25,buy\n1704067201000,100.4,1,SELL\n', 'x.csv', { symbol: 'BTC/USDT' });
    expect(withHeader).toEqual([
      { exchange: 'unknown', symbol: 'BTC/USDT', ts: 1704067200000, price: 100.5, qty: 0.25, side: 'buy' },
      { exchange: 'unknown', symbol: 'BTC/USDT', ts: 1704067201000, price: 100.4, qty: 1, side: 'sell' },
    ]);
    const bare = parseTradesCsv('1704067200,100,1,sell\n1704067199.5,99,2,buy\n', 'x.csv', { symbol: 'BTC/USDT' });
    expect(bare.map((t) => [t.ts, t.price])).toEqual([[1704067199500, 99], [1704067200000, 100]]);
    expect(() => parseTradesCsv('ts,price,qty\n1,0,1\n', 'x.csv', { symbol: 'A/B' })).toThrow(/x\.csv:2: price must be > 0/);
    expect(() => parseTradesCsv('ts,price,qty,side\n1,1,1,hold\n', 'x.csv', { symbol: 'A/B' })).toThrow(/x\.csv:2: side must be/);
  });
});

describe('pandas columns JSON', () => {
  it('reads freqtrade Binance BTC/USDT 5m candles', () => {
    const bars = readPandasColumnsJson(sharedData('candles', 'binance_btcusdt_5m_2023.json'), { symbol: 'BTC/USDT', exchange: 'binance' });
    expect(bars).toHaveLength(10_999);
    expect(bars[0]).toMatchObject({ timeframe: '5m', openTime: 1672677900000 });
  });
});

describe('market names', () => {
  it('splits concatenated pairs by known quote currencies', () => {
    expect(['BTCUSD', 'xrpeth', 'ETHUSDT', 'btc-usd', 'SOLFDUSD'].map(pairToSymbol)).toEqual(['BTC/USD', 'XRP/ETH', 'ETH/USDT', 'BTC/USD', 'SOL/FDUSD']);
    expect(pairToSymbol('FOOBAR')).toBeUndefined();
    expect(pairToSymbol('USD')).toBeUndefined();
  });

  it('infers exchange and symbol from file names', () => {
    expect(inferMarketFromFileName('/x/binance_xrpeth_trades.json.gz')).toEqual({ exchange: 'binance', symbol: 'XRP/ETH' });
    expect(inferMarketFromFileName('XRP_ETH-trades.json.gz')).toEqual({ symbol: 'XRP/ETH' });
    expect(inferMarketFromFileName('btc_perp_1m_2022-01.csv')).toEqual({});
  });
});

describe('readAnyFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cte-readers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells every bundled format apart', () => {
    const kinds = [
      [XRPETH_TRADES, 'ticks'],
      [COINBASE_BTCUSD_1H_CSV, 'bars', '1h'],
      [path.join(LEAN_DIR, 'coinbase/minute/btcusd/20170904_trade.zip'), 'bars', '1m'],
      [sharedData('candles', 'binance_btcusdt_1h_2025-01.csv'), 'bars', '1h'],
    ].map(([file, kind, tf]) => {
      const contents = readAnyFile(file!);
      expect(contents.kind).toBe(kind);
      if (contents.kind === 'bars') expect(contents.timeframe).toBe(tf);
      return contents.kind === 'bars' ? contents.bars.length : contents.ticks.length;
    });
    expect(kinds).toEqual([12_477, 20_111, 1_440, 744]);
  });

  it('reads trades CSVs, gzipped files and pandas JSON, and refuses feather', () => {
    const csv = path.join(dir, 'kraken_btcusd_trades.csv.gz');
    writeFileSync(csv, gzipSync('ts,price,qty\n1704067200000,42000,0.1\n'));
    const contents = readAnyFile(csv);
    expect(contents).toEqual({ kind: 'ticks', ticks: [{ exchange: 'kraken', symbol: 'BTC/USD', ts: 1704067200000, price: 42000, qty: 0.1 }] });

    const pandas = path.join(dir, 'bars.json');
    writeFileSync(pandas, JSON.stringify({ date: { 0: 1704067200000 }, open: { 0: 1 }, high: { 0: 2 }, low: { 0: 1 }, close: { 0: 2 }, volume: { 0: 5 } }));
    expect(() => readAnyFile(pandas)).toThrow(/does not name its symbol/);
    expect(() => readAnyFile(pandas, { symbol: 'ETH/BTC' })).toThrow(/cannot infer the timeframe from fewer than two bars/);
    const one = readAnyFile(pandas, { symbol: 'ETH/BTC', barTimeframe: '4h' });
    expect(one).toEqual({ kind: 'bars', timeframe: '4h', bars: [expect.objectContaining({ symbol: 'ETH/BTC', volume: 5, closeTime: 1704067200000 + 4 * 3_600_000 })] });

    expect(() => readAnyFile(sharedData('candles', 'binance_xrpeth_1m.feather'))).toThrow(/not supported/);
    expect(() => readAnyFile(path.join(dir, 'missing.csv'))).toThrow(/cannot read file \(ENOENT\)/);
  });
});
