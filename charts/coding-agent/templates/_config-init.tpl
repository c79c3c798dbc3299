{{- /*
config-init named templates. This file is self-contained (it uses nothing from
_helpers.tpl), so another chart can copy it into its own templates/ and include
the init container in any pod spec. See README.md, "Using the init container in
your own chart".

config-init.initContainer: one list item for a pod's initContainers.
Call with a dict:

  required
    image          string   config-init image reference ("repo:tag" or "repo@sha256:...")
    dest           string   the app's config directory, e.g. /home/codex/.codex
    destVolume     string   the pod volume that holds dest (emptyDir or PVC), shared with the app
    runAsUser      int      the app container's uid  (config-init writes files the app must rewrite)
    runAsGroup     int      the app container's gid
  optional
    name           string   container name                       (default "config-init")
    pullPolicy     string   imagePullPolicy                      (default "IfNotPresent")
    destMountPath  string   where destVolume is mounted; dest must be inside it
                            (default: dest; use the app's mount path, e.g. /home/codex)
    defaultsDir    string   image-baked defaults, the lowest layer (e.g. /etc/codex-defaults);
                            default "/etc/<agent>-defaults" when agent is given, else none
    agent          string   "codex" or "claude": only picks the default defaultsDir
    overlayVolume  string   a ConfigMap (or projected) volume, mounted read-only at
                            /etc/config-init/overlay and layered over the defaults
    secretVolume   string   a Secret volume, mounted read-only at /etc/config-init/secret,
                            the highest layer, passed as --secret-layer
    logFormat      string   "json" or "text"                     (default "json")
    extraArgs      list     appended to the materialize arguments, e.g. (list "--strict")
    extraVolumeMounts list  more volumeMounts (e.g. a volume holding a --spec file)
    env            list     container env
    resources      map      container resources (default: small requests, 128Mi limit)

The ConfigMap and Secret are mounted as whole volumes, never with subPath: a
subPath mount never receives updates, and config-init understands the kubelet's
..data layout.
*/ -}}
{{- define "config-init.initContainer" -}}
{{- $name := default "config-init" .name }}
{{- $image := required "config-init.initContainer: image is required" .image }}
{{- $dest := required "config-init.initContainer: dest is required" .dest }}
{{- $destVolume := required "config-init.initContainer: destVolume is required" .destVolume }}
{{- $destMount := default $dest .destMountPath }}
{{- if not (or (eq $dest $destMount) (hasPrefix (printf "%s/" (trimSuffix "/" $destMount)) $dest)) }}
{{- fail (printf "config-init.initContainer: dest %s is not inside destMountPath %s" $dest $destMount) }}
{{- end }}
{{- if or (not (hasKey . "runAsUser")) (not (hasKey . "runAsGroup")) }}
{{- fail "config-init.initContainer: runAsUser and runAsGroup are required (the app's uid/gid)" }}
{{- end }}
{{- $defaults := .defaultsDir }}
{{- if and (not $defaults) .agent }}
{{- $defaults = printf "/etc/%s-defaults" .agent }}
{{- end }}
{{- $args := list "materialize" }}
{{- if $defaults }}
{{- $args = concat $args (list "--layer" $defaults) }}
{{- end }}
{{- if .overlayVolume }}
{{- $args = concat $args (list "--layer" "/etc/config-init/overlay") }}
{{- end }}
{{- if .secretVolume }}
{{- $args = concat $args (list "--secret-layer" "/etc/config-init/secret") }}
{{- end }}
{{- $args = concat $args (list "--dest" $dest "--log-format" (default "json" .logFormat)) }}
{{- $args = concat $args (default list .extraArgs) -}}
- name: {{ $name }}
  image: {{ $image | quote }}
  imagePullPolicy: {{ default "IfNotPresent" .pullPolicy }}
  command:
    - /usr/local/bin/config-init
  args:
    {{- toYaml $args | nindent 4 }}
  {{- with .env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "config-init.securityContext" (dict "runAsUser" .runAsUser "runAsGroup" .runAsGroup "readOnlyRootFilesystem" true) | nindent 4 }}
  resources:
    {{- toYaml (default (dict "requests" (dict "cpu" "10m" "memory" "16Mi") "limits" (dict "memory" "128Mi")) .resources) | nindent 4 }}
  terminationMessagePolicy: FallbackToLogsOnError
  volumeMounts:
    - name: {{ $destVolume }}
      mountPath: {{ $destMount }}
    {{- if .overlayVolume }}
    - name: {{ .overlayVolume }}
      mountPath: /etc/config-init/overlay
      readOnly: true
    {{- end }}
    {{- if .secretVolume }}
    - name: {{ .secretVolume }}
      mountPath: /etc/config-init/secret
      readOnly: true
    {{- end }}
    {{- with .extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{- /*
config-init.securityContext: a container securityContext that meets Pod Security
"restricted". Call with (dict "runAsUser" N "runAsGroup" N "readOnlyRootFilesystem" bool).
*/ -}}
{{- define "config-init.securityContext" -}}
{{- if or (le (int64 .runAsUser) 0) (lt (int64 .runAsGroup) 0) }}
{{- fail (printf "config-init.securityContext: runAsUser must be > 0 and runAsGroup >= 0 (got %v:%v)" .runAsUser .runAsGroup) }}
{{- end -}}
runAsNonRoot: true
runAsUser: {{ int64 .runAsUser }}
runAsGroup: {{ int64 .runAsGroup }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ .readOnlyRootFilesystem }}
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}
