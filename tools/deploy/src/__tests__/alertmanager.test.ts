/**
 * k8s/monitoring/alertmanager.yml: `amtool check-config` accepts it (with its Slack and e-mail
 * examples uncommented too), every alert of alerts.yml routes to the receiver of its severity
 * (`amtool config routes test`), and its inhibit rules silence exactly the symptom alerts while
 * their cause fires, for alerts labelled as alerts.yml labels them. amtool comes from Debian's
 * prometheus-alertmanager (`scripts/ensure-debian-tool.sh prometheus-alertmanager amtool`, which
 * `make test` runs); without it these tests fail rather than skip. (Debian's Alertmanager server
 * reads its templates from a fixed path under /usr/share, so it cannot run unpacked: inhibition is
 * evaluated here by Alertmanager's documented rules instead.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const MONITORING = path.join(ROOT, 'k8s', 'monitoring');
const CONFIG = path.join(MONITORING, 'alertmanager.yml');

function findProgram(name: string): string {
  const dirs = [path.join(ROOT, '.cache', 'bin'), ...(process.env.PATH ?? '').split(path.delimiter)];
  const found = dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`${name} not found: run \`bash scripts/ensure-debian-tool.sh prometheus-alertmanager amtool\` (make test does)`);
  }
  return found;
}

function amtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(findProgram('amtool'), args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  alert: string;
  labels: Record<string, string>;
}
const rules: Rule[] = (parse(fs.readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

/** The file with the commented examples (single `#`, indented, in `global` and `receivers`) uncommented. */
function withExamplesUncommented(text: string): string {
  let section = '';
  return text
    .split('\n')
    .map((line) => {
      const top = /^(\w+):/.exec(line);
      if (top) section = top[1]!;
      return section === 'global' || section === 'receivers' ? line.replace(/^(\s+)# /, '$1') : line;
    })
    .join('\n');
}

describe('alertmanager.yml', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cte-am-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('passes amtool check-config, with the Slack and e-mail examples uncommented too', () => {
    const r = amtool('check-config', CONFIG);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const examples = withExamplesUncommented(fs.readFileSync(CONFIG, 'utf8'));
    const parsed = parse(examples) as { global: Record<string, unknown>; receivers: Array<Record<string, unknown>> };
    expect(parsed.global.smtp_smarthost).toBeDefined();
    for (const r of parsed.receivers) expect(Object.keys(r).sort()).toEqual(['email_configs', 'name', 'slack_configs', 'webhook_configs']);
    const file = path.join(tmp, 'examples.yml');
    fs.writeFileSync(file, examples);
    const withExamples = amtool('check-config', file);
    expect(withExamples.out).toContain('SUCCESS');
    expect(withExamples.status).toBe(0);
  });

  it('amtool rejects a broken config (the check is not a no-op)', () => {
    const file = path.join(tmp, 'broken.yml');
    fs.writeFileSync(file, fs.readFileSync(CONFIG, 'utf8').replace('receiver: cte-critical', 'receiver: nobody'));
    expect(amtool('check-config', file).status).not.toBe(0);
  });

  it('routes every alert of alerts.yml by its severity', () => {
    expect(rules.length).toBeGreaterThan(5);
    const receiverOf: Record<string, string> = { critical: 'cte-critical', warning: 'cte-warning' };
    for (const rule of rules) {
      const severity = rule.labels.severity!;
      expect({ alert: rule.alert, severity: Object.keys(receiverOf).includes(severity) }).toEqual({ alert: rule.alert, severity: true });
      const r = amtool('config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${rule.alert}`, `severity=${severity}`, 'service=risk');
      expect({ alert: rule.alert, receiver: r.out.split('\n').filter((l) => !l.startsWith('Warning'))[0]?.trim() }).toEqual({ alert: rule.alert, receiver: receiverOf[severity] });
    }
  });

  it('names in its inhibit rules only alerts that alerts.yml defines', () => {
    const cfg = parse(fs.readFileSync(CONFIG, 'utf8')) as { inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[] }> };
    const defined = new Set(rules.map((r) => r.alert));
    const named = cfg.inhibit_rules
      .flatMap((r) => [...r.source_matchers, ...r.target_matchers])
      .flatMap((m) => /^alertname=~?"(.*)"$/.exec(m)?.[1]?.split('|') ?? []);
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((n) => !defined.has(n))).toEqual([]);
  });
});

// ---------------------------------------------------------------- inhibition

type Labels = Record<string, string>;
interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal?: string[];
}

/** One matcher of Alertmanager's syntax: name="v", name!="v", name=~"re", name!~"re" (regexes anchored). */
function matcher(text: string): (labels: Labels) => boolean {
  const m = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(text);
  if (!m) throw new Error(`unsupported matcher ${text}`);
  const [, name, op, value] = m as unknown as [string, string, string, string];
  const re = new RegExp(`^(?:${value})$`);
  return (labels) => {
    const v = labels[name] ?? '';
    return op === '=' ? v === value : op === '!=' ? v !== value : op === '=~' ? re.test(v) : !re.test(v);
  };
}

/**
 * Alerts muted by the inhibit rules: a target is muted by a rule when another firing alert matches
 * the rule's source matchers and has the same values for its `equal` labels (a missing label
 * counts as empty); an alert matching both sides is not muted by alerts that also match both.
 */
function inhibited(rulesOf: InhibitRule[], firing: Labels[]): Set<Labels> {
  const out = new Set<Labels>();
  for (const rule of rulesOf) {
    const isSource = (a: Labels) => rule.source_matchers.every((m) => matcher(m)(a));
    const isTarget = (a: Labels) => rule.target_matchers.every((m) => matcher(m)(a));
    for (const target of firing.filter(isTarget)) {
      const muted = firing.some(
        (source) =>
          source !== target &&
          isSource(source) &&
          !(isTarget(source) && isSource(target)) &&
          (rule.equal ?? []).every((l) => (source[l] ?? '') === (target[l] ?? '')),
      );
      if (muted) out.add(target);
    }
  }
  return out;
}

/** The labels Prometheus sends for `alert` of alerts.yml: the series' labels plus the rule's (templates filled in). */
function alertLabels(alert: string, series: Labels): Labels {
  const rule = rules.find((r) => r.alert === alert);
  if (!rule) throw new Error(`no alert ${alert} in alerts.yml`);
  const own = Object.fromEntries(
    Object.entries(rule.labels).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, l: string) => series[l] ?? '')]),
  );
  return { alertname: alert, ...series, ...own };
}

describe('inhibition', () => {
  const inhibitRules = (parse(fs.readFileSync(CONFIG, 'utf8')) as { inhibit_rules: InhibitRule[] }).inhibit_rules;

  const firing = {
    riskDown: alertLabels('CteServiceDown', { job: 'cte', service: 'risk', instance: 'risk:8027' }),
    callsToRisk: alertLabels('CtePeerCallsFailing', { service: 'execution', peer: 'risk' }),
    callsToPortfolio: alertLabels('CtePeerCallsFailing', { service: 'recommendations', peer: 'portfolio' }),
    riskHttp: alertLabels('CteHttpErrorRateHigh', { service: 'risk' }),
    executionHttp: alertLabels('CteHttpErrorRateHigh', { service: 'execution' }),
    signalsGrpc: alertLabels('CteGrpcErrorRateHigh', { service: 'signals-aggregator' }),
    callsToSignals: alertLabels('CtePeerCallsFailing', { service: 'recommendations', peer: 'signals-aggregator' }),
    breaker: alertLabels('CteCircuitBreakerTripped', { reason: 'max_drawdown' }),
    halted: alertLabels('CteKillSwitchHalted', { service: 'risk' }),
    drawdown: alertLabels('CteDrawdownHigh', {}),
    reducing: alertLabels('CteTradingReducing', { service: 'execution' }),
    outboxLag: alertLabels('CteFillOutboxLagging', { service: 'execution' }),
  };
  const mutedNames = (alerts: Record<string, Labels>) => {
    const muted = inhibited(inhibitRules, Object.values(alerts));
    return Object.entries(alerts)
      .filter(([, a]) => muted.has(a))
      .map(([n]) => n)
      .sort();
  };

  it('silences the symptoms while their cause fires, and nothing else', () => {
    // Callers failing to reach a service that is down or failing; the down service's own
    // error rate; HALTED and the drawdown warning when the breaker explains them.
    expect(mutedNames(firing)).toEqual(['callsToRisk', 'callsToSignals', 'drawdown', 'halted', 'riskHttp']);
  });

  it('lets the symptoms through once their cause is gone', () => {
    const causes = new Set(['riskDown', 'signalsGrpc', 'breaker']);
    expect(mutedNames(Object.fromEntries(Object.entries(firing).filter(([n]) => !causes.has(n))))).toEqual([]);
  });

  it('silences per-feed staleness of a venue whose every feed is stale, and only that venue', () => {
    const feeds = {
      allCoinbase: alertLabels('CteVenueFeedsAllStale', { exchange: 'coinbase' }),
      coinbaseBtc: alertLabels('CteFeedStale', { exchange: 'coinbase', symbol: 'BTC/USD' }),
      kucoinBtc: alertLabels('CteFeedStale', { exchange: 'kucoin', symbol: 'BTC/USD' }),
    };
    expect(mutedNames(feeds)).toEqual(['coinbaseBtc']);
    expect(mutedNames({ coinbaseBtc: feeds.coinbaseBtc, kucoinBtc: feeds.kucoinBtc })).toEqual([]);
  });

  it('only because alerts.yml labels the causes with `peer` (without it, calls to a down service page too)', () => {
    const unlabelled = { ...firing, riskDown: { ...firing.riskDown, peer: '' } };
    expect(mutedNames(unlabelled)).not.toContain('callsToRisk');
  });
});
