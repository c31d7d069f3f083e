/**
 * Restart from any state (issue 10, defect 1): the ledger tables (portfolio_state, balances,
 * portfolio_positions, applied_fills, portfolio_snapshots) filled with values at their column
 * limits (the largest and smallest amounts, negative where signed, the longest strings, NULLs
 * where allowed) and rows that are storable but odd (a position in a malformed symbol, a balance
 * of an asset nobody trades). portfolio restarts as a real process, becomes ready and serves them.
 * Nothing is quarantined here: the ledger is loaded whole or not at all (skipping a position would
 * silently change equity), and no storable value stops the load.
 */
import { COLUMN_LIMITS, quarantineReport, restartAnyStateRig } from '@cte/testkit';
import { startPortfolio } from './helpers/service';

const { MAX_MONEY, MIN_MONEY, BIGINT_MAX } = COLUMN_LIMITS;
const rig = restartAnyStateRig();
const { tag, insert } = rig;
const API_KEY = `pf-restart-key-${tag}-0123456789`;

it('comes up ready whatever the ledger tables hold', async () => {
  await insert('portfolio_state', { id: 1, seq: BIGINT_MAX, quote_currency: 'USD', initial_capital: MIN_MONEY, peak_equity: MAX_MONEY, peak_at: BIGINT_MAX, day_start: null, start_of_day_equity: null, data_ts: BIGINT_MAX, created_at: 0, updated_at: 0 });
  await insert('balances', { asset: 'USD', total: `-${MAX_MONEY}`, updated_at: 0 });
  await insert('balances', { asset: 'BTC', total: MAX_MONEY, updated_at: 0 });
  await insert('balances', { asset: 'A'.repeat(20), total: MIN_MONEY, updated_at: BIGINT_MAX });
  await insert('portfolio_positions', { symbol: 'BTC/USD', qty: MAX_MONEY, avg_entry_price: MAX_MONEY, realized_pnl: `-${MAX_MONEY}`, fees: MAX_MONEY, fills: '18446744073709551615', last_fill_id: 'f'.repeat(128), updated_at: 0 });
  await insert('portfolio_positions', { symbol: 'ETH/USD', qty: `-${MIN_MONEY}`, avg_entry_price: MIN_MONEY, realized_pnl: '0', fees: '0', fills: 0, last_fill_id: '', updated_at: 0 });
  await insert('portfolio_positions', { symbol: 'not a symbol, 41 characters long xxxxxxx', qty: '0', avg_entry_price: '0', realized_pnl: '0', fees: '0', fills: 1, last_fill_id: 'x', updated_at: 0 });
  await insert('applied_fills', { fill_id: 'f'.repeat(128), seq: '18446744073709551615', venue: 'v'.repeat(32), venue_trade_id: 't'.repeat(128), order_id: 'o'.repeat(128), client_order_id: 'c'.repeat(128), symbol: 'S'.repeat(41), side: 'sell', qty: MAX_MONEY, price: MIN_MONEY, fee: MAX_MONEY, fee_currency: 'F'.repeat(20), liquidity: 'maker', realized_pnl: `-${MAX_MONEY}`, fill_ts: BIGINT_MAX, trace_id: 't'.repeat(64), stream_id: 's'.repeat(64), applied_at: 0 });
  await insert('portfolio_snapshots', { ts: BIGINT_MAX, data_ts: null, equity: `-${MAX_MONEY}`, cash: MAX_MONEY, realized_pnl: '0', unrealized_pnl: MIN_MONEY, fees: '0', gross_exposure: MAX_MONEY, net_exposure: `-${MAX_MONEY}`, peak_equity: MAX_MONEY, drawdown_ratio: MAX_MONEY, start_of_day_equity: null, daily_pnl: '0', open_positions: 4294967295, fills_applied: '18446744073709551615' });

  const svc = await rig.run(startPortfolio({
    apiKey: API_KEY,
    env: { MYSQL_URL: rig.tdb.url, BUS_NAMESPACE: `test-pf-restart-${tag}:`, RECOMMENDATIONS_GRPC_ADDR: '127.0.0.1:1', TRADABLE_SYMBOLS: 'BTC/USD,ETH/USD', SNAPSHOT_INTERVAL_MS: '100' },
  }));
  const q = await quarantineReport(svc);
  expect(q.status).toBe('ready');
  // The books are never partly loaded: every stored row is part of them, and none is quarantined.
  expect(q.detail).toBeUndefined();
  const headers = { 'X-TRADING-API-KEY': API_KEY };
  const get = async (p: string) => {
    const r = await fetch(`${svc.httpUrl}${p}`, { headers });
    expect(r.status).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };
  expect(await get('/portfolio')).toMatchObject({ quote_currency: 'USD', initial_capital: MIN_MONEY, cash: `-${MAX_MONEY}` });
  expect(((await get('/positions')).positions as Array<{ symbol: string; qty: string }>).find((p) => p.symbol === 'BTC/USD')).toMatchObject({ qty: MAX_MONEY });
  expect(((await get('/balances')).balances as Array<{ asset: string }>).map((b) => b.asset)).toEqual(['A'.repeat(20), 'BTC', 'USD']);
  expect(((await get('/snapshots')).snapshots as unknown[]).length).toBeGreaterThanOrEqual(1);
  await new Promise((r) => setTimeout(r, 500));
  expect((await quarantineReport(svc)).status).toBe('ready');
  expect(await svc.stop()).toBe(0);
}, 60_000);
