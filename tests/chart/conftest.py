"""Fixtures for tests/chart.

Tools come from the environment (HELM, KUBERNETES_VALIDATE, as `make test-chart`
exports them); when unset, scripts/install-helm.sh is run once to find or
install them (idempotent, cached under /var/cache/config-init).
"""

import os

import pytest

from chartlib import Tools, install_tools


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_watch: runs the real `config-init watch` and `status` (issue 11); fails "
        "against a binary without them. Deselect with -m \"not needs_watch\" only "
        "while such a binary is not built yet.")


@pytest.fixture(scope="session")
def tools():
    helm = os.environ.get("HELM")
    kv = os.environ.get("KUBERNETES_VALIDATE")
    if not (helm and kv):
        helm, kv = install_tools()
    for tool in (helm, kv):
        if not os.access(tool, os.X_OK):
            pytest.fail(f"{tool} is not executable; run scripts/install-helm.sh")
    return Tools(helm, kv)
