"""TOML data files (scenarios and sweeps): one careful read, the line of every key, hints.

Both readers, :mod:`sim.scenario.resolve` and :mod:`sim.sweep.spec`, read their files here:

* :func:`read` refuses what is not a regular file, a file over :data:`MAX_FILE_BYTES`, text
  that is not UTF-8 and invalid TOML, each as a :class:`TomlFileError` with a one-line reason
  (and the line, for a syntax error), before anything else looks at the data;
* :class:`KeyLines` finds the line of each key. ``tomllib`` gives positions only for syntax
  errors, so the file's lines are indexed once, in one pass, at the first lookup (a valid file
  needs none): a lookup is then a dictionary access, and validating a file is linear in its
  size (looking each key up by rescanning the file made validation quadratic in the number of
  values and events);
* :func:`did_you_mean` is the hint after an unknown name.

Sweep files are validated by :mod:`sim.sweep.spec` on this same machinery rather than on a
schema library (jsonschema, pydantic): their rules are cross-checks against the scenario's own
schema (which paths exist, which can be swept, ranges that must lie inside the schema's bounds,
designs whose sizes depend on each other), which a generic schema would only restate, and the
project's error messages (file, line, dotted key, what was expected, a did-you-mean hint) are
the same for both kinds of file only if both use one reader.
"""

from __future__ import annotations

import difflib
import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

#: Largest file read (a scenario or sweep is a few kilobytes; this refuses devices and dumps).
MAX_FILE_BYTES: Final = 1 << 20

#: Why a file could not be read: callers word some reasons their own way (a missing sweep
#: file is looked up by name among the named sweeps).
Reason = Literal[
    "missing", "directory", "special", "too-large", "unreadable", "encoding", "toml", "too-deep"
]
#: Deepest nesting of tables and lists read (a scenario nests four deep; the readers walk the
#: data recursively, so a file nested hundreds deep is refused here, not by a RecursionError).
MAX_DEPTH: Final = 32
#: Python refuses to convert integers longer than this (``sys.get_int_max_str_digits``).
_INT_DIGITS: Final = 4300


class TomlFileError(Exception):
    """A file that cannot be read as TOML: the reason, one line of explanation, the line."""

    def __init__(self, path: Path, reason: Reason, expected: str, line: int | None = None):
        self.path = path
        self.reason = reason
        self.expected = expected
        self.line = line
        super().__init__(f"{path}: {expected}")


@dataclass(frozen=True)
class TomlFile:
    """A TOML file read whole: its path, bytes, text, data and the lines of its keys."""

    path: Path
    raw: bytes
    text: str
    data: dict[str, Any]
    lines: KeyLines = field(repr=False, compare=False)


def read(path: Path, kind: str) -> TomlFile:
    """Read ``path`` as a TOML file; ``kind`` names what is expected ("scenario", "sweep")."""
    too_large = f"file too large (expected a {kind} file under {MAX_FILE_BYTES} bytes)"
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(status.st_mode):
            raise TomlFileError(
                path, "special", f"not a regular file (expected a {kind} .toml file)"
            )
        if status.st_size > MAX_FILE_BYTES:
            raise TomlFileError(path, "too-large", too_large)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise TomlFileError(
            path, "missing", f"file not found (expected a {kind} .toml file)"
        ) from None
    except IsADirectoryError:
        raise TomlFileError(
            path, "directory", f"is a directory (expected a {kind} .toml file)"
        ) from None
    except OSError as error:
        raise TomlFileError(path, "unreadable", f"cannot read file ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:  # it grew between stat and read
        raise TomlFileError(path, "too-large", too_large)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TomlFileError(path, "encoding", "not UTF-8 text (expected a TOML file)") from None
    too_deep = f"tables or lists nested more than {MAX_DEPTH} deep (expected a {kind} file)"
    if _brackets_deeper_than(text, MAX_DEPTH):
        # refused before parsing: tomllib recurses once per level, and a RecursionError is not
        # always catchable cleanly (an audit hook, such as filelock's, reports it on stderr)
        raise TomlFileError(path, "too-deep", too_deep)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise TomlFileError(path, "toml", f"invalid TOML: {detail}", line) from None
    except ValueError:  # an integer too long to convert (tomllib lets it through)
        long_number = re.search(rf"\d{{{_INT_DIGITS + 1},}}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        raise TomlFileError(
            path,
            "toml",
            f"invalid TOML: a number of more than {_INT_DIGITS} digits "
            f"(expected a {kind} file of ordinary numbers)",
            line,
        ) from None
    except RecursionError:
        raise TomlFileError(path, "too-deep", too_deep) from None
    if _deeper_than(data, MAX_DEPTH):
        raise TomlFileError(path, "too-deep", too_deep)
    return TomlFile(path, raw, text, data, KeyLines(text))


#: What the bracket scan skips (strings and comments, in which brackets mean nothing) and counts.
_TOKENS: Final = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]'
)


def _brackets_deeper_than(text: str, limit: int) -> bool:
    """Whether inline tables and arrays open more than ``limit`` deep in the text (brackets in
    strings and comments aside), found without parsing.

    >>> _brackets_deeper_than("x = [[1], {a = '[[['}]  # [[[", 2)
    False
    >>> _brackets_deeper_than("x = [[[1]]]", 2)
    True
    """
    depth = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return True
        elif mark in "]}":
            depth = max(depth - 1, 0)
    return False


def _deeper_than(data: dict[str, Any], limit: int) -> bool:
    """Whether tables and lists nest more than ``limit`` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def did_you_mean(word: str, options: Iterable[str], cutoff: float = 0.6) -> str:
    """``"; did you mean 'x'?"`` for the option closest to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return f"; did you mean '{close[0]}'?" if close else ""


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")
_ASSIGNMENT = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")
#: Tables nested deeper than this are indexed only down to this depth (no scenario or sweep
#: path is half as deep; this keeps a pathological key of thousands of parts linear).
_MAX_INDEXED_DEPTH = 32


def _dotted(key: str) -> str:
    """A TOML dotted key as a plain dotted path (quotes and spaces removed)."""
    return ".".join(part.strip("\"'") for part in _KEY_PART.findall(key))


class KeyLines:
    """The lines of a TOML file's keys, indexed once, when the first line is asked for.

    Follows ``[table]`` headers and dotted keys, and skips multi-line strings, so a key that
    appears under several tables (``alignment`` under each member) is found under the right one.
    Keys inside ``[[arrays]]`` of tables are not paths; :meth:`nth` finds the tables themselves.
    """

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        #: path -> first line that sets it (or opens its table); built on the first lookup
        self._sets: dict[str, int] | None = None
        #: path -> first line that sets something under it (the path is a table)
        self._under: dict[str, int] = {}
        self._markers: dict[str, list[int]] = {}
        self._mentions: dict[str, int | None] = {}

    def _index(self) -> dict[str, int]:
        """Index every line once (the first lookup pays for all)."""
        if self._sets is not None:
            return self._sets
        sets: dict[str, int] = {}
        table = ""
        in_string: str | None = None
        for number, line in enumerate(self._lines, start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            full = None
            if header := _HEADER.match(line):
                table = _dotted(header.group(1))
                full = table
            elif _ARRAY_HEADER.match(line):
                table = "\0"  # keys of [[arrays]] are not paths
            elif assignment := _ASSIGNMENT.match(line):
                key = _dotted(assignment.group(1))
                full = f"{table}.{key}" if table else key
                rest = line[assignment.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
            if full is None or full.startswith("\0"):
                continue
            sets.setdefault(full, number)
            end = -1
            for _ in range(_MAX_INDEXED_DEPTH):
                end = full.find(".", end + 1)
                if end == -1:
                    break
                self._under.setdefault(full[:end], number)
        self._sets = sets
        return sets

    def path(self, path: str) -> int | None:
        """The line that sets a dotted ``path``, else the first line that sets something under
        it, else the line of the deepest table that holds it."""
        sets = self._index()
        if path in sets:
            return sets[path]
        if path in self._under:
            return self._under[path]
        end = len(path)
        while (end := path.rfind(".", 0, end)) != -1:
            if path[:end] in sets:
                return sets[path[:end]]
        return None

    def line(self, key: str) -> int | None:
        """Best-effort line of a key: :meth:`path`, else the first line that mentions it."""
        located = self.path(key)
        return located if located is not None else self.mention(key)

    def mention(self, key: str) -> int | None:
        """The first line where ``key`` stands as a key (before ``=``, ``]`` or ``.``)."""
        if key not in self._mentions:
            pattern = re.compile(rf'(^|[\s."\[]){re.escape(key)}("?\s*[=\].]|"\s*$)')
            self._mentions[key] = next(
                (
                    number
                    for number, line in enumerate(self._lines, start=1)
                    if pattern.search(line.split("#", 1)[0])
                ),
                None,
            )
        return self._mentions[key]

    def nth(self, marker: str, index: int) -> int | None:
        """The line of the ``index``-th (from 0) line that starts with ``marker``."""
        if marker not in self._markers:
            self._markers[marker] = [
                number
                for number, line in enumerate(self._lines, start=1)
                if line.strip().startswith(marker)
            ]
        found = self._markers[marker]
        return found[index] if 0 <= index < len(found) else None
