"""Scenarios side by side under common random numbers (``csto compare``).

Every scenario is run by the batch engine (:func:`sim.batch.simulate`) with the *same*
replicate seeds, derived once from the master seed (:func:`sim.draws.derive_seeds`). Replicate
``r`` of every scenario therefore faces the same crisis, clash and coercion draws, and the
difference between two scenarios' outcomes in replicate ``r`` is due to the scenarios alone;
the paired differences vary much less than independent runs would, so their 95% interval is
narrow (:func:`sim.analysis.paired_differences`).

The tables have the columns of a ``csto run`` results folder plus ``scenario`` first, so a
comparison folder reads like several run folders stacked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim import schema
from sim.batch import BatchResult, simulate
from sim.draws import derive_seeds
from sim.events import COLUMNS as EVENT_COLUMNS
from sim.result import COUNTED_EVENTS, TIMESERIES_COLUMNS
from sim.scenario import Scenario


@dataclass(frozen=True)
class Comparison:
    """Replicates of several scenarios under the same seeds; the first is the baseline."""

    scenarios: tuple[Scenario, ...]
    master_seed: int
    seeds: tuple[int, ...]
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame

    @property
    def baseline(self) -> str:
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        return [scenario.name for scenario in self.scenarios]


def run_comparison(
    scenarios: Sequence[Scenario], seed: int, replicates: int, steps: int | None = None
) -> Comparison:
    """Run every scenario ``replicates`` times with the same seeds (the first is the baseline).

    ``steps`` defaults to the baseline's horizon. Raises ValueError if the scenarios start in
    different months or share a name (their rows could not be told apart).
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared, got {', '.join(names)}")
    starts = {scenario.start for scenario in scenarios}
    if len(starts) > 1:
        raise ValueError(
            "scenarios must start in the same month to be compared month by month, got "
            + ", ".join(f"{s.name} {s.start}" for s in scenarios)
        )
    horizon = scenarios[0].horizon if steps is None else steps
    seeds = tuple(derive_seeds(seed, replicates))
    series, logs, summaries = [], [], []
    for scenario in scenarios:
        batch = simulate(scenario, seeds, steps=horizon, timeseries=True, events=True)
        series.append(_identified(batch.timeseries(), scenario.name, batch, TIMESERIES_COLUMNS))
        assert batch.events is not None
        logs.append(_identified(batch.events, scenario.name, batch, EVENT_COLUMNS))
        summaries.append(batch_summary(batch).assign(scenario=scenario.name))
    summary = pd.concat(summaries, ignore_index=True)
    first = ["scenario", "replicate", "seed"]
    summary = summary[[*first, *(c for c in summary.columns if c not in first)]]
    return Comparison(
        scenarios=tuple(scenarios),
        master_seed=seed,
        seeds=seeds,
        steps=horizon,
        timeseries=pd.concat(series, ignore_index=True),
        events=pd.concat(logs, ignore_index=True),
        summary=summary,
    )


def _identified(
    frame: pd.DataFrame, scenario: str, batch: BatchResult, columns: Sequence[str]
) -> pd.DataFrame:
    """A batch table with ``scenario``, ``replicate`` and ``seed`` first (``run`` dropped)."""
    replicate = frame["run"].to_numpy(np.int64)
    table = frame.drop(columns="run")[list(columns)]
    table.insert(0, "seed", batch.seeds[replicate])
    table.insert(0, "replicate", replicate)
    table.insert(0, "scenario", scenario)
    return table


def batch_summary(batch: BatchResult) -> pd.DataFrame:
    """The per-run summary of :func:`sim.result.summarise`, for every run of a batch at once.

    Needs the batch's time series and events. Columns: ``replicate``, ``seed`` and the keys of
    ``summarise`` (a member that did not freeze has an empty ``freeze_step_<member>``).
    """
    if batch.series is None or batch.events is None:
        raise ValueError("batch_summary needs simulate(..., timeseries=True, events=True)")
    runs = batch.runs
    cohesion = batch.series["cohesion"]
    table: dict[str, Any] = {
        "replicate": np.arange(runs, dtype=np.int64),
        "seed": batch.seeds,
        "initial_cohesion": cohesion[:, 0],
        "final_cohesion": cohesion[:, -1],
        "min_cohesion": cohesion.min(axis=1),
        "min_cohesion_step": cohesion.argmin(axis=1).astype(np.int64),
        "final_capacity": batch.series["capacity"][:, -1],
    }
    for index, name in enumerate(schema.MEMBERS):
        table[f"final_alignment_{name}"] = batch.series["alignment"][:, -1, index]
        table[f"final_trust_{name}"] = batch.series["trust"][:, -1, index]
        steps = batch.freeze_step[:, index]
        table[f"freeze_step_{name}"] = _optional_steps(steps)
    first_step, first_member = batch.first_freeze()
    table["first_freeze_step"] = _optional_steps(first_step)
    table["first_freeze_member"] = pd.array(
        [None if member is None else str(member) for member in first_member], dtype="string"
    )
    counts = (
        batch.events.groupby(["run", "kind"]).size().unstack("kind", fill_value=0)
        if len(batch.events)
        else pd.DataFrame(index=pd.RangeIndex(0))
    )
    for kind, name in COUNTED_EVENTS.items():
        column = counts[kind] if kind in counts else pd.Series(dtype=np.int64)
        table[name] = column.reindex(range(runs), fill_value=0).to_numpy(np.int64)
    return pd.DataFrame(table)


def _optional_steps(steps: npt.NDArray[np.int64]) -> pd.Series:
    """Steps as a nullable integer column, empty where the step is -1 (it did not happen)."""
    return pd.Series(steps, dtype="Int64").mask(steps < 0)
