"""The batch engine: many runs of one scenario at once, on numpy arrays.

:func:`simulate` builds a :class:`~sim.model.state.State` with one row per run and loops over
the month of :mod:`sim.model.step`, the same month the Mesa model (:mod:`sim.mesa.model`) steps
for its one run, so a run's trajectory and event log do not depend on which face ran it, nor on
how many other runs shared its batch. Each run has its own seed and its own values of any swept
parameters (``overrides``).

>>> from sim.scenario import load
>>> batch = simulate(load("baseline-2022"), seeds=[1, 2, 3], steps=12)
>>> batch.final_cohesion.shape, batch.final_alignment.shape
((3,), (3, 5))
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model.events import EventLog
from sim.model.state import DRIVER_SERIES, Recorder, draw, initial_state
from sim.model.step import Setting, advance
from sim.results.run import RunResult
from sim.scenario import Scenario, load, schema
from sim.scenario.inputs import build_inputs, build_plan

if TYPE_CHECKING:
    from sim.results.replicates import ReplicateSet

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
    """Step at which each member froze (exit), -1 if it did not: shape (runs, members)."""
    voice_acts: IntArray
    """Each member's voice acts over the run: shape (runs, members)."""
    drills_cancelled: IntArray
    drills_held: IntArray
    appeals_answered: IntArray
    appeals_ignored: IntArray
    """Every member's ignored appeals: shape (runs,)."""
    coercions: IntArray
    clashes: IntArray
    min_cohesion_step: IntArray
    """Step of the lowest cohesion (the first such step; 0 is the start)."""
    final_capacity: FloatArray
    series: dict[str, FloatArray] | None = None
    events: pd.DataFrame | None = None

    @property
    def runs(self) -> int:
        return int(self.seeds.shape[0])


def simulate(
    scenario: Scenario,
    seeds: Sequence[int] | npt.ArrayLike,
    overrides: Mapping[str, npt.ArrayLike] | None = None,
    steps: int | None = None,
    *,
    timeseries: bool = False,
    events: bool = False,
    record: Collection[str] | None = None,
) -> BatchResult:
    """Run ``len(seeds)`` runs of ``scenario`` at once.

    Args:
        scenario: the resolved scenario every run starts from.
        seeds: one seed per run (non-negative integers below 2**64).
        overrides: dotted scenario paths mapped to one value per run (a sweep's design).
        steps: months to simulate (default: the scenario's horizon).
        timeseries: also record every step of every run (memory grows with runs x steps).
        events: also record the event log of every run.
        record: record only these time series (names of
            :data:`sim.model.state.ALLIANCE_SERIES` and ``MEMBER_SERIES``): a calibration's
            thousands of runs need a few series, not all of them.
    """
    seed_array = np.atleast_1d(np.asarray(seeds, dtype=np.uint64))
    runs = int(seed_array.shape[0])
    plan = build_plan(scenario, steps)
    inputs = build_inputs(scenario, plan.steps, overrides, runs=runs)
    explain = timeseries or any(name in DRIVER_SERIES for name in record or ())
    setting = Setting(plan, inputs, draw(seed_array, plan.steps), explain=explain)
    state = initial_state(inputs)
    log = EventLog() if events else None
    recording = timeseries or record is not None
    recorder = Recorder(runs, plan.steps, None if timeseries else record) if recording else None
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
        voice_acts=state.voice_acts,
        drills_cancelled=state.drills_cancelled,
        drills_held=state.drills_held,
        appeals_answered=state.appeals_answered,
        appeals_ignored=state.appeals_ignored.sum(axis=1),
        coercions=state.coercions,
        clashes=state.clashes,
        min_cohesion_step=state.min_cohesion_step,
        final_capacity=state.capacity,
        series=recorder.series if recorder is not None else None,
        events=log.frame(plan.start) if log is not None else None,
    )


@overload
def run(
    scenario: str | Path | Scenario = ...,
    seed: int = ...,
    steps: int | None = ...,
    *,
    overrides: Mapping[str, Any] | None = ...,
    replicates: None = ...,
) -> RunResult: ...


@overload
def run(
    scenario: str | Path | Scenario = ...,
    seed: int = ...,
    steps: int | None = ...,
    *,
    overrides: Mapping[str, Any] | None = ...,
    replicates: int,
) -> ReplicateSet: ...


def run(
    scenario: str | Path | Scenario = "baseline-2022",
    seed: int = 0,
    steps: int | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    replicates: int | None = None,
) -> RunResult | ReplicateSet:
    """Run a scenario once, or ``replicates`` times, and return time series, events and summary
    (``sim.run``).

    ``overrides`` sets scenario values by dotted path, as a sweep's ``--param`` does
    (``{"russia.capacity.initial": 0.3}``), checked like a child scenario's values.

    What ``seed`` means depends on ``replicates``:

    * without ``replicates``, ``seed`` is the run's own seed and the result one
      :class:`~sim.results.run.RunResult`: the run ``CSTOModel(rng=seed)`` steps and
      ``simulate(scenario, [seed])`` computes;
    * with ``replicates=R``, ``seed`` is a master seed, as in ``csto run --seed``: replicate
      ``r`` runs with its own seed ``runs.seeds[r]``, derived from the master seed by
      :func:`sim.model.draws.derive_seeds`, and the result is a
      :class:`~sim.results.replicates.ReplicateSet` equal to the tables of
      ``csto run SCENARIO --seed SEED --replicates R``.

    So ``sim.run(s, seed=1)`` is *not* replicate 0 of ``csto run s --seed 1`` (whose own seed
    is ``derive_seeds(1, 1)[0]``); ``sim.run(s, seed=runs.seeds[0])`` is, and a results
    folder's ``manifest.json`` lists every replicate's own seed.

    >>> result = run("baseline-2022", seed=1, steps=12)
    >>> len(result.timeseries) == 13 * 5      # steps 0..12, five members
    True
    >>> result.summary["final_cohesion"] < result.summary["initial_cohesion"]
    True
    >>> runs = run("baseline-2022", seed=1, steps=12, replicates=3,
    ...            overrides={"russia.capacity.initial": 0.3})
    >>> runs.summary["replicate"].tolist(), runs.master_seed
    ([0, 1, 2], 1)
    >>> alone = run("baseline-2022", seed=runs.seeds[0], steps=12,
    ...             overrides={"russia.capacity.initial": 0.3})
    >>> bool(alone.summary["final_cohesion"] == runs.summary["final_cohesion"][0])
    True
    """
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    if overrides:
        resolved = resolved.with_values(overrides, origin="sim.run overrides")
    if replicates is not None:
        from sim.results.replicates import run_replicates

        return run_replicates(resolved, seed, replicates, steps)
    batch = simulate(resolved, [seed], steps=steps, timeseries=True, events=True)
    from sim.results.run import run_result

    return run_result(batch, 0)
