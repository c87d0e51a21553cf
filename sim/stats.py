"""The statistics results and reports share, all at the 95% level.

* :func:`describe`: the mean over replicates with Student's t interval of the mean, and the
  middle 95% of the replicates themselves (the 2.5th and 97.5th percentiles);
* :func:`estimate`: the same for one set of values, as an :class:`Estimate`;
* :func:`paired_differences`: scenarios run under common random numbers (replicate ``r`` of
  every scenario has the same seed), the t interval of the per-replicate differences;
* :func:`verdict`: whether a difference is none, negligible, clear or unclear;
* :func:`wilson`: Wilson's score interval for a share;
* :func:`bootstrap_means`: means over replicates resampled with replacement (the critical
  capacity's percentile bootstrap, :func:`sim.results.threshold.critical_capacity`);
  :func:`crossed_bootstrap_means` the same over runs that cross parameter sets drawn from a
  posterior with seeds (Owen's pigeonhole bootstrap);
* :func:`split_uncertainty`: the spread the seeds make and the spread the parameters make.

Every interval says what it covers (:data:`COVERS`): the random draws of the replicates (their
seeds), ``"draws"``, or, when parameters are drawn from a posterior, ``"draws and
parameters"``. Tables carry it as a ``covers`` column, estimates as :attr:`Estimate.covers`,
and reports word it from there (:func:`sim.report.prose.covers_words`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

# The functions scipy.stats.t.ppf and scipy.stats.norm.ppf call, from scipy.special: importing
# scipy.stats costs a run about 0.65 s, scipy.special a quarter of that (docs/performance.md,
# "The command line").
from scipy.special import ndtri, stdtrit

FloatArray = npt.NDArray[np.float64]

#: Confidence level of every interval shown over replicates.
LEVEL: Final = 0.95

#: What an interval covers: the random draws of replicates (seeds), parameter uncertainty, or
#: both.
DRAWS: Final = "draws"
PARAMETERS: Final = "parameters"
DRAWS_AND_PARAMETERS: Final = "draws and parameters"
COVERS: Final = (DRAWS, PARAMETERS, DRAWS_AND_PARAMETERS)


def describe(frame: pd.DataFrame, column: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """Mean of ``column`` over replicates, with its 95% confidence interval and spread.

    Columns: ``by``..., ``n``, ``mean``, ``ci_low``, ``ci_high`` (Student's t interval of the
    mean; NaN for a single replicate), ``low``, ``high`` (the 2.5th and 97.5th percentiles: the
    range of the middle 95% of replicates). One row per group of ``by`` (one row if empty).
    """
    groups = list(by)
    keys = groups or ["_all"]
    grouped = (frame if groups else frame.assign(_all=0)).groupby(keys, sort=True)[column]
    table = grouped.agg(["count", "mean", "std"]).reset_index()
    table["low"] = grouped.quantile(0.025).to_numpy()
    table["high"] = grouped.quantile(0.975).to_numpy()
    count = table["count"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stdtrit(count - 1, 0.5 + LEVEL / 2) * table["std"].to_numpy() / np.sqrt(count)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    table = table.rename(columns={"count": "n"})
    return table[[*groups, "n", "mean", "ci_low", "ci_high", "low", "high"]]


@dataclass(frozen=True)
class Split:
    """How much of an outcome's spread over runs comes from the seeds and how much from the
    parameters drawn from the posterior (standard deviations, on the outcome's scale)."""

    mean: float
    low: float
    high: float
    """The middle 95% of runs (2.5th to 97.5th percentile), seeds and parameters together."""
    seeds: float
    """Spread from the random draws alone: the mean over parameter sets of the standard
    deviation over seeds."""
    parameters: float
    """Spread from the parameters alone: the standard deviation over parameter sets of the mean
    over seeds (less the seeds' share of it, which averaging over few seeds leaves)."""


def split_uncertainty(values: npt.ArrayLike, draws: int, replicates: int) -> Split:
    """Seed and parameter uncertainty apart, for ``draws x replicates`` runs numbered draw by
    draw (every parameter set under the same ``replicates`` seeds).

    With ``w`` the mean variance over seeds within a parameter set and ``b`` the variance over
    parameter sets of their means, the seeds' variance is ``w`` and the parameters' is
    ``max(b - w / replicates, 0)`` (the between-set variance less what the seeds leave in each
    set's mean: a one-way random-effects analysis of variance).
    """
    table = np.asarray(values, dtype=np.float64).reshape(draws, replicates)
    within = float(table.var(axis=1, ddof=1).mean()) if replicates > 1 else 0.0
    between = float(table.mean(axis=1).var(ddof=1)) if draws > 1 else 0.0
    parameters = max(between - within / replicates, 0.0)
    flat = table.ravel()
    return Split(
        float(flat.mean()),
        float(np.quantile(flat, 0.025)),
        float(np.quantile(flat, 0.975)),
        float(np.sqrt(within)),
        float(np.sqrt(parameters)),
    )


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` values with its 95% interval, and the middle 95% of the values."""

    n: int
    mean: float
    ci_low: float
    ci_high: float
    low: float
    high: float
    covers: str = DRAWS
    """What the interval covers (one of :data:`COVERS`)."""

    def interval(self, digits: int = 2) -> str:
        """The interval of the mean as text, "0.48–0.56" (or "n/a" for one value)."""
        if not np.isfinite(self.ci_low):
            return "n/a"
        return f"{self.ci_low:.{digits}f}–{self.ci_high:.{digits}f}"


def estimate(values: pd.Series | Sequence[float] | FloatArray, draws: int = 1) -> Estimate:
    """Mean, 95% interval of the mean and middle-95% range of some values.

    The interval is Student's t over independent replicates; with ``draws`` above 1 the values
    are runs numbered draw by draw (``draws`` parameter sets from a posterior, each under the
    same seeds), which are not independent, and the interval is :func:`crossed_interval`'s,
    covering the seeds and the parameters.
    """
    array = np.asarray(values, dtype=np.float64)
    row = describe(pd.DataFrame({"value": array}), "value").iloc[0]
    low, high, covers = float(row["ci_low"]), float(row["ci_high"]), DRAWS
    if draws > 1 and array.size % draws == 0:
        low, high = crossed_interval(array.reshape(draws, -1))
        covers = DRAWS_AND_PARAMETERS
    return Estimate(
        n=int(row["n"]),
        mean=float(row["mean"]),
        ci_low=low,
        ci_high=high,
        low=float(row["low"]),
        high=float(row["high"]),
        covers=covers,
    )


#: The columns of :func:`paired_differences`.
PAIRED_COLUMNS: Final = (
    "scenario",
    "n",
    "mean",
    "baseline_mean",
    "difference",
    "ci_low",
    "ci_high",
    "lower_share",
    "higher_share",
    "identical",
    "covers",
)


def paired_differences(
    summary: pd.DataFrame, outcome: str, baseline: str, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each scenario's outcome minus the baseline's, paired by replicate (same seed).

    ``summary`` has ``scenario``, ``replicate``, ``seed`` and the outcome. One row per scenario
    other than the baseline: ``scenario``, ``n``, ``mean`` (of the scenario), ``baseline_mean``,
    ``difference`` (mean of the paired differences), ``ci_low``/``ci_high`` (its 95% t
    interval), ``lower_share`` and ``higher_share`` (shares of replicates in which the
    scenario's value was lower, higher),
    ``identical`` (true if the two were equal in every replicate) and ``covers`` (what the
    interval covers: the replicates' random draws).

    With a ``draw`` column holding several parameter sets (runs numbered draw by draw, every
    set under the same seeds, as :func:`sim.results.replicates.run_replicates` numbers them),
    run ``r`` of every scenario shares its parameter set and its seed; the interval is then
    the percentile interval of :func:`crossed_bootstrap_means` over the runs' differences,
    which resamples parameter sets and seeds apart, and covers both.
    """
    base = summary[summary["scenario"] == baseline].set_index("replicate")
    rows: list[dict[str, Any]] = []
    names = list(order) if order is not None else list(dict.fromkeys(summary["scenario"]))
    for name in names:
        if name == baseline:
            continue
        other = summary[summary["scenario"] == name].set_index("replicate")
        joined = other[[outcome, "seed"]].merge(
            base[[outcome, "seed"]],
            left_index=True,
            right_index=True,
            suffixes=("", "_base"),
            how="inner",
        )
        if not (joined["seed"] == joined["seed_base"]).all():
            raise ValueError(
                f"scenario {name} and {baseline} were not run with the same seeds "
                "(common random numbers need replicate r to share its seed)"
            )
        difference = joined[outcome].astype(float) - joined[f"{outcome}_base"].astype(float)
        est = estimate(difference)
        covers = DRAWS
        sets = int(other["draw"].nunique()) if "draw" in other else 1
        if sets > 1:
            crossed = difference.sort_index().to_numpy().reshape(sets, -1)
            low, high = crossed_interval(crossed, seed=0)
            est = Estimate(est.n, est.mean, low, high, est.low, est.high, DRAWS_AND_PARAMETERS)
            covers = DRAWS_AND_PARAMETERS
        rows.append(
            {
                "scenario": name,
                "n": est.n,
                "mean": float(joined[outcome].mean()),
                "baseline_mean": float(joined[f"{outcome}_base"].mean()),
                "difference": est.mean,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "lower_share": float((difference < 0).mean()),
                "higher_share": float((difference > 0).mean()),
                "identical": bool((difference == 0).all()),
                "covers": covers,
            }
        )
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))


#: The verdicts on a difference between two scenarios (:func:`verdict`) .
NO_DIFFERENCE: Final = "no difference"
NEGLIGIBLE: Final = "negligible"
CLEAR: Final = "clear"
UNCLEAR: Final = "unclear"
NO_INTERVAL: Final = "no interval"


def verdict(
    difference: float, ci_low: float, ci_high: float, *, identical: bool, negligible: float
) -> str:
    """What a mean paired difference and its interval say (``negligible`` is the outcome's
    :attr:`sim.results.outcomes.Outcome.negligible`):

    * ``"no difference"``: equal in every replicate;
    * ``"no interval"``: a single replicate;
    * ``"negligible"``: the difference is smaller than ``negligible``, the least that matters,
      whether or not its interval excludes zero (an interval that includes zero but reaches
      beyond ``negligible`` is ``"unclear"`` instead);
    * ``"clear"``: at least ``negligible`` and its interval excludes zero;
    * ``"unclear"``: the interval includes zero and reaches sizes that would matter.
    """
    if identical:
        return NO_DIFFERENCE
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return NO_INTERVAL
    excludes_zero = ci_low > 0 or ci_high < 0
    if abs(difference) < negligible and (
        excludes_zero or (-negligible < ci_low and ci_high < negligible)
    ):
        return NEGLIGIBLE
    if excludes_zero:
        return CLEAR
    return UNCLEAR


def wilson(successes: npt.ArrayLike, trials: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Wilson's 95% score interval for a share: ``successes`` of ``trials`` (vectorised).

    >>> low, high = wilson([0, 5], [10, 10])
    >>> round(float(low[0]), 3), round(float(high[0]), 3), round(float(low[1]), 3)
    (0.0, 0.278, 0.237)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = float(ndtri(0.5 + LEVEL / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = k / n
        centre = (share + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def bootstrap_means(values: FloatArray, resamples: int, seed: int) -> Iterator[FloatArray]:
    """Means of ``values`` (shape ``(points, replicates)``) over the replicates resampled with
    replacement ``resamples`` times (numpy Generator seeded with ``seed``), in batches of
    shape ``(batch, points)``; a batch holds at most 5,000,000 / replicates resamples."""
    replicates = values.shape[1]
    rng = np.random.default_rng(seed)
    share = np.full(replicates, 1.0 / replicates)
    batch = max(1, min(resamples, 5_000_000 // replicates))  # bounds memory: batch x replicates
    for done in range(0, resamples, batch):
        weights = rng.multinomial(replicates, share, size=min(batch, resamples - done))
        means: FloatArray = weights @ values.T / replicates
        yield means


def crossed_bootstrap_means(values: FloatArray, resamples: int, seed: int) -> Iterator[FloatArray]:
    """Means of ``values`` (shape ``(points, draws, seeds)``: runs that cross parameter sets
    drawn from a posterior with seeds, every set under the same seeds) over parameter sets and
    seeds resampled apart, ``resamples`` times, in batches of shape ``(batch, points)``.

    This is Owen's pigeonhole bootstrap (Owen 2007, *The pigeonhole bootstrap*, Annals of
    Applied Statistics 1(2)): resampling both factors of a crossed design covers the
    uncertainty each contributes to the mean — the parameter sets', and the seeds' that every
    set shares — and errs on the wide side. With one seed or one parameter set it is the
    plain bootstrap over the other.
    """
    points, draws, seeds = values.shape
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, 20_000_000 // max(1, points * draws * seeds // 64 + 1)))
    for done in range(0, resamples, batch):
        size = min(batch, resamples - done)
        by_draw = rng.multinomial(draws, np.full(draws, 1.0 / draws), size=size)
        by_seed = rng.multinomial(seeds, np.full(seeds, 1.0 / seeds), size=size)
        means: FloatArray = np.einsum("bd,pds,bs->bp", by_draw, values, by_seed) / (draws * seeds)
        yield means


def crossed_interval(
    values: npt.ArrayLike, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The 95% percentile interval of the mean of ``values`` (shape ``(draws, seeds)``) by
    :func:`crossed_bootstrap_means`; NaN for a single run.

    >>> low, high = crossed_interval(np.arange(12.0).reshape(3, 4))
    >>> bool(low < 5.5 < high)
    True
    """
    table = np.asarray(values, dtype=np.float64)
    if table.size < 2:
        return math.nan, math.nan
    means = np.concatenate(list(crossed_bootstrap_means(table[np.newaxis], resamples, seed)))
    low, high = np.quantile(means[:, 0], [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(low), float(high)
