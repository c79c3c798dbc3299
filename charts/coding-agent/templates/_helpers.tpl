{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "coding-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. If the release name contains the chart name it is used as is.
*/}}
{{- define "coding-agent.fullname" -}}
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

{{- define "coding-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "coding-agent.labels" -}}
helm.sh/chart: {{ include "coding-agent.chart" . }}
{{ include "coding-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.agent }}
app.kubernetes.io/part-of: coding-agent
{{- end }}

{{/*
Selector labels: stable for the life of the release.
*/}}
{{- define "coding-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "coding-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "coding-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "coding-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The selected agent's profile (agents.<agent>) as YAML; use with fromYaml.
Fails when configDir does not lie inside home: the home volume must hold it.
*/}}
{{- define "coding-agent.profile" -}}
{{- $p := get .Values.agents .Values.agent }}
{{- if not $p }}
{{- fail (printf "agents.%s: no profile for agent %q" .Values.agent .Values.agent) }}
{{- end }}
{{- $home := trimSuffix "/" $p.home }}
{{- if not (hasPrefix (printf "%s/" $home) $p.configDir) }}
{{- fail (printf "agents.%s.configDir (%s) must lie inside agents.%s.home (%s): the home volume holds the config directory" .Values.agent $p.configDir .Values.agent $p.home) }}
{{- end }}
{{- toYaml $p }}
{{- end }}

{{/*
An image reference from {repository, tag, digest}: digest wins over tag.
Call with (list $imageValues $defaultRepository $defaultTag).
*/}}
{{- define "coding-agent.imageRef" -}}
{{- $img := index . 0 }}
{{- $repo := default (index . 1) $img.repository }}
{{- if $img.digest }}
{{- printf "%s@%s" $repo $img.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default (index . 2) $img.tag | toString) }}
{{- end }}
{{- end }}

{{/*
A ConfigMap / Secret key for a file path: "/" cannot appear in a key, so
"commands/review.md" becomes "commands__review.md"; the volume's items put it
back at its path.
*/}}
{{- define "coding-agent.fileKey" -}}
{{- replace "/" "__" . }}
{{- end }}

{{/*
Converts whole-number floats to integers, recursively and in place. Helm reads
every number in values as a float, so without this `retries: 3` would be written
to TOML as `retries = 3.0` (a float, which Codex rejects where it expects an
integer). Call with a holder dict (dict "v" $value); the result is its "v".
(A JSON round trip cannot do this: fromJson reads numbers as floats again.)
*/}}
{{- define "coding-agent.intify" -}}
{{- $holder := . }}
{{- $v := .v }}
{{- if kindIs "float64" $v }}
{{- if and (lt $v 9.0e15) (gt $v -9.0e15) (eq $v (float64 (int64 $v))) }}
{{- $_ := set $holder "v" (int64 $v) }}
{{- end }}
{{- else if kindIs "map" $v }}
{{- range $k, $x := $v }}
{{- $h := dict "v" $x }}
{{- include "coding-agent.intify" $h }}
{{- $_ := set $v $k $h.v }}
{{- end }}
{{- else if kindIs "slice" $v }}
{{- $items := list }}
{{- range $x := $v }}
{{- $h := dict "v" $x }}
{{- include "coding-agent.intify" $h }}
{{- $items = append $items $h.v }}
{{- end }}
{{- $_ := set $holder "v" $items }}
{{- end }}
{{- end }}

{{/*
The overlay's files as a map path -> text: overlay.files plus overlay.settings
rendered into the agent's main file (TOML for codex, JSON for claude).
Returns JSON (use fromJson).
*/}}
{{- define "coding-agent.overlayFiles" -}}
{{- $p := include "coding-agent.profile" . | fromYaml }}
{{- $files := deepCopy (default dict .Values.overlay.files) }}
{{- if .Values.overlay.settings }}
{{- if hasKey $files $p.mainFile }}
{{- fail (printf "overlay.settings and overlay.files[%q] both give %s; use one of them" $p.mainFile $p.mainFile) }}
{{- end }}
{{- $holder := dict "v" (deepCopy .Values.overlay.settings) }}
{{- include "coding-agent.intify" $holder }}
{{- $settings := $holder.v }}
{{- if hasSuffix ".toml" $p.mainFile }}
{{- $_ := set $files $p.mainFile (toToml $settings) }}
{{- else }}
{{- $_ := set $files $p.mainFile (printf "%s\n" (toPrettyJson $settings)) }}
{{- end }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/*
`data` entries and volume `items` for a map path -> text. Fails when two paths
map to one key. Call with (dict "files" $files "what" "overlay.files").
Returns YAML {data: {...}, items: [...]}.
*/}}
{{- define "coding-agent.fileEntries" -}}
{{- $data := dict }}
{{- $items := list }}
{{- range $path := keys .files | sortAlpha }}
{{- $key := include "coding-agent.fileKey" $path }}
{{- if hasKey $data $key }}
{{- fail (printf "%s: paths %q and another map to the same key %q; rename one" $.what $path $key) }}
{{- end }}
{{- $_ := set $data $key (index $.files $path | toString) }}
{{- $items = append $items (dict "key" $key "path" $path) }}
{{- end }}
{{- toYaml (dict "data" $data "items" $items) }}
{{- end }}

{{/*
The Secret layer's name, or "" when there is no Secret layer.
*/}}
{{- define "coding-agent.secretName" -}}
{{- if and .Values.secret.existingSecret .Values.secret.files }}
{{- fail "secret.existingSecret and secret.files are exclusive: give one" }}
{{- end }}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else if .Values.secret.files }}
{{- printf "%s-secret" (include "coding-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The selected agent's policy files (policy.<agent>.files) as JSON (use fromJson): a map
path -> text, empty when there is no policy. Fails when there is a policy but no
config-init to materialise it.
*/}}
{{- define "coding-agent.policyFiles" -}}
{{- $files := dict }}
{{- with get (default dict .Values.policy) .Values.agent }}
{{- $files = default dict .files }}
{{- end }}
{{- if and $files (not .Values.configInit.enabled) }}
{{- fail (printf "policy.%s needs configInit.enabled=true: config-init materialises the policy (the legacy wiring has no init container)" .Values.agent) }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/*
configInit.schemas resolved for config-init.initContainer, as YAML (use fromYaml):
{schemas: [{glob, file, mode}], volume: bool} where an entry with key reads
/etc/config-init/schemas/<key> from the ConfigMap schemas.configMap (volume: true).
*/}}
{{- define "coding-agent.schemas" -}}
{{- $cfg := default dict .Values.configInit.schemas }}
{{- $out := list }}
{{- $volume := false }}
{{- range $i, $s := (default list $cfg.files) }}
{{- $file := $s.path }}
{{- if $s.key }}
{{- if not $cfg.configMap }}
{{- fail (printf "configInit.schemas.files[%d] names key %q: set configInit.schemas.configMap to the ConfigMap that holds it" $i $s.key) }}
{{- end }}
{{- $file = printf "/etc/config-init/schemas/%s" $s.key }}
{{- $volume = true }}
{{- end }}
{{- $out = append $out (dict "glob" $s.glob "file" $file "mode" (default "enforce" $s.mode)) }}
{{- end }}
{{- if and $out (not .Values.configInit.enabled) }}
{{- fail "configInit.schemas needs configInit.enabled=true: the schemas are config-init's --schema flags" }}
{{- end }}
{{- toYaml (dict "schemas" $out "volume" $volume) }}
{{- end }}
