/**
 * Deployment generators: compose, Kubernetes (kustomize base + overlays) and Helm values, all
 * derived from the one declaration of the fleet (shared/src/services.ts). Pure functions: each
 * returns file contents; shared/src/bin/gen-deploy.ts writes them, and the drift test compares
 * them with the committed files.
 */
import { stringify } from 'yaml';
import { envPrefix } from '../config';
import { COMMON_ENV, DATASTORES, PROBES, SERVICES, type ServiceDeclaration, type ServiceName } from '../services';

export const NAMESPACE = 'crypto-trading';
export const PART_OF = 'crypto-trading-engine';
export const IMAGE_PREFIX = 'crypto-trading-engine';
export const IMAGE_TAG = '0.1.0';
export const SECRET_NAME = 'cte-secrets';
export const COMMON_CONFIGMAP = 'cte-common';
/** UID of the `node` user in node:20-bookworm-slim (the Dockerfile runs as it). */
export const RUN_AS_USER = 1000;

const HEADER = '# GENERATED from shared/src/services.ts by `make generate` (node shared/dist/bin/gen-deploy.js). Do not edit.\n';

type Obj = Record<string, unknown>;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

function yaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
function yamlFile(...docs: unknown[]): string {
  return HEADER + docs.map(yaml).join('---\n');
}

export function imageFor(name: ServiceName): string {
  return `${IMAGE_PREFIX}/${name}`;
}

/** `<PEER>_GRPC_ADDR` for every peer a service dials: the peer's Service/compose DNS name. */
export function peerEnv(decl: ServiceDeclaration): Record<string, string> {
  const out: Record<string, string> = {};
  for (const peer of decl.calls) out[`${envPrefix(peer)}_GRPC_ADDR`] = `${peer}:${SERVICES[peer].grpcPort}`;
  return out;
}

/** Non-secret environment of one service (common + declared + peers + NODE_OPTIONS). */
export function serviceEnv(name: ServiceName): Record<string, string> {
  const decl = SERVICES[name];
  const env: Record<string, string> = { ...COMMON_ENV, ...decl.env, ...peerEnv(decl) };
  if (decl.nodeOptions) env.NODE_OPTIONS = decl.nodeOptions;
  return sortKeys(env);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** Reverse of `calls`: who dials this service over gRPC. */
export function grpcCallers(name: ServiceName): ServiceName[] {
  return SERVICE_NAMES.filter((s) => SERVICES[s].calls.includes(name));
}

/** Every declared flow: caller → callee gRPC port. */
export function declaredGrpcFlows(): { from: ServiceName; to: ServiceName; port: number }[] {
  return SERVICE_NAMES.flatMap((from) => SERVICES[from].calls.map((to) => ({ from, to, port: SERVICES[to].grpcPort })));
}

// ---------------------------------------------------------------- compose

const REDIS_URL = `redis://${DATASTORES.redis.host}:${DATASTORES.redis.port}`;

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
      environment: {
        ...serviceEnv(name),
        MYSQL_URL: 'mysql://cte:${MYSQL_PASSWORD:-cte-dev-only}@mysql:3306/crypto_trading',
        REDIS_URL,
        TRADING_API_KEY: '${TRADING_API_KEY:?set TRADING_API_KEY (at least 16 characters)}',
      },
      ports: [`127.0.0.1:${decl.httpPort}:${decl.httpPort}`],
      depends_on: dependsOn,
      healthcheck: {
        test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${decl.httpPort}${PROBES.readiness}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
        interval: '5s',
        timeout: '3s',
        retries: 5,
        start_period: `${decl.startupSeconds}s`,
      },
      mem_limit: `${decl.resources.limits.memoryMi}m`,
      read_only: true,
      tmpfs: ['/tmp'],
      security_opt: ['no-new-privileges:true'],
      cap_drop: ['ALL'],
      restart: 'unless-stopped',
    };
  }
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
    volumes: { 'mysql-data': {}, 'redis-data': {} },
  });
}

// ---------------------------------------------------------------- Kubernetes

export function labels(name: string, component = 'service'): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': component };
}
function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };
}

export const CONTAINER_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: RUN_AS_USER,
  runAsGroup: RUN_AS_USER,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: RUN_AS_USER,
  runAsGroup: RUN_AS_USER,
  fsGroup: RUN_AS_USER,
  seccompProfile: { type: 'RuntimeDefault' },
};

function resources(decl: ServiceDeclaration): Obj {
  const r = decl.resources;
  return {
    requests: { cpu: r.requests.cpu, memory: `${r.requests.memoryMi}Mi` },
    limits: { cpu: r.limits.cpu, memory: `${r.limits.memoryMi}Mi` },
  };
}

function deployment(name: ServiceName): Obj {
  const decl = SERVICES[name];
  const probe = (path: string) => ({ httpGet: { path, port: 'http' } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: labels(name) },
    spec: {
      replicas: decl.replicas,
      // Singletons must never run twice, even during a rollout.
      strategy: decl.replicas === 1 ? { type: 'Recreate' } : { type: 'RollingUpdate' },
      selector: { matchLabels: selector(name) },
      template: {
        metadata: { labels: labels(name) },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: POD_SECURITY_CONTEXT,
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name,
              image: `${imageFor(name)}:${IMAGE_TAG}`,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'http', containerPort: decl.httpPort, protocol: 'TCP' },
                { name: 'grpc', containerPort: decl.grpcPort, protocol: 'TCP' },
              ],
              envFrom: [{ configMapRef: { name: COMMON_CONFIGMAP } }, { configMapRef: { name } }, { secretRef: { name: SECRET_NAME } }],
              resources: resources(decl),
              startupProbe: { ...probe(PROBES.liveness), periodSeconds: 5, failureThreshold: Math.ceil(decl.startupSeconds / 5) },
              livenessProbe: { ...probe(PROBES.liveness), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              readinessProbe: { ...probe(PROBES.readiness), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
              securityContext: CONTAINER_SECURITY_CONTEXT,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

function service(name: ServiceName): Obj {
  const decl = SERVICES[name];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name) },
    spec: {
      selector: selector(name),
      ports: [
        { name: 'http', port: decl.httpPort, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: decl.grpcPort, targetPort: 'grpc', protocol: 'TCP' },
      ],
    },
  };
}

function networkPolicy(name: ServiceName): Obj {
  const decl = SERVICES[name];
  const callers = grpcCallers(name);
  const ingress: Obj[] = [
    // REST API and /metrics: from the namespace and from Prometheus in the monitoring namespace.
    {
      from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ port: decl.httpPort, protocol: 'TCP' }],
    },
  ];
  if (callers.length) {
    ingress.push({
      from: callers.map((c) => ({ podSelector: { matchLabels: selector(c) } })),
      ports: [{ port: decl.grpcPort, protocol: 'TCP' }],
    });
  }
  const spec: Obj = { podSelector: { matchLabels: selector(name) }, policyTypes: ['Ingress', 'Egress'], ingress };
  spec.egress = decl.calls.map((peer) => ({
    to: [{ podSelector: { matchLabels: selector(peer) } }],
    ports: [{ port: SERVICES[peer].grpcPort, protocol: 'TCP' }],
  }));
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, labels: labels(name) }, spec };
}

function sharedPolicies(): Obj[] {
  const partOf = { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', labels: labels(PART_OF, 'network') },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns', labels: labels(PART_OF, 'network') },
      spec: {
        podSelector: partOf,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-datastores', labels: labels(PART_OF, 'network') },
      spec: {
        podSelector: partOf,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: DATASTORES.mysql.port, protocol: 'TCP' }, { port: DATASTORES.redis.port, protocol: 'TCP' }] }],
      },
    },
  ];
}

function migrationJob(): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', labels: labels('migrate', 'migration') },
    spec: {
      backoffLimit: 6,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: labels('migrate', 'migration') },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          securityContext: POD_SECURITY_CONTEXT,
          containers: [
            {
              name: 'migrate',
              image: `${imageFor('portfolio')}:${IMAGE_TAG}`,
              command: ['node', 'shared/dist/bin/migrate.js'],
              envFrom: [{ secretRef: { name: SECRET_NAME } }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
              securityContext: CONTAINER_SECURITY_CONTEXT,
            },
          ],
        },
      },
    },
  };
}

function k8sBase(): Record<string, string> {
  const files: Record<string, string> = {};
  files['k8s/base/namespace.yaml'] = yamlFile({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: NAMESPACE,
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/part-of': PART_OF },
    },
  });
  files['k8s/base/configmap.yaml'] = yamlFile(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: COMMON_CONFIGMAP, labels: labels(PART_OF, 'config') }, data: sortKeys({ ...COMMON_ENV, REDIS_URL }) },
    ...SERVICE_NAMES.map((name) => {
      const env = serviceEnv(name);
      for (const k of Object.keys(COMMON_ENV)) delete env[k];
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: labels(name) }, data: env };
    }),
  );
  files['k8s/base/secret.example.yaml'] = yamlFile({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET_NAME, labels: labels(PART_OF, 'config'), annotations: { 'cte.dev/example': 'placeholder values only: replace before use' } },
    type: 'Opaque',
    stringData: {
      MYSQL_URL: 'mysql://cte:CHANGE_ME@mysql:3306/crypto_trading',
      TRADING_API_KEY: 'CHANGE_ME_AT_LEAST_16_CHARS',
    },
  });
  files['k8s/base/migration-job.yaml'] = yamlFile(migrationJob());
  files['k8s/base/network-policies.yaml'] = yamlFile(...sharedPolicies(), ...SERVICE_NAMES.map(networkPolicy));
  for (const name of SERVICE_NAMES) {
    files[`k8s/base/${name}.yaml`] = yamlFile(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: labels(name) }, automountServiceAccountToken: false },
      deployment(name),
      service(name),
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, labels: labels(name) },
        // maxUnavailable 1: singletons may still be drained (they restart elsewhere), never two at once.
        spec: { maxUnavailable: 1, selector: { matchLabels: selector(name) } },
      },
    );
  }
  const resources = Object.keys(files).map((f) => f.slice('k8s/base/'.length));
  files['k8s/base/kustomization.yaml'] = yamlFile({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources,
  });
  return files;
}

function overlays(): Record<string, string> {
  const images = (tag: string) => SERVICE_NAMES.map((s) => ({ name: imageFor(s), newTag: tag }));
  const dev = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    labels: [{ pairs: { 'cte.dev/environment': 'dev' } }],
    images: images('dev'),
    patches: [
      { target: { kind: 'ConfigMap', name: COMMON_CONFIGMAP }, patch: yaml([{ op: 'replace', path: '/data/LOG_LEVEL', value: 'debug' }]) },
    ],
  };
  // Production: pinned tags, larger limits, and no example Secret (provide cte-secrets out of band).
  const prod = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    labels: [{ pairs: { 'cte.dev/environment': 'prod' } }],
    images: images(IMAGE_TAG),
    patches: [
      { patch: yaml({ $patch: 'delete', apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET_NAME } }) },
      ...SERVICE_NAMES.map((name) => {
        const r = SERVICES[name].resources;
        return {
          target: { kind: 'Deployment', name },
          patch: yaml([
            { op: 'replace', path: '/spec/template/spec/containers/0/resources/requests/cpu', value: r.limits.cpu === '1' ? '250m' : '500m' },
            { op: 'replace', path: '/spec/template/spec/containers/0/resources/requests/memory', value: `${r.limits.memoryMi}Mi` },
          ]),
        };
      }),
    ],
  };
  return { 'k8s/overlays/dev/kustomization.yaml': yamlFile(dev), 'k8s/overlays/prod/kustomization.yaml': yamlFile(prod) };
}

// ---------------------------------------------------------------- Helm

export function helmValues(): Obj {
  return {
    image: { repositoryPrefix: IMAGE_PREFIX, tag: IMAGE_TAG, pullPolicy: 'IfNotPresent' },
    secretName: SECRET_NAME,
    runAsUser: RUN_AS_USER,
    commonEnv: sortKeys({ ...COMMON_ENV, REDIS_URL }),
    datastorePorts: [DATASTORES.mysql.port, DATASTORES.redis.port],
    migration: { enabled: true, imageService: 'portfolio' },
    services: Object.fromEntries(
      SERVICE_NAMES.map((name) => {
        const decl = SERVICES[name];
        const env = serviceEnv(name);
        for (const k of Object.keys(COMMON_ENV)) delete env[k];
        return [
          name,
          {
            replicas: decl.replicas,
            httpPort: decl.httpPort,
            grpcPort: decl.grpcPort,
            startupSeconds: decl.startupSeconds,
            env,
            resources: resources(decl),
            calls: decl.calls.map((peer) => ({ name: peer, grpcPort: SERVICES[peer].grpcPort })),
            grpcCallers: grpcCallers(name),
          },
        ];
      }),
    ),
  };
}

export function helmValuesSchema(): Obj {
  const resourcePair = {
    type: 'object',
    additionalProperties: false,
    required: ['cpu', 'memory'],
    properties: { cpu: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?m?$' }, memory: { type: 'string', pattern: '^[0-9]+(Mi|Gi)$' } },
  };
  const port = { type: 'integer', minimum: 1, maximum: 65535 };
  const svc = {
    type: 'object',
    additionalProperties: false,
    required: ['replicas', 'httpPort', 'grpcPort', 'startupSeconds', 'env', 'resources', 'calls', 'grpcCallers'],
    properties: {
      replicas: { type: 'integer', minimum: 0 },
      httpPort: port,
      grpcPort: port,
      startupSeconds: { type: 'integer', minimum: 5 },
      env: { type: 'object', additionalProperties: { type: 'string' } },
      resources: {
        type: 'object',
        additionalProperties: false,
        required: ['requests', 'limits'],
        properties: { requests: resourcePair, limits: resourcePair },
      },
      calls: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: ['name', 'grpcPort'], properties: { name: { type: 'string' }, grpcPort: port } },
      },
      grpcCallers: { type: 'array', items: { type: 'string' } },
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'crypto-trading-engine values',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'secretName', 'runAsUser', 'commonEnv', 'datastorePorts', 'migration', 'services'],
    properties: {
      image: {
        type: 'object',
        additionalProperties: false,
        required: ['repositoryPrefix', 'tag', 'pullPolicy'],
        properties: {
          repositoryPrefix: { type: 'string', minLength: 1 },
          tag: { type: 'string', minLength: 1 },
          pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
        },
      },
      secretName: { type: 'string', minLength: 1 },
      runAsUser: { type: 'integer', minimum: 1 },
      commonEnv: { type: 'object', additionalProperties: { type: 'string' } },
      datastorePorts: { type: 'array', items: port },
      migration: {
        type: 'object',
        additionalProperties: false,
        required: ['enabled', 'imageService'],
        properties: { enabled: { type: 'boolean' }, imageService: { enum: SERVICE_NAMES } },
      },
      services: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(SERVICE_NAMES.map((n) => [n, svc])),
      },
    },
  };
}

// ---------------------------------------------------------------- all files

import { CHART_YAML, HELM_TEMPLATES } from './helm-templates';

const CHART = 'charts/crypto-trading-engine';

/** Every generated file, by path relative to the repository root. */
export function generateAll(): Record<string, string> {
  const files: Record<string, string> = {
    'docker-compose.trading-complete.yml': composeFile(),
    ...k8sBase(),
    ...overlays(),
    [`${CHART}/Chart.yaml`]: CHART_YAML,
    [`${CHART}/values.yaml`]: yamlFile(helmValues()),
    [`${CHART}/values.schema.json`]: JSON.stringify(helmValuesSchema(), null, 2) + '\n',
  };
  for (const [f, text] of Object.entries(HELM_TEMPLATES)) files[`${CHART}/templates/${f}`] = text;
  return files;
}
