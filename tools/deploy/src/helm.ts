/**
 * The Helm chart: values.yaml and its schema generated from the declaration, and templates that
 * loop over `.Values.services`. The Deployment template is the kustomize Deployment object with
 * template actions for its values (./workload.ts); the others stay deliberately simple.
 */
import { COMMON_ENV, DATASTORES, SERVICES } from '@cte/shared';
import { grpcCallers, httpReads, IMAGE_PREFIX, IMAGE_TAG, killAfterSeconds, type Obj, ownEnv, REDIS_URL, resources, RUN_AS_USER, SECRET_NAME, SERVICE_NAMES, sortKeys } from './common';
import { sandboxClientEnvs, sandboxObjects } from './sandbox';
import { helmDeploymentTemplate, HelmActions } from './workload';
export const CHART_YAML = `apiVersion: v2
name: crypto-trading-engine
description: Fleet of seven crypto trading services (values generated from shared/src/services.ts)
type: application
version: 0.1.0
appVersion: "0.1.0"
`;

const LABELS = `app.kubernetes.io/name: {{ $name }}
    app.kubernetes.io/part-of: crypto-trading-engine
    app.kubernetes.io/instance: {{ $.Release.Name }}`;

export const HELM_TEMPLATES: Record<string, string> = {
  'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: cte-common
data:
  {{- range $k, $v := .Values.commonEnv }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
{{- range $name, $svc := .Values.services }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}
  labels:
    ${LABELS}
data:
  {{- $env := $svc.env }}
  {{- if and $.Values.sandbox.enabled (hasKey $.Values.sandbox.clientEnv $name) }}
  {{- $env = merge (dict) (index $.Values.sandbox.clientEnv $name) $svc.env }}
  {{- end }}
  {{- range $k, $v := $env }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
{{- end }}
`,
  'serviceaccount.yaml': `{{- range $name, $svc := .Values.services }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $name }}
  labels:
    ${LABELS}
automountServiceAccountToken: false
{{- end }}
`,
  'deployment.yaml': helmDeploymentTemplate(),
  'sandbox.yaml': helmSandboxTemplate(),
  'service.yaml': `{{- range $name, $svc := .Values.services }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    ${LABELS}
spec:
  selector:
    app.kubernetes.io/name: {{ $name }}
    app.kubernetes.io/part-of: crypto-trading-engine
  ports:
    - name: http
      port: {{ $svc.httpPort }}
      targetPort: http
    - name: grpc
      port: {{ $svc.grpcPort }}
      targetPort: grpc
{{- end }}
`,
  'pdb.yaml': `{{- range $name, $svc := .Values.services }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
      app.kubernetes.io/part-of: crypto-trading-engine
{{- end }}
`,
  'networkpolicy.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns-and-datastores
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: crypto-trading-engine
  policyTypes: [Egress]
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
        {{- range .Values.datastorePorts }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
{{- range $name, $svc := .Values.services }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
      app.kubernetes.io/part-of: crypto-trading-engine
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector: {}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      ports:
        - port: {{ $svc.httpPort }}
    {{- if $svc.grpcCallers }}
    - from:
        {{- range $svc.grpcCallers }}
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ . }}
        {{- end }}
      ports:
        - port: {{ $svc.grpcPort }}
    {{- end }}
  egress:
    {{- range $svc.calls }}
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ .name }}
      ports:
        - port: {{ .grpcPort }}
    {{- end }}
    {{- range $svc.httpReads }}
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ .name }}
      ports:
        - port: {{ .httpPort }}
    {{- end }}
{{- end }}
`,
  'migration-job.yaml': `{{- if .Values.migration.enabled }}
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  backoffLimit: 6
  template:
    metadata:
      labels:
        app.kubernetes.io/name: migrate
        app.kubernetes.io/part-of: crypto-trading-engine
    spec:
      restartPolicy: OnFailure
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ .Values.runAsUser }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: migrate
          image: "{{ .Values.image.repositoryPrefix }}/{{ .Values.migration.imageService }}:{{ .Values.image.tag }}"
          command: ["node", "shared/dist/bin/migrate.js"]
          envFrom:
            - secretRef:
                name: {{ .Values.secretName }}
          resources:
            requests: { cpu: 50m, memory: 64Mi }
            limits: { cpu: 500m, memory: 128Mi }
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
{{- end }}
`,
};

export function helmValues(): Obj {
  return {
    image: { repositoryPrefix: IMAGE_PREFIX, tag: IMAGE_TAG, pullPolicy: 'IfNotPresent' },
    secretName: SECRET_NAME,
    runAsUser: RUN_AS_USER,
    // Covers SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_GRACE_MS of commonEnv: raise it with them.
    terminationGracePeriodSeconds: killAfterSeconds(),
    commonEnv: sortKeys({ ...COMMON_ENV, REDIS_URL }),
    datastorePorts: [DATASTORES.mysql.port, DATASTORES.redis.port],
    migration: { enabled: true, imageService: 'portfolio' },
    // The sandbox services (the venue emulator) and their clients pointed at them; never in production.
    sandbox: { enabled: false, clientEnv: Object.fromEntries(sandboxClientEnvs((name) => name)) },
    services: Object.fromEntries(
      SERVICE_NAMES.map((name) => {
        const decl = SERVICES[name];
        const env = ownEnv(name);
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
            // Whose /health, /ready, /metrics it reads (the console's Fleet view): an egress flow each.
            httpReads: httpReads(name).map((peer) => ({ name: peer, httpPort: SERVICES[peer].httpPort })),
            // Its own Secret, referenced by this service's Deployment only (optional: true).
            ...(decl.ownSecret ? { ownSecretName: decl.ownSecret.name } : {}),
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
    required: ['replicas', 'httpPort', 'grpcPort', 'startupSeconds', 'env', 'resources', 'calls', 'grpcCallers', 'httpReads'],
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
      httpReads: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: ['name', 'httpPort'], properties: { name: { type: 'string' }, httpPort: port } },
      },
      ownSecretName: { type: 'string', minLength: 1 },
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'crypto-trading-engine values',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'secretName', 'runAsUser', 'terminationGracePeriodSeconds', 'commonEnv', 'datastorePorts', 'migration', 'sandbox', 'services'],
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
      terminationGracePeriodSeconds: { type: 'integer', minimum: 1 },
      commonEnv: { type: 'object', additionalProperties: { type: 'string' } },
      datastorePorts: { type: 'array', items: port },
      migration: {
        type: 'object',
        additionalProperties: false,
        required: ['enabled', 'imageService'],
        properties: { enabled: { type: 'boolean' }, imageService: { enum: SERVICE_NAMES } },
      },
      sandbox: {
        type: 'object',
        additionalProperties: false,
        required: ['enabled', 'clientEnv'],
        properties: {
          enabled: { type: 'boolean' },
          clientEnv: {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { type: 'object', additionalProperties: { type: 'string' } }])),
          },
        },
      },
      services: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(SERVICE_NAMES.map((n) => [n, svc])),
      },
    },
  };
}

/**
 * templates/sandbox.yaml: with `sandbox.enabled`, the objects of k8s/overlays/sandbox/venue-emulator.yaml
 * (the same objects, from sandboxObjects), images from `.Values.image`.
 */
export function helmSandboxTemplate(): string {
  const h = new HelmActions();
  const image = (name: string) => h.action(`"{{ $.Values.image.repositoryPrefix }}/${name}:{{ $.Values.image.tag }}"`);
  const docs = sandboxObjects(image).map((o) => h.render(o));
  return `{{- if .Values.sandbox.enabled }}\n${docs.map((d) => `---\n${d}`).join('')}{{- end }}\n`;
}
