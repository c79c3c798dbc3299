"""The public conformance suites through the real binary (see runner.py for the two ways
each case runs, exceptions.txt for the documented refusals)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import conformance  # noqa: E402
import suites  # noqa: E402


@pytest.fixture(scope="module")
def cache():
    return suites.install()


@pytest.mark.parametrize("suite", ["toml", "yaml", "json"])
def test_suite(suite, cache):
    cases = {"toml": suites.toml_cases, "yaml": suites.yaml_cases,
             "json": suites.json_cases}[suite](cache)
    categories, exceptions = conformance.load_exceptions()
    problems, numbers = conformance.judge(conformance.run_suite(cases), categories, exceptions)
    print("\n" + conformance.table(suite, cases, numbers))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
