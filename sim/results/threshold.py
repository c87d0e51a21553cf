"""The critical capacity: the constant Russian capacity at which an outcome crosses a level.

Russia's capacity is held *constant* at ``c`` for the whole run: the scenario's capacity shape
becomes ``"constant"`` (:meth:`sim.scenario.Scenario.with_values`, which validates it) and the
batch engine receives, for every run, the overrides of :func:`constant_capacity_overrides`:
``initial = c``, and no drain, shock or recovery, with floor 0 and ceiling 1 so that ``c`` is
not clipped. Scenario-given events still happen as written (a ``mobilisation_shock`` event
still lowers capacity from its month on). Every capacity is run with the same replicate seeds
(common random numbers), so the replicate mean is a deterministic function of ``c`` that
:func:`sim.report.analysis.critical_capacity` can bracket and hand to a root finder.

>>> from sim.scenario import load
>>> outcome = capacity_outcome(load("baseline-2022"), [1, 2, 3], "cohesion", steps=6)
>>> outcome(np.array([0.2, 0.8])).shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.engine import BatchResult, simulate
from sim.report.analysis import FloatArray, Outcome
from sim.results.outcomes import EVENTS, REGISTRY, SERIES, THRESHOLD
from sim.scenario import Scenario

#: Most runs the batch engine holds at once (memory grows with runs x months).
BATCH_RUNS: Final = 20_000


def outcome_column(name: str) -> str:
    """The registry's name of an outcome of the ``threshold`` group (given in any case, or by
    an alias such as ``cohesion``); a ValueError naming the choices if it is not one."""
    return REGISTRY.get(name, THRESHOLD).name


def constant_capacity_scenario(scenario: Scenario) -> Scenario:
    """The scenario with its capacity shape made ``"constant"`` (events kept)."""
    return scenario.with_values({"russia.capacity.shape": "constant"}, origin="csto threshold")


def constant_capacity_overrides(capacities: npt.ArrayLike) -> dict[str, npt.ArrayLike]:
    """Batch-engine overrides that hold capacity at each run's value for the whole run."""
    values = np.asarray(capacities, dtype=np.float64)
    return {
        "russia.capacity.initial": values,
        "russia.capacity.drain_per_month": 0.0,
        "russia.capacity.floor": 0.0,
        "russia.capacity.ceiling": 1.0,
        "russia.capacity.shock_size": 0.0,
        "russia.capacity.recovery_per_month": 0.0,
    }


def outcome_values(batch: BatchResult, column: str) -> FloatArray:
    """One outcome per run of a batch, as numbers (a share's 0/1 as 0.0/1.0)."""
    values: FloatArray = REGISTRY.get(column).values(batch).astype(np.float64)
    return values


def capacity_outcome(
    scenario: Scenario, seeds: Sequence[int], outcome: str, steps: int | None = None
) -> Outcome:
    """A function of capacities returning each replicate's outcome: shape (capacities, seeds).

    Runs every (capacity, seed) pair on the vectorised engine, in batches of at most
    :data:`BATCH_RUNS` runs (a run's result does not depend on its batch).
    """
    column = outcome_column(outcome)
    needs = REGISTRY.get(column).needs
    constant = constant_capacity_scenario(scenario)
    seed_array = np.asarray(seeds, dtype=np.uint64)
    replicates = len(seed_array)

    def evaluate(capacities: FloatArray) -> FloatArray:
        points = np.atleast_1d(np.asarray(capacities, dtype=np.float64))
        all_capacities = np.repeat(points, replicates)
        all_seeds = np.tile(seed_array, len(points))
        values = np.empty(len(all_seeds))
        for start in range(0, len(all_seeds), BATCH_RUNS):
            stop = start + BATCH_RUNS
            batch = simulate(
                constant,
                all_seeds[start:stop],
                overrides=constant_capacity_overrides(all_capacities[start:stop]),
                steps=steps,
                timeseries=SERIES in needs,
                events=EVENTS in needs,
            )
            values[start:stop] = outcome_values(batch, column)
        return values.reshape(len(points), replicates)

    return evaluate
