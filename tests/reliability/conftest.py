"""Fixtures of the reliability suite. See docs/reliability.md; helpers live in relutil.py."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import relutil  # noqa: E402


def pytest_report_header(config):
    return [f"config-init binary: {relutil.BIN}" + (" (sanitized)" if relutil.SANITIZED else ""),
            f"root: {relutil.is_root()}, unshare -m: {relutil.can_unshare()}"]


def pytest_configure(config):
    config.addinivalue_line("markers", "root: needs root (mounts, device nodes)")


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not os.access(relutil.BIN, os.X_OK):
        pytest.exit(f"config-init binary not found at {relutil.BIN} (make build, or set CONFIG_INIT_BIN)",
                    returncode=1)


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


@pytest.fixture
def needs_root():
    if not relutil.is_root():
        pytest.skip("needs root")


@pytest.fixture
def needs_unshare():
    if not relutil.can_unshare():
        pytest.skip("needs root and `unshare -m` (private mount namespaces)")
