"""One replicate's story, month by month, from the folder's event log and time series.

A run report tells the story of one replicate: by default the most typical one (the replicate
whose cohesion path lies closest to the mean path, :func:`typical_replicate`), or any replicate
asked for (``csto report RUN_DIR --replicate N``). Each month with something to tell gets one
entry (:func:`story`): what happened (the event log's ``explanation`` of each event, written by
the model from the numbers that caused it), how the members it concerned moved (their
alignment, and any other value of theirs that changed by at least :data:`NOTABLE` that month),
how cohesion moved, and — where the time series records them (columns named ``driver_...``,
one per motive) — which motive pushed or pulled a member's alignment most. Months without an
event are told only if a member's alignment or cohesion moved by :data:`NOTABLE` or more.

Everything here reads tables; nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from sim.report.prose import month_words
from sim.results.drivers import DRIVER_PREFIX, driver_columns
from sim.results.run import ALLIANCE_COLUMNS, event_month
from sim.scenario import schema

#: A change this large in a month (on a 0–1 scale) is worth telling even without an event.
NOTABLE: Final = 0.05

#: A member's alignment moving by at least this in a month gets its largest driver named.
MOVED: Final = 0.01

#: The drivers in words (any other ``driver_...`` column is named by its words).
DRIVER_WORDS: Final = {
    "driver_protection": "Russia's protection",
    "driver_regime": "regime guarantee",
    "driver_lockin": "lock-in",
    "driver_threat": "Russia's threat",
    "driver_outside_protection": "outside protection",
    "driver_markets": "outside markets",
    "driver_entrapment": "sanctions entrapment",
    "driver_neutral": "drift toward hedging",
    "driver_peers": "peers",
    "driver_coercion": "Russia's coercion",
}

#: Columns a story never reports as a change (identifiers, and the alignment it reports first).
_NOT_VALUES: Final = ("replicate", "scenario", "seed", "step", "date", "member", "alignment")

STORY_COLUMNS: Final = ("step", "month", "events", "text")


def typical_replicate(timeseries: pd.DataFrame, column: str = "cohesion") -> int:
    """The replicate whose path of an alliance-wide ``column`` lies closest to the mean path
    over replicates (least mean squared distance; the lowest number on a tie)."""
    alliance = timeseries.drop_duplicates(["replicate", "step"])
    paths = alliance.pivot(index="replicate", columns="step", values=column)
    values = paths.sort_index().to_numpy(np.float64)
    distance = ((values - values.mean(axis=0)) ** 2).mean(axis=1)
    return int(paths.sort_index().index[int(np.argmin(distance))])


def driver_words(column: str) -> str:
    """A driver column in words: "driver_lockin" -> "lock-in", and a column it does not know
    by its name, "driver_outside_options" -> "outside options"."""
    return DRIVER_WORDS.get(column, column.removeprefix(DRIVER_PREFIX).replace("_", " "))


def _value_columns(timeseries: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in timeseries.columns
        if str(c) not in _NOT_VALUES
        and not str(c).startswith(DRIVER_PREFIX)
        and pd.api.types.is_numeric_dtype(timeseries[c])
        and not pd.api.types.is_bool_dtype(timeseries[c])
    ]


def _number(value: Any) -> float:
    """A table's cell as a float (pandas types cells loosely)."""
    return float(value)


def _words(column: str) -> str:
    return column.replace("_", " ")


def _member_changes(
    before: pd.Series,
    after: pd.Series,
    columns: Sequence[str],
    drivers: Sequence[str],
    member: str,
    always: bool,
) -> str:
    """How one member moved in a month: alignment first (always if ``always``), then any other
    value that changed by :data:`NOTABLE` or more, then the largest driver of its move."""
    parts = []
    moved = _number(after["alignment"]) - _number(before["alignment"])
    if always or abs(moved) >= NOTABLE:
        parts.append(
            f"alignment {_number(before['alignment']):.2f} → {_number(after['alignment']):.2f}"
        )
    for column in columns:
        old, new = _number(before[column]), _number(after[column])
        if abs(new - old) >= NOTABLE:
            parts.append(f"{_words(column)} {old:.2f} → {new:.2f}")
    if "frozen" in after and bool(after["frozen"]) and not bool(before["frozen"]):
        parts.append("participation frozen")
    if drivers and abs(moved) >= MOVED:
        pushes = after[list(drivers)].astype(np.float64)
        if pushes.notna().any():
            strongest = str(pushes.abs().idxmax())
            way = "pushed it up" if pushes[strongest] > 0 else "pulled it down"
            parts.append(f"{driver_words(strongest)} {way} most ({float(pushes[strongest]):+.3f})")
    return f"{member}: " + ", ".join(parts) if parts else ""


def _members_of(events: pd.DataFrame) -> list[str]:
    named = set(events["member"].astype(str)) | set(events["counterpart"].astype(str))
    return [name for name in schema.MEMBERS if name in named]


def story(
    timeseries: pd.DataFrame, events: pd.DataFrame, replicate: int, start: str
) -> pd.DataFrame:
    """One replicate's story: one row per month with something to tell. Columns ``step`` (the
    month's number, 1 = the start month), ``month`` ("YYYY-MM"), ``events`` (how many events
    the log has that month) and ``text`` (the month in words). ``timeseries`` and ``events``
    are a run folder's tables (any replicates; ``replicate`` is chosen)."""
    series = timeseries[timeseries["replicate"] == replicate]
    if series.empty:
        raise ValueError(
            f"replicate {replicate} is not in the results (replicates "
            f"{int(timeseries['replicate'].min())}–{int(timeseries['replicate'].max())})"
        )
    log = events[events["replicate"] == replicate] if len(events) else events
    by_step = {
        int(_number(step)): rows.set_index("member") for step, rows in series.groupby("step")
    }
    alliance = series.drop_duplicates("step").set_index("step")
    columns = _value_columns(series)
    alliance_columns = [c for c in columns if c in ALLIANCE_COLUMNS]
    member_columns = [c for c in columns if c not in ALLIANCE_COLUMNS]
    drivers = driver_columns(series)
    rows: list[dict[str, Any]] = []
    last = int(alliance.index.max())
    for step in range(1, last + 1):
        if step - 1 not in by_step or step not in by_step:
            continue
        before, after = by_step[step - 1], by_step[step]
        month_log = log[log["step"] == step] if len(log) else log
        parts = [str(text).rstrip(".") + "." for text in month_log.get("explanation", [])]
        involved = _members_of(month_log) if len(month_log) else []
        moving = [
            name
            for name in schema.MEMBERS
            if name in after.index
            and abs(_number(after.at[name, "alignment"]) - _number(before.at[name, "alignment"]))
            >= NOTABLE
        ]
        for name in [*involved, *(m for m in moving if m not in involved)]:
            if name not in after.index:
                continue
            text = _member_changes(
                before.loc[str(name)],  # type: ignore[arg-type]
                after.loc[str(name)],  # type: ignore[arg-type]
                [c for c in member_columns if c != "frozen"],
                drivers,
                name,
                always=name in involved,
            )
            if text:
                parts.append(text + ".")
        cohesion_before = _number(alliance.at[step - 1, "cohesion"])
        cohesion_after = _number(alliance.at[step, "cohesion"])
        alliance_moved = abs(cohesion_after - cohesion_before) >= NOTABLE
        if alliance_moved or len(month_log):
            reasons = [
                f"{_words(c)} {_number(alliance.at[step - 1, c]):.2f} → "
                f"{_number(alliance.at[step, c]):.2f}"
                for c in alliance_columns
                if c != "cohesion"
                and abs(_number(alliance.at[step, c]) - _number(alliance.at[step - 1, c]))
                >= NOTABLE
            ]
            if alliance_moved or reasons:
                parts.append(
                    f"Cohesion {cohesion_before:.2f} → {cohesion_after:.2f}"
                    + (f" ({'; '.join(reasons)})" if reasons else "")
                    + "."
                )
        if not parts:
            continue
        month = event_month(start, step)
        rows.append(
            {
                "step": step,
                "month": month,
                "events": len(month_log),
                "text": f"{month_words(month)}: " + " ".join(parts),
            }
        )
    return pd.DataFrame(rows, columns=list(STORY_COLUMNS))
