"""Scenario files: read, validate against :mod:`sim.scenario.schema`, resolve ``extends`` and
overrides.

A scenario is one TOML file. A root scenario (no ``extends``) must give every numeric value with
its provenance::

    [members.Kazakhstan.energy_transit]
    value = 0.8
    range = [0.67, 0.8]
    source = "about 80% of Kazakh oil exports go through CPC -> 0.8"

A child scenario names its parent (``extends = "baseline-2022"``) and overrides any value, as a
bare number (``members.Kazakhstan.energy_transit = 0.4``) or as a table with its own source.
Scenario files are data: nothing in them is executed, and nothing in them names a place to write.

Every problem is a :class:`ScenarioError` whose message is one line naming the file, the key
path and what was expected.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sim.scenario import schema, tomlfile
from sim.scenario.schema import Field
from sim.scenario.tomlfile import TomlFile, did_you_mean

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: "２０２３-０７" is no month
#: Scenario months lie in these years (dates must stay printable and plottable as timestamps).
_FIRST_YEAR, _LAST_YEAR = 1900, 2199
#: A scenario name: it names the results folder, so it cannot hold a path.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
#: Longest scenario or sweep name (a results folder is named after it, and a comparison's
#: folder after several).
MAX_NAME_LENGTH = 64
_VALUE_TABLE_KEYS = ("value", "range", "source", "reason")


class ScenarioError(Exception):
    """A scenario file that cannot be used, with a one-line explanation."""

    def __init__(self, file: str | Path, key: str, expected: str, line: int | None = None) -> None:
        self.file = str(file)
        self.key = key
        self.expected = expected
        self.line = line
        where = f"{self.file}:{line}" if line else self.file
        keypart = f" {key}:" if key else ""
        super().__init__(f"{where}:{keypart} {expected}")


@dataclass(frozen=True)
class Value:
    """One resolved value with its provenance."""

    path: str
    value: Any
    source: str
    file: str
    low: float | None = None
    high: float | None = None

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class ScenarioEvent:
    """An event the scenario injects at a given month (marked scenario-given in the event log)."""

    id: str
    at: str
    month: int
    kind: str
    member: str = ""
    members: tuple[str, ...] = ()
    power: str = ""
    adversary: str = ""
    size: float | None = None
    posture_rise: float | None = None
    cost: float | None = None
    aversion: float | None = None
    lever: str = ""
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: every value of the schema, with provenance, and its events."""

    name: str
    title: str
    narrative: str
    files: tuple[str, ...]
    digest: str
    values: Mapping[str, Value]
    events: tuple[ScenarioEvent, ...] = field(default=())

    def __getitem__(self, path: str) -> Any:
        return self.values[path].value

    @property
    def start(self) -> str:
        return str(self["start"])

    @property
    def horizon(self) -> int:
        return int(self["horizon_months"])

    def with_values(self, overrides: Mapping[str, Any], origin: str = "override") -> Scenario:
        """A copy with some values replaced (validated like a child scenario's)."""
        values = dict(self.values)
        for path, new in overrides.items():
            spec = schema.leaf(path)
            if spec is None or path in schema.TOP_FIELDS:
                raise ScenarioError(origin, path, _unknown_message(path))
            checked = _check_value(origin, path, spec, new)
            old = values.get(path)
            keep = old is not None and _within(checked, old)
            values[path] = Value(
                path,
                checked,
                f"set by {origin}",
                origin,
                old.low if keep and old is not None else None,
                old.high if keep and old is not None else None,
            )
        changed = Scenario(
            self.name, self.title, self.narrative, self.files, self.digest, values, self.events
        )
        broken = _broken_rule(changed)
        if broken is not None:
            raise ScenarioError(origin, broken[0], broken[1])
        return changed

    def with_constant_capacity(self, level: float) -> Scenario:
        """A copy whose capacity path is constant at ``level`` (scenario events still apply)."""
        return self.with_values(
            {"russia.capacity.shape": "constant", "russia.capacity.initial": level},
            origin="constant capacity",
        )

    def without_events(self, *ids: str) -> Scenario:
        """A copy without the named scenario-given events (a counterfactual)."""
        unknown = set(ids) - {event.id for event in self.events}
        if unknown:
            raise KeyError(f"no events with ids {sorted(unknown)} in scenario {self.name}")
        kept = tuple(event for event in self.events if event.id not in ids)
        return Scenario(
            self.name, self.title, self.narrative, self.files, self.digest, self.values, kept
        )


def scenario_dirs() -> list[Path]:
    """Where named scenarios live: the project's ``scenarios/``, else the installed copy."""
    package = Path(__file__).resolve().parent.parent  # the sim package
    candidates = [package.parent / "scenarios", package / "_scenarios"]
    return [path for path in candidates if path.is_dir()]


def available() -> dict[str, Path]:
    """Named scenarios: file stem -> path."""
    found: dict[str, Path] = {}
    for directory in scenario_dirs():
        for path in sorted(directory.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def locate(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by name (in ``scenarios/``) or by path."""
    text = str(name_or_path)
    names = available()
    if text in names:
        return names[text]
    candidate = Path(text)
    problem = _path_problem(text)
    if problem is not None:
        raise ScenarioError(_shorten(text), "", problem)
    if relative_to is not None and not candidate.is_absolute():
        sibling = relative_to.parent / candidate
        if sibling.suffix != ".toml":
            sibling = sibling.with_suffix(".toml")
        if sibling.exists():
            return sibling
    if candidate.exists() or candidate.suffix == ".toml" or "/" in text:
        return candidate
    hint = did_you_mean(text, names)
    raise ScenarioError(
        text,
        "",
        f"no such scenario (expected a name from {', '.join(names) or 'scenarios/'} "
        f"or a path to a .toml file){hint}",
    )


#: Longest file or folder name most file systems allow (bytes), and the longest path.
_MAX_FILE_NAME, _MAX_PATH = 255, 4096


def _path_problem(text: str) -> str | None:
    """Why ``text`` cannot name a scenario file, or None."""
    expected = "expected a scenario name or a path to a .toml file"
    if Path(text).name in ("", ".", ".."):
        return f"not a file name ({expected})"
    if len(text.encode()) > _MAX_PATH or any(
        len(part.encode()) > _MAX_FILE_NAME for part in Path(text).parts
    ):
        return f"name too long ({expected}, file names of at most {_MAX_FILE_NAME} bytes)"
    return None


def _shorten(text: str, limit: int = 60) -> str:
    """A user's text cut to fit a one-line message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load(name_or_path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario by name or path."""
    path = locate(name_or_path)
    chain = _read_chain(path)
    return _resolve(chain)


# --- reading ---------------------------------------------------------------------------------

#: Largest scenario file read (a scenario is a few kilobytes; this refuses devices and dumps).
MAX_FILE_BYTES = tomlfile.MAX_FILE_BYTES


def _read(path: Path) -> TomlFile:
    try:
        return tomlfile.read(path, "scenario")
    except tomlfile.TomlFileError as error:
        raise ScenarioError(path, "", error.expected, error.line) from None


def _read_chain(path: Path) -> list[TomlFile]:
    """The file and its ancestors, root first; refuses cycles and missing parents."""
    chain: list[TomlFile] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(p.name for p in [*seen, resolved])
            raise ScenarioError(
                chain[-1].path,
                "extends",
                f"cycle in extends ({cycle})",
                chain[-1].lines.line("extends"),
            )
        seen.append(resolved)
        raw = _read(current)
        chain.append(raw)
        parent = raw.data.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise ScenarioError(
                current,
                "extends",
                "expected a scenario name or path (a string)",
                raw.lines.line("extends"),
            )
        else:
            try:
                current = locate(parent, relative_to=current)
            except ScenarioError:
                raise ScenarioError(
                    current,
                    "extends",
                    f"parent scenario '{_shorten(parent)}' not found "
                    f"(expected one of {', '.join(available())} or a path)",
                    raw.lines.line("extends"),
                ) from None
            if not current.is_file():
                raise ScenarioError(
                    raw.path,
                    "extends",
                    f"parent scenario '{_shorten(parent)}' not found "
                    f"(expected one of {', '.join(available())} or a path)",
                    raw.lines.line("extends"),
                )
    chain.reverse()
    return chain


# --- resolving -------------------------------------------------------------------------------


def _resolve(chain: list[TomlFile]) -> Scenario:
    values: dict[str, Value] = {}
    events: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    for position, raw in enumerate(chain):
        digest.update(raw.text.encode())
        is_root = position == 0
        flat = _flatten(raw, is_root)
        for path, entry in flat.items():
            old = values.get(path)
            if is_root:
                values[path] = entry
                continue
            low, high = entry.low, entry.high
            if low is None and old is not None and old.has_range and _within(entry.value, old):
                low, high = old.low, old.high  # the parent's range still brackets the value
            source = entry.source or f"set by scenario {raw.path.stem}"
            values[path] = Value(path, entry.value, source, str(raw.path), low, high)
        events = _merge_events(raw, events)
    leaf_file = chain[-1]
    _check_complete(chain[0], values)
    name = str(leaf_file.data.get("name", leaf_file.path.stem))
    if "name" not in leaf_file.data and (
        not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH
    ):  # the name comes from the file's name: the same rules as a name given in the file
        raise ScenarioError(
            leaf_file.path,
            "name",
            f"the file name {_describe(name)} is not a scenario name (expected letters, digits, "
            f"'.', '_' and '-', at most {MAX_NAME_LENGTH}, starting with a letter or digit; "
            'or set name = "..." in the file)',
        )
    title = str(leaf_file.data.get("title", ""))
    narrative = str(leaf_file.data.get("narrative", ""))
    scenario = Scenario(
        name=name,
        title=title,
        narrative=narrative,
        files=tuple(str(raw.path) for raw in chain),
        digest=digest.hexdigest(),
        values=values,
        events=(),
    )
    resolved_events = tuple(_resolve_event(leaf_file, scenario, event) for event in events)
    final = Scenario(
        name, title, narrative, scenario.files, scenario.digest, values, resolved_events
    )
    _check_consistency(chain, final)
    return final


def _within(value: Any, parent: Value) -> bool:
    """Whether a numeric value lies inside the parent value's range."""
    return (
        isinstance(value, int | float)
        and parent.low is not None
        and parent.high is not None
        and parent.low <= value <= parent.high
    )


def _unknown_message(path: str) -> str:
    parent, _, key = path.rpartition(".")
    options = schema.children(parent)
    if parent == "members" or parent.endswith("_interest"):
        kind = "member"
    elif parent == "powers":
        kind = "outside power"
    elif parent in ("clashes", "affinity"):
        kind = "pair of members"
    else:
        kind = "key"
    reversed_pair = "-".join(reversed(key.split("-", 1)))
    if kind == "pair of members" and reversed_pair in options:
        hint = f"; did you mean '{reversed_pair}'?"
    else:
        hint = did_you_mean(key, options, cutoff=0.5)
    if not options:
        return f"unknown {kind} '{key}'"
    listed = ", ".join(options) if len(options) <= 12 else ", ".join(options[:12]) + ", ..."
    return f"unknown {kind} '{key}' (expected one of {listed}){hint}"


def _flatten(raw: TomlFile, is_root: bool) -> dict[str, Value]:
    """Walk the file's tables guided by the schema; check every key and value."""
    flat: dict[str, Value] = {}

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for key, item in table.items():
            path = f"{prefix}.{key}" if prefix else key
            if path in ("events", "drop_events"):
                continue
            spec = schema.leaf(path)
            if spec is None:
                if key not in schema.children(prefix):
                    raise ScenarioError(
                        raw.path, path, _unknown_message(path), raw.lines.line(path)
                    )
                if not isinstance(item, Mapping):
                    raise ScenarioError(
                        raw.path, path, "expected a table of values", raw.lines.line(path)
                    )
                walk(item, path)
                continue
            if path in flat:  # '"a.b" = 1' beside '[a] b = 2': TOML sees two keys
                raise ScenarioError(
                    raw.path,
                    path,
                    "set twice (a quoted key with dots names the same value as the dotted key "
                    "or table; expected each value once)",
                    raw.lines.line(path),
                )
            flat[path] = _entry(raw, path, key, spec, item, is_root)

    walk(raw.data, "")
    return flat


def _entry(raw: TomlFile, path: str, key: str, spec: Field, item: Any, is_root: bool) -> Value:
    """One value of the file, checked; an error is given the line of ``path`` (looked up only
    then: a valid file needs no line)."""
    try:
        return _checked_entry(raw, path, spec, item, is_root)
    except ScenarioError as error:
        if error.line is not None:
            raise
        raise ScenarioError(error.file, error.key, error.expected, raw.lines.line(path)) from None


def _checked_entry(raw: TomlFile, path: str, spec: Field, item: Any, is_root: bool) -> Value:
    line = None  # :func:`_entry` adds it to an error
    numeric = spec.kind in ("unit", "real", "int")
    if isinstance(item, Mapping):
        if not numeric and spec.kind != "units":
            raise ScenarioError(raw.path, path, f"expected {spec.expected()}", line)
        for extra in item:
            if extra not in _VALUE_TABLE_KEYS:
                hint = did_you_mean(extra, _VALUE_TABLE_KEYS)
                raise ScenarioError(
                    raw.path,
                    f"{path}.{extra}",
                    f"unknown key '{extra}' in a value table (expected value, range, source){hint}",
                    line,
                )
        if "value" not in item:
            raise ScenarioError(
                raw.path, f"{path}.value", f"missing (expected {spec.expected()})", line
            )
        source = item.get("source", item.get("reason"))
        if source is not None and (not isinstance(source, str) or not source.strip()):
            raise ScenarioError(raw.path, f"{path}.source", "expected a non-empty string", line)
        value = _check_value(raw.path, path, spec, item["value"], line)
        low, high = _check_range(raw.path, path, spec, item.get("range"), value, line, is_root)
        if is_root and spec.provenance and source is None:
            raise ScenarioError(
                raw.path,
                path,
                "calibrated value without a source (expected a 'source' or 'reason' string)",
                line,
            )
        return Value(path, value, str(source or ""), str(raw.path), low, high)
    if is_root and spec.provenance:
        raise ScenarioError(
            raw.path,
            path,
            'calibrated value without a source (expected a table {value = ..., source = "..."})',
            line,
        )
    return Value(path, _check_value(raw.path, path, spec, item, line), "", str(raw.path))


def _check_value(
    file: str | Path, path: str, spec: Field, item: Any, line: int | None = None
) -> Any:
    expected = f"expected {spec.expected()}"
    match spec.kind:
        case "unit" | "real":
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            if not spec.admits(item):  # exact for huge ints; also refuses nan
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            return float(item)
        case "int":
            if (
                isinstance(item, bool)
                or not isinstance(item, int | float)
                or (isinstance(item, float) and not item.is_integer())
            ):
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            if not spec.low <= item <= spec.high:
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            return int(item)
        case "date":
            if (
                not isinstance(item, str)
                or not (match := _DATE.fullmatch(item))
                or not (1 <= int(match.group(2)) <= 12)
            ):
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            if not _FIRST_YEAR <= int(match.group(1)) <= _LAST_YEAR:
                raise ScenarioError(
                    file,
                    path,
                    f"expected a month between {_FIRST_YEAR}-01 and {_LAST_YEAR}-12, "
                    f"got {_describe(item)}",
                    line,
                )
            return item
        case "text":
            if path == "drop_events":
                if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
                    raise ScenarioError(file, path, "expected a list of event ids", line)
                return tuple(item)
            if not isinstance(item, str):
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            if path == "name" and not _NAME.fullmatch(item):
                raise ScenarioError(
                    file,
                    path,
                    "expected a name of letters, digits, '.', '_' and '-' starting with a "
                    f"letter or digit (it names the results folder), got {_describe(item)}",
                    line,
                )
            if path == "name" and len(item) > MAX_NAME_LENGTH:
                raise ScenarioError(
                    file,
                    path,
                    f"expected a name of at most {MAX_NAME_LENGTH} characters (it names the "
                    f"results folder), got {len(item)}",
                    line,
                )
            return item
        case "choice":
            if not isinstance(item, str) or item not in spec.choices:
                hint = did_you_mean(item, spec.choices) if isinstance(item, str) else ""
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}{hint}", line)
            return item
        case "members":
            if not isinstance(item, list) or not item:
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            for position, entry in enumerate(item, start=1):
                if not isinstance(entry, str) or entry not in schema.MEMBERS:
                    hint = did_you_mean(entry, schema.MEMBERS) if isinstance(entry, str) else ""
                    raise ScenarioError(
                        file,
                        path,
                        f"{expected}, got {_describe(entry)} at position {position}{hint}",
                        line,
                    )
            return tuple(item)
        case "units":
            if not isinstance(item, list) or not item:
                raise ScenarioError(file, path, f"{expected}, got {_describe(item)}", line)
            for position, entry in enumerate(item, start=1):
                if (
                    isinstance(entry, bool)
                    or not isinstance(entry, int | float)
                    or not spec.low <= entry <= spec.high
                ):
                    raise ScenarioError(
                        file,
                        path,
                        f"{expected}, got {_describe(entry)} at position {position}",
                        line,
                    )
            return tuple(float(x) for x in item)
    raise AssertionError(spec.kind)  # pragma: no cover


def _check_range(
    file: Path, path: str, spec: Field, item: Any, value: Any, line: int | None, is_root: bool
) -> tuple[float | None, float | None]:
    if item is None:
        return None, None
    if spec.kind not in ("unit", "real", "int"):
        raise ScenarioError(file, f"{path}.range", "only numeric values take a range", line)
    if (
        not isinstance(item, list)
        or len(item) != 2
        or not all(not isinstance(x, bool) and isinstance(x, int | float) for x in item)
    ):
        raise ScenarioError(file, f"{path}.range", "expected [low, high], two numbers", line)
    if not (spec.admits(item[0]) and item[0] <= item[1] and spec.admits(item[1])):  # exact
        raise ScenarioError(
            file,
            f"{path}.range",
            f"expected low <= high within [{spec.low:g}, {spec.high:g}], "
            f"got [{_describe(item[0])}, {_describe(item[1])}]",
            line,
        )
    low, high = float(item[0]), float(item[1])
    if is_root and not low <= value <= high:
        raise ScenarioError(
            file,
            f"{path}.range",
            f"value {value:g} lies outside its range [{low:g}, {high:g}]",
            line,
        )
    return low, high


def _describe(item: Any) -> str:
    """A value as the user wrote it, short enough for a one-line message."""
    if isinstance(item, str):
        text = item if len(item) <= 60 else item[:57] + "..."
        return repr(" ".join(text.split()) if "\n" in text else text)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item) if abs(item) < 10**15 else "a very large integer"
    if isinstance(item, float):
        return f"{item:g}"
    if isinstance(item, Mapping):
        return "a table"
    if isinstance(item, list):
        return "a list"
    if isinstance(item, datetime.date | datetime.time):  # datetime is a date
        return f"a TOML date or time ({item.isoformat()}), not a quoted string"
    return repr(item)


def _check_complete(root: TomlFile, values: Mapping[str, Value]) -> None:
    """A root scenario must set every required value of the schema."""
    optional = {
        "name",
        "title",
        "narrative",
        "extends",
        "drop_events",
        "russia.capacity.shock_at",
        "russia.capacity.shock_size",
        "russia.capacity.recovery_at",
        "russia.capacity.recovery_per_month",
        "russia.capacity.values",
        "russia.capacity.drain_per_month",
    }
    for path in schema.all_leaves():
        if path in optional or path.startswith(("clashes.", "affinity.")) or "_interest." in path:
            continue
        if path not in values:
            spec = schema.leaf(path)
            assert spec is not None
            raise ScenarioError(root.path, path, f"missing (expected {spec.expected()})")


@dataclass(frozen=True)
class NumericRule:
    """A cross-field rule between numeric values: ``holds`` works on numbers and on numpy
    arrays alike, so a sweep checks every design point with the same rule."""

    path: str
    """The value an error names."""
    inputs: tuple[str, ...]
    holds: Callable[..., Any]
    expected: str


#: The numeric cross-field rules of a scenario (a sweep can vary these values).
NUMERIC_RULES: Final = (
    NumericRule(
        "russia.capacity.floor",
        ("russia.capacity.floor", "russia.capacity.ceiling"),
        lambda floor, ceiling: floor <= ceiling,
        "expected floor <= ceiling",
    ),
    NumericRule(
        "mechanisms.peer_weight",
        ("mechanisms.inertia", "mechanisms.peer_weight"),
        lambda inertia, peer: (1.0 - inertia) + peer <= 1.0,
        "expected (1 - inertia) + peer_weight <= 1",
    ),
)


def _broken_rule(scenario: Scenario) -> tuple[str, str, str | None] | None:
    """The first cross-field rule the scenario breaks: (path, what was expected, the path the
    problem is about if not ``path``), or None.

    The rules: the capacity shape's keys, floor <= ceiling, months after the start, and
    (1 - inertia) + peer_weight <= 1.
    """
    values = scenario.values
    shape = scenario["russia.capacity.shape"]
    needs = {
        "drain": ("drain_per_month",),
        "shock": ("shock_at", "shock_size"),
        "recovery": ("recovery_at", "recovery_per_month"),
        "explicit": ("values",),
    }.get(shape, ())
    for key in needs:
        if f"russia.capacity.{key}" not in values:
            return (
                f"russia.capacity.{key}",
                f"missing: the '{shape}' capacity shape needs {', '.join(needs)}",
                "russia.capacity.shape",
            )
    drain = values.get("russia.capacity.drain_per_month")
    if (
        shape == "constant"
        and drain is not None
        and drain.value != 0
        and drain.file == values["russia.capacity.shape"].file
    ):  # an inherited drain is simply not used by a constant path; one set beside it is a slip
        return (
            "russia.capacity.drain_per_month",
            "a 'constant' capacity path must have drain_per_month = 0",
            None,
        )
    capacity, mechanisms = NUMERIC_RULES
    if not capacity.holds(*(scenario[path] for path in capacity.inputs)):
        return capacity.path, capacity.expected, None
    start = scenario.start
    for key in ("shock_at", "recovery_at"):
        path = f"russia.capacity.{key}"
        if path in values and month_index(start, scenario[path]) < 0:
            return path, f"expected a month on or after the start {start}", None
    for key in ("drills.first_at", "summits.first_at"):
        if month_index(start, scenario[key]) < 0:
            return key, f"expected a month on or after the start {start}", None
    if not mechanisms.holds(*(scenario[path] for path in mechanisms.inputs)):
        return mechanisms.path, mechanisms.expected, None
    return None


def _check_consistency(chain: list[TomlFile], scenario: Scenario) -> None:
    """The cross-field rules of :func:`_broken_rule`, for a scenario read from files.

    An error names the scenario's own file (with the line, when the value is set there); a
    value inherited from a parent is named with the file and line that set it.
    """
    broken = _broken_rule(scenario)
    if broken is None:
        return
    path, message, about = broken
    leaf = chain[-1]
    by_file = {str(raw.path): raw for raw in chain}
    key = about or path
    value = scenario.values.get(key)
    origin = by_file.get(value.file) if value is not None else None
    if origin is None or origin is leaf:
        raise ScenarioError(leaf.path, path, message, leaf.lines.path(key))
    line = origin.lines.path(key)
    where = f"{origin.path.name}:{line}" if line else origin.path.name
    raise ScenarioError(leaf.path, path, f"{message} ({key} is set in {where})")


def month_index(start: str, date: str) -> int:
    """Months from ``start`` to ``date`` (both "YYYY-MM"); 0 is the start month."""
    start_match = _DATE.fullmatch(start)
    date_match = _DATE.fullmatch(date)
    if not start_match or not date_match:
        raise ValueError(f"expected months as YYYY-MM, got {start!r} and {date!r}")
    return (int(date_match.group(1)) - int(start_match.group(1))) * 12 + (
        int(date_match.group(2)) - int(start_match.group(2))
    )


def month_label(start: str, offset: int) -> str:
    """The "YYYY-MM" label of the month ``offset`` months after ``start``."""
    match = _DATE.fullmatch(start)
    if not match:
        raise ValueError(f"expected a month as YYYY-MM, got {start!r}")
    total = int(match.group(1)) * 12 + int(match.group(2)) - 1 + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


# --- events ----------------------------------------------------------------------------------


def _merge_events(raw: TomlFile, inherited: list[dict[str, Any]]) -> list[dict[str, Any]]:
    drop = raw.data.get("drop_events", [])
    if not isinstance(drop, list) or not all(isinstance(x, str) for x in drop):
        raise ScenarioError(
            raw.path,
            "drop_events",
            "expected a list of event ids",
            raw.lines.line("drop_events"),
        )
    known = {event.get("id") for event in inherited}
    for event_id in drop:
        if event_id not in known:
            hint = did_you_mean(event_id, [str(k) for k in known if k])
            raise ScenarioError(
                raw.path,
                "drop_events",
                f"no inherited event with id '{event_id}'{hint}",
                raw.lines.line("drop_events"),
            )
    kept = [event for event in inherited if event.get("id") not in drop]
    own = raw.data.get("events", [])
    if not isinstance(own, list) or not all(isinstance(x, Mapping) for x in own):
        raise ScenarioError(
            raw.path, "events", "expected [[events]] tables", raw.lines.line("events")
        )
    for index, event in enumerate(own):
        checked = dict(event)
        checked["_file"] = str(raw.path)
        checked["_index"] = index
        checked["_line"] = raw.lines.nth("[[events]]", index)
        kept.append(checked)
    return kept


def _resolve_event(raw: TomlFile, scenario: Scenario, event: Mapping[str, Any]) -> ScenarioEvent:
    file = event["_file"]
    index = event["_index"]
    line = event["_line"]
    prefix = f"events[{index}]"
    checked: dict[str, Any] = {}
    for key, item in event.items():
        if key.startswith("_"):
            continue
        spec = schema.EVENT_FIELDS.get(key)
        if spec is None:
            hint = did_you_mean(key, schema.EVENT_FIELDS)
            raise ScenarioError(
                file,
                f"{prefix}.{key}",
                f"unknown key '{key}' (expected one of {', '.join(schema.EVENT_FIELDS)}){hint}",
                line,
            )
        checked[key] = _check_value(file, f"{prefix}.{key}", spec, item, line)
    for key in ("at", "kind"):
        if key not in checked:
            spec = schema.EVENT_FIELDS[key]
            raise ScenarioError(
                file, f"{prefix}.{key}", f"missing (expected {spec.expected()})", line
            )
    kind = checked["kind"]
    for key in schema.EVENT_REQUIRED[kind]:
        if key not in checked:
            spec = schema.EVENT_FIELDS[key]
            raise ScenarioError(
                file,
                f"{prefix}.{key}",
                f"missing: a '{kind}' event needs {key} ({spec.expected()})",
                line,
            )
    if kind == "clash":
        members = checked.get("members", ())
        has_pair = len(members) == 2 and members[0] != members[1]
        has_adversary = "member" in checked and "adversary" in checked
        if not has_pair and not has_adversary:
            raise ScenarioError(
                file,
                prefix,
                "a 'clash' event needs members = [two different members] or member and adversary",
                line,
            )
    month = month_index(scenario.start, checked["at"])
    if month < 0 and file != str(raw.path):
        where = f"{Path(file).name}:{line}" if line else Path(file).name
        raise ScenarioError(
            raw.path,
            "start",
            f"inherited event '{checked.get('id', prefix)}' ({checked['at']}, set in {where}) "
            f"lies before the start {scenario.start}; drop it with drop_events",
            raw.lines.line("start"),
        )
    if month < 0:
        raise ScenarioError(
            file, f"{prefix}.at", f"expected a month on or after the start {scenario.start}", line
        )
    members = tuple(checked.get("members", ()))
    return ScenarioEvent(
        id=str(checked.get("id", f"{Path(file).stem}-{index}")),
        at=checked["at"],
        month=month,
        kind=kind,
        member=checked.get("member", ""),
        members=members,
        power=checked.get("power", ""),
        adversary=checked.get("adversary", ""),
        size=checked.get("size"),
        posture_rise=checked.get("posture_rise"),
        cost=checked.get("cost"),
        aversion=checked.get("aversion"),
        lever=checked.get("lever", "energy" if kind == "pipeline_suspension" else ""),
        note=checked.get("note", ""),
    )
