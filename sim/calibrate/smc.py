"""History matching, then ABC: a posterior over every uncertain value and the variants.

**Stage 0, history matching** (Craig et al. 1997; Vernon, Goldstein & Bower 2010). Candidates
are drawn from the prior (Latin hypercubes, batch by batch) and run; a candidate is
*implausible* when some target's statistic lies further from its value than ``cutoff``
standard deviations of everything that separates them — the observation's uncertainty, an
explicit model-discrepancy term and the statistic's own noise over replicates:
``I_j = |mean_j - value_j| / sqrt(sd_j**2 + discrepancy**2 + var_j)``, implausible if
``max_j I_j > cutoff`` (3, Pukelsheim's three-sigma rule). The share ruled out says how much of
the prior the targets exclude, and for each target how much it excludes alone.

**ABC by rejection** (Pritchard et al. 1999). A not-implausible candidate is accepted when its
distance to the targets — the root mean square of ``(mean_j - value_j) / sqrt(sd_j**2 +
discrepancy**2)`` — is at most ``target_epsilon`` (1: every target within its uncertainty on
average). When the prior yields ``particles`` accepted candidates within half the budget, they
are the posterior, every weight equal: exact for this tolerance, with no importance weights to
degenerate. This is the usual case here: the article's judgements are uncertain, and the
simulator is fast.

**ABC-SMC, when rejection is too slow** (Toni et al. 2009; Beaumont, Cornuet, Marin & Robert
2009). Starting from the not-implausible candidates, each generation accepts candidates within
a threshold — the median distance of the previous generation, never below ``target_epsilon``;
at that tolerance, generations go on until the effective sample size is at least half the
particles. Candidates are proposed by moving a particle of the previous generation (drawn by
weight): its variant combination is kept or, with probability ``jump``, switched (a model-jump
kernel, Toni & Stumpf 2010); the values that move some target get Gaussian noise with twice the
previous generation's weighted variance, value by value (Beaumont et al. 2009), truncated to the
unit cube; the values that move none (:func:`screen`) are drawn afresh from the prior. An
accepted candidate's weight is its prior density over the kernel mixture's,
``1 / sum_j w_j K_m(m | m_j) K(theta | theta_j)``, with the truncation's normaliser computed
exactly. It also stops when a generation accepts fewer than ``min_acceptance`` of its proposals
or the budget of runs is spent.

**Reproducible and resumable.** Candidates are proposed in batches whose random numbers come
from ``(seed, stage, batch)`` alone, every candidate runs under the same replicate seeds, and a
generation keeps the first ``particles`` accepted candidates in batch order. So the result
depends on the seed only — not on the number of workers — and each finished batch is written to
the work folder at once: an interrupted calibration, rerun, goes on from the next batch and ends
exactly as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy.stats import qmc

from sim.calibrate.evaluate import Evaluated, Evaluator, Problem, scale
from sim.calibrate.space import MODELS, IntArray

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Called with (stage, candidates run in the stage, what the stage needs, runs spent in all).
Progress = Callable[[int, int, int, int], None]

FORMAT: Final = 1


@dataclass(frozen=True)
class Settings:
    """How a calibration runs; the defaults are those of ``csto calibrate``."""

    particles: int = 1000
    replicates: int = 8
    budget: int = 3_000_000
    """Runs (candidates x replicates) the calibration may spend in all."""
    batch: int = 2000
    """Candidates proposed at a time."""
    cutoff: float = 3.0
    discrepancy: float = 0.05
    quantile: float = 0.5
    min_acceptance: float = 0.02
    target_epsilon: float = 1.0
    jump: float = 0.2
    seed: int = 0
    max_generations: int = 30

    def check(self) -> None:
        if self.particles < 10:
            raise ValueError(f"particles must be at least 10, got {self.particles}")
        if self.replicates < 2:
            raise ValueError(f"replicates must be at least 2, got {self.replicates}")
        if self.budget < self.particles * self.replicates:
            raise ValueError(
                f"budget must be at least particles x replicates "
                f"({self.particles * self.replicates} runs), got {self.budget}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")


@dataclass
class Population:
    """One generation: particles on the unit cube, their variant combinations and weights."""

    unit: FloatArray
    models: IntArray
    weights: FloatArray
    distance: FloatArray
    mean: FloatArray

    @property
    def size(self) -> int:
        return int(self.unit.shape[0])

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass
class Generation:
    """What a stage did: for the diagnostics."""

    stage: int
    epsilon: float
    proposed: int
    accepted: int
    runs: int
    ess: float
    seconds: float

    @property
    def acceptance(self) -> float:
        return self.accepted / self.proposed if self.proposed else 0.0


def screen(unit: FloatArray, mean: FloatArray) -> npt.NDArray[np.bool_]:
    """Which values move some target: ``|Spearman rho|`` between the value and a target's
    statistic over the prior's candidates of at least ``4 / sqrt(candidates)`` (four standard
    errors of a correlation that is truly zero) for some target."""
    count = unit.shape[0]
    ranks_unit = _ranks(unit)
    ranks_mean = _ranks(mean)
    ranks_unit = (ranks_unit - ranks_unit.mean(axis=0)) / np.maximum(ranks_unit.std(axis=0), 1e-12)
    ranks_mean = (ranks_mean - ranks_mean.mean(axis=0)) / np.maximum(ranks_mean.std(axis=0), 1e-12)
    rho = ranks_unit.T @ ranks_mean / count  # values x targets
    active: npt.NDArray[np.bool_] = np.abs(rho).max(axis=1) >= 4.0 / np.sqrt(count)
    return active


def _ranks(values: FloatArray) -> FloatArray:
    from scipy.stats import rankdata

    result: FloatArray = rankdata(values, axis=0)
    return result


@dataclass
class Outcome:
    """The result of a calibration: the last population and the record of how it got there."""

    population: Population
    generations: list[Generation]
    runs: int
    stopped: str
    """Why it stopped: "target reached", "acceptance", "budget", "generations"."""
    ruled_out: float
    """Share of the prior's candidates history matching ruled out."""
    ruled_out_by: dict[str, float] = field(default_factory=dict)
    """For each target, the share of candidates it alone would rule out."""
    active: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Values that move some target (:func:`screen`); the others keep their prior."""
    method: str = "rejection"
    """"rejection" if the prior's not-implausible candidates within ``target_epsilon`` were
    enough, "smc" if generations of ABC-SMC were needed."""


def implausibility(evaluated: Evaluated, problem: Problem, discrepancy: float) -> FloatArray:
    """Each candidate's implausibility for each target, shape (candidates, targets)."""
    values = np.array([target.value for target in problem.targets])
    sd = np.array([target.sd for target in problem.targets])
    result: FloatArray = np.abs(evaluated.mean - values) / np.sqrt(
        sd**2 + discrepancy**2 + evaluated.variance
    )
    return result


def distance(mean: FloatArray, problem: Problem, discrepancy: float) -> FloatArray:
    """Root mean square of the standardised gaps to the targets, one per candidate."""
    values = np.array([target.value for target in problem.targets])
    gaps = (mean - values) / scale(problem.targets, discrepancy)
    result: FloatArray = np.sqrt(np.mean(gaps**2, axis=-1))
    return result


def _rng(seed: int, stage: int, batch: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stage, batch]))


# --- the work folder: every finished batch on disk ----------------------------------------------


class WorkFolder:
    """Batches of a calibration on disk (``stage-<s>/batch-<b>.npz``), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def batch_file(self, stage: int, batch: int) -> Path:
        return self.path / f"stage-{stage}" / f"batch-{batch:05d}.npz"

    def load(self, stage: int, batch: int) -> dict[str, Any] | None:
        file = self.batch_file(stage, batch)
        if not file.exists():
            return None
        with np.load(file) as data:
            return {key: data[key] for key in data.files}

    def save(self, stage: int, batch: int, arrays: dict[str, Any]) -> None:
        file = self.batch_file(stage, batch)
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_name(f".{file.name}.tmp")
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, file)


# --- the calibration ----------------------------------------------------------------------------


def calibrate(
    problem: Problem,
    settings: Settings,
    evaluate: Evaluator | Callable[[FloatArray, IntArray], Evaluated],
    work: WorkFolder,
    progress: Progress | None = None,
) -> Outcome:
    """Run history matching and ABC-SMC (module docstring); resume from ``work`` if it holds
    finished batches."""
    settings.check()
    runs = 0
    generations: list[Generation] = []
    population, final, ruled_out, ruled_out_by, generation, spent, active = _history_matching(
        problem, settings, evaluate, work, progress
    )
    runs += spent
    generations.append(generation)
    if final is not None:  # rejection from the prior was enough: equal weights, no SMC
        return Outcome(
            final, generations, runs, "target reached", ruled_out, ruled_out_by, active, "rejection"
        )
    stopped = "generations"
    for stage in range(1, settings.max_generations + 1):
        epsilon = max(
            float(np.quantile(population.distance, settings.quantile)), settings.target_epsilon
        )
        result = _generation(
            problem, settings, evaluate, work, stage, population, epsilon, runs, active, progress
        )
        if result is None:
            stopped = "budget"
            break
        population, generation, spent = result
        runs += spent
        generations.append(generation)
        if epsilon <= settings.target_epsilon and population.ess >= settings.particles / 2:
            stopped = "target reached"
            break
        if generation.acceptance < settings.min_acceptance:
            stopped = "acceptance"
            break
        if runs >= settings.budget:
            stopped = "budget"
            break
    return Outcome(population, generations, runs, stopped, ruled_out, ruled_out_by, active, "smc")


def _history_matching(
    problem: Problem,
    settings: Settings,
    evaluate: Evaluator | Callable[[FloatArray, IntArray], Evaluated],
    work: WorkFolder,
    progress: Progress | None,
) -> tuple[Population, Population | None, float, dict[str, float], Generation, int, BoolArray]:
    """Stage 0: candidates from the prior, batch by batch, until ``particles`` of them are both
    not implausible and within ``target_epsilon`` of the targets (or half the budget is spent).

    Returns the first ``particles`` not-implausible candidates (the start of ABC-SMC; if too few,
    the least implausible), the first ``particles`` accepted ones if there are enough (then they
    are the posterior, by rejection: every weight equal), the share ruled out, each target's
    share ruled out alone, the stage's record, the runs spent and which values move a target
    (:func:`screen`, over every candidate of the stage)."""
    started = time.perf_counter()
    dimensions = problem.space.size
    columns = ("unit", "models", "mean")
    plausible: list[dict[str, Any]] = []
    accepted: list[dict[str, Any]] = []
    pool: list[dict[str, Any]] = []
    seen = 0
    ruled = 0
    alone = np.zeros(len(problem.targets))
    limit = settings.budget // 2
    batch = 0

    def count(parts: list[dict[str, Any]]) -> int:
        return sum(len(part["models"]) for part in parts)

    while True:
        arrays = work.load(0, batch)
        if arrays is None:
            rng = _rng(settings.seed, 0, batch)
            sampler = qmc.LatinHypercube(d=dimensions, seed=rng)
            unit = sampler.random(settings.batch)
            models = rng.integers(0, len(MODELS), settings.batch)
            evaluated = evaluate(unit, models)
            arrays = {
                "unit": unit,
                "models": models,
                "mean": evaluated.mean,
                "variance": evaluated.variance,
            }
            work.save(0, batch, arrays)
        evaluated = Evaluated(arrays["mean"], arrays["variance"])
        score = implausibility(evaluated, problem, settings.discrepancy)
        worst = score.max(axis=1)
        good = worst <= settings.cutoff
        close = good & (
            distance(arrays["mean"], problem, settings.discrepancy) <= settings.target_epsilon
        )
        seen += len(worst)
        ruled += int((~good).sum())
        alone += (score > settings.cutoff).sum(axis=0)
        plausible.append({key: arrays[key][good] for key in columns})
        accepted.append({key: arrays[key][close] for key in columns})
        pool.append({**{key: arrays[key] for key in columns}, "worst": worst})
        batch += 1
        if progress is not None:
            progress(
                0,
                min(count(accepted), settings.particles),
                settings.particles,
                seen * settings.replicates,
            )
        if count(accepted) >= settings.particles or seen * settings.replicates >= limit:
            break

    def population(
        parts: list[dict[str, Any]], order: npt.NDArray[np.int64] | None = None
    ) -> Population:
        unit = np.concatenate([part["unit"] for part in parts])
        models = np.concatenate([part["models"] for part in parts])
        mean = np.concatenate([part["mean"] for part in parts])
        chosen = slice(0, settings.particles) if order is None else order
        unit, models, mean = unit[chosen], models[chosen], mean[chosen]
        weights = np.full(len(models), 1.0 / len(models))
        return Population(
            unit, models, weights, distance(mean, problem, settings.discrepancy), mean
        )

    if count(plausible) >= settings.particles:
        start = population(plausible)
    else:  # the targets rule out (almost) the whole prior: start from the least implausible
        worst = np.concatenate([part["worst"] for part in pool])
        start = population(pool, np.argsort(worst, kind="stable")[: settings.particles])
    final = population(accepted) if count(accepted) >= settings.particles else None
    generation = Generation(
        0,
        settings.cutoff,
        seen,
        count(accepted) if final is not None else int(seen - ruled),
        seen * settings.replicates,
        (final or start).ess,
        time.perf_counter() - started,
    )
    by_target = {
        target.name: float(alone[index] / seen) for index, target in enumerate(problem.targets)
    }
    active = screen(
        np.concatenate([part["unit"] for part in pool]),
        np.concatenate([part["mean"] for part in pool]),
    )
    return start, final, ruled / seen, by_target, generation, seen * settings.replicates, active


def _kernel_scale(population: Population) -> FloatArray:
    """Per value, the perturbation's standard deviation: twice the weighted variance."""
    mean = population.weights @ population.unit
    variance = population.weights @ (population.unit - mean) ** 2
    result: FloatArray = np.sqrt(np.maximum(2.0 * variance, 1e-6))
    return result


def _log_normaliser(centres: FloatArray, sigma: FloatArray) -> FloatArray:
    """log P(centre + noise lies in the unit cube), per centre (the truncation's normaliser)."""
    upper = special.ndtr((1.0 - centres) / sigma)
    lower = special.ndtr(-centres / sigma)
    result: FloatArray = np.log(np.maximum(upper - lower, 1e-300)).sum(axis=1)
    return result


def _perturb(
    rng: np.random.Generator,
    population: Population,
    count: int,
    sigma: FloatArray,
    jump: float,
    active: npt.NDArray[np.bool_],
) -> tuple[FloatArray, IntArray]:
    """Candidates moved from particles drawn by weight: the variants kept or switched, the
    active values with truncated Gaussian noise, the others drawn afresh from the prior (so
    their kernel is the prior and cancels from the weights)."""
    parents = rng.choice(population.size, size=count, p=population.weights)
    models = population.models[parents].copy()
    switch = rng.random(count) < jump
    if len(MODELS) > 1:
        offset = rng.integers(1, len(MODELS), count)
        models = np.where(switch, (models + offset) % len(MODELS), models)
    unit = population.unit[parents] + rng.normal(size=(count, sigma.size)) * sigma
    for _ in range(100):  # truncate to the cube by redrawing the noise where it left it
        outside = np.any(((unit < 0.0) | (unit > 1.0))[:, active], axis=1)
        if not outside.any():
            break
        unit[outside] = (
            population.unit[parents[outside]]
            + rng.normal(size=(int(outside.sum()), sigma.size)) * sigma
        )
    unit = np.clip(unit, 0.0, 1.0)
    fresh = rng.random((count, int((~active).sum())))
    unit[:, ~active] = fresh
    return unit, models


def _weights(
    unit: FloatArray,
    models: IntArray,
    previous: Population,
    sigma: FloatArray,
    jump: float,
    active: npt.NDArray[np.bool_],
) -> FloatArray:
    """Importance weights of accepted candidates: the (uniform) prior over the kernel mixture
    (over the active values only: the others' kernel is their prior)."""
    log_norm = _log_normaliser(previous.unit[:, active], sigma[active])
    scaled_new = unit[:, active] / sigma[active]
    scaled_old = previous.unit[:, active] / sigma[active]
    others = max(len(MODELS) - 1, 1)
    log_jump = np.where(
        models[:, np.newaxis] == previous.models[np.newaxis, :],
        np.log(1.0 - jump),
        np.log(jump / others),
    )
    log_mixture = np.empty(len(models))
    block = 256
    for start in range(0, len(models), block):
        part = slice(start, start + block)
        squared = (
            (scaled_new[part] ** 2).sum(axis=1)[:, np.newaxis]
            + (scaled_old**2).sum(axis=1)[np.newaxis, :]
            - 2.0 * scaled_new[part] @ scaled_old.T
        )
        log_kernel = -0.5 * squared - log_norm[np.newaxis, :] + log_jump[part]
        log_mixture[part] = special.logsumexp(log_kernel, axis=1, b=previous.weights[np.newaxis, :])
    log_weight = -log_mixture
    weights = np.exp(log_weight - log_weight.max())
    result: FloatArray = weights / weights.sum()
    return result


def _generation(
    problem: Problem,
    settings: Settings,
    evaluate: Evaluator | Callable[[FloatArray, IntArray], Evaluated],
    work: WorkFolder,
    stage: int,
    previous: Population,
    epsilon: float,
    spent_before: int,
    active: npt.NDArray[np.bool_],
    progress: Progress | None,
) -> tuple[Population, Generation, int] | None:
    """One ABC-SMC generation, or None if the budget runs out before it is complete."""
    started = time.perf_counter()
    sigma = _kernel_scale(previous)
    accepted: list[dict[str, Any]] = []
    proposed = 0
    batch = 0
    spent = 0
    while sum(len(part["models"]) for part in accepted) < settings.particles:
        if spent_before + spent + settings.batch * settings.replicates > settings.budget:
            return None
        arrays = work.load(stage, batch)
        if arrays is None:
            rng = _rng(settings.seed, stage, batch)
            unit, models = _perturb(rng, previous, settings.batch, sigma, settings.jump, active)
            evaluated = evaluate(unit, models)
            arrays = {"unit": unit, "models": models, "mean": evaluated.mean}
            work.save(stage, batch, arrays)
        gap = distance(arrays["mean"], problem, settings.discrepancy)
        good = gap <= epsilon
        accepted.append(
            {
                "unit": arrays["unit"][good],
                "models": arrays["models"][good],
                "mean": arrays["mean"][good],
                "distance": gap[good],
            }
        )
        proposed += len(gap)
        spent += len(gap) * settings.replicates
        batch += 1
        if progress is not None:
            found = sum(len(part["models"]) for part in accepted)
            progress(
                stage, min(found, settings.particles), settings.particles, spent_before + spent
            )
    unit = np.concatenate([part["unit"] for part in accepted])[: settings.particles]
    models = np.concatenate([part["models"] for part in accepted])[: settings.particles]
    mean = np.concatenate([part["mean"] for part in accepted])[: settings.particles]
    gaps = np.concatenate([part["distance"] for part in accepted])[: settings.particles]
    weights = _weights(unit, models, previous, sigma, settings.jump, active)
    population = Population(unit, models, weights, gaps, mean)
    generation = Generation(
        stage,
        epsilon,
        proposed,
        int(sum(len(part["models"]) for part in accepted)),
        spent,
        population.ess,
        time.perf_counter() - started,
    )
    return population, generation, spent


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings as a plain dict (for manifests)."""
    return asdict(settings)


def read_settings(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
