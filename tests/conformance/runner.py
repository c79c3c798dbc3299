"""Runs one case through the real binary, both ways, and says what went wrong (or None).

alone:   the case is the only file of a layer: config-init validates it and copies it.
         A valid case must come out byte for byte; an invalid one must be exit 3.
merged:  the case and a one-key overlay of the same format and name are merged, so the
         case is parsed and re-emitted. The result, read back by an independent reader,
         must equal the case's data plus the overlay's key (an empty YAML document, or one
         that is only null, is an empty table: formats/format.h). When the case's top level is
         not a table, the overlay is the lower layer and the case replaces it whole (it is
         still parsed and re-emitted).
Refused (exit 3) means: a message naming `file:line:column`, and nothing written.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import readback
from suites import EITHER, INVALID, VALID

BIN = os.environ.get("CONFIG_INIT_BIN",
                     str(Path(__file__).resolve().parents[2] / "build" / "config-init"))

OVERLAY_KEY = "conformance-overlay"
OVERLAY = {"toml": b'conformance-overlay = "added"\n',
           "yaml": b"conformance-overlay: added\n",
           "json": b'{"conformance-overlay": "added"}\n'}

MODES = ("alone", "merged")


class Outcome:
    """What the binary did with a case in one mode."""

    def __init__(self, code, stderr, written):
        self.code, self.stderr, self.written = code, stderr, written

    def refused_properly(self, file_name):
        """Exit 3, `file:line:column:` in the message, nothing written."""
        return (self.code == 3 and self.written is None and
                re.search(re.escape(file_name) + r":\d+:\d+: ", self.stderr) is not None)


def materialize(layers, dest):
    args = [BIN, "materialize", "--log-format", "text", "--quiet", "--dest", str(dest)]
    for layer in layers:
        args += ["--layer", str(layer)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIG_INIT_")}
    done = subprocess.run(args, capture_output=True, env=env, timeout=60)
    return done.returncode, done.stderr.decode("utf-8", "replace")


def run(case, mode, work):
    """Runs `case` in `mode` inside the empty directory `work`; returns an Outcome."""
    base, overlay, dest = work / "base", work / "overlay", work / "dest"
    base.mkdir()
    (base / case.file_name).write_bytes(case.data)
    layers = [base]
    if mode == "merged":
        overlay.mkdir()
        (overlay / case.file_name).write_bytes(OVERLAY[case.suite])
        top_is_table = case.expected is None or (
            len(case.expected) == 1 and isinstance(case.expected[0], dict))
        layers = [base, overlay] if top_is_table else [overlay, base]
    code, stderr = materialize(layers, dest)
    out = dest / case.file_name
    written = out.read_bytes() if out.exists() else None
    if code != 0 and dest.exists() and any(dest.iterdir()):
        written = written or b"(something under dest)"
    return Outcome(code, stderr, written)


NOT_ONE = object()  # expected_merged() of a stream of several documents


def expected_merged(case):
    docs = case.expected
    if case.suite == "yaml" and docs in ([], [None]):
        docs = [{}]  # an empty YAML stream, or a document that is only null: an empty table
    if len(docs) != 1:
        return NOT_ONE
    if isinstance(docs[0], dict):
        merged = dict(docs[0])
        merged[OVERLAY_KEY] = "added"
        return merged
    return docs[0]


def check_accepted(case, mode, outcome):
    """None when an accepted case came out with exactly its data, else the problem."""
    if outcome.written is None:
        return f"exit 0 but {case.file_name} not written"
    if mode == "alone":
        return None if outcome.written == case.data else "the copy differs from the input"
    if case.expected is None:
        return "accepted, but there is no expected data to compare the merged file with"
    want = expected_merged(case)
    if want is NOT_ONE:
        return f"a stream of {len(case.expected)} documents was merged as one"
    try:
        got = readback.read(case.suite, outcome.written)
    except Exception as error:  # noqa: BLE001 - any reader failure is a finding
        return f"the merged file does not read back: {error}"
    if len(got) != 1 or not readback.same(got[0], want):
        return ("data changed: want " + readback.shown(want) + "\n  got " + readback.shown(got) +
                "\n  file: " + readback.shown(outcome.written.decode("utf-8", "replace")))
    return None


def check(case, mode):
    """(status, detail). status "ok": a valid case accepted with exactly its data, an
    invalid one refused, an i_ case either; "refused": a valid case refused (detail: the
    message); "wrong": anything else (detail: what)."""
    work = Path(tempfile.mkdtemp(prefix="conf-"))
    try:
        outcome = run(case, mode, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if outcome.code == 0:
        if case.kind == INVALID:
            return "wrong", "an invalid file was accepted"
        problem = check_accepted(case, mode, outcome)
        return ("wrong", problem) if problem else ("ok", None)
    message = outcome.stderr.strip()[-400:]
    if not outcome.refused_properly(case.file_name):
        return "wrong", f"exit {outcome.code} without file:line:column or with output: {message}"
    if case.kind in (INVALID, EITHER):
        return "ok", message
    return "refused", message
