/**
 * docker-compose.trading-complete.yml: the fleet, its datastores, migrations and the monitoring
 * stack; the sandbox services (the venue emulator) only under the `sandbox` profile.
 */
import { SERVICES } from '@cte/shared';
import { IMAGE_TAG, imageFor, composeRuntime, type Obj, REDIS_URL, SANDBOX_PROFILE, SERVICE_NAMES, serviceEnv, yamlFile } from './common';
import { composeClientEnv, composeEmulator } from './sandbox';
import { ALERTMANAGER_IMAGE, ALERTMANAGER_PORT } from './monitoring';

/**
 * The env file holding a service's own Secret (its `ownSecret`), beside the compose file. Optional
 * (compose >= 2.24): the service starts without it. `.env.*` keeps it out of the image build context
 * (.dockerignore); its values never appear in the compose file.
 */
export const composeSecretEnvFile = (secretName: string): string => `./.env.${secretName}`;

/**
 * Declared defaults the shell may override (`TRADING_MODE=live docker compose up`): an env file
 * cannot, since `environment` wins over `env_file`.
 */
export const COMPOSE_SHELL_SWITCHES: readonly string[] = ['TRADING_MODE'];

function withShellSwitches(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const k of COMPOSE_SHELL_SWITCHES) if (out[k] !== undefined) out[k] = `\${${k}:-${out[k]}}`;
  return out;
}

export function composeFile(): string {
  const services: Obj = {
    mysql: {
      image: 'mysql:8.0',
      environment: {
        MYSQL_DATABASE: 'crypto_trading',
        MYSQL_USER: 'cte',
        MYSQL_PASSWORD: '${MYSQL_PASSWORD:-cte-dev-only}',
        MYSQL_ROOT_PASSWORD: '${MYSQL_ROOT_PASSWORD:-root-dev-only}',
      },
      volumes: ['mysql-data:/var/lib/mysql'],
      healthcheck: {
        test: ['CMD-SHELL', 'mysqladmin ping -h 127.0.0.1 -u root -p"$$MYSQL_ROOT_PASSWORD" --silent'],
        interval: '5s',
        timeout: '5s',
        retries: 30,
        start_period: '20s',
      },
      mem_limit: '1g',
      restart: 'unless-stopped',
    },
    redis: {
      image: 'redis:7-alpine',
      command: ['redis-server', '--appendonly', 'yes'],
      volumes: ['redis-data:/data'],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '3s', retries: 20 },
      mem_limit: '256m',
      restart: 'unless-stopped',
    },
    migrate: {
      // Any service image carries shared/dist/bin/migrate.js and shared/migrations.
      image: `${imageFor('portfolio')}:${IMAGE_TAG}`,
      build: { context: '.', args: { SERVICE: 'portfolio' } },
      command: ['node', 'shared/dist/bin/migrate.js'],
      environment: { MYSQL_URL: 'mysql://cte:${MYSQL_PASSWORD:-cte-dev-only}@mysql:3306/crypto_trading' },
      depends_on: { mysql: { condition: 'service_healthy' } },
      mem_limit: '256m',
      restart: 'no',
    },
  };
  for (const name of SERVICE_NAMES) {
    const decl = SERVICES[name];
    const dependsOn: Obj = {
      mysql: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    };
    for (const peer of decl.dependsOn) dependsOn[peer] = { condition: 'service_healthy' };
    services[name] = {
      image: `${imageFor(name)}:${IMAGE_TAG}`,
      build: { context: '.', args: decl.nodeOptions ? { SERVICE: name, NODE_OPTIONS: decl.nodeOptions } : { SERVICE: name } },
      ...(decl.ownSecret ? { env_file: [{ path: composeSecretEnvFile(decl.ownSecret.name), required: false }] } : {}),
      environment: {
        ...withShellSwitches(serviceEnv(name)),
        // Sandbox clients: \`MARKET_SOURCE=ccxt docker compose --profile sandbox up\` points them at the emulator.
        ...composeClientEnv(name, serviceEnv(name)),
        MYSQL_URL: 'mysql://cte:${MYSQL_PASSWORD:-cte-dev-only}@mysql:3306/crypto_trading',
        REDIS_URL,
        TRADING_API_KEY: '${TRADING_API_KEY:?set TRADING_API_KEY (at least 16 characters)}',
        // Empty unless a key rotation is in progress (README: Rotating the API key).
        TRADING_API_KEYS_ACCEPTED: '${TRADING_API_KEYS_ACCEPTED:-}',
      },
      ports: [`127.0.0.1:${decl.httpPort}:${decl.httpPort}`],
      depends_on: dependsOn,
      ...composeRuntime(decl),
    };
  }
  services['venue-emulator'] = composeEmulator(SANDBOX_PROFILE);
  services.prometheus = {
    image: 'prom/prometheus:v2.53.0',
    command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=7d'],
    volumes: [
      './k8s/monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
      './k8s/monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro',
    ],
    ports: ['127.0.0.1:9090:9090'],
    // No depends_on: monitoring must come up (and alert) even when a service never gets healthy.
    healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:9090/-/ready'], interval: '10s', timeout: '3s', retries: 10 },
    mem_limit: '512m',
    restart: 'unless-stopped',
  };
  services.alertmanager = {
    image: ALERTMANAGER_IMAGE,
    command: ['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager'],
    // Routing, inhibition and receivers: k8s/monitoring/alertmanager.yml (prometheus.yml sends alerts here).
    volumes: ['./k8s/monitoring/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro', 'alertmanager-data:/alertmanager'],
    ports: [`127.0.0.1:${ALERTMANAGER_PORT}:${ALERTMANAGER_PORT}`],
    healthcheck: { test: ['CMD', 'wget', '-qO-', `http://127.0.0.1:${ALERTMANAGER_PORT}/-/ready`], interval: '10s', timeout: '3s', retries: 10 },
    mem_limit: '128m',
    restart: 'unless-stopped',
  };
  services.grafana = {
    image: 'grafana/grafana:11.1.0',
    environment: { GF_SECURITY_ADMIN_PASSWORD: '${GRAFANA_ADMIN_PASSWORD:-admin-dev-only}', GF_AUTH_ANONYMOUS_ENABLED: 'false' },
    // Provisioning and dashboards are owned by k8s/monitoring (datasource uid `prometheus`).
    volumes: [
      './k8s/monitoring/grafana-provisioning:/etc/grafana/provisioning:ro',
      './k8s/monitoring/dashboards:/var/lib/grafana/dashboards/cte:ro',
    ],
    ports: ['127.0.0.1:3000:3000'],
    depends_on: { prometheus: { condition: 'service_healthy' } },
    healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:3000/api/health'], interval: '10s', timeout: '3s', retries: 10 },
    mem_limit: '256m',
    restart: 'unless-stopped',
  };
  return yamlFile({
    name: 'crypto-trading-engine',
    services,
    volumes: { 'mysql-data': {}, 'redis-data': {}, 'alertmanager-data': {} },
  });
}
