"""Run candidate parameter sets through the batch engine and read their target statistics.

Every candidate (a point of the unit cube and a combination of variants) runs under the same
``replicates`` seeds — common random numbers, so two candidates differ by their values, not by
their luck — and its statistic is the mean over those runs, with the variance of that mean.
Candidates are cut into chunks; chunks run in this process or in worker processes
(``forkserver``), and come back in order, so results never depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.calibrate.space import IntArray, Space
from sim.calibrate.targets import Target, series_needed, statistics
from sim.engine import simulate
from sim.scenario import Scenario

FloatArray = npt.NDArray[np.float64]

#: Runs per batch handed to the engine (bounded memory: a few MB of series per chunk).
CHUNK_RUNS = 4000


@dataclass(frozen=True)
class Problem:
    """What every evaluation needs: the scenario, its space, the targets and the seeds."""

    scenario: Scenario
    space: Space
    targets: tuple[Target, ...]
    seeds: tuple[int, ...]
    steps: int

    @property
    def replicates(self) -> int:
        return len(self.seeds)


@dataclass(frozen=True)
class Evaluated:
    """Target statistics of candidates: mean over the replicates and the mean's variance."""

    mean: FloatArray
    """Shape (candidates, targets)."""
    variance: FloatArray
    """Variance of the mean over replicates (shape (candidates, targets))."""


def evaluate_chunk(problem: Problem, unit: FloatArray, models: IntArray) -> Evaluated:
    """Statistics of a few candidates, in this process."""
    count = unit.shape[0]
    replicates = problem.replicates
    repeated_unit = np.repeat(unit, replicates, axis=0)
    repeated_models = np.repeat(models, replicates)
    seeds = np.tile(np.asarray(problem.seeds, dtype=np.uint64), count)
    batch = simulate(
        problem.scenario,
        seeds,
        problem.space.overrides(repeated_unit, repeated_models),
        steps=problem.steps,
        record=series_needed(problem.targets),
    )
    assert batch.series is not None
    values = statistics(problem.targets, batch.series, batch.start)
    values = values.reshape(count, replicates, -1)
    mean = values.mean(axis=1)
    variance = values.var(axis=1, ddof=1) / replicates if replicates > 1 else np.zeros_like(mean)
    return Evaluated(mean, variance)


def _chunks(count: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


class Evaluator:
    """Evaluates candidates in this process (``workers=1``) or in worker processes."""

    def __init__(self, problem: Problem, workers: int = 1) -> None:
        self.problem = problem
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, unit: FloatArray, models: IntArray) -> Evaluated:
        count = unit.shape[0]
        # at most CHUNK_RUNS runs a chunk, and at least as many chunks as workers
        per_chunk = max(1, min(CHUNK_RUNS // self.problem.replicates, -(-count // self.workers)))
        parts = _chunks(count, per_chunk)
        if self.workers == 1 or len(parts) == 1:
            results = [evaluate_chunk(self.problem, unit[part], models[part]) for part in parts]
        else:
            pool = self._ensure_pool()
            futures = [
                pool.submit(evaluate_chunk, self.problem, unit[part], models[part])
                for part in parts
            ]
            results = [future.result() for future in futures]
        return Evaluated(
            np.concatenate([r.mean for r in results]),
            np.concatenate([r.variance for r in results]),
        )

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            method = "forkserver" if "forkserver" in methods else "spawn"
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context(method)
            )
        return self._pool

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None


@contextmanager
def evaluator(problem: Problem, workers: int = 1) -> Iterator[Evaluator]:
    """An :class:`Evaluator` whose worker processes stop when the block ends."""
    running = Evaluator(problem, workers)
    try:
        yield running
    except BaseException:
        running.close(cancel=True)
        raise
    else:
        running.close()


def scale(targets: Sequence[Target], discrepancy: float) -> FloatArray:
    """Each target's distance scale: its observation uncertainty and the model discrepancy,
    ``sqrt(sd**2 + discrepancy**2)``."""
    sd = np.array([target.sd for target in targets])
    result: FloatArray = np.sqrt(sd**2 + discrepancy**2)
    return result
