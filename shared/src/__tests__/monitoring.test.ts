/**
 * The monitoring config under k8s/monitoring: Prometheus config and alert rules pass promtool,
 * the Grafana dashboards are well formed, and every metric a dashboard panel or an alert rule
 * queries is one the services really export — read from the live /metrics of the whole fleet,
 * run as real processes on a short replay (needs `make build` first).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SERVICES, type ServiceName } from '@cte/shared';
import { findPromtool } from '@cte/testkit';
import { collectFleetMetrics, type FleetMetrics } from './helpers/fleet-metrics';
import { familiesOf, metricRefs } from './helpers/promql';

const MONITORING = path.resolve(__dirname, '..', '..', '..', 'k8s', 'monitoring');
const DASHBOARDS = path.join(MONITORING, 'dashboards');
/** PATH or .cache/bin (make test fetches it); when missing the suite says so, and fails in CI. */
const PROMTOOL = findPromtool();

/** Series Prometheus itself adds to every target, not exported by any service. */
const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Labels Prometheus attaches at scrape time (job, instance) or from the scrape config's target labels. */
const TARGET_LABELS = new Set(['job', 'instance', 'service']);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId: string; expr?: string; datasource?: { type?: string; uid?: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Array<{ name: string; type: string; query?: string | { query?: string }; datasource?: { uid?: string } }> };
}

const dashboardFiles = fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')).sort();
const dashboards = dashboardFiles.map((f) => ({ file: f, d: JSON.parse(fs.readFileSync(path.join(DASHBOARDS, f), 'utf8')) as Dashboard }));
const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every PromQL expression of the monitoring config, with where it comes from. */
function expressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const { file, d } of dashboards) {
    for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file} panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr });
    for (const v of d.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      // label_values(metric, label) and query_result(expr) name a metric in their first argument.
      const m = /^\s*(?:label_values|query_result)\((.*?)(?:,\s*\w+)?\)\s*$/.exec(q);
      if (m) out.push({ where: `${file} variable ${v.name}`, expr: m[1]! });
    }
  }
  const rules = parseYaml(fs.readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }> };
  for (const g of rules.groups) for (const r of g.rules) out.push({ where: `alerts.yml ${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) });
  return out;
}

describe('PromQL name extraction', () => {
  it('finds metric names and matcher labels, not functions, keywords, label names, durations or variables', () => {
    const refs = metricRefs(
      'histogram_quantile(0.99, sum by (service, le) (rate(cte_http_request_duration_seconds_bucket{service="$service", route!~"/a|/b"}[$__rate_interval]))) / on(service) group_left max without (x) (foo_total offset 5m) > bool 1e3 and up',
    );
    expect(refs).toEqual([
      { name: 'cte_http_request_duration_seconds_bucket', labels: ['service', 'route'] },
      { name: 'foo_total', labels: [] },
      { name: 'up', labels: [] },
    ]);
  });

  it('resolves histogram series to their family and collects sample labels', () => {
    const fams = familiesOf('# TYPE h histogram\nh_bucket{le="1",service="x",stage="a"} 1\nh_sum{service="x",stage="a"} 1\nh_count{service="x",stage="a"} 1\n# TYPE c counter\n');
    expect([...fams.get('h')!].sort()).toEqual(['service', 'stage']);
    expect(fams.has('h_count') && fams.has('h_bucket') && fams.has('c')).toBe(true);
    expect(fams.has('h_total')).toBe(false);
  });
});

describe('dashboards', () => {
  it('are valid Grafana dashboards with unique uids and panel ids, and a Prometheus datasource on every panel and target', () => {
    expect(dashboardFiles.length).toBeGreaterThanOrEqual(3);
    expect(new Set(dashboards.map(({ d }) => d.uid)).size).toBe(dashboards.length);
    for (const { file, d } of dashboards) {
      expect({ file, uid: typeof d.uid, title: typeof d.title }).toEqual({ file, uid: 'string', title: 'string' });
      expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
      const panels = allPanels(d.panels);
      const ids = panels.map((p) => p.id);
      expect({ file, duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({ file, duplicateIds: [] });
      for (const p of panels.filter((x) => x.type !== 'row')) {
        const where = `${file} panel ${p.id} "${p.title}"`;
        expect({ where, panelDs: p.datasource?.uid, targets: (p.targets ?? []).length > 0 }).toEqual({ where, panelDs: 'prometheus', targets: true });
        for (const t of p.targets!) expect({ where, refId: t.refId, ds: t.datasource?.uid, expr: Boolean(t.expr?.trim()) }).toEqual({ where, refId: t.refId, ds: 'prometheus', expr: true });
        expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      }
      for (const v of d.templating?.list ?? []) if (v.type === 'query') expect(v.datasource?.uid).toBe('prometheus');
    }
  });

  it('Grafana provisioning declares the datasource uid the dashboards use', () => {
    const ds = parseYaml(fs.readFileSync(path.join(MONITORING, 'grafana-provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    expect(ds.datasources.map((x) => `${x.type}/${x.uid}`)).toContain('prometheus/prometheus');
  });
});

describe('prometheus.yml', () => {
  it('scrapes every service of the fleet on its declared HTTP port', () => {
    const cfg = parseYaml(fs.readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: { service: string } }[] }[];
    };
    expect(cfg.rule_files).toEqual(['alerts.yml']);
    const job = cfg.scrape_configs.find((j) => j.job_name === 'cte');
    const targets = (job?.static_configs ?? []).map((s) => ({ service: s.labels.service, targets: s.targets }));
    const expected = (Object.keys(SERVICES) as ServiceName[]).map((n) => ({ service: n, targets: [`${n}:${SERVICES[n].httpPort}`] }));
    const byName = (a: { service: string }, b: { service: string }) => a.service.localeCompare(b.service);
    expect(targets.sort(byName)).toEqual(expected.sort(byName));
  });
});

(PROMTOOL ? describe : describe.skip)('promtool', () => {
  it('accepts the alert rules and the config', () => {
    expect(execFileSync(PROMTOOL!, ['check', 'rules', path.join(MONITORING, 'alerts.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    expect(execFileSync(PROMTOOL!, ['check', 'config', path.join(MONITORING, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
  });

  it('fires the alerts on the scenarios of alerts.test.yml (service down, HALTED, breaker, stale feed, 5xx)', () => {
    expect(execFileSync(PROMTOOL!, ['test', 'rules', path.join(MONITORING, 'alerts.test.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
  });
});

describe('against the live fleet', () => {
  let fleet: FleetMetrics | undefined;
  const families = new Map<string, Set<string>>();

  beforeAll(async () => {
    fleet = await collectFleetMetrics();
    for (const text of fleet.texts.values()) {
      for (const [name, labels] of familiesOf(text)) families.set(name, new Set([...(families.get(name) ?? []), ...labels]));
    }
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
  }, 60_000);

  it('every service exposes metrics with its service label', () => {
    expect([...fleet!.texts.keys()].sort()).toEqual(Object.keys(SERVICES).sort());
    for (const [name, text] of fleet!.texts) expect(text).toContain(`process_start_time_seconds{service="${name}"}`);
  });

  it('every metric a panel or alert queries is exported by a service, with the labels it matches on', () => {
    const problems: string[] = [];
    const all = expressions();
    expect(all.length).toBeGreaterThan(50);
    for (const { where, expr } of all) {
      const refs = metricRefs(expr);
      if (refs.length === 0) problems.push(`${where}: no metric in ${expr}`);
      for (const r of refs) {
        if (PROMETHEUS_OWN.has(r.name)) continue;
        const labels = families.get(r.name);
        if (!labels) {
          problems.push(`${where}: ${r.name} is not exported by any service`);
          continue;
        }
        // A family without samples yet shows no labels: nothing to compare.
        if (labels.size === 0) continue;
        for (const l of r.labels) if (!labels.has(l) && !TARGET_LABELS.has(l)) problems.push(`${where}: ${r.name} has no label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the pipeline dashboard covers the trading metrics', () => {
    const exprs = dashboards.find(({ file }) => file === 'trading-pipeline.json')!.d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    for (const m of ['cte_ticks_ingested_total', 'cte_bars_closed_total', 'cte_signals_emitted_total', 'cte_consensus_total', 'cte_recommendations_total', 'cte_risk_decisions_total', 'cte_orders_total', 'cte_fills_total', 'cte_equity', 'cte_unrealized_pnl', 'cte_drawdown_ratio', 'cte_trading_state_info', 'cte_pipeline_latency_seconds_bucket', 'cte_persist_lag_seconds', 'cte_source_staleness_seconds', 'cte_cache_hit_ratio']) {
      expect({ m, present: exprs.includes(m) }).toEqual({ m, present: true });
    }
  });
});
