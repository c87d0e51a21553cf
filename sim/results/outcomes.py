"""What an outcome is: the one registry of the numbers a run ends with, and the tables of them.

An :class:`Outcome` is one number (or name) per run: its name, type, words and unit, the member
it belongs to (if any), and how it is computed from a batch of runs
(:class:`sim.engine.BatchResult`: numpy arrays with a leading runs axis). Some need the batch's
time series or event log recorded (``needs``). Groups say where an outcome is used:

* ``sweep``: what a sweep records (all of them by default; a sweep file's ``outcomes`` chooses);
* ``summary``: the per-run summary (``summary.csv``, :attr:`sim.results.run.RunResult.summary`);
* ``threshold``: the outcomes ``csto threshold --help`` names first (any outcome whose replicate
  mean means something, :attr:`Outcome.averageable`, can be used);
* ``compared``: the final outcomes a comparison reports differences in by default (its table,
  its summary, ``differences.csv``);
* ``sweep report``: the outcomes a sweep's report draws responses of and gives sensitivity
  indices for (a member outcome: one figure for all members);
* ``sweep totals``: the outcomes the end-of-sweep summary describes (mean, sd, range).

Adding an outcome is adding one entry to :data:`ENTRIES`: ``--outcome`` of ``csto compare``,
``csto threshold`` and ``csto report`` accepts it (if its mean over runs means something), and
its groups put it in comparisons' tables and sweep reports. Its unit gives the range a level
must lie in (:attr:`Outcome.bounds`) and the size of a difference that matters
(:attr:`Outcome.negligible`). Tables lay outcomes out in registry
order, with one rule for member outcomes (those with a ``member``): a sweep's table
(:func:`outcome_table`) puts them after every alliance-wide outcome, outcome by outcome
(``final_alignment_Belarus ... final_alignment_Armenia, freeze_step_Belarus, ...``); a summary
(:func:`summary_table`) keeps them where the first of them stands, member by member
(``final_alignment_Belarus, final_trust_Belarus, freeze_step_Belarus, final_alignment_...``).

>>> REGISTRY.get("Cohesion").name           # any case, or an alias
'final_cohesion'
>>> REGISTRY.get("final_alignment_Armenia").text
'final alignment of Armenia (0 exit – 1 loyal)'
>>> REGISTRY.names("compared")[:4]
('final_cohesion', 'min_cohesion', 'froze', 'final_alignment_Belarus')
>>> REGISTRY.get("cohesion").bounds, REGISTRY.get("cohesion").negligible
((0.0, 1.0), 0.01)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from sim.scenario import schema

if TYPE_CHECKING:
    import pandas as pd

    from sim.engine import BatchResult

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

#: The type of an outcome's values. A ``bool`` outcome reads as 0.0/1.0 in a table, so that its
#: mean over runs is a share.
OutcomeType = Literal["float", "int", "bool", "str"]

SWEEP: Final = "sweep"
SUMMARY: Final = "summary"
THRESHOLD: Final = "threshold"
COMPARED: Final = "compared"
SWEEP_REPORT: Final = "sweep report"
SWEEP_TOTALS: Final = "sweep totals"
GROUPS: Final = (SWEEP, SUMMARY, THRESHOLD, COMPARED, SWEEP_REPORT, SWEEP_TOTALS)

#: What an outcome may need recorded besides the per-run arrays every batch has.
SERIES: Final = "series"
EVENTS: Final = "events"

#: A nullable integer outcome holds this where the thing it counts the step of did not happen
#: (a sweep's table keeps it; a summary leaves the cell empty).
NONE_STEP: Final = -1

#: Units, in the words the reports print them with.
INDEX: Final = "index 0–1"
ALIGNMENT: Final = "0 exit – 1 loyal"
SHARE: Final = "0–1"
STEP: Final = "step, 1 = the first month"
COUNT: Final = "count per run"

#: The range of values each unit allows (a ``--level`` outside it is refused).
UNIT_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    INDEX: (0.0, 1.0),
    ALIGNMENT: (0.0, 1.0),
    SHARE: (0.0, 1.0),
    STEP: (0.0, math.inf),
    COUNT: (0.0, math.inf),
}

#: The smallest difference that matters, by unit: a difference of means below it is called
#: negligible even when its interval excludes zero (a hundredth on a 0–1 scale, a tenth of an
#: event per run, a month). Documented in docs/reports.md ("Honest wording").
UNIT_NEGLIGIBLE: Final[dict[str, float]] = {
    INDEX: 0.01,
    ALIGNMENT: 0.01,
    SHARE: 0.01,
    STEP: 1.0,
    COUNT: 0.1,
}


class UnknownOutcome(ValueError):
    """An outcome name the registry (or one of its groups) does not hold."""


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run.

    ``compute`` returns one value per run of a batch: float64, int64 (nullable ones hold
    :data:`NONE_STEP` for "did not happen"), bool, or an object array of strings (None for
    "none"). ``derive``, where given, computes the outcome from the columns ``derived_from`` of
    a table already written (a results folder's summary or a sweep's runs).
    """

    name: str
    type: OutcomeType
    label: str
    unit: str
    compute: Callable[[BatchResult], npt.NDArray[Any]]
    groups: frozenset[str]
    member: str | None = None
    needs: frozenset[str] = frozenset()
    nullable: bool = False
    aliases: tuple[str, ...] = ()
    event: str | None = None
    """The event kind this outcome counts, if it is a count of events."""
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    derived_from: tuple[str, ...] = ()
    series: str | None = None
    """The time-series column (of ``sim.model.state``) whose last value this outcome is, if
    any: reports draw its path over time (for a member outcome, the member's rows)."""
    scale: tuple[float, float] | None = None
    """The range of its values, where its unit does not give it (:data:`UNIT_BOUNDS`)."""
    matters: float | None = None
    """The smallest difference that matters, where its unit does not give it
    (:data:`UNIT_NEGLIGIBLE`)."""

    @property
    def text(self) -> str:
        """The words and the unit: "final cohesion (index 0–1)"."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def family(self) -> str:
        """The name without its member: ``final_alignment`` for ``final_alignment_Belarus``."""
        return self.name.removesuffix(f"_{self.member}") if self.member else self.name

    @property
    def averageable(self) -> bool:
        """True if its mean over runs means something: a number, a share, a count (not a name,
        nor a step that may not happen)."""
        return self.type in ("float", "bool") or (self.type == "int" and not self.nullable)

    @property
    def bounds(self) -> tuple[float, float]:
        """The range of its values (unbounded where neither its unit nor it says)."""
        if self.scale is not None:
            return self.scale
        return UNIT_BOUNDS.get(self.unit, (-math.inf, math.inf))

    @property
    def negligible(self) -> float:
        """The smallest difference of means that matters (0: every difference matters)."""
        if self.matters is not None:
            return self.matters
        return UNIT_NEGLIGIBLE.get(self.unit, 0.0)

    def values(self, batch: BatchResult) -> npt.NDArray[Any]:
        """One value per run of ``batch`` (a ValueError if what it needs was not recorded)."""
        check_recorded(batch, [self], self.name)
        return self.compute(batch)


class Registry:
    """Outcomes in order, found by name (any case) or alias."""

    def __init__(self, entries: Iterable[Outcome]) -> None:
        self.entries: tuple[Outcome, ...] = tuple(entries)
        self.by_name: dict[str, Outcome] = {entry.name: entry for entry in self.entries}
        self._index: dict[str, Outcome] = {}
        for entry in self.entries:
            unknown = entry.groups - set(GROUPS)
            if unknown:
                raise ValueError(f"outcome {entry.name}: unknown group(s) {sorted(unknown)}")
            for spelling in (entry.name, *entry.aliases):
                key = spelling.lower()
                if key in self._index:
                    raise ValueError(f"outcome name {spelling!r} is used twice")
                self._index[key] = entry

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        """True for an outcome's exact name (a table's column), not for other spellings."""
        return name in self.by_name

    def with_entries(self, *extra: Outcome) -> Registry:
        """A copy of this registry with ``extra`` outcomes added at the end."""
        return Registry((*self.entries, *extra))

    def group(self, group: str) -> tuple[Outcome, ...]:
        """The outcomes of a group, in registry order."""
        if group not in GROUPS:
            raise ValueError(f"unknown outcome group {group!r} (expected one of {GROUPS})")
        return tuple(entry for entry in self.entries if group in entry.groups)

    def names(self, group: str | None = None) -> tuple[str, ...]:
        """Names of the outcomes (of a group), in registry order."""
        entries = self.entries if group is None else self.group(group)
        return tuple(entry.name for entry in entries)

    def averageable(self, names: Iterable[str] | None = None) -> tuple[Outcome, ...]:
        """The outcomes whose mean over runs means something (:attr:`Outcome.averageable`),
        of ``names`` (columns of a table; derivable ones count) if given, in registry order."""
        present = None if names is None else set(names)
        return tuple(
            entry
            for entry in self.entries
            if entry.averageable
            and (
                present is None
                or entry.name in present
                or (entry.derive is not None and set(entry.derived_from) <= present)
            )
        )

    def get(
        self,
        name: str,
        group: str | None = None,
        among: Sequence[Outcome] | None = None,
        what: str | None = None,
    ) -> Outcome:
        """The outcome called ``name`` (any case, or one of its aliases), from ``group`` or
        ``among`` if given (``what`` names those in messages); an :class:`UnknownOutcome`
        naming the choices, with a did-you-mean hint."""
        if among is not None:
            candidates: Sequence[Outcome] = tuple(among)
        else:
            candidates = self.entries if group is None else self.group(group)
        found = self._index.get(name.lower())
        if found is not None and found in candidates:
            return found
        if found is not None:
            kind = what or f"{group} outcomes"
            raise UnknownOutcome(
                f"outcome '{name}' is not one of the {kind} "
                f"(expected one of {choices_text(candidates)})"
            )
        spellings = [s for entry in candidates for s in (entry.name, *entry.aliases)]
        close = difflib.get_close_matches(name.lower(), [s.lower() for s in spellings], n=1)
        hint = f"; did you mean '{_spelling(spellings, close[0])}'?" if close else ""
        raise UnknownOutcome(
            f"unknown outcome '{name}' (expected one of {choices_text(candidates)}){hint}"
        )

    def text(self, name: str) -> str:
        """The words and unit of an outcome, or the name in words if it is not one."""
        if name in self.by_name:
            return self.by_name[name].text
        return name.replace("_", " ")

    def derived(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with every outcome it lacks but can derive from its columns added."""
        added = {
            entry.name: entry.derive(table)
            for entry in self.entries
            if entry.derive is not None
            and entry.name not in table
            and all(column in table for column in entry.derived_from)
        }
        return table.assign(**added) if added else table


def choices_text(entries: Sequence[Outcome]) -> str:
    """Outcomes as the choices of an error message: aliases in brackets, and a member outcome
    given for every member as one ``..._<member>`` choice.

    >>> choices_text(REGISTRY.group("threshold"))[:75]
    'final_cohesion (or cohesion), min_cohesion, froze (or freeze, exit, exited)'
    """
    texts: list[str] = []
    families: set[str] = set()
    every = set(schema.MEMBERS)
    for entry in entries:
        whole = (
            entry.member is not None
            and {
                str(other.member)
                for other in entries
                if other.member is not None and other.family == entry.family
            }
            == every
        )
        if whole and entry.family in families:
            continue
        name, aliases = entry.name, entry.aliases
        if whole:
            families.add(entry.family)
            name = f"{entry.family}_<member>"
            aliases = tuple(a.removesuffix(f"_{entry.member}") + "_<member>" for a in aliases)
        texts.append(f"{name} (or {', '.join(aliases)})" if aliases else name)
    members = f"; <member>: {', '.join(schema.MEMBERS)}" if families else ""
    return ", ".join(texts) + members


def _spelling(spellings: Sequence[str], lowered: str) -> str:
    return next(spelling for spelling in spellings if spelling.lower() == lowered)


def check_recorded(batch: BatchResult, entries: Iterable[Outcome], what: str) -> None:
    """A ValueError if ``entries`` need a time series or events that ``batch`` did not record
    (the message names every option they need)."""
    needs: set[str] = set()
    for entry in entries:
        needs |= entry.needs
    recorded = {SERIES: batch.series is not None, EVENTS: batch.events is not None}
    if all(recorded[need] for need in needs):
        return
    options = [
        option
        for need, option in ((SERIES, "timeseries=True"), (EVENTS, "events=True"))
        if need in needs
    ]
    raise ValueError(f"{what} needs simulate(..., {', '.join(options)})")


# --- how outcomes are computed from a batch --------------------------------------------------


def first_freeze(batch: BatchResult) -> tuple[IntArray, ObjectArray]:
    """Step of the first freeze in each run (-1 if none) and which member (None if none)."""
    steps = np.where(batch.freeze_step < 0, np.iinfo(np.int64).max, batch.freeze_step)
    first = steps.min(axis=1)
    member = steps.argmin(axis=1)
    froze = first != np.iinfo(np.int64).max
    names = np.array(schema.MEMBERS, dtype=object)[member]
    return (
        np.where(froze, first, NONE_STEP),
        np.where(froze, names, np.array(None, dtype=object)),
    )


def _happened(step: Callable[[BatchResult], IntArray], column: str) -> dict[str, Any]:
    """``compute`` and ``derive`` of a bool outcome: did the step outcome ``column`` happen."""

    def compute(batch: BatchResult) -> npt.NDArray[np.bool_]:
        happened: npt.NDArray[np.bool_] = step(batch) >= 0
        return happened

    def derive(table: pd.DataFrame) -> pd.Series:
        import pandas as pd

        steps = pd.to_numeric(table[column], errors="coerce").fillna(NONE_STEP)
        return (steps >= 0).astype(np.float64)

    return {"compute": compute, "derive": derive, "derived_from": (column,)}


def _member(index: int, array: str) -> Callable[[BatchResult], npt.NDArray[Any]]:
    def column(batch: BatchResult) -> npt.NDArray[Any]:
        values: npt.NDArray[Any] = getattr(batch, array)[:, index]
        return values

    return column


def _member_entries(make: Callable[[int, str], Outcome]) -> tuple[Outcome, ...]:
    return tuple(make(index, name) for index, name in enumerate(schema.MEMBERS))


def _groups(*names: str) -> frozenset[str]:
    return frozenset(names)


def _first_freeze_step(batch: BatchResult) -> IntArray:
    return first_freeze(batch)[0].astype(np.int64)


def _first_freeze_member(batch: BatchResult) -> ObjectArray:
    return first_freeze(batch)[1]


#: Every outcome, in the order tables list them (see the module's docstring for the layouts).
ENTRIES: Final[tuple[Outcome, ...]] = (
    Outcome(
        "initial_cohesion",
        "float",
        "initial cohesion",
        INDEX,
        lambda batch: batch.initial_cohesion,
        _groups(SWEEP, SUMMARY),
    ),
    Outcome(
        "final_cohesion",
        "float",
        "final cohesion",
        INDEX,
        lambda batch: batch.final_cohesion,
        _groups(SWEEP, SUMMARY, THRESHOLD, COMPARED, SWEEP_REPORT, SWEEP_TOTALS),
        aliases=("cohesion",),
        series="cohesion",
    ),
    Outcome(
        "min_cohesion",
        "float",
        "lowest cohesion",
        INDEX,
        lambda batch: batch.min_cohesion,
        _groups(SWEEP, SUMMARY, THRESHOLD, COMPARED, SWEEP_REPORT, SWEEP_TOTALS),
    ),
    Outcome(
        "min_cohesion_step",
        "int",
        "step of the lowest cohesion",
        "step, 0 = the start",
        lambda batch: batch.min_cohesion_step,
        _groups(SUMMARY),
        scale=(0.0, math.inf),
        matters=1.0,
    ),
    Outcome(
        "final_capacity",
        "float",
        "Russia's capacity for the region at the end",
        "share of its pre-war level",
        lambda batch: batch.final_capacity,
        _groups(SUMMARY),
        series="capacity",
        scale=(0.0, math.inf),
        matters=0.01,
    ),
    Outcome(
        "froze",
        "bool",
        "share of runs in which a member froze its participation (exit)",
        SHARE,
        groups=_groups(THRESHOLD, COMPARED, SWEEP_REPORT),
        aliases=("freeze", "exit", "exited"),
        **_happened(_first_freeze_step, "first_freeze_step"),
    ),
    *_member_entries(
        lambda index, name: Outcome(
            f"final_alignment_{name}",
            "float",
            f"final alignment of {name}",
            ALIGNMENT,
            _member(index, "final_alignment"),
            _groups(SWEEP, SUMMARY, THRESHOLD, COMPARED, SWEEP_REPORT),
            member=name,
            aliases=(f"alignment_{name}",),
            series="alignment",
        )
    ),
    *_member_entries(
        lambda index, name: Outcome(
            f"final_trust_{name}",
            "float",
            f"final trust of {name} in Russia's guarantee",
            SHARE,
            _member(index, "final_trust"),
            _groups(SUMMARY),
            member=name,
            series="trust",
        )
    ),
    *_member_entries(
        lambda index, name: Outcome(
            f"freeze_step_{name}",
            "int",
            f"step at which {name} froze its participation (exit)",
            STEP,
            _member(index, "freeze_step"),
            _groups(SWEEP, SUMMARY),
            member=name,
            nullable=True,
            aliases=(f"exit_step_{name}",),
        )
    ),
    *_member_entries(
        lambda index, name: Outcome(
            f"froze_{name}",
            "bool",
            f"share of runs in which {name} froze its participation (exit)",
            SHARE,
            groups=_groups(THRESHOLD, COMPARED, SWEEP_REPORT),
            member=name,
            aliases=(f"freeze_{name}", f"exit_{name}", f"exited_{name}"),
            **_happened(_member(index, "freeze_step"), f"freeze_step_{name}"),
        )
    ),
    *_member_entries(
        lambda index, name: Outcome(
            f"voice_acts_{name}",
            "int",
            f"voice acts by {name} (refused drills, unsigned declarations, boycotts, criticism)",
            COUNT,
            _member(index, "voice_acts"),
            _groups(SWEEP, SUMMARY, THRESHOLD, COMPARED, SWEEP_REPORT),
            member=name,
            aliases=(f"voice_{name}",),
            series="voice_acts",
        )
    ),
    Outcome(
        "first_freeze_step",
        "int",
        "step at which a member first froze its participation",
        STEP,
        _first_freeze_step,
        _groups(SWEEP, SUMMARY),
        nullable=True,
    ),
    Outcome(
        "first_freeze_member",
        "str",
        "member that froze its participation first",
        "",
        _first_freeze_member,
        _groups(SWEEP, SUMMARY),
        nullable=True,
    ),
    Outcome(
        "drills_held",
        "int",
        "drills held",
        COUNT,
        lambda batch: batch.drills_held,
        _groups(SUMMARY),
        event="drill_held",
    ),
    Outcome(
        "drills_cancelled",
        "int",
        "drills cancelled",
        COUNT,
        lambda batch: batch.drills_cancelled,
        _groups(SWEEP, SUMMARY, SWEEP_REPORT, SWEEP_TOTALS),
        event="drill_cancelled",
    ),
    Outcome(
        "appeals_answered",
        "int",
        "appeals answered",
        COUNT,
        lambda batch: batch.appeals_answered,
        _groups(SUMMARY),
        event="appeal_answered",
    ),
    Outcome(
        "appeals_ignored",
        "int",
        "appeals ignored",
        COUNT,
        lambda batch: batch.appeals_ignored,
        _groups(SUMMARY),
        event="appeal_ignored",
    ),
    Outcome(
        "coercions",
        "int",
        "coercions",
        COUNT,
        lambda batch: batch.coercions,
        _groups(SUMMARY),
        event="coercion",
    ),
    Outcome(
        "clashes",
        "int",
        "clashes",
        COUNT,
        lambda batch: batch.clashes,
        _groups(SUMMARY),
        event="clash",
    ),
)

#: The registry every part of the project reads outcomes from.
REGISTRY: Final = Registry(ENTRIES)


# --- layouts and tables ----------------------------------------------------------------------


def sweep_layout(entries: Iterable[Outcome]) -> tuple[Outcome, ...]:
    """Outcomes in a sweep table's order: alliance-wide ones, then member ones outcome by
    outcome (each in registry order)."""
    chosen = tuple(entries)
    return (
        *(entry for entry in chosen if entry.member is None),
        *(entry for entry in chosen if entry.member is not None),
    )


def summary_layout(entries: Iterable[Outcome]) -> tuple[Outcome, ...]:
    """Outcomes in a summary's order: registry order, the member outcomes member by member
    where the first of them stands."""
    chosen = tuple(entries)
    members = [entry for entry in chosen if entry.member is not None]
    by_member = sorted(members, key=lambda entry: schema.MEMBERS.index(str(entry.member)))
    ordered: list[Outcome] = []
    for entry in chosen:
        if entry.member is None:
            ordered.append(entry)
        elif entry is members[0]:
            ordered.extend(by_member)
    return tuple(ordered)


def sweep_names(registry: Registry = REGISTRY) -> tuple[str, ...]:
    """The ``sweep`` group's names in a sweep table's order."""
    return tuple(entry.name for entry in sweep_layout(registry.group(SWEEP)))


def member_families(entries: Iterable[Outcome]) -> dict[str, tuple[str, ...]]:
    """Member outcomes by family: ``{"final_alignment": ("final_alignment_Belarus", ...)}``."""
    families: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if entry.member is not None:
            families[entry.family] = (*families.get(entry.family, ()), entry.name)
    return families


def outcome_table(
    batch: BatchResult,
    names: Sequence[str] | None = None,
    registry: Registry = REGISTRY,
) -> pd.DataFrame:
    """One row per run: ``seed`` and the outcomes a sweep keeps (``names``, default all of the
    ``sweep`` group), in a sweep table's order. A step that did not happen is -1, no member
    None."""
    import pandas as pd

    chosen = registry.group(SWEEP) if names is None else [registry.get(n) for n in names]
    entries = sweep_layout(chosen)
    check_recorded(batch, entries, "these outcomes")
    table: dict[str, Any] = {"seed": batch.seeds}
    for entry in entries:
        table[entry.name] = entry.compute(batch)
    return pd.DataFrame(table)


def summary_table(batch: BatchResult, registry: Registry = REGISTRY) -> pd.DataFrame:
    """One row per run: ``run``, ``seed`` and the summary's outcomes (:func:`summary_layout`);
    a step or member that did not happen is empty (NA). The batch needs its time series and
    events recorded."""
    import pandas as pd

    entries = summary_layout(registry.group(SUMMARY))
    check_recorded(batch, entries, "summary")
    table: dict[str, Any] = {
        "run": np.arange(len(batch.seeds), dtype=np.int64),
        "seed": batch.seeds,
    }
    for entry in entries:
        table[entry.name] = summary_column(entry, entry.compute(batch))
    return pd.DataFrame(table)


def summary_column(entry: Outcome, values: npt.NDArray[Any]) -> Any:
    """Values of one outcome as a summary column: nullable ones with NA for "none"."""
    import pandas as pd

    if entry.type == "str":
        return pd.array([None if v is None else str(v) for v in values], dtype="string")
    if entry.type == "int" and entry.nullable:
        return pd.Series(values, dtype="Int64").mask(values < 0)
    if entry.type == "int":
        return np.asarray(values, dtype=np.int64)
    if entry.type == "bool":
        return np.asarray(values, dtype=bool)
    return np.asarray(values, dtype=np.float64)
