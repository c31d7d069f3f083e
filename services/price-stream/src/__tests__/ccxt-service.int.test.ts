/**
 * The built price-stream with MARKET_SOURCE=ccxt against the venue emulator (in this process, on
 * 127.0.0.1): live prices over REST, feed metrics, readiness detail, and a fail-fast start when a
 * configured market is not listed. Needs `npm run build` first.
 */
import { createLogger } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { startEmulator, type RunningEmulator } from '../../../venue-emulator/src/__tests__/helpers/emulator';
import type { PriceMessage } from '../adapters/dto/messages';
import { startPriceStream, waitFor, type RunningService } from './helpers/service-process';

const logger = createLogger({ service: 'test', level: 'silent' });

let tdb: TestDatabase;
let run: RunningEmulator;
let svc: RunningService | undefined;

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  run = await startEmulator({ venues: ['coinbase'] });
});
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await run.close();
});

function liveEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MYSQL_URL: tdb.url,
    BUS_NAMESPACE: `test-ps-ccxt-${Math.random().toString(36).slice(2)}:`,
    MARKET_SOURCE: 'ccxt',
    TRADABLE_SYMBOLS: 'SKL/USD,DASH/BTC',
    EXCHANGES: 'coinbase',
    VENUE_URL_COINBASE: `http://127.0.0.1:${run.ports.coinbase}`,
    TIMEFRAMES: '1m',
    TICK_CONFLATE_MS: '50',
    ...extra,
  };
}

async function pumpAll(): Promise<void> {
  for (let i = 0; run.emu.step('coinbase', 1) > 0; i++) await new Promise((r) => (i % 20 === 19 ? setTimeout(r, 2) : setImmediate(r)));
}

it('serves live prices from the venue, with per-feed metrics and readiness detail', async () => {
  const s = await startPriceStream(liveEnv());
  svc = s;
  const get = (p: string): Promise<Response> => fetch(`${s.httpUrl}${p}`, { headers: { 'X-TRADING-API-KEY': s.apiKey } });
  await pumpAll();
  const last = run.emu.venue('coinbase')?.state.market('SKL/USD')?.trades.at(-1);
  expect(last).toBeDefined();
  let price: PriceMessage | undefined;
  await waitFor('the last replayed SKL/USD trade as the price', async () => {
    const res = await get('/prices/SKL-USD');
    if (res.status !== 200) return false;
    price = (await res.json()) as PriceMessage;
    return price.ts === last?.ts;
  }, 10_000);
  expect(Number(price?.price)).toBe(Number(last?.price));
  expect(price?.exchange).toBe('coinbase');

  const ready = (await (await get('/ready')).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
  expect(ready.checks['market_feeds']).toEqual({ ok: true, detail: '2 feeds live' });

  const metrics = await (await get('/metrics')).text();
  const trades = run.emu.venue('coinbase')?.state.market('SKL/USD')?.trades.length ?? 0;
  const series = (name: string, labels: string): string | undefined => new RegExp(`^${name}\\{${labels},service="price-stream"\\} (\\S+)$`, 'm').exec(metrics)?.[1];
  expect(series('cte_feed_trades_total', 'exchange="coinbase",symbol="SKL/USD"')).toBe(String(trades));
  expect(series('cte_feed_reconnects_total', 'exchange="coinbase",symbol="SKL/USD"')).toBe('0');
  expect(series('cte_feed_dropped_total', 'exchange="coinbase",symbol="SKL/USD",reason="malformed"')).toBe('0');
  expect(series('cte_feed_stale_info', 'exchange="coinbase",symbol="SKL/USD"')).toBe('0');
  expect(Number(series('cte_feed_last_message_age_seconds', 'exchange="coinbase",symbol="DASH/BTC"'))).toBeGreaterThanOrEqual(0);

  // Shutdown closes the venue sockets and ends the watch loops cleanly.
  svc = undefined;
  expect(await s.stop()).toBe(0);
  await waitFor('the socket closed at the venue', () => run.emu.info().find((i) => i.venue === 'coinbase')?.connections === 0, 3000);
});

it('does not start when a configured market is not listed on the venue, naming the variable', async () => {
  await expect(startPriceStream(liveEnv({ TRADABLE_SYMBOLS: 'SKL/USD,BTC/USD', SYMBOLS_COINBASE: 'SKL/USD,BTC/USD' }))).rejects.toThrow(/SYMBOLS_COINBASE: coinbase lists no active market BTC\/USD/);
});
