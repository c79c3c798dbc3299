{{- /*
config-init named templates. This file is self-contained (it uses nothing from
_helpers.tpl), so another chart can copy it into its own templates/ and include
the init container in any pod spec. See README.md, "Using the init container in
your own chart".

config-init.initContainer: one list item for a pod's initContainers, in one of
two modes:

  init     a plain init container: `config-init materialize` runs once, the app
           starts after it exits 0. A ConfigMap change reaches the app directory
           only when the pod is recreated.
  sidecar  a native sidecar (Kubernetes >= 1.29): the same entry with
           `restartPolicy: Always`, running `config-init watch` with the same
           flags. Its startupProbe (exec `config-init status --dest <dest>`) holds
           the app containers back until the first run succeeded; its
           readinessProbe (the same command, every 10 s) marks the pod not ready
           while the watcher is degraded (a re-run failed; the directory keeps the
           last good config). No livenessProbe: a degraded watcher is alive.
           ConfigMap and Secret updates then reach the directory while the app runs
           (after the kubelet's propagation delay, up to about a minute); drop any
           checksum annotation that would roll the pod on such a change.

Call with a dict:

  required
    image          string   config-init image reference ("repo:tag" or "repo@sha256:...")
    dest           string   the app's config directory, e.g. /home/codex/.codex
    destVolume     string   the pod volume that holds dest (emptyDir or PVC), shared with the app
    runAsUser      int      the app container's uid  (config-init writes files the app must rewrite)
    runAsGroup     int      the app container's gid
  optional
    mode           string   "init" or "sidecar"                  (default "init")
    kubeVersion    string   the cluster's version; required for mode sidecar, which
                            fails the render below 1.29. Pass .Capabilities.KubeVersion.Version
    resync         string   sidecar only: --resync, a full re-read this often ("60s", "2m");
                            empty: watch's default (60s)
    debounce       string   sidecar only: --debounce ("500ms", "1s"); empty: watch's default (1s)
    startupFailureThreshold int  sidecar only: seconds (probes 1 s apart) the first run may
                            take before the kubelet restarts the sidecar (default 120)
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
    schemas        list     JSON Schemas the results must validate against, each a dict
                            {glob, file, mode}: `--schema GLOB=FILE`, and for mode "warn"
                            `--schema-mode GLOB=warn` (mode "enforce" or empty: no flag,
                            enforce is config-init's default). file is a path inside the
                            container: in schemaVolume (/etc/config-init/schemas/<key>) or
                            baked into the image
    schemaVolume   string   a ConfigMap volume holding schema files, mounted read-only at
                            /etc/config-init/schemas
    extraArgs      list     appended to the materialize/watch arguments, e.g. (list "--strict")
    extraVolumeMounts list  more volumeMounts (e.g. a volume holding a --spec file)
    env            list     container env
    resources      map      container resources (default: 10m/16Mi requests, 256Mi limit).
                            A sidecar holds them for the pod's lifetime and its requests
                            add to the app's (an init container's only need to fit beside
                            them); watch is idle between changes and its memory stays flat,
                            so the same small requests suit both modes; the memory limit
                            must cover one run's peak (the largest input held in memory)

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
{{- $mode := default "init" .mode }}
{{- if not (has $mode (list "init" "sidecar")) }}
{{- fail (printf "config-init.initContainer: mode must be \"init\" or \"sidecar\", not %q" $mode) }}
{{- end }}
{{- if eq $mode "sidecar" }}
{{- $kube := required "config-init.initContainer: kubeVersion is required for mode sidecar (pass .Capabilities.KubeVersion.Version)" .kubeVersion }}
{{- if not (semverCompare ">=1.29.0-0" $kube) }}
{{- fail (printf "config-init.initContainer: mode sidecar needs Kubernetes 1.29 or later (a native sidecar: an init container with restartPolicy: Always); this cluster is %s. Use mode init, or upgrade the cluster" $kube) }}
{{- end }}
{{- end }}
{{- $defaults := .defaultsDir }}
{{- if and (not $defaults) .agent }}
{{- $defaults = printf "/etc/%s-defaults" .agent }}
{{- end }}
{{- $args := list (ternary "watch" "materialize" (eq $mode "sidecar")) }}
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
{{- if eq $mode "sidecar" }}
{{- with .resync }}
{{- $args = concat $args (list "--resync" .) }}
{{- end }}
{{- with .debounce }}
{{- $args = concat $args (list "--debounce" .) }}
{{- end }}
{{- end }}
{{- range $i, $s := (default list .schemas) }}
{{- if or (not $s.glob) (not $s.file) }}
{{- fail (printf "config-init.initContainer: schemas[%d] needs glob and file" $i) }}
{{- end }}
{{- $args = concat $args (list "--schema" (printf "%s=%s" $s.glob $s.file)) }}
{{- $mode := default "enforce" $s.mode }}
{{- if not (has $mode (list "enforce" "warn")) }}
{{- fail (printf "config-init.initContainer: schemas[%d].mode must be \"enforce\" or \"warn\", not %q" $i $mode) }}
{{- end }}
{{- if eq $mode "warn" }}
{{- $args = concat $args (list "--schema-mode" (printf "%s=warn" $s.glob)) }}
{{- end }}
{{- end }}
{{- $args = concat $args (default list .extraArgs) -}}
- name: {{ $name }}
  image: {{ $image | quote }}
  imagePullPolicy: {{ default "IfNotPresent" .pullPolicy }}
  {{- if eq $mode "sidecar" }}
  # A native sidecar: started before the app, kept running beside it, stopped after it.
  restartPolicy: Always
  {{- end }}
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
    {{- toYaml (default (dict "requests" (dict "cpu" "10m" "memory" "16Mi") "limits" (dict "memory" "256Mi")) .resources) | nindent 4 }}
  terminationMessagePolicy: FallbackToLogsOnError
  {{- if eq $mode "sidecar" }}
  {{- $status := list "/usr/local/bin/config-init" "status" "--dest" $dest }}
  # The app containers start only after this succeeds: the first run wrote and verified dest.
  startupProbe:
    exec:
      command:
        {{- toYaml $status | nindent 8 }}
    periodSeconds: 1
    timeoutSeconds: 5
    failureThreshold: {{ int (default 120 .startupFailureThreshold) }}
  # Not ready while degraded: the last re-run failed and dest keeps the last good config.
  readinessProbe:
    exec:
      command:
        {{- toYaml $status | nindent 8 }}
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 1
  {{- end }}
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
    {{- if .schemaVolume }}
    - name: {{ .schemaVolume }}
      mountPath: /etc/config-init/schemas
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
