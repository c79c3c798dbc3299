"""The three public suites as one list of cases, with each case's expected data.

Expected data comes from the suites themselves, read by Python's standard library (never
by config-init): toml-test's JSON tagged values (leaves parsed as TOML literals by tomllib),
yaml-test-suite's in.json (a stream of JSON documents), and for JSONTestSuite the input
itself read by Python's json module (y_ files must be accepted with exactly that data,
n_ files refused; i_ and test_transform files may go either way, but never silently
change a value).
"""

import json
import math
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What a case must do: be accepted ("valid"), be refused ("invalid"), or either ("either":
# accepted with exactly its data, or refused with a position).
VALID, INVALID, EITHER = "valid", "invalid", "either"


@dataclass
class Case:
    suite: str  # toml, yaml, json
    id: str  # the suite's own name for the case
    data: bytes
    kind: str  # VALID, INVALID or EITHER
    # The documents the case holds (a list; YAML streams may hold several), or None when
    # the suite gives no expected data for a valid case.
    expected: list = None
    ext: str = field(init=False)

    def __post_init__(self):
        self.ext = {"toml": ".toml", "yaml": ".yaml", "json": ".json"}[self.suite]

    @property
    def file_name(self):
        return re.sub(r"[^A-Za-z0-9_.+-]", "_", self.id.removesuffix(self.ext)) + self.ext


def install():
    """Runs install-suites.sh (idempotent) and returns the cache directory it printed."""
    out = subprocess.run([str(HERE / "install-suites.sh")], check=True, capture_output=True,
                         text=True)
    return Path(out.stdout.strip().splitlines()[-1])


# --- TOML: toml-test ----------------------------------------------------------------------

def toml_expected(tagged):
    """toml-test's tagged JSON as Python values, leaves read as TOML literals by tomllib."""
    if isinstance(tagged, dict):
        if set(tagged) == {"type", "value"} and isinstance(tagged["value"], str):
            kind, text = tagged["type"], tagged["value"]
            if kind == "string":
                return text
            if kind == "integer":
                return int(text)
            if kind == "float":
                return float(text)  # also inf, -inf, nan; "-0" is -0.0
            if kind == "bool":
                return {"true": True, "false": False}[text]
            return tomllib.loads("x = " + text)["x"]  # the date and time kinds
        return {key: toml_expected(value) for key, value in tagged.items()}
    if isinstance(tagged, list):
        return [toml_expected(item) for item in tagged]
    raise ValueError(f"unexpected tagged value {tagged!r}")


def toml_cases(cache):
    root = cache / "toml-test" / "tests"
    cases = []
    for line in (root / "files-toml-1.0.0").read_text().splitlines():
        if not line.endswith(".toml"):
            continue
        data = (root / line).read_bytes()
        if line.startswith("valid/"):
            expected = json.loads((root / line).with_suffix(".json").read_text())
            cases.append(Case("toml", line, data, VALID, [toml_expected(expected)]))
        else:
            cases.append(Case("toml", line, data, INVALID))
    return cases


# --- YAML: yaml-test-suite ----------------------------------------------------------------

def json_stream(text):
    """The JSON documents of in.json, one after the other."""
    decoder = json.JSONDecoder()
    docs, at = [], 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at == len(text):
            return docs
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)


CORE = "tag:yaml.org,2002:"


def core_plain(text):
    """A plain scalar under the YAML 1.2 core schema (written here from the spec, 10.3.2)."""
    if re.fullmatch(r"null|Null|NULL|~|", text):
        return None
    if re.fullmatch(r"true|True|TRUE|false|False|FALSE", text):
        return text.lower() == "true"
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text, 10)
    if re.fullmatch(r"0o[0-7]+", text):
        return int(text[2:], 8)
    if re.fullmatch(r"0x[0-9a-fA-F]+", text):
        return int(text[2:], 16)
    if re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", text):
        return float(text)
    if re.fullmatch(r"[-+]?\.(inf|Inf|INF)", text):
        return -math.inf if text.startswith("-") else math.inf
    if re.fullmatch(r"\.(nan|NaN|NAN)", text):
        return math.nan
    return text


TREE_ESCAPES = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "0": "\0",
                "f": "\f", "a": "\a", "v": "\v", "e": "\x1b"}


def tree_expected(tree):
    """The documents of yaml-test-suite's event tree (test.event), with plain scalars under
    the core schema and a scalar key taken as its text (as config-init keys are): used for
    the valid cases that have no in.json (their keys are not all strings, e.g. empty ones)."""
    docs, stack, anchors = [], [], {}

    def add(value, key_text):
        if not stack:
            docs.append(value)
            return
        frame = stack[-1]
        if isinstance(frame["value"], list):
            frame["value"].append(value)
        elif frame["key"] is None:
            frame["key"] = (key_text,)
        else:
            frame["value"][frame["key"][0]] = value
            frame["key"] = None

    for line in tree.splitlines():
        event, _, rest = line.lstrip(" ").partition(" ")
        anchor = tag = None
        if rest.startswith(("{}", "[]")):
            rest = rest[3:]
        while rest.startswith(("&", "<")):
            word, _, rest = rest.partition(" ")
            if word.startswith("&"):
                anchor = word[1:]
            else:
                tag = word[1:-1]
        if event in ("+MAP", "+SEQ"):
            stack.append({"value": {} if event == "+MAP" else [], "key": None, "anchor": anchor})
        elif event in ("-MAP", "-SEQ"):
            frame = stack.pop()
            if frame["anchor"]:
                anchors[frame["anchor"]] = (frame["value"], None)
            add(frame["value"], None)
        elif event == "=VAL":
            style, text = rest[0], rest[1:]
            text = re.sub(r"\\(.)", lambda m: TREE_ESCAPES.get(m.group(1), m.group(0)), text)
            if tag in (None, "!") and style == ":" and tag is None:
                value = core_plain(text)
            elif tag in (CORE + "int", CORE + "float", CORE + "bool", CORE + "null"):
                value = core_plain(text)
                if tag == CORE + "float":
                    value = float(value)
            else:
                value = text
            if anchor:
                anchors[anchor] = (value, text)
            add(value, text)
        elif event == "=ALI":
            value, text = anchors[rest[1:]]
            add(value, text)
    return docs


def npm_suites(cache):
    return json.loads((cache / "npm-suites.json").read_text())


def yaml_cases(cache):
    cases = []
    for c in npm_suites(cache)["yaml"]:
        data = c["yaml"].encode()
        if c["fail"]:
            cases.append(Case("yaml", c["id"], data, INVALID))
        else:
            expected = (json_stream(c["json"]) if c["json"] is not None else
                        tree_expected(c["tree"]) if c["tree"] is not None else None)
            cases.append(Case("yaml", c["id"], data, VALID, expected))
    return cases


# --- JSON: JSONTestSuite ------------------------------------------------------------------

def python_json(data):
    """The data Python's json module reads from `data`, or None when it refuses it."""
    def no_constant(name):
        raise ValueError(name)
    try:
        # RFC 8259 lets a parser ignore a leading byte order mark; Python's json refuses it.
        text = data.decode("utf-8").removeprefix("\ufeff")
        value = json.loads(text, parse_constant=no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return [value]


def json_cases(cache):
    suites = npm_suites(cache)
    cases = []
    for c in suites["json"]:
        data = c["input"].encode("utf-8", "surrogatepass")
        kind = {"y": VALID, "n": INVALID, "i": EITHER}[c["name"][0]]
        cases.append(Case("json", c["name"], data, kind,
                          python_json(data) if kind != INVALID else None))
    for c in suites["transform"]:
        data = c["input"].encode("utf-8", "surrogatepass")
        cases.append(Case("json", "transform/" + c["name"], data, EITHER, python_json(data)))
    return cases


def all_cases(cache):
    return {"toml": toml_cases(cache), "yaml": yaml_cases(cache), "json": json_cases(cache)}
