"""Runs the suites (all of them, or those named) both ways and judges the results against
exceptions.txt. Used by test_conformance.py; run directly for a table of the numbers:

    python3 tests/conformance/conformance.py [toml|yaml|json ...] [--show]
"""

import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import runner
import suites

HERE = Path(__file__).resolve().parent
JOBS = int(os.environ.get("CONFORMANCE_JOBS", "2"))


def load_exceptions(path=HERE / "exceptions.txt"):
    """({category: message substring}, {(suite, mode, id): category})."""
    categories, cases = {}, {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            name, _, rest = line.partition(" ")
            reason, _, substring = rest.partition("|")
            if not reason.strip() or not substring.strip():
                raise ValueError(f"exceptions.txt:{number}: @category reason | message")
            categories[name] = substring.strip()
            continue
        fields = line.split("#", 1)[0].split()
        if len(fields) != 4 or fields[1] not in ("alone", "merged", "both"):
            raise ValueError(f"exceptions.txt:{number}: suite mode id @category")
        suite, mode, case_id, category = fields
        if category not in categories:
            raise ValueError(f"exceptions.txt:{number}: unknown category {category}")
        for m in (runner.MODES if mode == "both" else (mode,)):
            cases[(suite, m, case_id)] = category
    return categories, cases


def run_suite(cases):
    """[(case, mode, status, detail)] for every case both ways."""
    jobs = [(case, mode) for case in cases for mode in runner.MODES]
    with ThreadPoolExecutor(JOBS) as pool:
        results = pool.map(lambda job: (job[0], job[1], *runner.check(*job)), jobs)
        return list(results)


def judge(results, categories, exceptions):
    """The problems (a list of strings) and a Counter of the numbers."""
    problems, numbers = [], Counter()
    for case, mode, status, detail in results:
        key = (case.suite, mode, case.id)
        numbers[(mode, case.kind, status)] += 1
        category = exceptions.get(key)
        if status == "wrong":
            problems.append(f"{case.suite} {mode} {case.id}: {detail}")
        elif status == "refused":
            if category is None:
                problems.append(f"{case.suite} {mode} {case.id}: valid but refused: {detail}")
            elif categories[category] not in detail:
                problems.append(f"{case.suite} {mode} {case.id}: refused ({category}) without "
                                f"'{categories[category]}' in the message: {detail}")
        elif category is not None:
            problems.append(f"{case.suite} {mode} {case.id}: listed as {category} in "
                            "exceptions.txt but accepted: remove the line")
    return problems, numbers


def table(suite, cases, numbers):
    valid = sum(1 for c in cases if c.kind == suites.VALID)
    invalid = sum(1 for c in cases if c.kind == suites.INVALID)
    either = sum(1 for c in cases if c.kind == suites.EITHER)
    lines = [f"{suite}: {valid} valid, {invalid} invalid, {either} either-way cases"]
    for mode in runner.MODES:
        n = lambda kind, status: numbers[(mode, kind, status)]  # noqa: E731
        line = (f"  {mode:6}  valid: {n('valid', 'ok')} accepted exactly, "
                f"{n('valid', 'refused')} refused, {n('valid', 'wrong')} wrong;  "
                f"invalid: {n('invalid', 'ok')} refused, {n('invalid', 'wrong')} wrong")
        if either:
            line += f";  either: {n('either', 'ok')} fine, {n('either', 'wrong')} wrong"
        lines.append(line)
    return "\n".join(lines)


def main(argv):
    show = "--show" in argv
    names = [a for a in argv if not a.startswith("--")] or ["toml", "yaml", "json"]
    cache = suites.install()
    categories, exceptions = load_exceptions()
    loaders = {"toml": suites.toml_cases, "yaml": suites.yaml_cases, "json": suites.json_cases}
    failed = False
    for name in names:
        cases = loaders[name](cache)
        problems, numbers = judge(run_suite(cases), categories, exceptions)
        print(table(name, cases, numbers))
        if show:
            for problem in problems:
                print("   ", problem)
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main(sys.argv[1:]))
