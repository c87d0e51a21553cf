"""Sobol indices on the posterior (``csto sensitivity``): which calibrated values each headline
outcome rests on.

The headline outcomes (:data:`HEADLINE`) are final cohesion, each member's final alignment and
each member's exit (the share of runs in which it exited). Their inputs are every value and
structural variant the calibration left uncertain (the posterior's columns, less those a child
scenario sets itself and those the posterior holds at one value).

**The choice** (``docs/sensitivity.md`` argues it): Sobol's decomposition needs independent
inputs, and a posterior is not; so the design is Saltelli's (``SALib.sample.sobol``, a scrambled
Sobol' sequence) on the unit cube, and each column is carried through the *weighted quantile
function of that value's posterior marginal* (:class:`Marginal`). Every input then has exactly
its posterior marginal, and the inputs are independent: the indices are those of the product of
the marginals, which keeps each value's posterior spread and drops the posterior's correlations.
What that costs is measured, not assumed: :func:`correlations` lists the strongest correlations
the posterior holds, and :func:`run_sensitivity` runs draws from the joint posterior beside the
design and compares each outcome's mean and spread under both (``joint_mean``, ``joint_sd``);
from those draws it also estimates first-order indices that keep the correlations
(:func:`given_data_first_order`).

Each design point runs under the same ``replicates`` seeds (common random numbers), and its
outcome is the mean over them; :func:`variance_split` tells apart how much of an outcome's
spread over runs comes from the calibrated values and how much from chance (the seeds). The
indices (``SALib.analyze.sobol``, first-order ``S1`` and total ``ST`` with bootstrap 95%
intervals) divide the first part among the values.

>>> import numpy as np
>>> marginal = Marginal.of("x", np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3]))
>>> marginal.quantile(np.array([0.1, 0.5, 0.6, 0.9])).tolist()
[1.0, 1.0, 2.0, 3.0]
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.results import provenance
from sim.results.folder import FolderError, read_table, results_folder, write_folder
from sim.scenario import Scenario, schema

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior

FloatArray = npt.NDArray[np.float64]

#: The headline outcomes, by their names in the outcome registry.
HEADLINE: Final = (
    "final_cohesion",
    *(f"final_alignment_{member}" for member in schema.MEMBERS),
    *(f"froze_{member}" for member in schema.MEMBERS),
)
#: Most runs the engine holds at once.
CHUNK_RUNS: Final = 20_000
#: Confidence level of the indices' bootstrap intervals, and the resamples behind them.
LEVEL: Final = 0.95
RESAMPLES: Final = 200
#: An outcome whose spread over runs is below this is reported as not varying (no indices).
STILL: Final = 1e-12
#: Most particles of the joint posterior run beside the design, per base sample of it (all of a
#: posterior's particles up to this many; a larger posterior gives a seeded subset).
JOINT_PARTICLES: Final = 4
#: The columns of ``indices.csv``.
INDEX_COLUMNS: Final = (
    "outcome",
    "parameter",
    "S1",
    "S1_conf",
    "ST",
    "ST_conf",
    "S1_joint",
    "S1_joint_conf",
)
#: The columns of ``outcomes.csv``.
OUTCOME_COLUMNS: Final = (
    "outcome",
    "label",
    "mean",
    "sd",
    "joint_mean",
    "joint_sd",
    "agrees",
    "parameter_share",
    "seed_share",
    "sum_S1",
    "top_parameter",
    "top_ST",
    "top_ST_conf",
    "joint_top_parameter",
    "joint_top_S1",
    "verdict",
    "verdict_text",
)


class SensitivityError(ValueError):
    """A sensitivity analysis that cannot be made as asked, with a one-line reason."""


# --- the inputs: the posterior's marginals ----------------------------------------------------


@dataclass(frozen=True)
class Marginal:
    """One input's posterior marginal: its values in order and their cumulative weights."""

    name: str
    support: npt.NDArray[Any]
    """The distinct values (numbers, or a variant's choices), in order."""
    cumulative: FloatArray
    """Cumulative weight up to and including each value of ``support`` (the last is 1)."""

    @classmethod
    def of(cls, name: str, values: npt.NDArray[Any], weights: FloatArray) -> Marginal:
        """The weighted marginal of particle values (numbers, or choices in any order)."""
        support, inverse = np.unique(values, return_inverse=True)
        mass = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(support))
        cumulative = np.cumsum(mass) / mass.sum()
        cumulative[-1] = 1.0
        return cls(name, support, cumulative)

    @property
    def fixed(self) -> bool:
        """True if the posterior holds the value at one point (nothing to attribute to it)."""
        return len(self.support) == 1

    def quantile(self, unit: FloatArray) -> npt.NDArray[Any]:
        """The weighted quantile function: for each ``u`` in [0, 1), the smallest value whose
        cumulative weight exceeds ``u`` (so each value comes up with its posterior weight)."""
        index = np.searchsorted(self.cumulative, unit, side="right")
        result: npt.NDArray[Any] = self.support[np.minimum(index, len(self.support) - 1)]
        return result


def marginals_of(posterior: Posterior) -> tuple[list[Marginal], list[str]]:
    """The posterior's marginals of every value and variant it draws (not those a child keeps),
    and the names of those it holds at one value (left out: they cannot matter)."""
    marginals: list[Marginal] = []
    fixed: list[str] = []
    columns: dict[str, npt.NDArray[Any]] = {**posterior.values, **posterior.variants}
    for name, values in columns.items():
        if name in posterior.kept:
            continue
        marginal = Marginal.of(name, values, posterior.weights)
        if marginal.fixed:
            fixed.append(name)
        else:
            marginals.append(marginal)
    return marginals, fixed


# --- the design -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """Saltelli's design on the unit cube and its points as input values."""

    names: tuple[str, ...]
    unit: FloatArray
    """Shape (points, inputs): SALib's order (for each base sample: A, then A with each input
    from B, then B)."""
    values: dict[str, npt.NDArray[Any]]
    """Each input's value at every point (through its marginal's quantile function)."""
    samples: int

    @property
    def points(self) -> int:
        return int(self.unit.shape[0])

    @property
    def independent(self) -> npt.NDArray[np.int64]:
        """The rows of the base matrices A and B: independent draws from the product of the
        marginals (the others share all but one input with one of them)."""
        step = len(self.names) + 2
        rows = np.arange(self.samples, dtype=np.int64) * step
        return np.concatenate([rows, rows + step - 1])


def problem_of(names: Sequence[str]) -> dict[str, Any]:
    """SALib's problem on the unit cube."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def check_samples(samples: int) -> None:
    """The base sample must be a power of two (the Sobol' sequence's balance), at least 2."""
    if samples < 2 or samples & (samples - 1):
        raise SensitivityError(
            f"--samples {samples}: expected a power of two, at least 2 (the Sobol' sequence is "
            "balanced only then), e.g. 128, 256, 512"
        )


def saltelli_unit(inputs: int, samples: int, seed: int) -> FloatArray:
    """Saltelli's matrix for first-order and total indices on the unit cube, exactly as
    ``SALib.sample.sobol.sample(problem, samples, calc_second_order=False, seed=seed)`` builds
    it (a test holds the two equal), without its loop over every cell: for each base sample,
    the row of A, then A with each input in turn taken from B, then the row of B."""
    from scipy.stats import qmc

    base = qmc.Sobol(d=2 * inputs, scramble=True, seed=seed).random(samples)
    first, second = base[:, :inputs], base[:, inputs:]
    matrix = np.repeat(first[:, np.newaxis, :], inputs + 2, axis=1)
    column = np.arange(inputs)
    matrix[:, 1 + column, column] = second
    matrix[:, inputs + 1, :] = second
    result: FloatArray = matrix.reshape(samples * (inputs + 2), inputs)
    return result


def saltelli_design(marginals: Sequence[Marginal], samples: int, seed: int) -> Design:
    """Saltelli's design (first-order and total indices: ``samples x (inputs + 2)`` points),
    seeded, with each input through its marginal's quantile function."""
    check_samples(samples)
    names = tuple(marginal.name for marginal in marginals)
    unit = saltelli_unit(len(names), samples, seed)
    values = {m.name: m.quantile(unit[:, index]) for index, m in enumerate(marginals)}
    return Design(names, unit, values, samples)


# --- the indices ------------------------------------------------------------------------------


def sobol_indices(design: Design, outputs: FloatArray, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices of one output (one value per design point, SALib's
    order), with the half-widths of their bootstrap 95% intervals: ``parameter``, ``S1``,
    ``S1_conf``, ``ST``, ``ST_conf``."""
    from SALib.analyze import sobol

    result = sobol.analyze(
        problem_of(design.names),
        np.asarray(outputs, dtype=np.float64),
        calc_second_order=False,
        num_resamples=RESAMPLES,
        conf_level=LEVEL,
        seed=seed,
        print_to_console=False,
    )
    return pd.DataFrame(
        {
            "parameter": list(design.names),
            "S1": np.asarray(result["S1"], dtype=np.float64),
            "S1_conf": np.asarray(result["S1_conf"], dtype=np.float64),
            "ST": np.asarray(result["ST"], dtype=np.float64),
            "ST_conf": np.asarray(result["ST_conf"], dtype=np.float64),
        }
    )


def given_data_first_order(
    inputs: Mapping[str, npt.NDArray[Any]],
    outputs: FloatArray,
    seed: int,
    weights: FloatArray | None = None,
    bins: int | None = None,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """First-order indices from given data, whatever the joint distribution of the inputs: for
    each input, Var(E[Y | X_i]) / Var(Y), estimated as the share of the output's (weighted)
    variance that the means of bins of the input explain — bins of equal weight by rank, or the
    input's distinct values when it has at most as many as there are bins — adjusted for what
    bins explain by chance alone: ``(eta2 - c) / (1 - c)`` with ``c = (bins - 1) / (n - 1)``,
    ``n`` the (Kish effective) number of rows. Intervals: 1.96 bootstrap standard deviations
    (rows resampled with their weights), as SALib's ``conf``.

    The rows must be distinct draws (a particle set, not draws from it with replacement:
    duplicated rows fall in the same bin of every input and would be read as an effect).

    Returns ``parameter``, ``S1`` and ``S1_conf``.
    """
    y = np.asarray(outputs, dtype=np.float64)
    count = len(y)
    w = np.ones(count) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    width = bins if bins is not None else max(2, round(np.sqrt(count)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4744]))
    rows = np.vstack([np.arange(count), rng.integers(0, count, size=(resamples, count))])
    names = list(inputs)
    estimates = np.empty((len(names), resamples + 1))
    for index, name in enumerate(names):
        groups = _bins(np.asarray(inputs[name]), w, width)
        estimates[index] = _adjusted_eta_squared(groups[rows], y[rows], w[rows], width)
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": estimates[:, 0],
            "S1_conf": 1.96 * estimates[:, 1:].std(axis=1, ddof=1),
        }
    )


def _bins(values: npt.NDArray[Any], weights: FloatArray, width: int) -> npt.NDArray[np.int64]:
    """Each row's bin: its distinct value's rank if the input has at most ``width`` distinct
    values, else one of ``width`` bins of (nearly) equal weight by rank (ties kept together)."""
    distinct, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    if len(distinct) <= width:
        return inverse
    mass = np.bincount(inverse, weights=weights, minlength=len(distinct))
    below = (np.cumsum(mass) - mass) / mass.sum()  # weight ranked below each distinct value
    result: npt.NDArray[np.int64] = np.minimum(
        np.floor(below[inverse] * width + 1e-9), width - 1
    ).astype(np.int64)
    return result


def _adjusted_eta_squared(
    groups: npt.NDArray[np.int64], y: FloatArray, weights: FloatArray, width: int
) -> FloatArray:
    """The chance-adjusted share of weighted variance the groups' means explain, for each row of
    (samples, rows) arrays of groups, outputs and weights."""
    samples = y.shape[0]
    w = weights / weights.sum(axis=1, keepdims=True)
    offset = (np.arange(samples)[:, np.newaxis] * width + groups).reshape(-1)
    shape = (samples, width)
    mass = np.bincount(offset, weights=w.reshape(-1), minlength=samples * width).reshape(shape)
    sums = np.bincount(offset, weights=(w * y).reshape(-1), minlength=samples * width).reshape(
        shape
    )
    mean = (w * y).sum(axis=1)
    total = (w * (y - mean[:, np.newaxis]) ** 2).sum(axis=1)
    used = (mass > 0).sum(axis=1)
    effective = 1.0 / (w**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        group_means = np.where(mass > 0, sums / np.where(mass > 0, mass, 1.0), 0.0)
        between = (mass * (group_means - mean[:, np.newaxis]) ** 2).sum(axis=1)
        chance = (used - 1) / (effective - 1)
        result: FloatArray = (between / total - chance) / (1.0 - chance)
    return result


@dataclass(frozen=True)
class Split:
    """How an outcome's spread over runs divides between the calibrated values and chance."""

    mean: float
    sd: float
    """Standard deviation over single runs (values and seeds both varying)."""
    parameter_share: float
    """Share of the variance over runs due to the values: Var(E[Y | values]) / Var(Y)."""

    @property
    def seed_share(self) -> float:
        return 1.0 - self.parameter_share


def variance_split(per_seed: FloatArray, weights: FloatArray | None = None) -> Split:
    """The law of total variance over design points or particles (rows, with ``weights``) and
    replicate seeds (columns): Var(Y) = Var(E[Y | values]) + E[Var(Y | values)], the variance of
    the point means corrected for the seeds' share of it (``within / R``)."""
    points, replicates = per_seed.shape
    w = np.full(points, 1.0 / points) if weights is None else weights / weights.sum()
    means = per_seed.mean(axis=1)
    mean = float(w @ means)
    within = float(w @ per_seed.var(axis=1, ddof=1)) if replicates > 1 else 0.0
    # the weighted variance of the means, unbiased for equal weights (Kish's correction)
    spread = float(w @ (means - mean) ** 2) / max(1.0 - float(w @ w), 1e-12)
    between = max(spread - within / replicates, 0.0)
    total = between + within
    share = between / total if total > STILL else float("nan")
    return Split(mean, float(np.sqrt(total)), share)


# --- running the design -----------------------------------------------------------------------


def _evaluate_chunk(
    scenario: Scenario,
    overrides: Mapping[str, npt.NDArray[Any]],
    seeds: npt.NDArray[np.uint64],
    steps: int,
) -> dict[str, FloatArray]:
    """Every headline outcome of some design points under every seed: shape (points, seeds)."""
    from sim.engine import simulate
    from sim.results.outcomes import REGISTRY

    points = len(next(iter(overrides.values()))) if overrides else 1
    replicates = len(seeds)
    batch = simulate(
        scenario,
        np.tile(seeds, points),
        {path: np.repeat(values, replicates) for path, values in overrides.items()},
        steps=steps,
    )
    return {
        name: REGISTRY.get(name).values(batch).astype(np.float64).reshape(points, replicates)
        for name in HEADLINE
    }


def evaluate(
    scenario: Scenario,
    values: Mapping[str, npt.NDArray[Any]],
    seeds: Sequence[int],
    steps: int,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, FloatArray]:
    """Every headline outcome at every point (overrides ``values``, one per point) under every
    seed: shape (points, seeds). Points are cut into chunks that run in this process or in
    ``workers`` processes and come back in order, so the result does not depend on ``workers``.
    """
    seed_array = np.asarray(seeds, dtype=np.uint64)
    points = len(next(iter(values.values())))
    per_chunk = max(1, CHUNK_RUNS // len(seed_array))
    if workers > 1:  # at least two chunks a worker, so both stay busy to the end
        per_chunk = max(1, min(per_chunk, -(-points // (2 * workers))))
    parts = [slice(begin, min(begin + per_chunk, points)) for begin in range(0, points, per_chunk)]
    results: list[dict[str, FloatArray]] = []

    def chunk(part: slice) -> dict[str, npt.NDArray[Any]]:
        return {path: column[part] for path, column in values.items()}

    if workers <= 1 or len(parts) == 1:
        for part in parts:
            results.append(_evaluate_chunk(scenario, chunk(part), seed_array, steps))
            if progress is not None:
                progress(part.stop, points)
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [
                pool.submit(_evaluate_chunk, scenario, chunk(part), seed_array, steps)
                for part in parts
            ]
            try:
                for part, future in zip(parts, futures, strict=True):
                    results.append(future.result())
                    if progress is not None:
                        progress(part.stop, points)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return {name: np.concatenate([part[name] for part in results]) for name in HEADLINE}


# --- the whole analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sensitivity:
    """A sensitivity analysis on the posterior: the indices of every headline outcome, what
    each outcome's spread is made of, and the check of the independence approximation."""

    scenario: Scenario
    seed: int
    samples: int
    replicates: int
    seeds: tuple[int, ...]
    steps: int
    design: Design
    joint_draws: int
    """Particles of the joint posterior run beside the design."""
    fixed: tuple[str, ...]
    """Calibrated values the posterior holds at one value (left out)."""
    kept: tuple[str, ...]
    """Calibrated values a child scenario sets itself (left out)."""
    indices: pd.DataFrame
    """:data:`INDEX_COLUMNS`: the design's ``S1`` and ``ST`` with their interval half-widths,
    and the joint posterior's first-order ``S1_joint`` with its own."""
    outcomes: pd.DataFrame
    """One row per headline outcome (:data:`OUTCOME_COLUMNS`)."""
    point_means: pd.DataFrame
    """Each design point's outcomes (mean over the seeds): ``point`` and one column each."""
    correlations: pd.DataFrame
    """The strongest correlations between calibrated values in the posterior."""
    posterior: Mapping[str, Any]

    @property
    def runs(self) -> int:
        return (self.design.points + self.joint_draws) * self.replicates


def correlations(posterior: Posterior, names: Sequence[str], top: int = 15) -> pd.DataFrame:
    """The strongest weighted rank (Spearman) correlations between the posterior's numeric
    inputs ``names``: ``first``, ``second``, ``correlation``, strongest first. Rank correlation,
    so a monotone relation counts whatever its shape."""
    numeric = [name for name in names if name in posterior.values]
    if len(numeric) < 2:
        return pd.DataFrame(columns=["first", "second", "correlation"])
    ranks = np.column_stack(
        [pd.Series(posterior.values[name]).rank().to_numpy(np.float64) for name in numeric]
    )
    weights = posterior.weights
    centred = ranks - weights @ ranks
    covariance = (centred * weights[:, np.newaxis]).T @ centred
    scale = np.sqrt(np.diag(covariance))
    matrix = covariance / np.outer(scale, scale)
    first, second = np.triu_indices(len(numeric), k=1)
    values = matrix[first, second]
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    return pd.DataFrame(
        {
            "first": [numeric[i] for i in first[order]],
            "second": [numeric[j] for j in second[order]],
            "correlation": values[order],
        }
    )


def joint_particles(posterior: Posterior, limit: int, seed: int) -> npt.NDArray[np.int64]:
    """The posterior's particles run beside the design: all of them, or a seeded subset of
    ``limit`` (without replacement, kept in order) if it has more. Particles, not draws from
    them: every row is a distinct parameter set, as the given-data estimator needs."""
    if posterior.size <= limit:
        return np.arange(posterior.size, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4A50]))
    return np.sort(rng.choice(posterior.size, size=limit, replace=False)).astype(np.int64)


def agrees(design: Split, joint: Split) -> bool:
    """Whether the design (independent marginals) gives an outcome about the spread and centre
    the joint posterior gives it: variances within a factor of two, means within a quarter of
    the larger standard deviation."""
    if joint.sd == 0.0 or design.sd == 0.0:
        return joint.sd == design.sd and abs(joint.mean - design.mean) < 1e-9
    ratio = (design.sd / joint.sd) ** 2
    close = abs(design.mean - joint.mean) <= 0.25 * max(design.sd, joint.sd)
    return 0.5 <= ratio <= 2.0 and close


#: The verdicts, by code, in the order their rules are tried, with a few words each for tables
#: (``docs/sensitivity.md``; the ``verdict_text`` column says each in a sentence).
VERDICTS: Final = {
    "still": "no spread",
    "chance": "mostly chance",
    "dependent": "approximation fails",
    "one": "one number",
    "many": "many values",
    "largely": "largely one value",
}


def verdict(
    design: Split, joint: Split, top: pd.Series | None, joint_top: pd.Series | None
) -> tuple[str, str]:
    """What an outcome's indices say: a code of :data:`VERDICTS` and a sentence. The rules, in
    order: no spread under the posterior; the values explain under a fifth of its spread
    (chance); the independent design changes its mean or spread (:func:`agrees`: then the joint
    posterior's first-order indices are the ones to read); one value's total index above half
    even at the low end of its interval; every value's below half even at the high end; in
    between."""
    if joint.sd < np.sqrt(STILL):
        return "still", "does not vary under the posterior: nothing to attribute"
    if not np.isfinite(joint.parameter_share) or joint.parameter_share < 0.2:
        return "chance", "mostly chance: the calibrated values explain under a fifth of its spread"
    if top is None or not agrees(design, joint):
        alone = "no value alone explains a share of it distinguishable from zero"
        if joint_top is not None and float(joint_top["S1_joint"]) > float(
            joint_top["S1_joint_conf"]
        ):
            alone = (
                f"{joint_top['parameter']} explains most of it alone "
                f"({float(joint_top['S1_joint']):.2f} ± {float(joint_top['S1_joint_conf']):.2f})"
            )
        return "dependent", (
            f"the independence approximation changes it (mean {design.mean:.2f}, sd "
            f"{design.sd:.2f} against {joint.mean:.2f}, {joint.sd:.2f} under the posterior); "
            f"on the joint posterior, {alone}"
        )
    if float(top["ST"]) - float(top["ST_conf"]) >= 0.5:
        return "one", f"rests on one uncertain number: {top['parameter']}"
    if float(top["ST"]) + float(top["ST_conf"]) < 0.5:
        return "many", "spread over many values: no value carries half of its variance"
    return "largely", (
        f"rests largely on {top['parameter']} (total index {float(top['ST']):.2f} "
        f"± {float(top['ST_conf']):.2f}: could be under or over half)"
    )


def run_sensitivity(
    scenario: Scenario,
    posterior: Posterior,
    *,
    samples: int,
    replicates: int,
    seed: int,
    steps: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """Sobol indices of every headline outcome over the posterior's marginals, and beside them
    the same outcomes on the posterior's own particles, correlations kept (their first-order
    indices from given data, their weighted mean and spread); see the module's docstring."""
    from sim.model.draws import derive_seeds
    from sim.results.outcomes import REGISTRY

    check_samples(samples)
    horizon = scenario.horizon if steps is None else steps
    marginals, fixed = marginals_of(posterior)
    if not marginals:
        raise SensitivityError(
            f"{scenario.name}: the posterior leaves no value uncertain (every calibrated value "
            "is set by the scenario or held at one value): nothing to attribute"
        )
    design = saltelli_design(marginals, samples, seed)
    seeds = tuple(derive_seeds(seed, replicates))
    particles = joint_particles(posterior, JOINT_PARTICLES * samples, seed)
    weights = posterior.weights[particles]
    weights = weights / weights.sum()
    columns: dict[str, npt.NDArray[Any]] = {**posterior.values, **posterior.variants}
    particle_values = {
        path: column[particles] for path, column in columns.items() if path not in posterior.kept
    }
    total = design.points + len(particles)

    def report(done: int, offset: int) -> None:
        if progress is not None:
            progress(offset + done, total)

    per_seed = evaluate(
        scenario, design.values, seeds, horizon, workers, lambda done, _n: report(done, 0)
    )
    joint = evaluate(
        scenario,
        particle_values,
        seeds,
        horizon,
        workers,
        lambda done, _n: report(done, design.points),
    )
    joint_inputs = {name: particle_values[name] for name in design.names}
    tables = []
    rows = []
    for name in HEADLINE:
        outputs = per_seed[name]
        design_split = variance_split(outputs[design.independent])
        joint_split = variance_split(joint[name], weights)
        means = outputs.mean(axis=1)
        top: pd.Series | None = None
        # an outcome the posterior never varies (a member that never exits) has nothing to
        # attribute: the design's few stray cases would give indices of pure noise
        if float(means.var()) < STILL or joint_split.sd < np.sqrt(STILL):
            table = pd.DataFrame({"parameter": list(design.names)})
            for column in ("S1", "S1_conf", "ST", "ST_conf"):
                table[column] = np.nan
        else:
            table = sobol_indices(design, means, seed)
            top = table.iloc[int(np.nanargmax(table["ST"].to_numpy(np.float64)))]
        joint_top: pd.Series | None = None
        if joint_split.sd >= np.sqrt(STILL):
            given = given_data_first_order(
                joint_inputs, joint[name].mean(axis=1), seed, weights=weights
            )
            table["S1_joint"] = given["S1"].to_numpy()
            table["S1_joint_conf"] = given["S1_conf"].to_numpy()
            joint_top = table.iloc[int(np.nanargmax(table["S1_joint"].to_numpy(np.float64)))]
        else:
            table["S1_joint"] = np.nan
            table["S1_joint_conf"] = np.nan
        table.insert(0, "outcome", name)
        tables.append(table)
        rows.append(
            {
                "outcome": name,
                "label": REGISTRY.text(name),
                "mean": design_split.mean,
                "sd": design_split.sd,
                "joint_mean": joint_split.mean,
                "joint_sd": joint_split.sd,
                "agrees": agrees(design_split, joint_split),
                "parameter_share": joint_split.parameter_share,
                "seed_share": joint_split.seed_share,
                "sum_S1": float(table["S1"].sum()) if top is not None else np.nan,
                "top_parameter": str(top["parameter"]) if top is not None else "",
                "top_ST": float(top["ST"]) if top is not None else np.nan,
                "top_ST_conf": float(top["ST_conf"]) if top is not None else np.nan,
                "joint_top_parameter": str(joint_top["parameter"]) if joint_top is not None else "",
                "joint_top_S1": float(joint_top["S1_joint"]) if joint_top is not None else np.nan,
                **dict(
                    zip(
                        ("verdict", "verdict_text"),
                        verdict(design_split, joint_split, top, joint_top),
                        strict=True,
                    )
                ),
            }
        )
    point_means = pd.DataFrame(
        {"point": np.arange(design.points, dtype=np.int64)}
        | {name: per_seed[name].mean(axis=1) for name in HEADLINE}
    )
    return Sensitivity(
        scenario=scenario,
        seed=seed,
        samples=samples,
        replicates=replicates,
        seeds=seeds,
        steps=horizon,
        design=design,
        joint_draws=len(particles),
        fixed=tuple(fixed),
        kept=tuple(posterior.kept),
        indices=pd.concat(tables, ignore_index=True),
        outcomes=pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS)),
        point_means=point_means,
        correlations=correlations(posterior, design.names),
        posterior={
            "scenario": posterior.scenario,
            "digest": posterior.digest,
            "method": posterior.manifest.get("method"),
            "particles": posterior.size,
        },
    )


# --- the results folder -----------------------------------------------------------------------

METHOD: Final = (
    "Saltelli's design (SALib.sample.sobol, scrambled Sobol' sequence, first-order and total "
    "indices) on the unit cube; each input through the weighted quantile function of its "
    "posterior marginal (inputs independent: the posterior's correlations are dropped, see "
    "correlations.csv and the joint columns of outcomes.csv); each design point's outcome the "
    "mean over the same replicate seeds (common random numbers); indices by "
    "SALib.analyze.sobol with bootstrap 95% intervals"
)


def sensitivity_folder(
    out: Path, scenario: str, seed: int, samples: int, replicates: int, steps: int | None = None
) -> Path:
    """``out/sensitivity/<scenario>/seed<N>-n<N>-r<R>`` (``-t<T>`` when ``steps`` is given)."""
    name = f"seed{seed}-n{samples}-r{replicates}"
    if steps is not None:
        name += f"-t{steps}"
    return results_folder(out / "sensitivity", scenario, name)


def write_sensitivity(
    result: Sensitivity,
    folder: Path,
    *,
    command: Sequence[str],
    started: str,
    workers: int,
    force: bool = False,
) -> Path:
    """Write the results folder atomically: ``indices.csv``, ``outcomes.csv``,
    ``correlations.csv``, ``points.parquet`` and, last, ``manifest.json``."""

    def manifest(hashes: dict[str, str]) -> dict[str, Any]:
        return provenance.manifest(
            scenario=result.scenario,
            command=command,
            seed=result.seed,
            seeds=result.seeds,
            steps=result.steps,
            times=provenance.Timestamps(started, provenance.now()),
            run_id=folder.name,
            files=hashes,
            extra={
                "kind": "sensitivity",
                "sensitivity": {
                    "samples": result.samples,
                    "inputs": list(result.design.names),
                    "points": result.design.points,
                    "joint_draws": result.joint_draws,
                    "runs": result.runs,
                    "fixed": list(result.fixed),
                    "kept": list(result.kept),
                    "outcomes": list(HEADLINE),
                    "posterior": dict(result.posterior),
                    "method": METHOD,
                    "resamples": RESAMPLES,
                    "level": LEVEL,
                    "workers": workers,
                },
            },
        )

    files = {
        "indices.csv": result.indices,
        "outcomes.csv": result.outcomes,
        "correlations.csv": result.correlations,
        "points.parquet": result.point_means,
    }
    return write_folder(folder, files, force=force, manifest=manifest)


@dataclass(frozen=True)
class SensitivityFolder:
    """A ``csto sensitivity`` results folder read back."""

    path: Path
    manifest: dict[str, Any]
    indices: pd.DataFrame
    outcomes: pd.DataFrame
    correlations: pd.DataFrame
    kind: str = "sensitivity"


def read_sensitivity(path: Path, manifest: dict[str, Any]) -> SensitivityFolder:
    """A sensitivity folder: its indices, outcomes and the posterior's correlations."""
    if not isinstance(manifest.get("sensitivity"), dict):
        raise FolderError(path / "manifest.json", "sensitivity: missing (a sensitivity manifest)")
    indices = read_table(path / "indices.csv", INDEX_COLUMNS)
    outcomes = read_table(path / "outcomes.csv", OUTCOME_COLUMNS)
    for column in ("top_parameter", "joint_top_parameter"):
        outcomes[column] = outcomes[column].fillna("")
    found = read_table(path / "correlations.csv", ("first", "second", "correlation"))
    return SensitivityFolder(path, manifest, indices, outcomes, found)
