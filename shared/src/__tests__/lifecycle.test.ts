import { Writable } from 'node:stream';
import { createLogger } from '../logger';
import { Lifecycle } from '../lifecycle';

const silent = createLogger({ service: 'test', level: 'silent' });

describe('Lifecycle', () => {
  it('flips readiness first, then runs intake, drain and close phases in order', async () => {
    const order: string[] = [];
    const lc = new Lifecycle({ logger: silent, graceMs: 1000, readiness: { setShuttingDown: () => order.push('not-ready') } });
    lc.onShutdown('close', 'db', () => void order.push('close'));
    lc.onShutdown('drain', 'http', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('drain');
    });
    lc.onShutdown('intake', 'source', () => void order.push('intake'));
    expect(await lc.shutdown('test')).toBe(0);
    expect(order).toEqual(['not-ready', 'intake', 'drain', 'close']);
  });

  it('runs only once even if asked twice', async () => {
    let runs = 0;
    const lc = new Lifecycle({ logger: silent, graceMs: 100 });
    lc.onShutdown('close', 'x', () => void runs++);
    await Promise.all([lc.shutdown('a'), lc.shutdown('b')]);
    expect(runs).toBe(1);
    expect(lc.isShuttingDown).toBe(true);
  });

  it('returns exit code 1 when a hook fails or overruns the grace period, and still runs later phases', async () => {
    const ran: string[] = [];
    const lc = new Lifecycle({ logger: silent, graceMs: 0 });
    lc.onShutdown('drain', 'stuck', () => new Promise<void>(() => undefined));
    lc.onShutdown('drain', 'broken', () => {
      throw new Error('boom');
    });
    lc.onShutdown('close', 'db', () => void ran.push('close'));
    expect(await lc.shutdown('test')).toBe(1);
    expect(ran).toEqual(['close']);
  });

  it('a second signal forces exit', async () => {
    const exits: number[] = [];
    const lc = new Lifecycle({ logger: silent, graceMs: 5000, exit: (c) => exits.push(c) });
    let release!: () => void;
    lc.onShutdown('drain', 'slow', () => new Promise<void>((r) => (release = r)));
    const before = process.listeners('SIGTERM').length;
    lc.installSignalHandlers();
    const handler = process.listeners('SIGTERM').at(-1) as (s: NodeJS.Signals) => void;
    try {
      handler('SIGTERM');
      await new Promise((r) => setImmediate(r));
      handler('SIGTERM');
      expect(exits).toEqual([1]);
      release();
      await lc.shutdown('x');
      await new Promise((r) => setImmediate(r));
      expect(exits).toEqual([1, 0]);
    } finally {
      process.removeListener('SIGTERM', handler);
      process.removeListener('SIGINT', process.listeners('SIGINT').at(-1) as (s: NodeJS.Signals) => void);
      expect(process.listeners('SIGTERM').length).toBe(before);
    }
  });
});

describe('logger', () => {
  it('redacts secrets and carries the service name', () => {
    const lines: string[] = [];
    const dest = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const log = createLogger({ service: 'svc', level: 'info', destination: dest });
    log.info({ apiKey: 'super-secret', nested: { password: 'pw' }, trace_id: 't1' }, 'hello');
    const rec = JSON.parse(lines[0]!) as { service: string; trace_id: string };
    expect(rec.service).toBe('svc');
    expect(rec.trace_id).toBe('t1');
    expect(lines[0]).not.toContain('super-secret');
    expect(lines[0]).not.toContain('"pw"');
  });
});
