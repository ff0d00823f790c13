{{- define "mcp-registry-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcp-registry-operator.fullname" -}}
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

{{- define "mcp-registry-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-registry-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mcp-registry-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mcp-registry-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mcp-registry-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mcp-registry-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mcp-registry-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "mcp-registry-operator.serverImage" -}}
{{- printf "%s:%s" .Values.serverImage.repository (default .Chart.AppVersion .Values.serverImage.tag) }}
{{- end }}

{{- /*
Every rule the operator needs. It includes every verb the operator grants in the Role it
creates for each registry server (RBAC escalation prevention rejects a Role that grants more
than its creator holds: ToolHive issue #5339). Keep in lockstep with
mcp_registry_operator's server Role builder; a test checks it.
*/ -}}
{{- define "mcp-registry-operator.rules" -}}
- apiGroups: ["toolhive.stacklok.dev"]
  resources: ["mcpregistries"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["toolhive.stacklok.dev"]
  resources: ["mcpregistries/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["toolhive.stacklok.dev"]
  resources: ["mcpregistries/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps", "secrets", "services", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# List only: the operator finds a pod of each server by the Deployment's selector and asks it
# for its sync status on the pod's IP (the internal port is on no Service). No get, no watch.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# Held only to grant them (RBAC escalation prevention): each server's Role lets its
# kubernetes sources watch these kinds (and take a Lease, granted above).
- apiGroups: ["toolhive.stacklok.dev"]
  resources: ["mcpservers", "mcpremoteproxies", "virtualmcpservers"]
  verbs: ["get", "list", "watch"]
{{- end }}
