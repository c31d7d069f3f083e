/**
 * The console as deployed: a real process over real MariaDB and Redis, the rest of the fleet
 * absent. Sign-in, roles, CSRF and Origin checks, expiry, the audit log, the live stream, and that
 * the fleet's API key never reaches a browser.
 */
import { SignJWT } from 'jose';
import { RedisBus, createLogger, TRADING_CHANNELS } from '@cte/shared';
import { waitFor } from '@cte/testkit';
import { ConsoleClient, startConsole, type ConsoleRig } from './harness';
import { SESSION_COOKIE } from '../adapters/session';

let rig: ConsoleRig;

beforeAll(async () => {
  rig = await startConsole();
}, 60_000);

afterAll(async () => {
  // Whatever the tests did, no response carried the fleet's API key.
  const leaks = rig.seen.filter((t) => t.includes(rig.svc.apiKey));
  await rig.close();
  expect(rig.seen.length).toBeGreaterThan(20);
  expect(leaks).toEqual([]);
});

describe('sign-in', () => {
  it('refuses a wrong password and an unknown name alike, with 401 and no cookie', async () => {
    const c = new ConsoleClient(rig);
    const wrong = await c.signIn('alice', 'not-her-password');
    const unknown = await c.signIn('mallory', 'whatever-password');
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.headers.get('set-cookie')).toBeNull();
      expect(r.text).toContain('wrong name or password');
    }
  });

  it('issues an HttpOnly, SameSite=Strict session cookie scoped to /dashboard and reports the role', async () => {
    const c = new ConsoleClient(rig);
    const r = await c.signIn('tom');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'tom', role: 'trader' });
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/dashboard');
    const s = await c.request<{ name: string; actions: string[] }>('GET', '/dashboard/api/session');
    expect(s.status).toBe(200);
    expect(s.body.actions).toEqual(['orders.cancel', 'agents.control']);
  });

  it('refuses a sign-in from another origin (login CSRF)', async () => {
    const c = new ConsoleClient(rig);
    const r = await c.request('POST', '/dashboard/api/session', { body: { name: 'alice', password: 'admin-password-1' }, origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('signs out: the cookie is cleared', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    const r = await c.request('DELETE', '/dashboard/api/session');
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('sessions', () => {
  const forge = (claims: { sub: string; role: string; exp: number; secret: string }) =>
    new SignJWT({ role: claims.role, csrf: 'x'.repeat(32) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('cte-console')
      .setAudience('cte-console')
      .setIssuedAt(claims.exp - 900)
      .setExpirationTime(claims.exp)
      .sign(new TextEncoder().encode(claims.secret));

  it('answers 401 without a session, with an expired token, and with a token signed by another key', async () => {
    const c = new ConsoleClient(rig);
    const now = Math.floor(Date.now() / 1000);
    const expired = await forge({ sub: 'alice', role: 'admin', exp: now - 5, secret: rig.secret });
    const foreign = await forge({ sub: 'alice', role: 'admin', exp: now + 600, secret: 'another-secret-that-is-long-enough-0123456789' });
    const valid = await forge({ sub: 'alice', role: 'admin', exp: now + 600, secret: rig.secret });
    expect((await c.request('GET', '/dashboard/api/fleet')).status).toBe(401);
    expect((await c.request('GET', '/dashboard/api/fleet', { cookie: `${SESSION_COOKIE}=${expired}` })).status).toBe(401);
    expect((await c.request('GET', '/dashboard/api/fleet', { cookie: `${SESSION_COOKIE}=${foreign}` })).status).toBe(401);
    // The control: the same token, unexpired and signed with the console's key, is accepted.
    expect((await c.request('GET', '/dashboard/api/session', { cookie: `${SESSION_COOKIE}=${valid}` })).status).toBe(200);
    const write = await c.request('POST', '/dashboard/api/risk/trading-state', { cookie: `${SESSION_COOKIE}=${expired}`, csrf: 'x'.repeat(32), body: { state: 'HALTED', reason: 'test', confirm: true } });
    expect(write.status).toBe(401);
  });

  it('drops a session whose operator is not configured', async () => {
    const c = new ConsoleClient(rig);
    const ghost = await forge({ sub: 'ghost', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600, secret: rig.secret });
    expect((await c.request('GET', '/dashboard/api/session', { cookie: `${SESSION_COOKIE}=${ghost}` })).status).toBe(401);
  });
});

describe('writes', () => {
  const halt = { state: 'HALTED', reason: 'incident drill', confirm: true };

  it('forbids a viewer and a trader to change the trading state (403), and records nothing', async () => {
    const before = await rig.tdb.db.query('SELECT id FROM console_audit');
    for (const name of ['vera', 'tom'] as const) {
      const c = new ConsoleClient(rig);
      await c.signIn(name);
      const r = await c.request<{ error: { code: string } }>('POST', '/dashboard/api/risk/trading-state', { body: halt });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    expect(await rig.tdb.db.query('SELECT id FROM console_audit')).toEqual(before);
  });

  it('forbids a write without the CSRF token, with a wrong one, without Origin and from another origin', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    const tries = [
      await c.request('POST', '/dashboard/api/risk/trading-state', { body: halt, csrf: null }),
      await c.request('POST', '/dashboard/api/risk/trading-state', { body: halt, csrf: 'A'.repeat(c.csrf.length) }),
      await c.request('POST', '/dashboard/api/risk/trading-state', { body: halt, origin: null }),
      await c.request('POST', '/dashboard/api/risk/trading-state', { body: halt, origin: 'https://evil.example' }),
      await c.request('DELETE', '/dashboard/api/session', { csrf: null }),
    ];
    expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
  });

  it('validates before acting: no confirmation or no reason is a 400', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    expect((await c.request('POST', '/dashboard/api/risk/trading-state', { body: { state: 'HALTED', reason: 'x', confirm: true } })).status).toBe(400);
    expect((await c.request('POST', '/dashboard/api/risk/trading-state', { body: { state: 'HALTED', reason: 'drill' } })).status).toBe(400);
    expect((await c.request('POST', '/dashboard/api/risk/trading-state', { body: { state: 'PANIC', reason: 'drill', confirm: true } })).status).toBe(400);
    expect((await c.request('PUT', '/dashboard/api/risk/limits', { body: { limits: { max_position_pct: '150' }, reason: 'drill', confirm: true } })).status).toBe(400);
    expect((await c.request('PUT', '/dashboard/api/risk/limits', { body: { limits: { api_key: '1' }, reason: 'drill', confirm: true } })).status).toBe(400);
  });

  it('records an admin action with the operator name; with risk absent it fails with 503 and the row says so', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    const r = await c.request<{ error: { code: string; message: string } }>('POST', '/dashboard/api/risk/trading-state', { body: halt });
    expect(r.status).toBe(503);
    expect(r.body.error.message).toBe('risk is unavailable');
    const rows = await rig.tdb.db.query<{ operator: string; role: string; action: string; target: string; outcome: string; error: string; detail: string }>(
      "SELECT operator, role, action, target, outcome, error, detail FROM console_audit WHERE action = 'trading.state'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ operator: 'alice', role: 'admin', action: 'trading.state', target: 'HALTED', outcome: 'failed', error: 'risk is unavailable' });
    expect(JSON.parse(rows[0]?.detail ?? '{}')).toEqual({ state: 'HALTED', reason: 'incident drill' });
    const audit = await c.request<{ entries: Array<{ operator: string; action: string }> }>('GET', '/dashboard/api/audit');
    expect(audit.body.entries[0]).toMatchObject({ operator: 'alice', action: 'trading.state' });
  });

  it('lets a trader cancel (audited) but not change limits', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('tom');
    const cancel = await c.request('POST', '/dashboard/api/orders/ord-1/cancel', { body: { confirm: true } });
    expect(cancel.status).toBe(503); // execution is absent; the call was made
    const rows = await rig.tdb.db.query<{ operator: string; target: string }>("SELECT operator, target FROM console_audit WHERE action = 'orders.cancel'");
    expect(rows).toEqual([{ operator: 'tom', target: 'ord-1' }]);
    expect((await c.request('PUT', '/dashboard/api/risk/limits', { body: { limits: { max_position_pct: '4' }, reason: 'drill', confirm: true } })).status).toBe(403);
  });
});

describe('reads with the fleet absent', () => {
  it('shows every other service as unreachable with a reason, and stays ready itself', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    const f = await c.request<{ services: Array<{ service: string; reachable: boolean; ready: boolean; reason: string }> }>('GET', '/dashboard/api/fleet');
    expect(f.status).toBe(200);
    expect(f.body.services.map((s) => s.service).sort()).toEqual(['execution', 'portfolio', 'price-stream', 'recommendations', 'risk', 'signal-generator', 'signals-aggregator']);
    for (const s of f.body.services) expect(s).toMatchObject({ reachable: false, ready: false, reason: 'unreachable' });
    expect((await fetch(`${rig.url}/ready`)).status).toBe(200);
    const risk = await c.request<{ trading_state: { ok: boolean; error: { message: string } } }>('GET', '/dashboard/api/risk');
    expect(risk.status).toBe(200);
    expect(risk.body.trading_state).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'risk is unavailable' } });
    expect((await c.request('GET', '/dashboard/api/orders')).status).toBe(503);
    expect((await c.request('GET', '/dashboard/api/bars?symbol=BTC-USD&timeframe=1h')).status).toBe(503);
    expect((await c.request('GET', '/dashboard/api/bars?symbol=DOGE-USD&timeframe=1h')).status).toBe(400);
  });

  it('samples its own process for the System view and marks the absent ones unreachable', async () => {
    const c = new ConsoleClient(rig);
    await c.signIn('alice');
    const r = await c.request<{ services: Array<{ service: string; reachable: boolean; rss_bytes: number | null; cpu_seconds: number | null }> }>('GET', '/dashboard/api/system');
    expect(r.status).toBe(200);
    const [own, ...others] = r.body.services;
    expect(own).toMatchObject({ service: 'console', reachable: true });
    expect(own?.rss_bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(own?.cpu_seconds).toBeGreaterThan(0);
    expect(others).toHaveLength(7);
    for (const s of others) expect(s).toMatchObject({ reachable: false, rss_bytes: null });
  });
});

describe('the page', () => {
  it('serves the app under a strict CSP with no inline script or style', async () => {
    const c = new ConsoleClient(rig);
    const page = await c.request('GET', '/dashboard/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // Every <script> has a src; no inline handlers or style attributes.
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inner] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(inner?.trim()).toBe('');
    }
    expect(page.text).not.toMatch(/\son[a-z]+="/i);
    expect(page.text).not.toMatch(/\sstyle="/i);
    for (const asset of ['/dashboard/app/main.js', '/dashboard/app/style.css', '/dashboard/vendor/lightweight-charts.js']) {
      const r = await c.request('GET', asset);
      expect(r.status).toBe(200);
    }
    expect((await c.request('GET', '/dashboard/vendor/..%2Fpackage.json')).status).toBe(404);
    const traversal = await c.request('GET', '/dashboard/app/..%2f..%2fpackage.json');
    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(traversal.text).not.toContain('workspaces');
  });

  it('keeps the kit: /health and /metrics open, any other path outside /dashboard behind the API key', async () => {
    const c = new ConsoleClient(rig);
    expect((await c.request('GET', '/health')).status).toBe(200);
    expect((await c.request('GET', '/metrics')).status).toBe(200);
    expect((await c.request('GET', '/anything')).status).toBe(401);
    // Console requests count in the kit's histogram by route pattern, never by raw path.
    const metrics = (await c.request('GET', '/metrics')).text;
    expect(metrics).toMatch(/cte_http_request_duration_seconds_count\{[^}]*route="\/dashboard\/api\/orders\/:id\/cancel"[^}]*\} [1-9]/);
    expect(metrics).not.toContain('ord-1');
  });
});

describe('live stream', () => {
  it('needs a session, then streams bus messages as server-sent events', async () => {
    const c = new ConsoleClient(rig);
    expect((await c.request('GET', '/dashboard/api/stream')).status).toBe(401);
    await c.signIn('alice');
    const ac = new AbortController();
    const res = await fetch(`${rig.url}/dashboard/api/stream`, { headers: { Cookie: c.cookie }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const bus = new RedisBus({ url: 'redis://127.0.0.1:6379', logger: createLogger({ service: 'test', level: 'silent' }), namespace: rig.busNamespace });
    try {
      const pump = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })().catch(() => undefined);
      await waitFor('the trading state event', async () => {
        await bus.publish(TRADING_CHANNELS.tradingState, { type: 'trading_state', data: { state: 'REDUCING', reason: 'bus test', updated_at: 1, updated_by: 'test' } });
        return text.includes('event: trading_state') ? true : undefined;
      });
      const line = text.split('\n').find((l) => l.startsWith('data: {') && l.includes('bus test')) ?? '';
      expect((JSON.parse(line.slice(6)) as { data: unknown }).data).toEqual({ state: 'REDUCING', reason: 'bus test', updated_at: 1, updated_by: 'test' });
      ac.abort();
      await pump;
    } finally {
      await bus.close();
    }
    rig.seen.push(text);
  });
});

// Last: it leaves vera throttled.
describe('throttling', () => {
  it('refuses further attempts for a name after repeated failures', async () => {
    const c = new ConsoleClient(rig);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.signIn('vera', `guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // Even the right password, while the name is throttled.
    expect((await c.signIn('vera')).status).toBe(429);
  });
});
