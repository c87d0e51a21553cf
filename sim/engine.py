"""The batch engine: many runs of one scenario at once, on numpy arrays.

:func:`simulate` builds a :class:`~sim.model.state.State` with one row per run and loops over
the month of :mod:`sim.model.step`, the same month the Mesa model (:mod:`sim.mesa.model`) steps
for its one run, so a run's trajectory and event log do not depend on which face ran it, nor on
how many other runs shared its batch. Each run has its own seed and its own values of any swept
parameters (``overrides``).

>>> from sim.scenario import load
>>> batch = simulate(load("baseline-2022"), seeds=[1, 2, 3], steps=12)
>>> batch.outcomes()[["final_cohesion", "min_cohesion"]].shape
(3, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.model.events import EventLog
from sim.model.state import Recorder, draw, initial_state
from sim.model.step import Setting, advance
from sim.results.run import (
    ALLIANCE_COLUMNS,
    COUNTED_EVENTS,
    MEMBER_COLUMNS,
    TIMESERIES_COLUMNS,
    RunResult,
    step_date,
    summarise,
)
from sim.scenario import Scenario, load, schema
from sim.scenario.inputs import build_inputs, build_plan

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MEMBERS = schema.MEMBERS
N_MEMBERS = len(MEMBERS)


@dataclass
class BatchResult:
    """Runs of one batch: per-run outcomes, and optionally time series and events."""

    scenario: Scenario
    seeds: npt.NDArray[np.uint64]
    start: str
    steps: int
    initial_cohesion: FloatArray
    final_cohesion: FloatArray
    min_cohesion: FloatArray
    final_alignment: FloatArray
    final_trust: FloatArray
    freeze_step: IntArray
    """Step at which each member froze, -1 if it did not: shape (runs, members)."""
    drills_cancelled: IntArray
    series: dict[str, FloatArray] | None = None
    events: pd.DataFrame | None = None

    @property
    def runs(self) -> int:
        return int(self.seeds.shape[0])

    def first_freeze(self) -> tuple[IntArray, npt.NDArray[np.object_]]:
        """Step of the first freeze in each run (-1 if none) and which member (None if none)."""
        steps = np.where(self.freeze_step < 0, np.iinfo(np.int64).max, self.freeze_step)
        first = steps.min(axis=1)
        member = steps.argmin(axis=1)
        froze = first != np.iinfo(np.int64).max
        names = np.array(MEMBERS, dtype=object)[member]
        return np.where(froze, first, -1), np.where(froze, names, np.array(None, dtype=object))

    def outcomes(self) -> pd.DataFrame:
        """One row per run: the outcomes a sweep keeps."""
        first_step, first_member = self.first_freeze()
        table: dict[str, Any] = {
            "seed": self.seeds,
            "initial_cohesion": self.initial_cohesion,
            "final_cohesion": self.final_cohesion,
            "min_cohesion": self.min_cohesion,
            "first_freeze_step": first_step,
            "first_freeze_member": first_member,
            "drills_cancelled": self.drills_cancelled,
        }
        for index, name in enumerate(MEMBERS):
            table[f"final_alignment_{name}"] = self.final_alignment[:, index]
        for index, name in enumerate(MEMBERS):
            table[f"freeze_step_{name}"] = self.freeze_step[:, index]
        return pd.DataFrame(table)

    def timeseries(self, run: int | None = None) -> pd.DataFrame:
        """The time series (one row per run, step and member), if recorded."""
        if self.series is None:
            raise ValueError("time series were not recorded: simulate(..., timeseries=True)")
        runs = np.arange(self.runs) if run is None else np.array([run])
        steps = self.steps + 1
        run_index = np.repeat(runs, steps * N_MEMBERS)
        step_index = np.tile(np.repeat(np.arange(steps), N_MEMBERS), len(runs))
        member_index = np.tile(np.arange(N_MEMBERS), len(runs) * steps)
        columns: dict[str, Any] = {
            "run": run_index,
            "step": step_index.astype(np.int64),
            "date": np.array([step_date(self.start, s) for s in range(steps)], dtype=object)[
                step_index
            ],
            "member": np.array(MEMBERS, dtype=object)[member_index],
        }
        for name in ALLIANCE_COLUMNS:
            columns[name] = self.series[name][runs].repeat(N_MEMBERS, axis=-1).reshape(-1)
        for name in MEMBER_COLUMNS:
            columns[name] = self.series[name][runs].reshape(-1)
        frame = pd.DataFrame(columns)
        frame["frozen"] = frame["frozen"].astype(bool)
        return frame[["run", *TIMESERIES_COLUMNS]]

    def summary(self) -> pd.DataFrame:
        """The per-run summary of :func:`sim.results.run.summarise` for every run at once.

        Needs the time series and events. Columns: ``run``, ``seed`` and the keys of
        ``summarise``; a member that did not freeze has an empty (NA) ``freeze_step_<member>``.
        """
        if self.series is None or self.events is None:
            raise ValueError("summary needs simulate(..., timeseries=True, events=True)")
        runs = self.runs
        cohesion = self.series["cohesion"]
        table: dict[str, Any] = {
            "run": np.arange(runs, dtype=np.int64),
            "seed": self.seeds,
            "initial_cohesion": cohesion[:, 0],
            "final_cohesion": cohesion[:, -1],
            "min_cohesion": cohesion.min(axis=1),
            "min_cohesion_step": cohesion.argmin(axis=1).astype(np.int64),
            "final_capacity": self.series["capacity"][:, -1],
        }
        for index, name in enumerate(MEMBERS):
            table[f"final_alignment_{name}"] = self.series["alignment"][:, -1, index]
            table[f"final_trust_{name}"] = self.series["trust"][:, -1, index]
            table[f"freeze_step_{name}"] = _optional_steps(self.freeze_step[:, index])
        first_step, first_member = self.first_freeze()
        table["first_freeze_step"] = _optional_steps(first_step)
        table["first_freeze_member"] = pd.array(
            [None if member is None else str(member) for member in first_member], dtype="string"
        )
        counts = (
            self.events.groupby(["run", "kind"]).size().unstack("kind", fill_value=0)
            if len(self.events)
            else pd.DataFrame(index=pd.RangeIndex(0))
        )
        for kind, name in COUNTED_EVENTS.items():
            column = counts[kind] if kind in counts else pd.Series(dtype=np.int64)
            table[name] = column.reindex(range(runs), fill_value=0).to_numpy(np.int64)
        return pd.DataFrame(table)

    def run_result(self, run: int) -> RunResult:
        """One run as a :class:`RunResult`, comparable with ``sim.run`` (needs time series and
        events recorded)."""
        if self.events is None:
            raise ValueError("events were not recorded: simulate(..., events=True)")
        series = self.timeseries(run).drop(columns="run").reset_index(drop=True)
        log = self.events[self.events["run"] == run].drop(columns="run").reset_index(drop=True)
        return RunResult(
            scenario=self.scenario.name,
            seed=int(self.seeds[run]),
            start=self.start,
            steps=self.steps,
            timeseries=series,
            events=log,
            summary=summarise(series, log),
        )


def _optional_steps(steps: IntArray) -> pd.Series:
    """Steps as a nullable integer column, empty where the step is -1 (it did not happen)."""
    return pd.Series(steps, dtype="Int64").mask(steps < 0)


def replicate_tables(
    batch: BatchResult, scenario: str, first_replicate: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The batch's time series, events and summary as replicate tables.

    Each table starts with ``scenario``, ``replicate`` (``first_replicate`` + the run's index)
    and ``seed``, then the columns of :data:`sim.results.run.TIMESERIES_COLUMNS`,
    :data:`sim.model.events.COLUMNS` and the summary's keys; the batch needs its time series and
    events recorded.
    """
    if batch.events is None:
        raise ValueError("replicate tables need simulate(..., timeseries=True, events=True)")

    def identified(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        run = frame["run"].to_numpy(np.int64)
        table = frame.drop(columns="run")[list(columns)]
        table.insert(0, "seed", batch.seeds[run])
        table.insert(0, "replicate", run + first_replicate)
        table.insert(0, "scenario", scenario)
        return table

    summary = batch.summary()
    columns = [column for column in summary.columns if column not in ("run", "seed")]
    return (
        identified(batch.timeseries(), TIMESERIES_COLUMNS),
        identified(batch.events, EVENT_COLUMNS),
        identified(summary, columns),
    )


def simulate(
    scenario: Scenario,
    seeds: Sequence[int] | npt.ArrayLike,
    overrides: Mapping[str, npt.ArrayLike] | None = None,
    steps: int | None = None,
    *,
    timeseries: bool = False,
    events: bool = False,
) -> BatchResult:
    """Run ``len(seeds)`` runs of ``scenario`` at once.

    Args:
        scenario: the resolved scenario every run starts from.
        seeds: one seed per run (non-negative integers below 2**64).
        overrides: dotted scenario paths mapped to one value per run (a sweep's design).
        steps: months to simulate (default: the scenario's horizon).
        timeseries: also record every step of every run (memory grows with runs x steps).
        events: also record the event log of every run.
    """
    seed_array = np.atleast_1d(np.asarray(seeds, dtype=np.uint64))
    runs = int(seed_array.shape[0])
    plan = build_plan(scenario, steps)
    inputs = build_inputs(scenario, plan.steps, overrides, runs=runs)
    setting = Setting(plan, inputs, draw(seed_array, plan.steps))
    state = initial_state(inputs)
    log = EventLog() if events else None
    recorder = Recorder(runs, plan.steps) if timeseries else None
    if recorder is not None:
        recorder.record(state, 0)
    for step in range(1, plan.steps + 1):
        advance(state, setting, step, log)
        if recorder is not None:
            recorder.record(state, step)
    return BatchResult(
        scenario=scenario,
        seeds=seed_array,
        start=plan.start,
        steps=plan.steps,
        initial_cohesion=state.initial_cohesion,
        final_cohesion=state.cohesion,
        min_cohesion=state.min_cohesion,
        final_alignment=state.alignment,
        final_trust=state.trust,
        freeze_step=state.freeze_step,
        drills_cancelled=state.drills_cancelled,
        series=recorder.series if recorder is not None else None,
        events=log.frame(plan.start) if log is not None else None,
    )


def run(
    scenario: str | Path | Scenario = "baseline-2022",
    seed: int = 0,
    steps: int | None = None,
) -> RunResult:
    """Run one scenario once and return its time series, events and summary (``sim.run``).

    >>> result = run("baseline-2022", seed=1, steps=12)
    >>> len(result.timeseries) == 13 * 5      # steps 0..12, five members
    True
    >>> result.summary["final_cohesion"] < result.summary["initial_cohesion"]
    True
    """
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    batch = simulate(resolved, [seed], steps=steps, timeseries=True, events=True)
    return batch.run_result(0)
