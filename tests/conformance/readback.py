"""Reads a file config-init wrote with an independent reader (Python's tomllib and json,
PyYAML under the YAML 1.2 core schema), and compares data strictly: types are kept
(true is not 1, 1 is not 1.0), floats by their exact value (-0.0 is not 0.0; NaN equals
NaN), date-times by their ISO text, mappings by their keys and values."""

import datetime
import json
import math
import re
import tomllib

import yaml


# --- YAML 1.2 core schema for PyYAML (which is YAML 1.1 by default) ------------------

class CoreResolver(yaml.resolver.BaseResolver):
    pass


CoreResolver.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
]:
    CoreResolver.add_implicit_resolver(tag, re.compile(pattern), first)


class CoreConstructor(yaml.constructor.SafeConstructor):
    def construct_core_int(self, node):
        text = self.construct_scalar(node)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)

    def construct_core_float(self, node):
        text = self.construct_scalar(node)
        body = text.lstrip("+-").lower()
        if body == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        if body == ".nan":
            return math.nan
        return float(text)


CoreConstructor.add_constructor("tag:yaml.org,2002:int", CoreConstructor.construct_core_int)
CoreConstructor.add_constructor("tag:yaml.org,2002:float",
                                CoreConstructor.construct_core_float)


class CoreLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                 yaml.composer.Composer, CoreConstructor, CoreResolver):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        CoreConstructor.__init__(self)
        CoreResolver.__init__(self)


def read(suite, data):
    """The documents of a file config-init wrote (a list)."""
    text = data.decode("utf-8")
    if suite == "toml":
        return [tomllib.loads(text)]
    if suite == "json":
        return [json.loads(text)]
    return list(yaml.load_all(text, Loader=CoreLoader))


# --- strict comparison -----------------------------------------------------------------

def normal(value):
    """A form of `value` that compares equal only for the same types and values."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return (type(value).__name__, value.isoformat())
    if isinstance(value, list):
        return ("list", tuple(normal(item) for item in value))
    if isinstance(value, dict):
        return ("map", frozenset((key, normal(item)) for key, item in value.items()),
                len(value))
    raise TypeError(f"unexpected {type(value).__name__}")


def same(a, b):
    return normal(a) == normal(b)


def shown(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
