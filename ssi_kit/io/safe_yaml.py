"""Bounded, data-only YAML: the one reader of every YAML file and value the kit takes.

``yaml.safe_load`` is not safe enough for files a user (or an attacker) hands the
kit: it expands aliases (a 600-byte "billion laughs" document grows to gigabytes),
yields ``bytes`` for ``!!binary``, ``set`` for ``!!set`` and ``datetime.date`` for
bare ISO dates, none of which JSON, papermill or the kit's checks expect.

:func:`load_yaml` reads a document as plain data: mappings, sequences, strings,
integers, floats, booleans and null.  It refuses anchors and aliases, explicit
tags other than the plain scalar ones, whole numbers over 64 bits, documents over
:data:`MAX_BYTES` or :data:`MAX_NODES`, and text that is not UTF-8.  Dates stay
text (``2026-05-01`` is the string ``"2026-05-01"``).  :func:`dump_yaml` writes
what it reads back.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from ..exceptions import InputError

__all__ = ["load_yaml", "parse_yaml", "dump_yaml", "describe_value", "describe_key", "MAX_BYTES", "MAX_NODES"]

#: Largest YAML file read (bytes): specs, registries, maps and batch files are small.
MAX_BYTES = 1 << 20
#: Largest number of nodes (scalars, sequences, mappings) in one document.
MAX_NODES = 100_000
#: The tags a data-only document may carry (explicitly or implicitly).
_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map")
)


class _DataLoader(yaml.SafeLoader):
    """SafeLoader without aliases, timestamps or non-plain tags, with a node budget."""

    def __init__(self, stream):
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) and anchors (&name) are not accepted; write the value out",
                event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors (&name) and aliases (*name) are not accepted; write the value out",
                event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.constructor.ConstructorError(
                None, None, f"more than {MAX_NODES:,} values", event.start_mark)
        node = super().compose_node(parent, index)
        if node.tag not in _PLAIN_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not accepted "
                "(only plain text, numbers, true/false, lists and mappings)", node.start_mark)
        return node

    def construct_yaml_int(self, node):
        """Integers as SafeLoader reads them, at most 64 bits (a larger one is a YAML error)."""
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts
            value = None
        if value is None or value.bit_length() > 64:
            raise yaml.constructor.ConstructorError(
                None, None, "a whole number too large (more than 64 bits)", node.start_mark)
        return value


_DataLoader.add_constructor("tag:yaml.org,2002:int", _DataLoader.construct_yaml_int)

# Dates and times stay text: drop the implicit timestamp resolver from this loader only.
_DataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _describe(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    mark = getattr(err, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else str(problem)


def parse_yaml(text: str, *, what: str):
    """Parse YAML text as plain data.

    Parameters
    ----------
    text : str
        The document.
    what : str
        How to name the text in an error (a file path, ``"-p start"``).

    Returns
    -------
    object
        ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``.

    Raises
    ------
    InputError
        For invalid YAML, aliases, anchors, unsupported tags or too many nodes.
    """
    if len(text) > MAX_BYTES:
        raise InputError(f"{what} is larger than {MAX_BYTES // 1024} KiB; expected a small YAML document.")
    try:
        return yaml.load(text, Loader=_DataLoader)  # noqa: S506 - _DataLoader is a restricted SafeLoader
    except yaml.YAMLError as err:
        raise InputError(f"{what} is not valid YAML: {_describe(err)}.") from None
    except RecursionError:
        raise InputError(f"{what} nests too deeply; expected a small YAML document.") from None


def load_yaml(path, *, what: str | None = None):
    """Read a YAML file (a regular file of at most :data:`MAX_BYTES`, UTF-8) as plain data.

    Parameters
    ----------
    path : path-like
        The file.
    what : str, optional
        How to name the file in errors, e.g. ``"scoring spec"``; the path is always given.

    Returns
    -------
    object
        See :func:`parse_yaml`.

    Raises
    ------
    InputError
        When the file is missing, not a regular file, too large, not UTF-8 or not
        plain YAML data; the message names the file.
    """
    path = Path(path)
    name = f"{what} {path}" if what else str(path)
    try:
        info = os.stat(path)
    except OSError as err:
        raise InputError(f"Cannot read the {name}: {err.strerror or err}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"Cannot read the {name}: not a regular file.")
    if info.st_size > MAX_BYTES:
        raise InputError(f"The {name} is {info.st_size:,} bytes; at most {MAX_BYTES:,} are read.")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"Cannot read the {name}: {err.strerror or err}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"The {name} is not UTF-8 text (byte {err.start + 1} cannot be decoded).") from None
    return parse_yaml(text, what=f"The {name}")


class _PlainDumper(yaml.SafeDumper):
    """SafeDumper that writes a value used twice out again, never as an anchor and alias."""

    def ignore_aliases(self, data):
        return True


def dump_yaml(data, **kwargs) -> str:
    """Write plain data as YAML that :func:`parse_yaml` reads back (no anchors or aliases).

    Parameters
    ----------
    data : object
        Mappings, lists, text, numbers, booleans and None.
    **kwargs
        Passed to :func:`yaml.dump` (e.g. ``sort_keys=False``).

    Returns
    -------
    str
    """
    return yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, **kwargs)


def describe_value(value, limit: int = 60) -> str:
    """Show a YAML value in an error message: short, one line, kind for containers.

    Parameters
    ----------
    value : object
        A value read by :func:`load_yaml` (or given in Python).
    limit : int
        Longest text shown; longer text is described by its length.

    Returns
    -------
    str
        E.g. ``'abc'``, ``1.5``, ``a list``, ``nothing (null)``, ``text of 900 characters``.
    """
    if isinstance(value, (dict, list, tuple, set)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str) and (len(value) > limit or not value.isprintable()):
        return f"text of {len(value)} characters{'' if value.isprintable() else ' with control characters'}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= limit else f"a number of {len(text)} digits"
    return f"a {type(value).__name__}"


def describe_key(key) -> str:
    """Show a mapping key (or a name) in an error: as written when it is short text."""
    return key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 40 else describe_value(key)
