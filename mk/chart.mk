# Helm chart and plain-manifest targets; included by the Makefile (`include mk/*.mk`).
#
#   make helm-lint    helm lint --strict charts/coding-agent, for each agent, toggle and
#                     configInit.mode (init, sidecar)
#   make test-chart   tests/chart: helm lint; the rendered pod for each agent with
#                     configInit on (init and sidecar mode) and off; the values schema;
#                     every rendered manifest and deploy/ validated offline
#                     (kubernetes-validate); and the chart's
#                     ConfigMap + init container args run through build/config-init,
#                     the result checked by the real Codex CLI (tests/container/
#                     check-codex-config.sh, which installs it from npm, cached)
#
# Both first run scripts/install-helm.sh: Helm (built from the Go module proxy) and
# kubernetes-validate + pytest (PyPI, in a venv), cached under /var/cache/config-init;
# a second run takes well under a second.
#
# Variables: CHART_BIN (the binary the chart is run against, default build/config-init),
# CHART_K8S_VERSION (Kubernetes schema version, default 1.31.0), CHART_PYTEST_ARGS.
# Internal names are prefixed CHART_ to keep clear of the Makefile and other fragments.

CHART_DIR := charts/coding-agent
CHART_AGENTS := codex claude
CHART_BIN ?= $(or $(BIN),build/config-init)
CHART_K8S_VERSION ?= 1.31.0
CHART_PYTEST_ARGS ?= -q -p no:cacheprovider
# Prints HELM=..., KUBERNETES_VALIDATE=..., VENV_PYTHON=...; installs them first if needed.
CHART_TOOLS := scripts/install-helm.sh

.PHONY: helm-lint test-chart chart-tools

chart-tools:
	@$(CHART_TOOLS) >/dev/null

helm-lint:
	@eval "$$($(CHART_TOOLS))" && \
	for agent in $(CHART_AGENTS); do for ci in true,init true,sidecar false,init; do \
	  enabled=$${ci%,*}; mode=$${ci#*,}; \
	  echo "helm lint $(CHART_DIR) (agent=$$agent, configInit.enabled=$$enabled, mode=$$mode)"; \
	  "$$HELM" lint --strict --quiet $(CHART_DIR) \
	    --set agent=$$agent --set configInit.enabled=$$enabled --set configInit.mode=$$mode || exit 1; \
	done; done

# `build` (the Makefile's) provides the binary the chart-and-binary tests run.
test-chart: build
	@eval "$$($(CHART_TOOLS))" && \
	HELM="$$HELM" KUBERNETES_VALIDATE="$$KUBERNETES_VALIDATE" \
	CONFIG_INIT_BIN="$(abspath $(CHART_BIN))" CHART_K8S_VERSION="$(CHART_K8S_VERSION)" \
	"$$VENV_PYTHON" -m pytest $(CHART_PYTEST_ARGS) tests/chart
