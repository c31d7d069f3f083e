/**
 * Generic Helm templates: they loop over `.Values.services` (values.yaml is generated from the
 * declaration). No helm binary renders them in CI here, so they stay deliberately simple.
 */
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
  {{- range $k, $v := $svc.env }}
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
  'deployment.yaml': `{{- range $name, $svc := .Values.services }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    ${LABELS}
spec:
  replicas: {{ $svc.replicas }}
  strategy:
    type: {{ if eq (int $svc.replicas) 1 }}Recreate{{ else }}RollingUpdate{{ end }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
      app.kubernetes.io/part-of: crypto-trading-engine
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $name }}
        app.kubernetes.io/part-of: crypto-trading-engine
    spec:
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $.Values.runAsUser }}
        runAsGroup: {{ $.Values.runAsUser }}
        fsGroup: {{ $.Values.runAsUser }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ $name }}
          image: "{{ $.Values.image.repositoryPrefix }}/{{ $name }}:{{ $.Values.image.tag }}"
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $svc.httpPort }}
            - name: grpc
              containerPort: {{ $svc.grpcPort }}
          envFrom:
            - configMapRef:
                name: cte-common
            - configMapRef:
                name: {{ $name }}
            - secretRef:
                name: {{ $.Values.secretName }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          startupProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 5
            failureThreshold: {{ div $svc.startupSeconds 5 }}
          livenessProbe:
            httpGet:
              path: /health
              port: http
            periodSeconds: 10
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 5
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end }}
`,
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
