"""What a run returns: a time series per step and member, an event log, a per-run summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.model.events import Event
from sim.scenario import month_label, schema

#: Columns of the time series, one row per step and member; Russia's and the alliance's
#: values repeat on each member's row.
ALLIANCE_COLUMNS = ("capacity", "threat_posture", "cohesion", "action_record", "strain")
MEMBER_COLUMNS = (
    "alignment",
    "preferred_alignment",
    "trust",
    "dependence",
    "energy_transit",
    "security_ties",
    "economic_ties",
    "outside_options",
    "fear",
    "grievance",
    "frozen",
)
TIMESERIES_COLUMNS = ("step", "date", "member", *ALLIANCE_COLUMNS, *MEMBER_COLUMNS)


#: Event kinds counted in the summary, and the summary's name for each count.
COUNTED_EVENTS = {
    "drill_held": "drills_held",
    "drill_cancelled": "drills_cancelled",
    "appeal_answered": "appeals_answered",
    "appeal_ignored": "appeals_ignored",
    "coercion": "coercions",
    "clash": "clashes",
}


def event_month(start: str, step: int) -> str:
    """The "YYYY-MM" month an event logged at ``step`` happened in (step 1 is the start month)."""
    return month_label(start, step - 1)


def step_date(start: str, step: int) -> str:
    """The date a time-series row stands for: step 0 is the first day of the start month, step
    ``s`` the first day of the month after the ``s``-th simulated month (the state at its end)."""
    return month_label(start, step) + "-01"


@dataclass(frozen=True)
class RunResult:
    """One run: ``timeseries`` (step x member), ``events`` and ``summary``."""

    scenario: str
    seed: int
    start: str
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def member_series(self, column: str) -> pd.DataFrame:
        """One column of the time series as a step x member table."""
        table = self.timeseries.pivot(index="step", columns="member", values=column)
        return table[list(schema.MEMBERS)]

    def alliance_series(self) -> pd.DataFrame:
        """Russia's and the alliance's values per step (one row per step)."""
        columns = [
            "step",
            "date",
            "capacity",
            "threat_posture",
            "cohesion",
            "action_record",
            "strain",
        ]
        return self.timeseries[columns].drop_duplicates("step").reset_index(drop=True)


def events_frame(events: list[Event]) -> pd.DataFrame:
    """The event log as a table, in canonical order (step, phase, member)."""
    ordered = sorted(events, key=Event.sort_key)
    frame = pd.DataFrame([event.as_row() for event in ordered], columns=list(EVENT_COLUMNS))
    return frame.astype(
        {"step": "int64", "value": "float64", "threshold": "float64", "effect": "float64"}
    )


def summarise(timeseries: pd.DataFrame, events: pd.DataFrame) -> dict[str, Any]:
    """Per-run summary from the time series and the events (the same for both engines)."""
    alliance = timeseries.drop_duplicates("step").set_index("step")
    cohesion = alliance["cohesion"]
    final_step = int(alliance.index.max())
    last = timeseries[timeseries["step"] == final_step].set_index("member")
    summary: dict[str, Any] = {
        "initial_cohesion": float(cohesion.iloc[0]),
        "final_cohesion": float(cohesion.iloc[-1]),
        "min_cohesion": float(cohesion.min()),
        "min_cohesion_step": int(cohesion.to_numpy().argmin()),
        "final_capacity": float(alliance["capacity"].iloc[-1]),
    }
    frozen = events[events["kind"] == "participation_frozen"]
    for name in schema.MEMBERS:
        summary[f"final_alignment_{name}"] = float(last.at[name, "alignment"])  # type: ignore[arg-type]
        summary[f"final_trust_{name}"] = float(last.at[name, "trust"])  # type: ignore[arg-type]
        steps = frozen.loc[frozen["member"] == name, "step"]
        summary[f"freeze_step_{name}"] = int(steps.iloc[0]) if len(steps) else None
    if len(frozen):
        first = frozen.sort_values(["step", "member"], key=_member_order).iloc[0]
        summary["first_freeze_step"] = int(first["step"])
        summary["first_freeze_member"] = str(first["member"])
    else:
        summary["first_freeze_step"] = None
        summary["first_freeze_member"] = None
    counts = events["kind"].value_counts()
    for kind, name in COUNTED_EVENTS.items():
        summary[name] = int(counts.get(kind, 0))
    return summary


def _member_order(column: pd.Series) -> pd.Series:
    if column.name == "member":
        order = {name: index for index, name in enumerate(schema.MEMBERS)}
        return column.map(order)
    return column


def empty_like_timeseries() -> pd.DataFrame:
    """An empty time-series table with the right columns."""
    return pd.DataFrame({column: np.array([]) for column in TIMESERIES_COLUMNS})
