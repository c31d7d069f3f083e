import { ConfigError } from '@cte/shared';
import { readConfig } from '../config';
import { allowedActions, formatScryptHash, LoginThrottle, may, parseLimitsUpdate, parseOperators, parseTradingStateChange, processSample, sampleValue } from '../engine';
import { hashPassword, verifyPassword } from '../adapters/passwords';

const cheap = { n: 16384, r: 8, p: 1 };
const SECRET = 's'.repeat(40);

async function env(over: Record<string, string | undefined> = {}): Promise<Record<string, string | undefined>> {
  const hash = formatScryptHash(await hashPassword('a-long-password', cheap));
  return { TRADING_API_KEY: 'k'.repeat(24), CONSOLE_OPERATORS: JSON.stringify([{ name: 'alice', role: 'admin', password_hash: hash }]), CONSOLE_SESSION_SECRET: SECRET, ...over };
}

function problems(source: Record<string, string | undefined>): string {
  try {
    readConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('config', () => {
  it('reads a good configuration, with secure cookies by default and every other service probed', async () => {
    const cfg = readConfig(await env());
    expect(cfg.operators.map((o) => [o.name, o.role])).toEqual([['alice', 'admin']]);
    expect(cfg.cookieSecure).toBe(true);
    expect(cfg.sessionTtlSeconds).toBe(900);
    expect(cfg.probeTargets.map((t) => t.service)).not.toContain('console');
    expect(cfg.probeTargets).toHaveLength(7);
    expect(cfg.probeTargets.find((t) => t.service === 'risk')?.url).toBe('http://127.0.0.1:8027');
  });

  it('derives a peer HTTP URL from its gRPC address host', async () => {
    const cfg = readConfig(await env({ RISK_GRPC_ADDR: 'risk:9027' }));
    expect(cfg.probeTargets.find((t) => t.service === 'risk')?.url).toBe('http://risk:8027');
    expect(cfg.peers.risk).toBe('risk:9027');
  });

  it('refuses a plain password without echoing it, and names each bad variable', async () => {
    const msg = problems(await env({ CONSOLE_OPERATORS: JSON.stringify([{ name: 'bob', role: 'admin', password: 'hunter2-secret' }]), CONSOLE_SESSION_SECRET: 'short' }));
    expect(msg).toContain('CONSOLE_OPERATORS: operator 1: unknown field(s) password');
    expect(msg).toContain('CONSOLE_SESSION_SECRET: must be at least 32 bytes');
    expect(msg).not.toContain('hunter2');
  });

  it('refuses a password in the password_hash field, a bad role, duplicates and invalid JSON', async () => {
    expect(problems(await env({ CONSOLE_OPERATORS: JSON.stringify([{ name: 'bob', role: 'admin', password_hash: 'hunter2-secret' }]) }))).toMatch(/password_hash must be a scrypt hash/);
    expect(problems(await env({ CONSOLE_OPERATORS: JSON.stringify([{ name: 'bob', role: 'root', password_hash: 'x' }]) }))).toMatch(/role must be viewer, trader or admin/);
    expect(problems(await env({ CONSOLE_OPERATORS: '{not json hunter2' }))).toMatch(/CONSOLE_OPERATORS: is not valid JSON/);
    expect(problems(await env({ CONSOLE_OPERATORS: '{not json hunter2' }))).not.toContain('hunter2');
    expect(problems(await env({ CONSOLE_OPERATORS: undefined }))).toMatch(/CONSOLE_OPERATORS: is required/);
    expect(problems(await env({ CONSOLE_SESSION_SECRET: undefined }))).toMatch(/CONSOLE_SESSION_SECRET: is required/);
    const weak = formatScryptHash({ n: 1024, r: 8, p: 1, salt: Buffer.alloc(16, 1), hash: Buffer.alloc(32, 2) });
    expect(() => parseOperators([{ name: 'a', role: 'viewer', password_hash: weak }])).toThrow(/power of two from 16384/);
    const hash = formatScryptHash({ n: 16384, r: 8, p: 1, salt: Buffer.alloc(16, 1), hash: Buffer.alloc(32, 2) });
    expect(() => parseOperators([{ name: 'a', role: 'viewer', password_hash: hash }, { name: 'a', role: 'admin', password_hash: hash }])).toThrow(/listed twice/);
  });

  it('reads operators from a file', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-ops-'));
    const file = path.join(dir, 'operators.json');
    const e = await env();
    fs.writeFileSync(file, e.CONSOLE_OPERATORS as string);
    try {
      expect(readConfig({ ...e, CONSOLE_OPERATORS: undefined, CONSOLE_OPERATORS_FILE: file }).operators).toHaveLength(1);
      expect(problems({ ...e, CONSOLE_OPERATORS_FILE: file })).toMatch(/not both/);
      expect(problems({ ...e, CONSOLE_OPERATORS: undefined, CONSOLE_OPERATORS_FILE: path.join(dir, 'missing.json') })).toMatch(/cannot read .* ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passwords', () => {
  it('verifies the right password and refuses another', async () => {
    const h = await hashPassword('correct horse', cheap);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsf', h)).toBe(false);
    // Round trip through the stored form.
    const [op] = parseOperators([{ name: 'x', role: 'viewer', password_hash: formatScryptHash(h) }]);
    expect(await verifyPassword('correct horse', op!.hash)).toBe(true);
  });
});

describe('roles', () => {
  it('grants each role what the one below has and more', () => {
    expect(allowedActions('viewer')).toEqual([]);
    expect(allowedActions('trader')).toEqual(['orders.cancel', 'agents.control']);
    expect(allowedActions('admin')).toEqual(['orders.cancel', 'agents.control', 'risk.limits', 'trading.state']);
    expect(may('trader', 'trading.state')).toBe(false);
    expect(may('admin', 'orders.cancel')).toBe(true);
  });
});

describe('input validation', () => {
  it('needs confirmation and a reason for a trading state change', () => {
    expect(parseTradingStateChange({ state: 'HALTED', reason: ' drill ', confirm: true })).toEqual({ state: 'HALTED', reason: 'drill' });
    expect(() => parseTradingStateChange({ state: 'HALTED', reason: 'drill', confirm: 'yes' })).toThrow(/confirm/);
    expect(() => parseTradingStateChange({ state: 'HALTED', reason: 'dr\u0000ill', confirm: true })).toThrow(/control characters/);
    expect(() => parseTradingStateChange({ state: 'halted', reason: 'drill', confirm: true })).toThrow(/state must be one of/);
  });

  it('accepts only known limits in range', () => {
    expect(parseLimitsUpdate({ limits: { max_position_pct: '4.5', max_trades_per_day: '20' }, reason: 'tighten', confirm: true }).limits).toEqual({ max_position_pct: '4.5', max_trades_per_day: '20' });
    expect(() => parseLimitsUpdate({ limits: { max_trades_per_day: '2.5' }, reason: 'tighten', confirm: true })).toThrow(/integer/);
    expect(() => parseLimitsUpdate({ limits: { max_drawdown_pct: '0' }, reason: 'tighten', confirm: true })).toThrow(/> 0 and <= 100/);
    expect(() => parseLimitsUpdate({ limits: { min_order_notional: '100', max_order_notional: '10' }, reason: 'tighten', confirm: true })).toThrow(/must not exceed/);
    expect(() => parseLimitsUpdate({ limits: {}, reason: 'tighten', confirm: true })).toThrow(/at least one/);
  });
});

describe('LoginThrottle', () => {
  it('blocks a key after the failures within the window, and lets it try again after', () => {
    const t = new LoginThrottle(3, 1000);
    for (const at of [0, 10, 20]) t.fail('a', at);
    expect(t.retryAfterMs('a', 30)).toBe(970);
    expect(t.retryAfterMs('b', 30)).toBe(0);
    expect(t.retryAfterMs('a', 1000)).toBe(0);
    t.fail('b', 0);
    t.succeed('b');
    expect(t.retryAfterMs('b', 1)).toBe(0);
  });
});

describe('peer hosts', () => {
  it('probes services by name in a deployment', async () => {
    const cfg = readConfig(await env({ CONSOLE_PEER_HOSTS: 'service-name' }));
    expect(cfg.probeTargets.find((t) => t.service === 'signals-aggregator')?.url).toBe('http://signals-aggregator:8028');
    expect(cfg.peers.portfolio).toBe('portfolio:9026');
  });
});

describe('prometheus text', () => {
  const text = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    'process_cpu_seconds_total_extra{service="x"} 9',
    'process_cpu_seconds_total{service="risk"} 1.25',
    'process_resident_memory_bytes{service="risk"} 52428800',
    'nodejs_eventloop_lag_p99_seconds 0.012',
    'nodejs_heap_size_used_bytes{service="risk"} NaN',
  ].join('\n');

  it('reads the samples by exact name, and null for absent or non-numeric ones', () => {
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBe(1.25);
    expect(processSample(text)).toEqual({ cpu_seconds: 1.25, rss_bytes: 52428800, heap_used_bytes: null, eventloop_lag_p99_s: 0.012 });
    expect(sampleValue('', 'process_cpu_seconds_total')).toBeNull();
  });
});
