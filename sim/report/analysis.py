"""The numbers behind every report: bands over replicates, paired differences, thresholds,
sweep responses and sensitivity indices, and the plain-language sentences written from them.

Everything here is computed from tables (the files of a results folder) and returns tables or
small dataclasses; nothing draws. :mod:`sim.report.plots` draws them and :mod:`sim.report` assembles
them, so each number a report shows can be tested on its own.

Intervals, all at the 95% level:

* *interval of the mean* over replicates: Student's t interval
  (:func:`sim.results.replicates.describe`);
* *middle 95% of replicates*: the 2.5th and 97.5th percentiles of the replicates themselves;
* *paired difference* between scenarios run under common random numbers: the t interval of the
  per-replicate differences (replicate ``r`` of every scenario has the same seed);
* *critical capacity*: a percentile bootstrap over replicates (:func:`critical_capacity`);
* *Sobol and Morris indices*: SALib's bootstrap confidence intervals.

>>> month_words("2023-12")
'December 2023'
>>> event_month("2022-10", 14)
'2023-11'
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats

from sim.results.outcomes import REGISTRY, SUMMARY
from sim.results.replicates import LEVEL, describe
from sim.results.run import event_month, step_date
from sim.scenario import schema

FloatArray = npt.NDArray[np.float64]


def outcome_label(column: str) -> str:
    """The words and unit of an outcome column, from the registry (the column name in words
    if it is not an outcome)."""
    return REGISTRY.text(column)


def outcome_words(column: str) -> str:
    """The words for an outcome column, without its unit (for sentences)."""
    if column in REGISTRY:
        return REGISTRY.by_name[column].label
    return column.replace("_", " ")


def mean_words(column: str) -> str:
    """ "mean final cohesion", but "share of runs in which a member froze" (already a mean)."""
    words = outcome_words(column)
    return words if words.startswith("share") else f"mean {words}"


# --- months ----------------------------------------------------------------------------------


def month_words(month: str) -> str:
    """A "YYYY-MM" month in words: "2023-12" -> "December 2023"."""
    year, number = month[:7].split("-")
    return f"{calendar.month_name[int(number)]} {int(year)}"


#: The "YYYY-MM-01" date a time-series row at ``step`` stands for (the state after step).
series_month = step_date


# --- estimates over replicates ---------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` values with its 95% interval, and the middle 95% of the values."""

    n: int
    mean: float
    ci_low: float
    ci_high: float
    low: float
    high: float

    def interval(self, digits: int = 2) -> str:
        """The interval of the mean as text, "0.48–0.56" (or "n/a" for one value)."""
        if not np.isfinite(self.ci_low):
            return "n/a"
        return f"{self.ci_low:.{digits}f}–{self.ci_high:.{digits}f}"


def estimate(values: pd.Series | Sequence[float] | FloatArray) -> Estimate:
    """Mean, 95% t interval of the mean and middle-95% range of some values."""
    frame = pd.DataFrame({"value": np.asarray(values, dtype=np.float64)})
    row = describe(frame, "value").iloc[0]
    return Estimate(
        n=int(row["n"]),
        mean=float(row["mean"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        low=float(row["low"]),
        high=float(row["high"]),
    )


def alliance_rows(timeseries: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate and step (alliance-level values repeat on each member's row)."""
    first = timeseries["member"] == schema.MEMBERS[0]
    if first.any():
        return timeseries[first]
    return timeseries.drop_duplicates(["replicate", "step"])


def alliance_band(
    timeseries: pd.DataFrame, column: str = "cohesion", by: Sequence[str] = ()
) -> pd.DataFrame:
    """An alliance-level column per step over replicates (``by`` groups first, e.g. scenario).

    Columns: ``by``..., ``step``, ``date`` (timestamp), ``n``, ``mean``, ``ci_low``,
    ``ci_high`` (95% interval of the mean), ``low``, ``high`` (middle 95% of replicates).
    """
    band = describe(alliance_rows(timeseries), column, by=[*by, "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band.reset_index(drop=True)


# --- a run: what happened --------------------------------------------------------------------


@dataclass(frozen=True)
class FreezeFact:
    """How often, and when, one member froze its participation over the replicates."""

    member: str
    count: int
    replicates: int
    median_step: int | None
    first_step: int | None
    last_step: int | None

    @property
    def share(self) -> float:
        return self.count / self.replicates if self.replicates else 0.0


def freeze_facts(summary: pd.DataFrame) -> list[FreezeFact]:
    """Per member (schema order): replicates in which it froze, and the median, first and last
    step of its freeze (the median is the lower median, so it is a step that happened)."""
    facts: list[FreezeFact] = []
    replicates = len(summary)
    for name in schema.MEMBERS:
        column = f"freeze_step_{name}"
        steps = (
            pd.to_numeric(summary[column], errors="coerce").dropna().to_numpy(np.int64)
            if column in summary
            else np.array([], dtype=np.int64)
        )
        steps = np.sort(steps[steps >= 0])
        if len(steps):
            median = int(np.quantile(steps, 0.5, method="lower"))
            facts.append(
                FreezeFact(name, len(steps), replicates, median, int(steps[0]), int(steps[-1]))
            )
        else:
            facts.append(FreezeFact(name, 0, replicates, None, None, None))
    return facts


def freeze_table(summary: pd.DataFrame, start: str) -> pd.DataFrame:
    """Freezes per member as a table: share of replicates, median, first and last month."""
    rows = []
    for fact in freeze_facts(summary):
        rows.append(
            {
                "member": fact.member,
                "froze in": f"{fact.count} of {fact.replicates} ({fact.share:.0%})",
                "median month": _month_text(start, fact.median_step),
                "earliest": _month_text(start, fact.first_step),
                "latest": _month_text(start, fact.last_step),
            }
        )
    return pd.DataFrame(rows)


def _month_text(start: str, step: int | None) -> str:
    if step is None:
        return "–"
    return f"{step} ({month_words(event_month(start, step))})"


@dataclass(frozen=True)
class RunFacts:
    """The numbers a run report's summary is written from."""

    scenario: str
    replicates: int
    start: str
    steps: int
    initial_cohesion: Estimate
    final_cohesion: Estimate
    min_cohesion: Estimate
    capacity_start: float
    capacity_end: float
    freezes: list[FreezeFact]
    final_alignment: dict[str, Estimate]
    mean_counts: dict[str, float] = field(default_factory=dict)


#: The summary's counts of events (a run report gives their means over replicates).
COUNT_COLUMNS: Final = tuple(
    outcome.name for outcome in REGISTRY.group(SUMMARY) if outcome.event is not None
)


def run_facts(
    summary: pd.DataFrame, timeseries: pd.DataFrame, scenario: str, start: str
) -> RunFacts:
    """Collect the summary's numbers from a run's ``summary.csv`` and ``timeseries.parquet``."""
    alliance = alliance_rows(timeseries)
    steps = int(alliance["step"].max())
    capacity = alliance.groupby("step", sort=True)["capacity"].mean()
    counts = {
        column: float(summary[column].mean()) for column in COUNT_COLUMNS if column in summary
    }
    alignment = {
        name: estimate(summary[f"final_alignment_{name}"])
        for name in schema.MEMBERS
        if f"final_alignment_{name}" in summary
    }
    return RunFacts(
        scenario=scenario,
        replicates=len(summary),
        start=start,
        steps=steps,
        initial_cohesion=estimate(summary["initial_cohesion"]),
        final_cohesion=estimate(summary["final_cohesion"]),
        min_cohesion=estimate(summary["min_cohesion"]),
        capacity_start=float(capacity.iloc[0]),
        capacity_end=float(capacity.iloc[-1]),
        freezes=freeze_facts(summary),
        final_alignment=alignment,
        mean_counts=counts,
    )


def _change(before: float, after: float) -> str:
    if round(after, 2) < round(before, 2):
        return "fell"
    if round(after, 2) > round(before, 2):
        return "rose"
    return "stayed"


def run_sentences(facts: RunFacts) -> list[str]:
    """The plain-language summary of a run, one sentence per item, written from the numbers."""
    first = month_words(facts.start)
    last = month_words(event_month(facts.start, facts.steps))
    final = facts.final_cohesion
    verb = _change(facts.initial_cohesion.mean, final.mean)
    plural = "s" if facts.replicates != 1 else ""
    spread = (
        f"(95% interval of the mean {final.interval()}; the middle 95% of replicates ended "
        f"between {final.low:.2f} and {final.high:.2f})."
        if facts.replicates > 1
        else "(a single replicate: no interval; run more replicates to see the spread)."
    )
    sentences = [
        f"{facts.scenario}, {facts.replicates} replicate{plural} from {first} to the end of "
        f"{last} ({facts.steps} months): mean cohesion {verb} from "
        f"{facts.initial_cohesion.mean:.2f} to {final.mean:.2f} " + spread,
        f"At its lowest, cohesion averaged {facts.min_cohesion.mean:.2f} "
        f"(95% interval {facts.min_cohesion.interval()}).",
        f"Russia's capacity for the region went from {facts.capacity_start:.2f} to "
        f"{facts.capacity_end:.2f} of its pre-war level.",
    ]
    frozen = [fact for fact in facts.freezes if fact.count]
    if not frozen:
        sentences.append("No member froze its participation in any replicate.")
    for fact in sorted(frozen, key=lambda f: -f.count):
        assert fact.median_step is not None and fact.first_step is not None
        assert fact.last_step is not None
        median = month_words(event_month(facts.start, fact.median_step))
        earliest = month_words(event_month(facts.start, fact.first_step))
        latest = month_words(event_month(facts.start, fact.last_step))
        span = (
            f"; earliest {earliest}, latest {latest}" if fact.first_step != fact.last_step else ""
        )
        sentences.append(
            f"{fact.member} froze its participation in {fact.share:.0%} of replicates "
            f"({fact.count} of {fact.replicates}), median month {fact.median_step} "
            f"({median}{span})."
        )
    if facts.final_alignment:
        ranked = sorted(facts.final_alignment.items(), key=lambda item: item[1].mean)
        (low_name, low), (high_name, high) = ranked[0], ranked[-1]
        sentences.append(
            f"At the end, {high_name} was the most aligned with Russia "
            f"({high.mean:.2f}, 95% interval {high.interval()}) and {low_name} the least "
            f"({low.mean:.2f}, {low.interval()}), on a scale from 0 (exit) to 1 (loyal)."
        )
    counts = facts.mean_counts
    if "appeals_answered" in counts and "appeals_ignored" in counts:
        sentences.append(
            f"Per replicate, Russia answered {counts['appeals_answered']:.1f} appeals for help "
            f"on average and ignored {counts['appeals_ignored']:.1f}."
        )
    if "drills_held" in counts and "drills_cancelled" in counts:
        total = counts["drills_held"] + counts["drills_cancelled"]
        sentences.append(
            f"Of {total:.0f} scheduled joint drills, {counts['drills_cancelled']:.1f} were "
            f"cancelled on average."
        )
    return sentences


def event_timeline(events: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """How often each kind of event happened in each month, over the replicates.

    One row per kind and month: ``kind``, ``month`` ("YYYY-MM"), ``date`` (mid-month
    timestamp), ``share`` (of replicates with at least one such event that month), ``mean``
    (events per replicate that month), ``origin`` ("scenario" if the scenario gave it in
    every replicate, else "model").
    """
    columns = ["kind", "month", "date", "share", "mean", "origin"]
    if events.empty or replicates < 1:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    frame = events.assign(month=events["date"].astype(str).str.slice(0, 7))
    grouped = frame.groupby(["kind", "month"], sort=True)
    table = grouped.agg(
        runs=("replicate", "nunique"),
        count=("replicate", "size"),
        scenario=("origin", lambda origin: bool((origin == "scenario").all())),
    ).reset_index()
    table["share"] = table["runs"] / replicates
    table["mean"] = table["count"] / replicates
    table["origin"] = np.where(table["scenario"], "scenario", "model")
    table["date"] = pd.to_datetime(table["month"] + "-15", format="%Y-%m-%d")
    order = {kind: index for index, kind in enumerate(TIMELINE_KINDS)}
    table["order"] = table["kind"].map(order).fillna(len(order))
    table = table.sort_values(["order", "month"]).reset_index(drop=True)
    return table[columns]


#: Event kinds in the order a timeline lists them, with their words.
TIMELINE_KINDS: Final[dict[str, str]] = {
    "security_pledge": "security pledge by an outside power",
    "mobilisation_shock": "mobilisation shock",
    "clash": "clash",
    "appeal_answered": "appeal answered by Russia",
    "appeal_ignored": "appeal ignored by Russia",
    "coercion": "coercion by Russia",
    "drill_held": "joint drill held",
    "drill_cancelled": "joint drill cancelled",
    "participation_frozen": "participation frozen",
}


def scenario_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events the scenario gave (the same in every replicate): month, kind, members and
    the explanation from the first replicate."""
    given = events[events["origin"] == "scenario"]
    if given.empty:
        return pd.DataFrame(columns=["month", "kind", "member", "counterpart", "explanation"])
    first = given[given["replicate"] == given["replicate"].min()]
    table: pd.DataFrame = first[["date", "kind", "member", "counterpart", "explanation"]]
    return table.rename(columns={"date": "month"}).reset_index(drop=True)


# --- comparisons under common random numbers -------------------------------------------------


def paired_differences(
    summary: pd.DataFrame, outcome: str, baseline: str, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each scenario's outcome minus the baseline's, paired by replicate (same seed).

    ``summary`` has ``scenario``, ``replicate``, ``seed`` and the outcome. One row per scenario
    other than the baseline: ``scenario``, ``n``, ``mean`` (of the scenario), ``baseline_mean``,
    ``difference`` (mean of the paired differences), ``ci_low``/``ci_high`` (its 95% t
    interval), ``lower_share`` (share of replicates in which the scenario's value was lower).
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
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "n",
            "mean",
            "baseline_mean",
            "difference",
            "ci_low",
            "ci_high",
            "lower_share",
        ],
    )


def trajectory_differences(
    timeseries: pd.DataFrame, baseline: str, column: str = "cohesion"
) -> pd.DataFrame:
    """Per scenario and step: the mean paired difference to the baseline with its 95% interval.

    Columns: ``scenario``, ``step``, ``date``, ``n``, ``mean``, ``ci_low``, ``ci_high``,
    ``low``, ``high`` (as :func:`sim.results.replicates.describe`, of the differences).
    """
    rows = alliance_rows(timeseries)[["scenario", "replicate", "step", "date", column]]
    base = rows[rows["scenario"] == baseline].drop(columns="scenario")
    others = rows[rows["scenario"] != baseline]
    joined = others.merge(base, on=["replicate", "step", "date"], suffixes=("", "_base"))
    joined["difference"] = joined[column] - joined[f"{column}_base"]
    band = describe(joined, "difference", by=["scenario", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band.reset_index(drop=True)


def compare_sentences(
    differences: pd.DataFrame, baseline: str, outcome: str = "final_cohesion"
) -> list[str]:
    """One sentence per scenario: how far its outcome lies from the baseline's, and whether the
    95% interval of the paired difference excludes zero."""
    label = mean_words(outcome)
    sentences: list[str] = []
    for row in differences.to_dict("records"):
        difference = float(row["difference"])
        low, high = float(row["ci_low"]), float(row["ci_high"])
        name, mean, base_mean = row["scenario"], float(row["mean"]), float(row["baseline_mean"])
        if difference == 0.0 and low == 0.0 and high == 0.0:
            sentences.append(
                f"{name}: {label} {mean:.2f}, the same as under {baseline} in every replicate."
            )
            continue
        if not np.isfinite(low):
            sentences.append(
                f"{name}: {label} {mean:.2f} against {baseline}'s {base_mean:.2f} "
                "(one replicate: no interval)."
            )
            continue
        if low > 0 or high < 0:
            direction = "higher" if difference > 0 else "lower"
            verdict = (
                f"{abs(difference):.3f} {direction} than under {baseline} (paired 95% interval "
                f"{low:+.3f} to {high:+.3f}, so the difference is not an accident of the draws)"
            )
        else:
            verdict = (
                f"no clear difference from {baseline} (mean difference {difference:+.3f}, "
                f"paired 95% interval {low:+.3f} to {high:+.3f} includes zero)"
            )
        sentences.append(
            f"{name}: {label} {mean:.2f} against {base_mean:.2f} — {verdict}; lower than "
            f"under the baseline in {float(row['lower_share']):.0%} of "
            f"paired replicates."
        )
    return sentences


# --- the critical capacity -------------------------------------------------------------------

#: Per-replicate outcome at each of some capacities: ``f(capacities) -> (len(capacities), R)``.
Outcome = Callable[[FloatArray], FloatArray]


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
    outcome: Outcome,
    level: float,
    low: float = 0.0,
    high: float = 1.0,
    grid_points: int = 21,
    refine_points: int = 41,
    xtol: float = 1e-4,
    bootstrap: int = 1000,
    seed: int = 0,
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
       interpolation on the grid) and take the 2.5th and 97.5th percentiles.
    """
    coarse = np.linspace(low, high, grid_points)
    coarse_values = np.asarray(outcome(coarse), dtype=np.float64)
    replicates = coarse_values.shape[1]
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
        root = float(optimize.brentq(gap, a, b, xtol=xtol))
    spacing = coarse[1] - coarse[0]
    fine = np.linspace(max(low, a - spacing), min(high, b + spacing), refine_points)
    fine_values = np.asarray(outcome(fine), dtype=np.float64)
    grid, order = np.unique(np.concatenate([coarse, fine]), return_index=True)
    values = np.concatenate([coarse_values, fine_values])[order]
    rng = np.random.default_rng(seed)
    share = np.full(replicates, 1.0 / replicates)
    batch = max(1, min(bootstrap, 5_000_000 // replicates))  # bounds memory: batch x replicates
    crossings = np.concatenate(
        [
            last_crossing(
                grid,
                rng.multinomial(replicates, share, size=min(batch, bootstrap - done))
                @ values.T
                / replicates,
                level,
            )
            for done in range(0, bootstrap, batch)
        ]
    )
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
    )


def threshold_curve(result: Threshold) -> pd.DataFrame:
    """The replicate-mean outcome against capacity, with its 95% interval and middle 95%."""
    frame = pd.DataFrame(
        {
            "capacity": np.repeat(result.grid, result.replicates),
            "value": result.values.reshape(-1),
        }
    )
    table: pd.DataFrame = describe(frame, "value", by=["capacity"])
    return table


def threshold_sentence(
    result: Threshold, outcome: str, scenario: str, replicates: int | None = None
) -> str:
    """The critical capacity in words."""
    label = mean_words(outcome)
    count = replicates if replicates is not None else result.replicates
    if result.critical is None:
        side = "above" if result.mean[0] >= result.level else "below"
        return (
            f"{scenario}: the {label} over {_replicates(count)} stays {side} "
            f"{result.level:g} at every constant capacity from {result.low:g} to "
            f"{result.high:g} (from {result.mean[0]:.2f} to {result.mean[-1]:.2f}): "
            "no critical capacity in that range."
        )
    interval = (
        f"bootstrap 95% interval {result.ci_low:.3f}–{result.ci_high:.3f}"
        if np.isfinite(result.ci_low)
        else "no bootstrap interval: resampled means do not cross the level in range"
    )
    several = (
        f" The mean crosses the level {result.crossings} times on the grid; this is the "
        "highest crossing, the first met as capacity falls."
        if result.crossings > 1
        else ""
    )
    return (
        f"{scenario}: with Russia's capacity held constant, the {label} over "
        f"{_replicates(count)} crosses {result.level:g} at a critical capacity of "
        f"{result.critical:.3f} of the pre-war level ({interval}).{several}"
    )


def _replicates(count: int) -> str:
    return f"{count} replicate" + ("" if count == 1 else "s")


# --- sweeps ----------------------------------------------------------------------------------

#: A parameter with at most this many distinct values is treated as levels, not binned.
MAX_LEVELS: Final = 25


def add_derived_outcomes(runs: pd.DataFrame) -> pd.DataFrame:
    """Add the outcomes a table of runs lacks but can derive (``froze``: 1.0 if any member
    froze during the run, else 0.0; ``froze_<member>``) to a sweep's runs or a summary."""
    return REGISTRY.derived(runs)


def parameter_bins(
    values: pd.Series, low: float | None = None, high: float | None = None, bins: int = 12
) -> pd.Series:
    """The x position each run is shown at for one parameter: its value when the parameter
    took few levels (a grid), else the middle of its equal-width bin over ``[low, high]``."""
    unique = values.nunique()
    if unique <= MAX_LEVELS:
        return values.astype(np.float64)
    lo = float(values.min()) if low is None else float(low)
    hi = float(values.max()) if high is None else float(high)
    if hi <= lo:
        return values.astype(np.float64)
    width = (hi - lo) / bins
    index = np.clip(np.floor((values.to_numpy(np.float64) - lo) / width), 0, bins - 1)
    return pd.Series(lo + (index + 0.5) * width, index=values.index, name=values.name)


def response(
    runs: pd.DataFrame,
    parameter: str,
    outcome: str,
    low: float | None = None,
    high: float | None = None,
    bins: int = 12,
) -> pd.DataFrame:
    """The response of an outcome to one swept parameter, over the runs that succeeded.

    One row per level (or bin) of the parameter: ``x``, ``n``, ``mean``, ``ci_low``,
    ``ci_high`` (95% interval of the mean; Wilson's score interval for a 0/1 outcome such as
    ``froze``, so a share's interval stays within [0, 1]), ``low``, ``high`` (middle 95% of
    runs). Other swept parameters vary within each level: this is the average response over
    them.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    frame = pd.DataFrame(
        {
            "x": parameter_bins(ok[parameter], low, high, bins),
            "value": ok[outcome].astype(np.float64),
        }
    )
    table: pd.DataFrame = describe(frame, "value", by=["x"])
    if frame["value"].dropna().isin([0.0, 1.0]).all():
        count = table["n"].to_numpy(np.float64)
        table["ci_low"], table["ci_high"] = wilson(table["mean"].to_numpy() * count, count)
    return table


def wilson(successes: npt.ArrayLike, trials: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Wilson's 95% score interval for a share: ``successes`` of ``trials`` (vectorised).

    >>> low, high = wilson([0, 5], [10, 10])
    >>> round(float(low[0]), 3), round(float(high[0]), 3), round(float(low[1]), 3)
    (0.0, 0.278, 0.237)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = float(stats.norm.ppf(0.5 + LEVEL / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = k / n
        centre = (share + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def heatmap(
    runs: pd.DataFrame,
    first: str,
    second: str,
    outcome: str,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    bins: int = 8,
) -> pd.DataFrame:
    """Mean outcome over a pair of parameters: rows the second's levels (or bins), columns the
    first's. Cells no run fell in are NaN."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    limits = bounds or {}
    x_low, x_high = limits.get(first, (None, None))
    y_low, y_high = limits.get(second, (None, None))
    frame = pd.DataFrame(
        {
            "x": parameter_bins(ok[first], x_low, x_high, bins),
            "y": parameter_bins(ok[second], y_low, y_high, bins),
            "value": ok[outcome].astype(np.float64),
        }
    )
    table = frame.groupby(["y", "x"], sort=True)["value"].mean().unstack("x")
    return table.sort_index()


@dataclass(frozen=True)
class SweepCrossing:
    """Where the mean response to a capacity parameter crosses a level in a sweep.

    ``open_low`` (``open_high``) means an edge of the band does not cross within the swept
    range and would cross below (above) it: ``ci_low`` (``ci_high``) is then the range's end.
    """

    parameter: str
    outcome: str
    level: float
    critical: float | None
    ci_low: float
    ci_high: float
    open_low: bool = False
    open_high: bool = False

    def interval(self) -> str:
        """The interval as text: "0.28–0.33", "≤ 0.00–0.76" when open at an end."""
        low = f"≤ {self.ci_low:.3f}" if self.open_low else f"{self.ci_low:.3f}"
        high = f"≥ {self.ci_high:.3f}" if self.open_high else f"{self.ci_high:.3f}"
        return f"{low} to {high}"


def sweep_crossing(
    curve: pd.DataFrame, parameter: str, outcome: str, level: float
) -> SweepCrossing:
    """The highest crossing of ``level`` by a response curve (:func:`response`), with the
    interval where the curve's 95% band crosses it: the highest capacities at which the upper
    and the lower edge of the interval of the mean reach the level. An edge that stays on one
    side of the level crosses outside the swept range: the interval is open at that end."""
    grid = curve["x"].to_numpy(np.float64)
    if len(grid) < 2:
        return SweepCrossing(parameter, outcome, level, None, np.nan, np.nan)
    mean = curve["mean"].to_numpy(np.float64)
    edges = np.vstack(
        [
            mean,
            curve["ci_low"].fillna(curve["mean"]).to_numpy(np.float64),
            curve["ci_high"].fillna(curve["mean"]).to_numpy(np.float64),
        ]
    )
    middle, *crossings = last_crossing(grid, edges, level)
    if np.isnan(middle):
        return SweepCrossing(parameter, outcome, level, None, np.nan, np.nan)
    rising = mean[-1] >= mean[0]
    ends: list[float] = [float(middle)]
    open_low = open_high = False
    for edge, crossing in zip(edges[1:], crossings, strict=True):
        if np.isfinite(crossing):
            ends.append(float(crossing))
            continue
        # the edge never reaches the level in range: it crosses beyond the end it points to
        above = bool((edge >= level).all())
        if above == rising:
            ends.append(float(grid[0]))
            open_low = True
        else:
            ends.append(float(grid[-1]))
            open_high = True
    return SweepCrossing(
        parameter, outcome, level, float(middle), min(ends), max(ends), open_low, open_high
    )


def point_means(runs: pd.DataFrame, outcome: str, points: int) -> FloatArray:
    """Mean outcome per design point over its successful replicates, in point order (NaN for a
    point with none)."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    means = ok.groupby("point", sort=True)[outcome].mean()
    result: FloatArray = means.reindex(range(points)).to_numpy(np.float64, na_value=np.nan)
    return result


def sensitivity(
    method: str,
    problem: Mapping[str, Any],
    design: pd.DataFrame,
    means: FloatArray,
    settings: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol first-order and total indices, or Morris mu* and sigma, with 95% intervals.

    ``means`` is the outcome per design point in SALib's sample order. Sobol: ``parameter``,
    ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (SALib's bootstrap half-widths). Morris:
    ``parameter``, ``mu_star``, ``mu_star_conf``, ``sigma``. Raises ValueError if a point has no
    value (the estimators need every point).
    """
    if np.isnan(means).any():
        missing = int(np.isnan(means).sum())
        raise ValueError(f"{missing} design points have no successful run")
    options = dict(settings or {})
    names = list(problem["names"])
    salib_problem = {key: value for key, value in problem.items()}
    if method == "sobol":
        from SALib.analyze import sobol

        second = bool(options.get("calc_second_order", options.get("second_order", False)))
        result = sobol.analyze(
            salib_problem,
            means,
            calc_second_order=second,
            conf_level=LEVEL,
            seed=seed,
            print_to_console=False,
        )
        return pd.DataFrame(
            {
                "parameter": names,
                "S1": np.asarray(result["S1"], dtype=np.float64),
                "S1_conf": np.asarray(result["S1_conf"], dtype=np.float64),
                "ST": np.asarray(result["ST"], dtype=np.float64),
                "ST_conf": np.asarray(result["ST_conf"], dtype=np.float64),
            }
        )
    if method == "morris":
        from SALib.analyze import morris

        matrix = design[names].to_numpy(np.float64)
        result = morris.analyze(
            salib_problem,
            matrix,
            means,
            conf_level=LEVEL,
            num_levels=int(options.get("num_levels", options.get("levels", 4))),
            seed=seed,
            print_to_console=False,
        )
        return pd.DataFrame(
            {
                "parameter": names,
                "mu_star": np.asarray(result["mu_star"], dtype=np.float64),
                "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=np.float64),
                "sigma": np.asarray(result["sigma"], dtype=np.float64),
            }
        )
    raise ValueError(f"no sensitivity indices for a '{method}' design (expected sobol or morris)")


def failed_runs(runs: pd.DataFrame, parameters: Sequence[str], limit: int = 50) -> pd.DataFrame:
    """The failed runs of a sweep (first ``limit``): point, replicate, seed, parameters, error."""
    if "status" not in runs:
        return pd.DataFrame(columns=["point", "replicate", "seed", *parameters, "error"])
    failed = runs[runs["status"] != "ok"]
    columns = [c for c in ["point", "replicate", "seed", *parameters, "error"] if c in failed]
    return failed.sort_values(["point", "replicate"])[columns].head(limit).reset_index(drop=True)


def failure_counts(runs: pd.DataFrame) -> pd.DataFrame:
    """Failed runs grouped by error message: ``error``, ``runs``."""
    if "status" not in runs:
        return pd.DataFrame(columns=["error", "runs"])
    failed = runs[runs["status"] != "ok"]
    counts = failed.groupby("error", sort=False).size().sort_values(ascending=False)
    return counts.rename("runs").reset_index()
