{{/* Names, labels and the parts the four Deployments share. */}}

{{- define "stagecoach.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "stagecoach.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "stagecoach.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "stagecoach.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "stagecoach.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stagecoach.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "gateway") */}}
{{- define "stagecoach.componentLabels" -}}
{{ include "stagecoach.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "stagecoach.componentSelector" -}}
{{ include "stagecoach.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "stagecoach.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "stagecoach.configMapName" -}}
{{- include "stagecoach.fullname" . }}-config
{{- end }}

{{/* The Secret the services read: existingSecret, else the chart's own. */}}
{{- define "stagecoach.secretName" -}}
{{- default (include "stagecoach.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "stagecoach.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "stagecoach.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "stagecoach.workerServiceAccountName" -}}
{{- if .Values.worker.serviceAccount.create }}
{{- default (printf "%s-worker" (include "stagecoach.fullname" .)) .Values.worker.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.worker.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Pod-level parts every pod of the release shares (Deployments and the setup Job). */}}
{{- define "stagecoach.podSecurity" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "stagecoach.podPlacement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Secret settings as env entries, each a secretKeyRef into the Secret the services read:
(dict "secretName" "..." "keys" (list "DATABASE_URL" ...) "optional" (list "STAGECOACH_SMTP_URL"))
*/}}
{{- define "stagecoach.secretEnv" -}}
{{- range .keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secretName }}
      key: {{ . }}
      {{- if has . ($.optional | default list) }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{/*
One service's Deployment. (dict "root" $ "component" "gateway" "values" .Values.gateway
  "secretKeys" (list ...) "ports" (list (dict "name" "http" "port" 8080)) "httpProbe" "http"
  "serviceAccountName" "..." "automountToken" false "workspace" .Values.worker.workspace)
*/}}
{{- define "stagecoach.deployment" -}}
{{- $root := .root }}
{{- $values := .values }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "stagecoach.fullname" $root }}-{{ .component }}
  labels:
    {{- include "stagecoach.componentLabels" . | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  selector:
    matchLabels:
      {{- include "stagecoach.componentSelector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "stagecoach.componentSelector" . | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Config or secret changes roll the pods (an existingSecret is not seen here).
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ .serviceAccountName }}
      automountServiceAccountToken: {{ .automountToken }}
      {{- with include "stagecoach.podSecurity" $root | trim }}{{ . | nindent 6 }}{{ end }}
      containers:
        - name: {{ .component }}
          image: {{ include "stagecoach.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [services/{{ .component }}/src/main.ts]
          envFrom:
            - configMapRef:
                name: {{ include "stagecoach.configMapName" $root }}
          env:
            # Secret settings: only these, only by reference. STAGECOACH_SMTP_URL and
            # STAGECOACH_ADMIN_PASSWORD may be absent from the Secret (their settings default to empty).
            {{- include "stagecoach.secretEnv" (dict "secretName" (include "stagecoach.secretName" $root) "keys" .secretKeys "optional" (list "STAGECOACH_SMTP_URL" "STAGECOACH_ADMIN_PASSWORD")) | trim | nindent 12 }}
          {{- with .ports }}
          ports:
            {{- range . }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          {{- end }}
          {{- with .httpProbe }}
          startupProbe:
            httpGet: { path: /healthz, port: {{ . }} }
            periodSeconds: 5
            failureThreshold: 36
          readinessProbe:
            httpGet: { path: /healthz, port: {{ . }} }
            periodSeconds: 10
            failureThreshold: 3
          livenessProbe:
            httpGet: { path: /healthz, port: {{ . }} }
            periodSeconds: 20
            failureThreshold: 3
          {{- end }}
          {{- with $values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $root.Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .workspace }}
          volumeMounts:
            - name: workspaces
              mountPath: {{ .mountPath }}
          {{- end }}
      {{- with .workspace }}
      volumes:
        - name: workspaces
          {{- $emptyDir := dict }}
          {{- if .medium }}{{ $_ := set $emptyDir "medium" .medium }}{{ end }}
          {{- if .sizeLimit }}{{ $_ := set $emptyDir "sizeLimit" .sizeLimit }}{{ end }}
          emptyDir: {{ toJson $emptyDir }}
      {{- end }}
      {{- with include "stagecoach.podPlacement" $root | trim }}{{ . | nindent 6 }}{{ end }}
{{- end }}
