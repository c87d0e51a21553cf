"""The values a student may move: a scenario's uncertain values, checked entries, the tweak.

An *uncertain value* is a numeric scenario value whose file gives a range (``range = [a, b]``
with ``a < b``): the dashboard shows a slider bounded by that range, the source beside it, and
a box to type a number into, refused outside the range. Which values those are is read from
the scenario and the schema (:mod:`sim.scenario.schema`), never listed here, so a key a new
model version adds to the scenario files appears in the dashboard as soon as a file gives it
a range.

A *tweak* is the set of values a student has changed: :func:`tweaked` applies it (checked like a
child scenario's values) and :func:`tweak_toml` writes it as a child scenario file that
``csto validate`` accepts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from sim.scenario import Scenario, schema
from sim.scenario.resolve import MAX_NAME_LENGTH

#: Schema kinds a slider can move.
NUMERIC_KINDS: Final = ("unit", "real", "int")
#: Positions a slider has between the ends of a range, at least (its step is a power of ten).
SLIDER_POSITIONS: Final = 100

#: A number as a student may type it: ASCII digits, an optional sign, point and exponent.
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Uncertain:
    """One uncertain value of a scenario, as the dashboard shows it."""

    path: str
    group: str
    """The panel it is shown in: ``russia.capacity``, ``members.Kazakhstan``, ``mechanisms``."""
    key: str
    """Its name within the group: ``initial``, ``trust``, ``interest.Kazakhstan``."""
    meaning: str
    value: float
    low: float
    high: float
    integer: bool
    source: str
    file: str

    @property
    def step(self) -> float:
        """The slider's step: 1 for whole numbers, else the power of ten that gives at least
        :data:`SLIDER_POSITIONS` positions over the range."""
        if self.integer:
            return 1.0
        return float(10 ** math.floor(math.log10((self.high - self.low) / SLIDER_POSITIONS)))

    @property
    def range_text(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"

    def expected(self) -> str:
        """What an entry must be, with the range and the file it comes from."""
        what = "a whole number" if self.integer else "a number"
        return f"expected {what} in {self.range_text} (the range in {Path(self.file).name})"


def group_of(path: str) -> tuple[str, str]:
    """The panel a dotted path is shown in, and its key there.

    >>> group_of("members.Kazakhstan.trust")
    ('members.Kazakhstan', 'trust')
    >>> group_of("powers.China.interest.Kazakhstan")
    ('powers.China', 'interest.Kazakhstan')
    >>> group_of("russia.capacity.initial")
    ('russia.capacity', 'initial')
    """
    parts = path.split(".")
    cut = 2 if parts[0] in ("members", "powers") and len(parts) > 2 else len(parts) - 1
    return ".".join(parts[:cut]), ".".join(parts[cut:])


def group_title(group: str) -> str:
    """A panel's title in words.

    >>> group_title("members.Kazakhstan"), group_title("russia.capacity")
    ('Kazakhstan (member)', "Russia's capacity")
    """
    parts = group.split(".")
    match parts:
        case ["members", name]:
            return f"{name} (member)"
        case ["powers", name]:
            return f"{name} (outside power)"
        case ["russia", *rest]:
            return "Russia" + ("'s " + " ".join(rest).replace("_", " ") if rest else "")
    return " ".join(parts).replace("_", " ").capitalize()


def uncertain_values(scenario: Scenario) -> list[Uncertain]:
    """Every uncertain value of a scenario, in schema order (then any the schema walk missed)."""
    order = {path: index for index, path in enumerate(schema.all_leaves())}
    found: list[Uncertain] = []
    for path in sorted(scenario.values, key=lambda p: (order.get(p, len(order)), p)):
        value = scenario.values[path]
        spec = schema.leaf(path)
        if spec is None or spec.kind not in NUMERIC_KINDS or not value.has_range:
            continue
        assert value.low is not None and value.high is not None
        if not value.low < value.high or isinstance(value.value, bool):
            continue
        group, key = group_of(path)
        found.append(
            Uncertain(
                path=path,
                group=group,
                key=key,
                meaning=spec.meaning,
                value=float(value.value),
                low=float(value.low),
                high=float(value.high),
                integer=spec.kind == "int",
                source=value.source,
                file=value.file,
            )
        )
    return found


def parse_entry(item: Uncertain, text: str) -> tuple[float | None, str | None]:
    """A typed entry as a value of ``item``, or the reason it is refused (with the range).

    >>> item = Uncertain("russia.reserve", "russia", "reserve", "", 0.2, 0.1, 0.4, False,
    ...                  "", "baseline-2022.toml")
    >>> parse_entry(item, " 0.25 ")
    (0.25, None)
    >>> parse_entry(item, "0.9")[1]
    'expected a number in [0.1, 0.4] (the range in baseline-2022.toml), got 0.9'
    """
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        shown = cleaned if len(cleaned) <= 20 else cleaned[:17] + "..."
        return None, f"{item.expected()}, got {shown!r}"
    number = float(cleaned)
    if item.integer and not number.is_integer():
        return None, f"{item.expected()}, got {cleaned}"
    spec = schema.leaf(item.path)
    admitted = spec.admits(number) if spec is not None else True
    if not (math.isfinite(number) and item.low <= number <= item.high and admitted):
        return None, f"{item.expected()}, got {cleaned}"
    return (float(int(number)) if item.integer else number), None


def changed_values(items: list[Uncertain], changes: Mapping[str, float]) -> dict[str, float]:
    """The changes that differ from the scenario's values (ints as ints), in panel order."""
    by_path = {item.path: item for item in items}
    kept: dict[str, float] = {}
    for path, value in changes.items():
        item = by_path.get(path)
        if item is None or value == item.value:
            continue
        kept[path] = int(value) if item.integer else float(value)
    return kept


def tweak_name(parent: Scenario, changes: Mapping[str, float]) -> str:
    """The tweaked scenario's name: the parent's plus a digest of the changes (the same changes
    give the same name, so the same results folder).

    >>> from sim.scenario import load
    >>> tweak_name(load("baseline-2022"), {})
    'baseline-2022'
    >>> tweak_name(load("baseline-2022"), {"russia.reserve": 0.3})
    'baseline-2022-tweak-...'
    """
    if not changes:
        return parent.name
    text = json.dumps(sorted(changes.items()), separators=(",", ":"))
    digest = hashlib.sha256(f"{parent.digest}:{text}".encode()).hexdigest()[:8]
    suffix = f"-tweak-{digest}"
    return parent.name[: MAX_NAME_LENGTH - len(suffix)] + suffix


def tweaked(parent: Scenario, changes: Mapping[str, float]) -> Scenario:
    """The parent with the changes applied and named by :func:`tweak_name` (a ScenarioError if
    they break a rule between values, such as a floor above the ceiling)."""
    if not changes:
        return parent
    changed = parent.with_values(changes, origin="csto dashboard")
    return replace(changed, name=tweak_name(parent, changes))


def parent_reference(parent: Scenario) -> str:
    """How a child file names the parent: its name if it is in the library, else its path."""
    from sim.scenario import available

    leaf = Path(parent.files[-1]).resolve()
    library = available().get(parent.name)
    if library is not None and library.resolve() == leaf:
        return parent.name
    return str(leaf)


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (escapes \\ \" \n \uXXXX).
    return json.dumps(text, ensure_ascii=False)


def _toml_key(path: str) -> str:
    return ".".join(
        part if _BARE_KEY.fullmatch(part) else _toml_string(part) for part in path.split(".")
    )


def _toml_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(value)


def tweak_toml(parent: Scenario, items: list[Uncertain], changes: Mapping[str, float]) -> str:
    """The tweak as a child scenario file of ``parent``, each changed value with its source."""
    changed = changed_values(items, changes)
    by_path = {item.path: item for item in items}
    name = tweak_name(parent, changed)
    count = f"{len(changed)} value{'s' if len(changed) != 1 else ''}"
    lines = [
        f"# Made with csto dashboard from {parent.name}: {count} changed by hand.",
        f"name = {_toml_string(name)}",
        f"extends = {_toml_string(parent_reference(parent))}",
        f"title = {_toml_string(f'{parent.name} with {count} changed in the dashboard')}",
        f"narrative = {_toml_string(parent.narrative.strip() or parent.title)}",
        "",
    ]
    for path, value in changed.items():
        item = by_path[path]
        source = (
            f"set in csto dashboard (was {item.value:g}; range {item.range_text} "
            f"in {Path(item.file).name})"
        )
        lines.append(
            f"{_toml_key(path)} = {{ value = {_toml_number(value)}, "
            f"source = {_toml_string(source)} }}"
        )
    return "\n".join(lines) + "\n"
