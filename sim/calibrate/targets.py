"""What a calibration is fitted to: targets read from one data file, each with its source.

A targets file (``calibration/<scenario>-targets.toml``) lists summary statistics of a run with
the value the article (or a public figure) gives them, an uncertainty and the sentence they
rest on. Each target is a linear read-out of the time series, so thousands of runs yield their
statistics without an event log:

* ``at = "YYYY-MM"``: a series' value at the end of that month (a member's alignment in
  October 2022);
* ``during = "YYYY-MM"``: how much a counter rose in that month (Armenia's ignored appeals in
  September 2022, drills cancelled in October 2022).

``kind`` says what a target is: ``state`` (a judgement of the state at a month), ``event``
(what happened in a month) or ``expectation`` (what the article expects of the months after it,
as known in October 2022). Only what was known by the end of October 2022 may enter.

>>> targets = read_targets(default_path("baseline-2022"))
>>> targets[0].name, targets[0].value
('alignment-Belarus-2022-10', 0.95)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES
from sim.scenario import month_index, schema
from sim.scenario.resolve import _DATE

FloatArray = npt.NDArray[np.float64]

KINDS: Final = ("state", "event", "expectation")
#: Where targets files live: the project's ``calibration/``, else the installed copy.
TARGETS_DIRS: Final = (
    Path(__file__).resolve().parent.parent.parent / "calibration",
    Path(__file__).resolve().parent.parent / "_calibration",
)
_KEYS: Final = (
    "name",
    "series",
    "member",
    "at",
    "during",
    "value",
    "sd",
    "kind",
    "source",
)


class TargetsError(ValueError):
    """A targets file that cannot be used, with a one-line reason naming file and key."""

    def __init__(self, file: str | Path, key: str, expected: str) -> None:
        super().__init__(f"{file}: {key}: {expected}" if key else f"{file}: {expected}")


@dataclass(frozen=True)
class Target:
    """One summary statistic and the value it should take."""

    name: str
    series: str
    member: str | None
    month: str
    change: bool
    """True for ``during`` (the rise over the month), False for ``at`` (the value at its end)."""
    value: float
    sd: float
    kind: str
    source: str

    def step(self, start: str) -> int:
        """The time series' row the month ends at (row ``s`` is the end of month ``s``)."""
        return month_index(start, self.month) + 1

    def read(self, series: Mapping[str, FloatArray], start: str) -> FloatArray:
        """The statistic for every run of a batch's recorded ``series``."""
        values = series[self.series]
        if self.member is not None:
            values = values[..., schema.MEMBERS.index(self.member)]
        step = self.step(start)
        result: FloatArray = (
            values[:, step] - values[:, step - 1] if self.change else values[:, step]
        )
        return result

    @property
    def text(self) -> str:
        where = f"{self.member}'s " if self.member else ""
        when = f"in {self.month}" if self.change else f"at the end of {self.month}"
        return f"{where}{self.series.replace('_', ' ')} {when}"


def default_path(scenario: str) -> Path:
    """The targets file of a named scenario (``calibration/<name>-targets.toml``)."""
    name = f"{scenario}-targets.toml"
    for folder in TARGETS_DIRS:
        if (folder / name).is_file():
            return folder / name
    return TARGETS_DIRS[0] / name


def read_targets(path: Path) -> tuple[Target, ...]:
    """Targets from a file, each checked (a one-line :class:`TargetsError` otherwise)."""
    if not path.is_file():
        raise TargetsError(path, "", "no targets file (expected a TOML file of [[targets]])")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TargetsError(path, "", f"not valid TOML ({error})") from None
    entries = data.get("targets")
    if not isinstance(entries, list) or not entries:
        raise TargetsError(path, "targets", "expected one or more [[targets]] tables")
    targets = [_target(path, index, entry) for index, entry in enumerate(entries)]
    names = [target.name for target in targets]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise TargetsError(path, duplicate, "name used twice (expected each target once)")
    return tuple(targets)


def _target(path: Path, index: int, entry: Any) -> Target:
    where = f"targets[{index}]"
    if not isinstance(entry, Mapping):
        raise TargetsError(path, where, "expected a table")
    unknown = [key for key in entry if key not in _KEYS]
    if unknown:
        raise TargetsError(
            path, f"{where}.{unknown[0]}", f"unknown key (expected {', '.join(_KEYS)})"
        )
    for key in ("name", "series", "value", "sd", "kind", "source"):
        if key not in entry:
            raise TargetsError(path, f"{where}.{key}", "missing")
    name = entry["name"]
    if not isinstance(name, str) or not name:
        raise TargetsError(path, f"{where}.name", "expected a non-empty string")
    series = entry["series"]
    member = entry.get("member")
    if member is None and series not in ALLIANCE_SERIES:
        raise TargetsError(
            path,
            f"{name}.series",
            f"expected an alliance series ({', '.join(ALLIANCE_SERIES)}) "
            "or a member series with a member",
        )
    if member is not None:
        if member not in schema.MEMBERS:
            raise TargetsError(
                path, f"{name}.member", f"expected one of {', '.join(schema.MEMBERS)}"
            )
        if series not in MEMBER_SERIES:
            raise TargetsError(path, f"{name}.series", "expected a member series (see docs/cli.md)")
    if ("at" in entry) == ("during" in entry):
        raise TargetsError(
            path, name, 'expected exactly one of at = "YYYY-MM" or during = "YYYY-MM"'
        )
    month = entry.get("at", entry.get("during"))
    if not isinstance(month, str) or not _DATE.fullmatch(month):
        raise TargetsError(
            path, f"{name}.{'at' if 'at' in entry else 'during'}", 'expected "YYYY-MM"'
        )
    for key in ("value", "sd"):
        item = entry[key]
        if isinstance(item, bool) or not isinstance(item, int | float) or not np.isfinite(item):
            raise TargetsError(path, f"{name}.{key}", "expected a number")
    if entry["sd"] <= 0:
        raise TargetsError(path, f"{name}.sd", "expected a positive number")
    if entry["kind"] not in KINDS:
        raise TargetsError(path, f"{name}.kind", f"expected one of {', '.join(KINDS)}")
    source = entry["source"]
    if not isinstance(source, str) or not source.strip():
        raise TargetsError(path, f"{name}.source", "expected the sentence or figure it rests on")
    return Target(
        name=name,
        series=str(series),
        member=member,
        month=month,
        change="during" in entry,
        value=float(entry["value"]),
        sd=float(entry["sd"]),
        kind=str(entry["kind"]),
        source=source,
    )


def check_against(targets: Sequence[Target], start: str, steps: int, path: Path) -> None:
    """Every target's month must fall within a run from ``start`` for ``steps`` months."""
    for target in targets:
        step = target.step(start)
        if step < 1 or step > steps:
            raise TargetsError(
                path,
                f"{target.name}.{'during' if target.change else 'at'}",
                f"{target.month} lies outside the run ({start} for {steps} months)",
            )


def series_needed(targets: Sequence[Target]) -> tuple[str, ...]:
    """The time series a batch must record to read the targets."""
    return tuple(sorted({target.series for target in targets}))


def statistics(
    targets: Sequence[Target], series: Mapping[str, FloatArray], start: str
) -> FloatArray:
    """Every target's statistic for every run: shape (runs, targets)."""
    return np.stack([target.read(series, start) for target in targets], axis=-1)
