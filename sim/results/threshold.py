"""The critical capacity: the constant Russian capacity at which an outcome crosses a level.

Russia's capacity is held *constant* at ``c`` for the whole run: the scenario's capacity shape
becomes ``"constant"`` (:meth:`sim.scenario.Scenario.with_values`, which validates it) and the
batch engine receives, for every run, the overrides of :func:`constant_capacity_overrides`:
``initial = c``, and no drain, shock or recovery, with floor 0 and ceiling 1 so that ``c`` is
not clipped. Scenario-given events still happen as written (a ``mobilisation_shock`` event
still lowers capacity from its month on). Every capacity is run with the same replicate seeds
(common random numbers), so the replicate mean is a deterministic function of ``c`` that
:func:`critical_capacity` brackets and hands to a root finder (Brent's method), with a
percentile bootstrap over replicates for its 95% interval.

Its results folder holds every replicate's outcome on the capacity grid (:func:`curve_table`)
and the capacities the root finder tried: :func:`write_threshold` writes it,
:func:`read_threshold` reads it back.

>>> from sim.scenario import load
>>> outcome = capacity_outcome(load("baseline-2022"), [1, 2, 3], "cohesion", steps=6)
>>> outcome(np.array([0.2, 0.8])).shape
(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import BatchResult, simulate
from sim.results import provenance
from sim.results.folder import FolderError, new_run_id, read_table, results_folder, write_folder
from sim.results.outcomes import EVENTS, REGISTRY, SERIES
from sim.scenario import Scenario
from sim.stats import (
    DRAWS,
    DRAWS_AND_PARAMETERS,
    bootstrap_means,
    crossed_bootstrap_means,
    describe,
)

FloatArray = npt.NDArray[np.float64]

#: Most runs the batch engine holds at once (memory grows with runs x months).
BATCH_RUNS: Final = 20_000


#: What the outcomes ``csto threshold`` can use are called in its messages.
THRESHOLD_OUTCOMES: Final = "outcomes whose mean over replicates means something"


def outcome_column(name: str) -> str:
    """The registry's name of an outcome whose replicate mean means something (given in any
    case, or by an alias such as ``cohesion``); a ValueError naming the choices, with a
    did-you-mean, if it is not one."""
    return REGISTRY.get(name, among=REGISTRY.averageable(), what=THRESHOLD_OUTCOMES).name


def check_level(column: str, level: float) -> None:
    """A ValueError if ``level`` is not a finite number within the range the outcome's values
    take (:attr:`sim.results.outcomes.Outcome.bounds`): such a level is never crossed."""
    entry = REGISTRY.get(column)
    low, high = entry.bounds
    if not math.isfinite(level):
        raise ValueError(f"expected a finite number, got {level}")
    if not low <= level <= high:
        upper = f"{high:g}" if math.isfinite(high) else "upwards"
        raise ValueError(
            f"{level:g} is outside the range of {entry.text}: expected a level from "
            f"{low:g} to {upper}"
        )


@dataclass(frozen=True)
class CapacityContext:
    """What a critical capacity is read against: the scenario's capacity floor, the range its
    capacity takes over the run (the scenario as written, every replicate), and the mean
    outcome at constant capacity 0 and 1."""

    floor: float
    lowest: float
    highest: float
    at_zero: float
    at_one: float

    def record(self) -> dict[str, float]:
        return {
            "capacity_floor": self.floor,
            "capacity_lowest": self.lowest,
            "capacity_highest": self.highest,
            "outcome_at_capacity_0": self.at_zero,
            "outcome_at_capacity_1": self.at_one,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CapacityContext | None:
        """The context of a manifest's ``context`` record (None if absent or incomplete)."""
        keys = (
            "capacity_floor",
            "capacity_lowest",
            "capacity_highest",
            "outcome_at_capacity_0",
            "outcome_at_capacity_1",
        )
        if not isinstance(record, dict) or not all(
            isinstance(record.get(key), int | float) for key in keys
        ):
            return None
        return cls(*(float(record[key]) for key in keys))


def capacity_context(
    scenario: Scenario,
    seeds: Sequence[int],
    outcome: CapacityOutcome,
    steps: int | None = None,
    drawn: Mapping[str, npt.ArrayLike] | None = None,
) -> CapacityContext:
    """The :class:`CapacityContext` of a scenario: its floor (``russia.capacity.floor``), the
    lowest and highest capacity of its own path over ``steps`` months in any run (its shape,
    drain, shock, recovery and events as written, or as drawn from a posterior), and the mean
    of ``outcome`` at constant capacity 0 and 1."""
    draws = _draw_count(drawn)
    batch = simulate(
        scenario,
        np.tile(np.asarray(seeds, dtype=np.uint64), draws),
        _drawn_runs(drawn, len(seeds)) or None,
        steps=steps,
        timeseries=True,
    )
    assert batch.series is not None
    capacity = batch.series["capacity"]
    ends = np.asarray(outcome(np.array([0.0, 1.0])), dtype=np.float64).mean(axis=1)
    return CapacityContext(
        floor=float(scenario["russia.capacity.floor"]),
        lowest=float(capacity.min()),
        highest=float(capacity.max()),
        at_zero=float(ends[0]),
        at_one=float(ends[1]),
    )


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
    scenario: Scenario,
    seeds: Sequence[int],
    outcome: str,
    steps: int | None = None,
    drawn: Mapping[str, npt.ArrayLike] | None = None,
) -> CapacityOutcome:
    """A function of capacities returning each run's outcome: shape (capacities, runs).

    Without ``drawn`` the runs are the seeds. With ``drawn`` (parameter sets drawn from a
    posterior: dotted paths to one value per set), run ``k`` is set ``k // len(seeds)`` under
    seed ``k % len(seeds)``; the capacity path's own values (``russia.capacity.*``) are not
    drawn, since capacity is what is held. Runs every (capacity, run) pair on the vectorised
    engine, in batches of at most :data:`BATCH_RUNS` runs (a run's result does not depend on
    its batch).
    """
    column = outcome_column(outcome)
    needs = REGISTRY.get(column).needs
    constant = constant_capacity_scenario(scenario)
    drawn_values = _drawn_runs(drawn, len(seeds), held=CAPACITY_PATHS)
    draws = _draw_count(drawn)
    seed_array = np.tile(np.asarray(seeds, dtype=np.uint64), draws)
    runs = len(seed_array)

    def evaluate(capacities: FloatArray) -> FloatArray:
        points = np.atleast_1d(np.asarray(capacities, dtype=np.float64))
        all_capacities = np.repeat(points, runs)
        all_seeds = np.tile(seed_array, len(points))
        which = np.tile(np.arange(runs), len(points))
        values = np.empty(len(all_seeds))
        for start in range(0, len(all_seeds), BATCH_RUNS):
            stop = start + BATCH_RUNS
            overrides: dict[str, npt.ArrayLike] = {
                path: column_values[which[start:stop]]
                for path, column_values in drawn_values.items()
            }
            overrides.update(constant_capacity_overrides(all_capacities[start:stop]))
            batch = simulate(
                constant,
                all_seeds[start:stop],
                overrides=overrides,
                steps=steps,
                timeseries=SERIES in needs,
                events=EVENTS in needs,
            )
            values[start:stop] = outcome_values(batch, column)
        return values.reshape(len(points), runs)

    return evaluate


#: The values that make Russia's capacity path: held constant by ``csto threshold``, so never
#: drawn from a posterior there.
CAPACITY_PATHS: Final = "russia.capacity."


def _draw_count(drawn: Mapping[str, npt.ArrayLike] | None) -> int:
    if not drawn:
        return 1
    return len(np.asarray(next(iter(drawn.values())), dtype=object))


def _drawn_runs(
    drawn: Mapping[str, npt.ArrayLike] | None, seeds: int, held: str = ""
) -> dict[str, npt.NDArray[Any]]:
    """Each drawn value repeated for the seeds of its parameter set: one value per run (the
    paths starting with ``held`` left out)."""
    if not drawn:
        return {}
    return {
        path: np.repeat(np.asarray(values), seeds)
        for path, values in drawn.items()
        if not (held and path.startswith(held))
    }


# --- the critical capacity ------------------------------------------------------------------

#: Per-replicate outcome at each of some capacities: ``f(capacities) -> (len(capacities), R)``.
CapacityOutcome = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class Threshold:
    """Where the replicate-mean outcome crosses ``level`` as capacity varies.

    ``critical`` is None when the mean stays on one side of the level over ``[low, high]``.
    ``ci_low``/``ci_high`` bound the percentile-bootstrap 95% interval (NaN where the bootstrap
    samples do not cross within the range: see ``bootstrap_missing``).
    """

    level: float
    low: float
    high: float
    critical: float | None
    ci_low: float
    ci_high: float
    bracket: tuple[float, float] | None
    crossings: int
    grid: FloatArray
    values: FloatArray
    """Per-replicate outcome on ``grid``: shape ``(len(grid), replicates)``."""
    evaluations: list[tuple[float, float]]
    """Capacities the root finder tried, with the replicate mean at each."""
    bootstrap: int
    bootstrap_missing: int
    interpolated: float | None
    """The crossing of the mean curve on ``grid`` by linear interpolation (a check on
    ``critical``)."""
    draws: int = 1
    """Parameter sets drawn from a posterior (1: the scenario's own values); the runs are
    ``draws`` sets under the same seeds."""

    @property
    def covers(self) -> str:
        """What the interval covers (:data:`sim.stats.COVERS`)."""
        return DRAWS_AND_PARAMETERS if self.draws > 1 else DRAWS

    @property
    def mean(self) -> FloatArray:
        result: FloatArray = self.values.mean(axis=1)
        return result

    @property
    def replicates(self) -> int:
        return int(self.values.shape[1])


def last_crossing(grid: FloatArray, curves: FloatArray, level: float) -> FloatArray:
    """Where each curve (rows of ``curves``, sampled on ``grid``) last crosses ``level``.

    "Last" means the highest capacity: scanning down from full capacity, the first place the
    outcome reaches the level. Linear interpolation between grid points; NaN for a curve that
    never crosses. Vectorised over rows.

    >>> last_crossing(np.array([0.0, 1.0]), np.array([[0.0, 1.0], [0.6, 0.9]]), 0.5)
    array([0.5, nan])
    """
    curves = np.atleast_2d(curves)
    above = curves >= level
    change = above[:, :-1] != above[:, 1:]
    has = change.any(axis=1)
    index = change.shape[1] - 1 - np.argmax(change[:, ::-1], axis=1)
    rows = np.arange(curves.shape[0])
    left, right = curves[rows, index], curves[rows, index + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(right != left, (level - left) / (right - left), 0.0)
    crossing = grid[index] + fraction * (grid[index + 1] - grid[index])
    result: FloatArray = np.where(has, crossing, np.nan)
    return result


def critical_capacity(
    outcome: CapacityOutcome,
    level: float,
    low: float = 0.0,
    high: float = 1.0,
    grid_points: int = 21,
    refine_points: int = 41,
    xtol: float = 1e-4,
    bootstrap: int = 1000,
    seed: int = 0,
    draws: int = 1,
) -> Threshold:
    """Find the capacity at which the replicate mean of ``outcome`` crosses ``level``.

    1. *Bracket*: evaluate every replicate on ``grid_points`` capacities from ``low`` to
       ``high`` and take the highest pair of neighbours between which the mean crosses.
    2. *Root*: :func:`scipy.optimize.brentq` on the replicate mean inside that bracket (each
       evaluation runs every replicate at one capacity with the same seeds, so the mean is a
       deterministic function of capacity).
    3. *Interval*: evaluate every replicate on ``refine_points`` capacities around the
       bracket; resample the replicates with replacement ``bootstrap`` times (numpy Generator
       seeded with ``seed``), find where each resampled mean curve crosses (linear
       interpolation on the grid) and take the 2.5th and 97.5th percentiles. With ``draws``
       parameter sets (runs numbered set by set, every set under the same seeds), parameter
       sets and seeds are resampled apart (:func:`sim.stats.crossed_bootstrap_means`).
    """
    coarse = np.linspace(low, high, grid_points)
    coarse_values = np.asarray(outcome(coarse), dtype=np.float64)
    mean = coarse_values.mean(axis=1)
    above = mean >= level
    changes = np.flatnonzero(above[:-1] != above[1:])
    if len(changes) == 0:
        return Threshold(
            level=level,
            low=low,
            high=high,
            critical=None,
            ci_low=np.nan,
            ci_high=np.nan,
            bracket=None,
            crossings=0,
            grid=coarse,
            values=coarse_values,
            evaluations=[],
            bootstrap=0,
            bootstrap_missing=0,
            interpolated=None,
            draws=draws,
        )
    index = int(changes[-1])
    a, b = float(coarse[index]), float(coarse[index + 1])
    evaluations: list[tuple[float, float]] = []

    def gap(capacity: float) -> float:
        value = float(np.asarray(outcome(np.array([capacity])), dtype=np.float64)[0].mean())
        evaluations.append((capacity, value))
        return value - level

    fa, fb = mean[index] - level, mean[index + 1] - level
    if fa == 0.0:
        root = a
    elif fb == 0.0:
        root = b
    else:
        # imported here: scipy.optimize is slow to import, and csto run's figures import this
        # module (through sim.report)
        from scipy import optimize

        root = float(optimize.brentq(gap, a, b, xtol=xtol))
    spacing = coarse[1] - coarse[0]
    fine = np.linspace(max(low, a - spacing), min(high, b + spacing), refine_points)
    fine_values = np.asarray(outcome(fine), dtype=np.float64)
    grid, order = np.unique(np.concatenate([coarse, fine]), return_index=True)
    values = np.concatenate([coarse_values, fine_values])[order]
    resampled = (
        crossed_bootstrap_means(values.reshape(len(grid), draws, -1), bootstrap, seed)
        if draws > 1
        else bootstrap_means(values, bootstrap, seed)
    )
    crossings = np.concatenate([last_crossing(grid, means, level) for means in resampled])
    missing = int(np.isnan(crossings).sum())
    found = crossings[~np.isnan(crossings)]
    ci_low, ci_high = (
        (float(np.quantile(found, 0.025)), float(np.quantile(found, 0.975)))
        if len(found)
        else (np.nan, np.nan)
    )
    interpolated = float(last_crossing(grid, values.mean(axis=1)[np.newaxis, :], level)[0])
    return Threshold(
        level=level,
        low=low,
        high=high,
        critical=root,
        ci_low=ci_low,
        ci_high=ci_high,
        bracket=(a, b),
        crossings=len(changes),
        grid=grid,
        values=values,
        evaluations=evaluations,
        bootstrap=bootstrap,
        bootstrap_missing=missing,
        interpolated=interpolated,
        draws=draws,
    )


def threshold_curve(result: Threshold) -> pd.DataFrame:
    """The replicate-mean outcome against capacity, with its 95% interval and middle 95%."""
    frame = pd.DataFrame(
        {
            "capacity": np.repeat(result.grid, result.replicates),
            "value": result.values.reshape(-1),
        }
    )
    return curve_band(frame)


def curve_band(curve: pd.DataFrame) -> pd.DataFrame:
    """The band over replicates of a curve table (``capacity``, ``value``; a threshold
    folder's ``curve.parquet``): :func:`sim.stats.describe` by capacity."""
    table: pd.DataFrame = describe(curve, "value", by=["capacity"])
    return table


# --- the results folder of ``csto threshold`` --------------------------------------------------


def threshold_folder(
    out: Path,
    scenario: str,
    outcome: str,
    level: float,
    seed: int,
    replicates: int,
    steps: int,
    draws: int = 1,
) -> Path:
    """``out/<scenario>/seed<N>-r<R>-t<T>-threshold-<outcome>-<level>`` (``-d<D>-`` before
    ``r`` with draws)."""
    tag = f"threshold-{outcome}-{level:g}"
    run_id = new_run_id(seed, replicates, steps, tag=tag, draws=draws)
    return results_folder(out, scenario, run_id)


def curve_table(found: Threshold, seeds: Sequence[int]) -> pd.DataFrame:
    """Every run's outcome at every capacity of the grid: the data behind the curve
    (``curve.parquet``: ``capacity``, ``replicate`` (the run), ``seed``, ``draw`` (its
    parameter set, 0 without a posterior), ``value``)."""
    count = len(found.grid)
    runs = np.arange(found.replicates, dtype=np.int64)
    per_set = found.replicates // found.draws
    return pd.DataFrame(
        {
            "capacity": np.repeat(found.grid, found.replicates),
            "replicate": np.tile(runs, count),
            "seed": np.tile(np.tile(np.asarray(seeds, dtype=np.uint64), found.draws), count),
            "draw": np.tile(runs // per_set, count),
            "value": found.values.reshape(-1),
        }
    )


def threshold_record(
    found: Threshold,
    scenario: Scenario,
    outcome: str,
    column: str,
    grid: int,
    sentence: str,
    context: CapacityContext | None = None,
) -> dict[str, Any]:
    """The manifest fields of a threshold folder: the outcome (as given, and its registry
    name), the level, what the root finder found, what its interval covers (the replicates'
    random draws) and the :class:`CapacityContext` it is read against."""

    def number(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else float(value)

    return {
        "kind": "threshold",
        "outcome": outcome,
        "outcome_column": column,
        "level": found.level,
        "capacity_path": "constant: shape=constant, initial=c, drain/shock/recovery 0, "
        "floor 0, ceiling 1 (sim.results.threshold.constant_capacity_overrides)",
        "threshold": {
            "critical": number(found.critical),
            "ci_low": number(found.ci_low),
            "ci_high": number(found.ci_high),
            "interpolated": number(found.interpolated),
            "bracket": list(found.bracket) if found.bracket else None,
            "crossings": found.crossings,
            "low": found.low,
            "high": found.high,
            "grid_points": grid,
            "bootstrap": found.bootstrap,
            "bootstrap_missing": found.bootstrap_missing,
            "method": "bracket on an even grid, scipy.optimize.brentq on the mean over runs; "
            + (
                "percentile bootstrap resampling parameter sets and seeds apart (pigeonhole) "
                if found.draws > 1
                else "percentile bootstrap over replicates "
            )
            + "on a refined grid",
            "sentence": sentence,
            "scenario": scenario.name,
            "covers": found.covers,
            "draws": found.draws,
        },
        **({"context": context.record()} if context is not None else {}),
    }


def write_threshold(
    found: Threshold,
    folder: Path,
    *,
    scenario: Scenario,
    seed: int,
    seeds: Sequence[int],
    steps: int,
    outcome: str,
    grid: int,
    sentence: str,
    command: Sequence[str],
    started: str,
    force: bool = False,
    context: CapacityContext | None = None,
    posterior: dict[str, Any] | None = None,
) -> Path:
    """Write a threshold's results folder atomically: ``curve.parquet``, ``evaluations.csv``
    and, last, ``manifest.json`` (with :func:`threshold_record`, and the record of the
    ``posterior`` the parameter sets were drawn from, if any)."""
    column = outcome_column(outcome)
    extra = threshold_record(found, scenario, outcome, column, grid, sentence, context)
    extra["posterior"] = posterior

    def manifest(hashes: dict[str, str]) -> dict[str, Any]:
        return provenance.manifest(
            scenario=scenario,
            command=command,
            seed=seed,
            seeds=seeds,
            steps=steps,
            times=provenance.Timestamps(started, provenance.now()),
            run_id=folder.name,
            files=hashes,
            extra=extra,
        )

    files = {
        "curve.parquet": curve_table(found, seeds),
        "evaluations.csv": pd.DataFrame(found.evaluations, columns=["capacity", "mean"]),
    }
    return write_folder(folder, files, force=force, manifest=manifest)


CURVE_NEEDED: Final = ("capacity", "replicate", "value")


@dataclass(frozen=True)
class ThresholdFolder:
    """A ``csto threshold`` results folder read back."""

    path: Path
    manifest: dict[str, Any]
    curve: pd.DataFrame
    evaluations: pd.DataFrame
    kind: str = "threshold"


def read_threshold(path: Path, manifest: dict[str, Any]) -> ThresholdFolder:
    """A threshold folder: the outcome of every replicate on the capacity grid."""
    curve = read_table(path / "curve.parquet", CURVE_NEEDED)
    evaluations = read_table(path / "evaluations.csv", ("capacity", "mean"))
    for key in ("outcome", "level", "threshold"):
        if key not in manifest:
            raise FolderError(path / "manifest.json", f"{key}: missing (a threshold manifest)")
    return ThresholdFolder(path, manifest, curve, evaluations)
