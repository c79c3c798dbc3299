"""The README's flag table says what `--help` says: the same flags, the same variables."""

import re
from pathlib import Path

from conftest import run

README = Path(__file__).resolve().parents[2] / "README.md"


def help_flags():
    """{flag: variable} from --help: a flag line, then its [CONFIG_INIT_...] line."""
    r = run("--help")
    assert r.code == 0, r
    flags, current = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"^  (--[a-z-]+)", line)
        if m:
            current = m.group(1)
            flags[current] = None
            continue
        m = re.match(r"^\s+\[(CONFIG_INIT_[A-Z_]+)", line)
        if m and current:
            flags[current] = m.group(1)
    return {flag: var for flag, var in flags.items() if flag != "--help"}


def readme_flags():
    """{flag: variable} from the README's table rows `| `--flag ...` | `VAR` ... |`."""
    flags = {}
    for line in README.read_text().splitlines():
        m = re.match(r"^\| `(--[a-z-]+)(?:\\\||[^|])*\| `(CONFIG_INIT_[A-Z_]+)`", line)
        if m:
            flags[m.group(1)] = m.group(2)
    return flags


def test_the_readme_flag_table_matches_help():
    from_help = help_flags()
    from_readme = readme_flags()
    assert "--layer" in from_help and "--dest" in from_help  # the parse found the table
    documented = {flag: var for flag, var in from_help.items() if var is not None}
    assert from_readme == documented, (
        f"only in --help: {sorted(set(documented) - set(from_readme))}, "
        f"only in README: {sorted(set(from_readme) - set(documented))}, "
        f"variables differ: {sorted(f for f in documented if f in from_readme and documented[f] != from_readme[f])}"
    )
