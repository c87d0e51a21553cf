"""What a run returns: a time series per step and member, an event log, a per-run summary.

Also the tables of one run, or of every run, of a batch (:class:`sim.engine.BatchResult`):
:func:`timeseries_table` and :func:`run_result`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.model.events import Event
from sim.results.outcomes import REGISTRY, SUMMARY
from sim.scenario import month_label, schema

if TYPE_CHECKING:
    from sim.engine import BatchResult

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


#: Event kinds counted in the summary, and the summary's name for each count (the registry's
#: counts of events).
COUNTED_EVENTS = {
    str(outcome.event): outcome.name for outcome in REGISTRY.group(SUMMARY) if outcome.event
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
    """Per-run summary from the time series and the events of one Mesa run: the outcomes of the
    registry's ``summary`` group, in a summary's order (equal to
    :func:`sim.results.outcomes.summary_table` of the same run)."""
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


# --- a batch's runs as tables ----------------------------------------------------------------


def timeseries_table(batch: BatchResult, run: int | None = None) -> pd.DataFrame:
    """The time series of a batch (one row per run, step and member; ``run`` first), or of one
    of its runs; the batch needs its time series recorded."""
    if batch.series is None:
        raise ValueError("time series were not recorded: simulate(..., timeseries=True)")
    members = len(schema.MEMBERS)
    runs = np.arange(len(batch.seeds)) if run is None else np.array([run])
    steps = batch.steps + 1
    step_index = np.tile(np.repeat(np.arange(steps), members), len(runs))
    member_index = np.tile(np.arange(members), len(runs) * steps)
    dates = np.array([step_date(batch.start, s) for s in range(steps)], dtype=object)
    columns: dict[str, Any] = {
        "run": np.repeat(runs, steps * members),
        "step": step_index.astype(np.int64),
        "date": dates[step_index],
        "member": np.array(schema.MEMBERS, dtype=object)[member_index],
    }
    for name in ALLIANCE_COLUMNS:
        columns[name] = batch.series[name][runs].repeat(members, axis=-1).reshape(-1)
    for name in MEMBER_COLUMNS:
        columns[name] = batch.series[name][runs].reshape(-1)
    frame = pd.DataFrame(columns)
    frame["frozen"] = frame["frozen"].astype(bool)
    return frame[["run", *TIMESERIES_COLUMNS]]


def run_result(batch: BatchResult, run: int) -> RunResult:
    """One run of a batch as a :class:`RunResult`, comparable with ``sim.run`` (the batch needs
    its time series and events recorded)."""
    if batch.events is None:
        raise ValueError("events were not recorded: simulate(..., events=True)")
    series = timeseries_table(batch, run).drop(columns="run").reset_index(drop=True)
    log = batch.events[batch.events["run"] == run].drop(columns="run").reset_index(drop=True)
    return RunResult(
        scenario=batch.scenario.name,
        seed=int(batch.seeds[run]),
        start=batch.start,
        steps=batch.steps,
        timeseries=series,
        events=log,
        summary=summarise(series, log),
    )
