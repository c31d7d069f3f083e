/**
 * Restart from any state (issue 10, defect 1): whatever rows price_monitors, price_alerts and
 * crypto_prices can hold — values at the column limits, longest strings, NULLs, and rows that are
 * storable but invalid to the service — price-stream restarts as a real process and becomes ready.
 * Invalid monitors are quarantined (deactivated, warn log, cte_quarantined_rows_total, /ready detail).
 * Needs `npm run build` first (make test does it).
 */
import path from 'node:path';
import { createGrpcClient, loadProto, type MarketProtoGrpcType, type PriceStreamClient } from '@cte/shared';
import { metricValue, restartAnyStateRig, type RunningService } from '@cte/testkit';
import { startPriceStream } from './helpers/service-process';

const DAY_FILE = path.resolve(__dirname, '..', '..', 'data', 'replay', 'lean', 'coinbase', 'minute', 'btcusd', '20180404_trade.zip');
const BUS_NAMESPACE = `test-ps-restart-${Math.random().toString(36).slice(2)}:`;
const ENV = { BUS_NAMESPACE, REPLAY_FILES: DAY_FILE, REPLAY_SPEED: '60', SYMBOLS: 'BTC/USD' };

const rig = restartAnyStateRig();

function start(): Promise<RunningService> {
  return rig.run(startPriceStream({ MYSQL_URL: rig.tdb.url, ...ENV }));
}

const api = (s: RunningService, p: string, init: RequestInit = {}) =>
  fetch(`${s.httpUrl}${p}`, { ...init, headers: { 'X-TRADING-API-KEY': s.apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) } });

async function storedThreshold(id: string): Promise<string | undefined> {
  const rows = await rig.tdb.db.query<{ threshold_pct: string }>('SELECT threshold_pct FROM price_monitors WHERE id = ?', [id]);
  return rows[0]?.threshold_pct;
}

describe('price-stream restarts from any state', () => {
  it('refuses thresholds the DECIMAL(12,6) column would store as 0, over REST and gRPC', async () => {
    const s = await start();
    const proto = loadProto<MarketProtoGrpcType>('cte/market/v1/market.proto');
    const client = createGrpcClient<PriceStreamClient>(proto.cte.market.v1.PriceStream, s.grpcAddress, { apiKey: s.apiKey, deadlineMs: 3000, retries: 0 });
    try {
      const rest = await api(s, '/monitors', { method: 'POST', body: JSON.stringify({ symbol: 'BTC/USD', thresholdPct: 0.0000001, windowMs: 60_000 }) });
      expect(rest.status).toBe(400);
      const body = (await rest.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/thresholdPct .*price_monitors\.threshold_pct is DECIMAL\(12,6\)/);
      const restString = await api(s, '/monitors', { method: 'POST', body: JSON.stringify({ symbol: 'BTC/USD', thresholdPct: '1.0000001', windowMs: 60_000 }) });
      expect(restString.status).toBe(400);
      await expect(client.unary('StartMonitor', { symbol: 'BTC/USD', threshold_pct: 1e-9, window_ms: '60000' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      // The smallest and largest thresholds the column holds are accepted and stored exactly.
      const small = await api(s, '/monitors', { method: 'POST', body: JSON.stringify({ id: 'min-threshold', symbol: 'BTC/USD', thresholdPct: '0.000001', windowMs: 1000 }) });
      expect(small.status).toBe(201);
      const big = await client.unary('StartMonitor', { symbol: 'BTC/USD', threshold_pct: 1000, window_ms: String(7 * 24 * 3_600_000) });
      expect(await storedThreshold('min-threshold')).toBe('0.000001');
      expect(await storedThreshold(big.id)).toBe('1000.000000');
      // An id longer than the VARCHAR(36) column is refused up front, not a 500 from MariaDB.
      const longId = await api(s, '/monitors', { method: 'POST', body: JSON.stringify({ id: 'x'.repeat(37), symbol: 'BTC/USD', thresholdPct: 1, windowMs: 1000 }) });
      expect(longId.status).toBe(400);
      const maxId = await api(s, '/monitors', { method: 'POST', body: JSON.stringify({ id: 'y'.repeat(36), symbol: 'BTC/USD', thresholdPct: 1, windowMs: 1000 }) });
      expect(maxId.status).toBe(201);
    } finally {
      client.close();
      expect(await s.stop()).toBe(0);
    }
  }, 60_000);

  it('comes up ready with invalid stored monitors quarantined, and keeps the valid ones', async () => {
    // The exact defect: a monitor accepted before the fix, stored as 0 by DECIMAL(12,6).
    await rig.tdb.db.execute(
      `INSERT INTO price_monitors (id, symbol, threshold_pct, window_ms, active, created_at) VALUES
        ('zero-threshold', 'BTC/USD', 0.0000001, 60000, 1, 1),
        ('negative-threshold', 'BTC/USD', -999999.999999, 60000, 1, 2),
        ('huge-threshold', 'BTC/USD', 999999.999999, 60000, 1, 3),
        ('bad-window', 'BTC/USD', 1, -9223372036854775808, 1, 4),
        ('bad-symbol', 'not a symbol at all, 32 chars xx', 1, 60000, 1, 5),
        ('inactive-zero', 'BTC/USD', 0, 60000, 0, 6)`,
    );
    await rig.tdb.db.execute(`UPDATE price_monitors SET stopped_at = NULL WHERE id = 'inactive-zero'`);
    expect(await storedThreshold('zero-threshold')).toBe('0.000000');
    // Alerts and bars at their column limits (nothing reads them at start, but they must not matter).
    await rig.tdb.db.execute(
      `INSERT INTO price_alerts (id, monitor_id, symbol, direction, change_pct, reference_price, price, window_ms, ts, trace_id) VALUES
        (?, ?, ?, 'down', -9999999999.99999999, 0.000000000000000001, 999999999999999999.999999999999999999, 9223372036854775807, 0, NULL),
        (?, ?, ?, 'up', 9999999999.99999999, 999999999999999999.999999999999999999, 0, 0, 9223372036854775807, ?)`,
      ['a'.repeat(36), 'm'.repeat(36), 'B'.repeat(32), 'b'.repeat(36), 'n'.repeat(36), 'C'.repeat(32), 't'.repeat(64)],
    );
    await rig.tdb.db.execute(
      `INSERT INTO crypto_prices (exchange, symbol, timeframe, open_time, close_time, \`open\`, high, low, \`close\`, volume, trades) VALUES
        (?, 'BTC/USD', '1m', 0, 59999, 0.000000000000000001, 999999999999999999.999999999999999999, 0, 1, 0, NULL),
        ('coinbase', ?, '1d', 9223372036854775807, -1, 1, 1, 1, 1, 999999999999999999.999999999999999999, 4294967295)`,
      ['e'.repeat(32), 'Z'.repeat(32)],
    );

    const s = await start();
    const ready = (await (await fetch(`${s.httpUrl}/ready`)).json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(ready.status).toBe('ready');
    const detail = ready.checks.quarantined_rows?.detail ?? '';
    expect(ready.checks.quarantined_rows?.ok).toBe(true);
    expect(detail).toMatch(/^5 stored rows quarantined: /);
    for (const id of ['zero-threshold', 'negative-threshold', 'huge-threshold', 'bad-window', 'bad-symbol']) expect(detail).toContain(`price_monitors ${id} (deactivated`);
    expect(detail).not.toContain('inactive-zero');

    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, 'cte_quarantined_rows_total', { table: 'price_monitors', reason: 'invalid_value' })).toBe(5);
    expect(s.logs()).toMatch(/"level":"warn".*"table":"price_monitors","id":"zero-threshold".*stored row quarantined/);

    // Quarantined monitors are deactivated (so the next start does not meet them again); valid ones run.
    const listed = (await (await api(s, '/monitors')).json()) as { monitors: { id: string }[] };
    expect(listed.monitors.map((m) => m.id).sort()).toEqual(['min-threshold', 'y'.repeat(36), expect.any(String)].sort());
    const flags = await rig.tdb.db.query<{ id: string; active: number; stopped_at: number | null }>(
      `SELECT id, active, stopped_at FROM price_monitors WHERE id IN ('zero-threshold', 'bad-symbol')`,
    );
    expect(flags.every((r) => Number(r.active) === 0 && r.stopped_at !== null)).toBe(true);
    expect(await s.stop()).toBe(0);

    // The next start meets nothing to quarantine.
    const again = await start();
    const ready2 = (await (await fetch(`${again.httpUrl}/ready`)).json()) as { status: string; checks: Record<string, unknown> };
    expect(ready2.status).toBe('ready');
    expect(ready2.checks.quarantined_rows).toBeUndefined();
    expect(await again.stop()).toBe(0);
  }, 90_000);
});
