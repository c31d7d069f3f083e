/**
 * The console in a real browser (Debian's chromium driven by playwright-core): sign in, see the
 * Fleet view with the absent services unreachable, and flip the kill switch through the
 * confirmation dialog against a real risk service. The page must run under its strict CSP without
 * a single violation or script error.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger, FEED_CHANNELS, FEED_STATUS_TYPE, RedisBus } from '@cte/shared';
import { createTestDatabase, describeNeeding, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { PASSWORDS, startConsole, type ConsoleRig } from './harness';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && p !== '' && fs.existsSync(p));
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

describeNeeding('chromium', CHROMIUM !== undefined, 'make test installs it with scripts/ensure-chromium.sh')('the console in a browser', () => {
  const apiKey = `browser-test-${randomBytes(12).toString('hex')}`;
  const busNamespace = `console-browser-${randomBytes(4).toString('hex')}:`;
  let risk: RunningService;
  let riskDb: TestDatabase;
  let rig: ConsoleRig;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    riskDb = await createTestDatabase();
    risk = await startService('risk', {
      apiKey,
      env: { MYSQL_URL: riskDb.url, BUS_NAMESPACE: busNamespace, PORTFOLIO_GRPC_ADDR: '127.0.0.1:1', STATE_BROADCAST_MS: '0' },
      readyLog: 'risk ready',
    });
    rig = await startConsole({ BUS_NAMESPACE: busNamespace, RISK_GRPC_ADDR: risk.grpcAddress, RISK_HTTP_URL: risk.httpUrl }, apiKey);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Failed requests are checked below, by URL.
      if (/Failed to load resource/.test(m.text())) return;
      if (m.type() === 'error' || /Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('requestfailed', (r) => {
      if (r.resourceType() !== 'eventsource') problems.push(`request failed: ${r.url()}`);
    });
    page.on('response', async (r) => {
      // The errors the page expects: asking for the session before signing in, and bars from the absent price-stream.
      const expected = (r.status() === 401 && r.url().endsWith('/dashboard/api/session')) || (r.status() === 503 && r.url().includes('/dashboard/api/bars?'));
      if (r.status() >= 400 && !expected) problems.push(`${r.status()} from ${r.url()}`);
      // The API key must not reach the browser in any header or body.
      const text = `${JSON.stringify(await r.allHeaders())}${r.request().resourceType() === 'eventsource' ? '' : await r.text().catch(() => '')}`;
      if (text.includes(apiKey)) problems.push(`API key in the response of ${r.url()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
    await risk?.stop();
    await riskDb?.drop();
  });

  it('signs in, shows the fleet, and halts trading after a confirmation with a reason', async () => {
    try {
      await scenario();
    } catch (err) {
      throw new Error(`${(err as Error).message}\npage problems: ${JSON.stringify(problems)}\nconsole logs:\n${rig.svc.logs().slice(-3000)}`);
    }
    expect(problems).toEqual([]);
  }, 90_000);

  async function scenario(): Promise<void> {
    await page.goto(`${rig.url}/dashboard`);
    await page.getByLabel('Name').fill('alice');
    await page.getByLabel('Password').fill(PASSWORDS.alice);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Fleet: risk is up; every other service is absent and shown unreachable.
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.locator('[data-service="risk"]', { hasText: 'ready' }).waitFor();
    await page.locator('[data-service="execution"]', { hasText: 'unreachable' }).waitFor();
    expect(await page.locator('.state.bad', { hasText: 'unreachable' }).count()).toBe(6);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    // A feed's staleness arrives live from the bus.
    const bus = new RedisBus({ url: 'redis://127.0.0.1:6379', logger: createLogger({ service: 'test', level: 'silent' }), namespace: busNamespace });
    try {
      const status = { exchange: 'coinbase', symbol: 'BTC/USD', stale: true, last_message_ms: 1_700_000_000_000, age_ms: 95_000, threshold_ms: 60_000, interval_ms: 5_000, ts: 1_700_000_095_000 };
      await waitFor('the feed status row', async () => {
        await bus.publish(FEED_CHANNELS.status, { type: FEED_STATUS_TYPE, data: status });
        return (await page.getByRole('cell', { name: 'stale', exact: true }).count()) > 0 || undefined;
      });
    } finally {
      await bus.close();
    }

    // Risk: the kill switch asks for confirmation and a reason.
    await page.getByRole('link', { name: 'Risk' }).click();
    await page.locator('#trading-state', { hasText: 'ACTIVE' }).waitFor();
    await page.getByRole('button', { name: 'HALTED' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByText('Give a reason').waitFor();
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('browser drill');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#trading-state', { hasText: 'HALTED' }).waitFor();

    // Risk holds the new state, and the audit log has it under the operator's name.
    const state = await (await fetch(`${risk.httpUrl}/kill-switch`, { headers: { 'X-TRADING-API-KEY': apiKey } })).json() as { state: string; reason: string };
    expect(state.state).toBe('HALTED');
    expect(state.reason).toBe('browser drill [console: alice]');
    const rows = await rig.tdb.db.query<{ operator: string; outcome: string; target: string }>("SELECT operator, outcome, target FROM console_audit WHERE action = 'trading.state'");
    expect(rows).toEqual([{ operator: 'alice', outcome: 'ok', target: 'HALTED' }]);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'trading.state' }).waitFor();

    // Market: the chart library runs under the CSP; the absent price-stream is reported, not fatal.
    await page.getByRole('link', { name: 'Market' }).click();
    await page.locator('#chart canvas').first().waitFor();
    await page.getByRole('alert').filter({ hasText: 'price-stream is unavailable' }).waitFor();

    // System: the console's own process is sampled; the absent services are marked.
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('cell', { name: 'console', exact: true }).waitFor();
    expect(await page.getByRole('cell', { name: 'unreachable' }).count()).toBe(6);

    // The session cookie is out of the page's reach.
    expect(await page.evaluate('document.cookie')).toBe('');
  }
});
