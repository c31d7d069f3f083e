/** k8s/monitoring/prometheus.yml: one scrape target per declared service, alerts sent to Alertmanager. */
import { SERVICES } from '@cte/shared';
import { HEADER, SERVICE_NAMES, yaml } from './common';

export const ALERTMANAGER_IMAGE = 'prom/alertmanager:v0.27.0';
export const ALERTMANAGER_PORT = 9093;

const PROMETHEUS_HEADER = `${HEADER}#
# Prometheus configuration for the CTE fleet (docker compose).
#
# Every service serves Prometheus text on GET /metrics on its HTTP port (shared/src/services.ts,
# the one declaration of the fleet's ports). Each series already carries a \`service\` label set by
# the service itself; the target label below is the same value, so \`up{service="..."}\` lines up
# with the services' own series (honor_labels keeps the services' label as exported).
#
# Alerts (alerts.yml) go to Alertmanager (alertmanager.yml: routing by severity, inhibition,
# receivers).
#
# Kubernetes: the same HTTP ports serve /metrics in the pods. A Prometheus in the cluster scrapes
# them by pod annotations (prometheus.io/scrape: "true", prometheus.io/port: <the HTTP port>,
# prometheus.io/path: /metrics) with kubernetes_sd_configs (role: pod): keep annotated pods,
# rewrite __address__ to <pod IP>:<prometheus.io/port>, set job="cte" and map the pod label
# app.kubernetes.io/name to \`service\`. The dashboards and alerts rely only on job="cte" and the
# \`service\` label, so they work unchanged there; point its alerting section at the cluster's
# Alertmanager and load alertmanager.yml there.
`;

export function prometheusConfig(): string {
  return (
    PROMETHEUS_HEADER +
    yaml({
      global: { scrape_interval: '15s', evaluation_interval: '15s' },
      rule_files: ['alerts.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`alertmanager:${ALERTMANAGER_PORT}`] }] }] },
      scrape_configs: [
        {
          job_name: 'cte',
          metrics_path: '/metrics',
          honor_labels: true,
          static_configs: SERVICE_NAMES.map((name) => ({ targets: [`${name}:${SERVICES[name].httpPort}`], labels: { service: name } })),
        },
      ],
    })
  );
}
