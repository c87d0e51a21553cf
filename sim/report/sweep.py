"""The report of a ``csto sweep`` folder: each outcome's response to each swept parameter,
heatmaps over pairs, the critical capacity where capacity was swept, Sobol or Morris indices
with their confidence intervals, and the failed runs; marked incomplete if runs are missing.

The data functions (:func:`response`, :func:`heatmap`, :func:`sweep_crossing`,
:func:`sensitivity`, ...) compute from the runs table; :mod:`sim.report.figures` draws them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.discovery import Box, Discovery, prim
from sim.report.document import (
    Report,
    ReportError,
    Section,
    TableItem,
    figure,
    provenance,
    rounded,
    scenario_name,
)
from sim.report.prose import INTERVALS_TEXT, covers_words, mean_words, outcome_label
from sim.results.outcomes import REGISTRY, SWEEP_REPORT, Outcome, member_families
from sim.results.sweep import SweepFolder, sweep_definition, sweep_setting
from sim.results.threshold import last_crossing
from sim.scenario import schema
from sim.stats import DRAWS, DRAWS_AND_PARAMETERS, LEVEL, describe, wilson

FloatArray = npt.NDArray[np.float64]

#: The outcomes a sweep report shows, in order (those present in the runs).
SWEEP_OUTCOMES: Final = REGISTRY.names(SWEEP_REPORT)

#: A total Sobol index (a share of variance) below this, or a Morris μ* below the outcome's
#: size that matters, means the parameter barely moves the outcome over its swept range.
NEGLIGIBLE_INDEX: Final = 0.01

#: A heatmap panel whose cells differ by no more than chance (one-way analysis of variance of
#: the design points' means across its cells, p at or above this divided by the number of
#: panels: Bonferroni) is labelled noise.
HEATMAP_SIGNIFICANCE: Final = 0.05

#: Fewest design points per heatmap cell, on average, for a panel not to be called too thin.
HEATMAP_POINTS_PER_CELL: Final = 10


#: The outcome and level whose crossing is marked where capacity was swept.
CRITICAL_OUTCOME: Final = "final_cohesion"


CRITICAL_LEVEL: Final = 0.5


#: Swept paths that are Russia's capacity (the critical capacity is marked on them).
CAPACITY_PATHS: Final = ("russia.capacity.initial",)


#: Most parameters drawn in heatmaps (pairs grow as the square).
HEATMAP_PARAMETERS: Final = 5


# --- the data -------------------------------------------------------------------------------


#: A parameter with at most this many distinct values is treated as levels, not binned.
MAX_LEVELS: Final = 25


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
    if np.ptp(means) == 0.0:
        raise ConstantOutcome(
            f"did not vary ({means[0]:g} at every design point), so it has no indices"
        )
    with warnings.catch_warnings():
        # SALib divides by the spread of bootstrap resamples, which can be zero for an outcome
        # that is the same at most points: its indices are then NaN, shown as "–", not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return _salib_indices(method, problem, design, means, dict(settings or {}), seed)


class ConstantOutcome(ValueError):
    """An outcome that does not vary over the design points: it has no sensitivity indices."""


def _salib_indices(
    method: str,
    problem: Mapping[str, Any],
    design: pd.DataFrame,
    means: FloatArray,
    options: dict[str, Any],
    seed: int,
) -> pd.DataFrame:
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


# --- what a sweep report shows -------------------------------------------------------------


def report_outcomes(columns: Sequence[str]) -> list[Outcome]:
    """The outcomes a sweep report shows: the registry's ``sweep report`` group, those the runs
    hold or can derive, in registry order (member outcomes included)."""
    present = {entry.name for entry in REGISTRY.averageable(columns)}
    return [entry for entry in REGISTRY.group(SWEEP_REPORT) if entry.name in present]


def focus_outcome(columns: Sequence[str], outcome: str | None) -> Outcome | None:
    """The outcome a sweep report is about (``--outcome``, any spelling): one whose mean means
    something and that the runs hold or can derive; None if not chosen."""
    if outcome is None:
        return None
    among = REGISTRY.averageable(columns)
    return REGISTRY.get(outcome, among=among, what="outcomes of this sweep")


def independent_points(
    design: str, points: int, parameters: int, settings: Mapping[str, Any] | None = None
) -> npt.NDArray[np.bool_]:
    """The design points that sample parameter space independently of one another: every
    point of a grid or a Latin hypercube; of a Saltelli (Sobol) design only its base samples A
    and B (the other rows change one parameter of A each, so that binning them by two
    parameters mixes in the others); of a Morris design the first point of each trajectory."""
    index = np.arange(points)
    options = dict(settings or {})
    if design == "sobol":
        second = bool(options.get("calc_second_order", options.get("second_order", False)))
        block = 2 * parameters + 2 if second else parameters + 2
        if points % block:
            return np.ones(points, dtype=bool)
        chosen: npt.NDArray[np.bool_] = (index % block == 0) | (index % block == block - 1)
        return chosen
    if design == "morris":
        block = parameters + 1
        if points % block:
            return np.ones(points, dtype=bool)
        first: npt.NDArray[np.bool_] = index % block == 0
        return first
    return np.ones(points, dtype=bool)


@dataclass(frozen=True)
class HeatmapPanel:
    """The mean outcome over a pair of parameters, and whether its cells differ by more than
    chance."""

    first: str
    second: str
    table: pd.DataFrame
    """Mean of the design points' means per cell: rows the second's bins, columns the
    first's."""
    points: int
    cells: int
    p_value: float
    """One-way analysis of variance of the points' means across the cells."""
    noise: bool
    """True if the cells differ by no more than chance (see :data:`HEATMAP_SIGNIFICANCE`)."""

    @property
    def points_per_cell(self) -> float:
        return self.points / self.cells if self.cells else 0.0


def heatmap_bins(points: int) -> int:
    """Bins per parameter for heatmaps over ``points`` independent points: about
    :data:`HEATMAP_POINTS_PER_CELL` points a cell, between 3 and 8 bins."""
    return int(min(8, max(3, np.sqrt(points / HEATMAP_POINTS_PER_CELL))))


def pair_heatmaps(
    point_table: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    outcome: str,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> list[HeatmapPanel]:
    """A :class:`HeatmapPanel` per pair over ``point_table`` (one row per independent design
    point: its parameters and its mean ``outcome`` over replicates); a panel is noise when the
    analysis of variance finds its cells no more different than chance, at
    :data:`HEATMAP_SIGNIFICANCE` divided by the number of pairs."""
    from scipy import stats

    bins = heatmap_bins(len(point_table))
    limits = bounds or {}
    panels = []
    for first, second in pairs:
        frame = pd.DataFrame(
            {
                "x": parameter_bins(point_table[first], *limits.get(first, (None, None)), bins),
                "y": parameter_bins(point_table[second], *limits.get(second, (None, None)), bins),
                "value": point_table[outcome].astype(np.float64),
            }
        ).dropna()
        groups = [group.to_numpy() for _, group in frame.groupby(["x", "y"])["value"]]
        varied = [group for group in groups if len(group)]
        p_value = 1.0
        if len(varied) > 1 and len(frame) > len(varied):
            spread = np.concatenate(varied)
            if np.ptp(spread) > 0:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = stats.f_oneway(*varied)
                p_value = float(result.pvalue) if np.isfinite(result.pvalue) else 1.0
        table = frame.groupby(["y", "x"], sort=True)["value"].mean().unstack("x").sort_index()
        panels.append(
            HeatmapPanel(
                first,
                second,
                table,
                points=len(frame),
                cells=len(varied),
                p_value=p_value,
                noise=p_value >= HEATMAP_SIGNIFICANCE / max(len(pairs), 1),
            )
        )
    return panels


def point_table(
    runs: pd.DataFrame, design: pd.DataFrame, outcomes: Sequence[str], chosen: npt.ArrayLike
) -> pd.DataFrame:
    """One row per chosen design point: its parameters and the mean of each outcome over its
    successful replicates."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    means = ok.groupby("point", sort=True)[list(outcomes)].mean()
    points = design.set_index("point")
    table = points.join(means, how="inner")
    keep = np.asarray(chosen, dtype=bool)
    selected: pd.DataFrame = table[keep[table.index.to_numpy()]]
    return selected


def sensitivity_table(
    method: str,
    problem: Mapping[str, Any],
    design: pd.DataFrame,
    runs: pd.DataFrame,
    outcomes: Sequence[str],
    settings: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Sensitivity indices (:func:`sensitivity`) of every outcome, one table with ``outcome``
    first, and why each outcome without indices has none (``{outcome: reason}``)."""
    parts = []
    missing: dict[str, str] = {}
    for outcome in outcomes:
        means = point_means(runs, outcome, len(design))
        try:
            indices = sensitivity(method, problem, design, means, settings=settings, seed=seed)
        except ConstantOutcome as error:
            missing[outcome] = str(error)
            continue
        except (ValueError, ZeroDivisionError, IndexError, KeyError) as error:
            missing[outcome] = f"not computed ({error})"
            continue
        parts.append(indices.assign(outcome=outcome))
    if not parts:
        return pd.DataFrame(columns=["outcome", "parameter"]), missing
    table = pd.concat(parts, ignore_index=True)
    return table[["outcome", *(c for c in table.columns if c != "outcome")]], missing


def influence(table: pd.DataFrame, method: str) -> pd.Series:
    """How much each row's parameter moves its outcome: the total Sobol index ST, or Morris
    μ*."""
    column = "ST" if method == "sobol" else "mu_star"
    values: pd.Series = table[column].astype(np.float64)
    return values


def negligible_influence(outcome: str, method: str) -> float:
    """Below this influence (:func:`influence`) a parameter barely moves ``outcome``: a total
    index of :data:`NEGLIGIBLE_INDEX`, or μ* below the outcome's size that matters."""
    if method == "sobol":
        return NEGLIGIBLE_INDEX
    entry = REGISTRY.by_name.get(outcome)
    return entry.negligible if entry is not None else 0.0


def _own(parameter: str, member: str | None) -> bool:
    return member is not None and member in parameter.split(".")


def sensitivity_sentences(table: pd.DataFrame, method: str) -> list[str]:
    """Per outcome: the parameters that move it (largest first, with their index and its
    interval) and those that barely do — a member's own parameters named as such."""
    sentences = []
    name = "total index" if method == "sobol" else "μ*"
    conf = "ST_conf" if method == "sobol" else "mu_star_conf"
    for outcome, rows in table.groupby("outcome", sort=False):
        entry = REGISTRY.by_name.get(str(outcome))
        member = entry.member if entry is not None else None
        limit = negligible_influence(str(outcome), method)
        values = influence(rows, method)
        order = values.sort_values(ascending=False, na_position="last").index
        strong = [i for i in order if np.isfinite(values[i]) and values[i] >= limit]
        weak = [i for i in order if not (np.isfinite(values[i]) and values[i] >= limit)]
        label = entry.label if entry is not None else str(outcome)
        label = label[:1].upper() + label[1:]
        parameters = rows["parameter"].astype(str)
        spread = rows[conf].astype(np.float64)
        parts = [f"{parameters[i]} ({name} {values[i]:.2f} ± {spread[i]:.2f})" for i in strong[:4]]
        text = (
            f"{label}: moved most by " + ", ".join(parts)
            if parts
            else f"{label}: no swept parameter moves it noticeably"
        )
        if weak:
            own = [
                str(rows.at[i, "parameter"])
                for i in weak
                if _own(str(rows.at[i, "parameter"]), member)
            ]
            others = [
                str(rows.at[i, "parameter"])
                for i in weak
                if str(rows.at[i, "parameter"]) not in own
            ]
            bound = f"{name} below {limit:g}"
            if own:
                text += (
                    f"; the parameters about {member} ({', '.join(own)}) have {bound}: over "
                    "their swept ranges they barely move it"
                )
                if others:
                    text += f", and neither does {', '.join(others)}"
            else:
                text += f"; {', '.join(others)} have {bound}: over their swept ranges they "
                text += "barely move it"
        sentences.append(text + ".")
    return sentences


def fixes_capacity_shape(manifest: Mapping[str, Any]) -> bool:
    """True if the sweep holds Russia's capacity constant (it fixes the capacity shape to
    ``constant``), so that a swept initial capacity is the capacity of every month."""
    definition = manifest.get("definition")
    fixed = definition.get("fixed") if isinstance(definition, dict) else None
    if not isinstance(fixed, dict):
        fixed = sweep_setting(dict(manifest), "fixed", {}) or {}
    return bool(isinstance(fixed, dict) and fixed.get("russia.capacity.shape") == "constant")


def sweep_covers(manifest: Mapping[str, Any]) -> str:
    """What the spread over a sweep's replicates covers (:data:`sim.stats.COVERS`), as its
    manifest says: the random draws, and the parameters too when every replicate drew its
    values not swept from a posterior."""
    covers = manifest.get("covers")
    if isinstance(covers, str) and covers:
        return covers
    return DRAWS_AND_PARAMETERS if isinstance(manifest.get("posterior"), dict) else DRAWS


def replicates_sentence(manifest: Mapping[str, Any]) -> str:
    """What a replicate is in this sweep, and so what its intervals cover."""
    drawn = manifest.get("posterior")
    words = covers_words(sweep_covers(manifest))
    if isinstance(drawn, dict):
        return (
            "Every value the sweep does not vary (and the scenario does not set itself) is "
            f"drawn from the calibrated posterior of {drawn.get('scenario')}: replicate r runs "
            "under seed r and parameter set r at every design point, so responses average over "
            f"the posterior and their intervals are {words}."
        )
    return (
        "Every value the sweep does not vary is the scenario's own: replicates differ only in "
        f"their seeds (the same at every design point), so intervals are {words}; they leave "
        "out what is not known about the parameters."
    )


# --- the report ----------------------------------------------------------------------------


def sweep_report(data: SweepFolder, outcome: str | None = None) -> Report:
    """The report of a ``csto sweep`` folder: responses of every reported outcome (each
    member's included), heatmaps (marked where they are noise), the critical capacity,
    sensitivity indices per outcome, scenario discovery for binary outcomes, failed runs;
    marked incomplete if runs are missing. ``outcome`` (any registry outcome the runs hold)
    is the one the heatmaps, the sensitivity figure and scenario discovery are about."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    manifest = data.manifest
    name = scenario_name(manifest)
    if data.present == 0:
        raise ReportError(
            f"{data.path / 'runs'}: no runs yet (0 of {data.expected}); nothing to report"
        )
    runs = REGISTRY.derived(data.runs)
    parameters = [p for p in data.parameters if p in runs.columns]
    if not parameters:
        raise ReportError(
            f"{data.path / 'runs'}: no swept parameter columns "
            f"(expected {', '.join(data.parameters) or 'one column per swept path'})"
        )
    try:
        focus = focus_outcome(list(runs.columns), outcome)
    except ValueError as error:
        raise ReportError(f"--outcome: {error}") from None
    bounds = _bounds(manifest, runs, parameters)
    ok = runs[runs["status"] == "ok"]
    failed = len(runs) - len(ok)
    design = str(sweep_setting(manifest, "design", "grid"))
    if isinstance(sweep_setting(manifest, "design"), dict):
        design = str(sweep_setting(manifest, "design").get("name", "grid"))
    replicates = sweep_setting(manifest, "replicates", "?")
    warnings_list = []
    if not data.complete:
        warnings_list.append(
            f"Incomplete sweep: {data.missing} of {data.expected} runs are missing "
            f"({data.present} present). Responses and heatmaps use the runs present; "
            "sensitivity indices need every design point."
        )
    shown = report_outcomes(list(ok.columns))
    if focus is not None and focus not in shown:
        shown.insert(0, focus)
    alliance = [entry.name for entry in shown if entry.member is None]
    families = member_families(entry for entry in shown if entry.member is not None)
    lead = focus.name if focus is not None else (alliance[0] if alliance else shown[0].name)
    sentences = [
        f"Sweep of {name}: {len(parameters)} parameter(s) varied by a {design} design, "
        f"{len(data.design)} design points × {replicates} replicates = {data.expected} runs; "
        f"{len(ok)} succeeded, {failed} failed"
        + (f", {data.missing} missing." if data.missing else "."),
        replicates_sentence(manifest),
    ]
    covers = covers_words(sweep_covers(manifest))
    curves = {
        column: {
            parameter: response(ok, parameter, column, *bounds[parameter])
            for parameter in parameters
        }
        for column in [*alliance, *(c for names in families.values() for c in names)]
    }
    crossing = None
    capacity = next((p for p in parameters if p in CAPACITY_PATHS), None)
    if capacity is not None and CRITICAL_OUTCOME in curves:
        crossing = sweep_crossing(
            curves[CRITICAL_OUTCOME][capacity], capacity, CRITICAL_OUTCOME, CRITICAL_LEVEL
        )
        sentences.append(_crossing_sentence(crossing, fixes_capacity_shape(manifest), covers))
    for parameter in parameters:
        curve = curves[lead][parameter] if lead in curves else None
        if curve is not None and len(curve) > 1:
            first, last = curve.iloc[0], curve.iloc[-1]
            sentences.append(
                f"As {parameter} goes from {first['x']:.3g} to {last['x']:.3g}, mean "
                f"{outcome_label(lead)} goes from {first['mean']:.2f} to "
                f"{last['mean']:.2f} (averaged over the other parameters)."
            )
    figure_items = []
    for column in alliance:
        entry = REGISTRY.by_name[column]
        never = entry.type == "bool" and not ok[column].astype(bool).any()
        figure_items.append(
            figure(
                f"response-{column}",
                f"Response of {outcome_label(column)}",
                figures.responses(
                    curves[column],
                    column,
                    crossing if column == CRITICAL_OUTCOME else None,
                    CRITICAL_LEVEL if column == CRITICAL_OUTCOME and crossing else None,
                    limits=entry.bounds if entry.type == "bool" else None,
                ),
                "One panel per swept parameter: the mean outcome over all successful runs at "
                "each level of the parameter (or in each of its bins, for sampled designs), "
                "averaged over the other parameters, with the 95% interval of the mean over "
                f"the runs, {covers} (shaded), and the middle 95% of runs (dashed)."
                + (" It never happened in any run." if never else "")
                + (
                    " The vertical line marks where mean final cohesion crosses "
                    f"{CRITICAL_LEVEL:g} as capacity varies; the hatched span is where the "
                    "band of the mean crosses it."
                    if column == CRITICAL_OUTCOME and crossing and crossing.critical
                    else ""
                ),
            )
        )
    for family, columns in families.items():
        by_parameter = {
            parameter: {
                str(REGISTRY.by_name[column].member): curves[column][parameter]
                for column in columns
            }
            for parameter in parameters
        }
        example = REGISTRY.by_name[columns[0]]
        words = example.label.replace(str(example.member), "each member")
        figure_items.append(
            figure(
                "response-members" if family == "final_alignment" else f"response-members-{family}",
                f"{words[:1].upper()}{words[1:]} against each parameter",
                figures.member_responses(
                    by_parameter,
                    ylabel=f"{example.label.replace(str(example.member), '').strip()} "
                    f"({example.unit})".replace(" of (", " ("),
                    limits=example.bounds if np.isfinite(example.bounds[1]) else None,
                ),
                f"Mean {words} ({example.unit}) at each level or bin of each swept parameter, "
                "averaged over the other parameters; one line per member.",
            )
        )
    heat_outcome = lead if lead in ok.columns else (alliance[0] if alliance else None)
    if len(parameters) >= 2 and heat_outcome is not None:
        chosen = independent_points(
            design,
            len(data.design),
            len(parameters),
            sweep_setting(manifest, "settings", {}) or {},
        )
        points = point_table(ok, data.design, [heat_outcome], chosen)
        ranked = sorted(
            parameters,
            key=lambda p: (
                -float(np.ptp(curves[heat_outcome][p]["mean"])) if heat_outcome in curves else 0.0
            ),
        )
        paired = [p for p in parameters if p in ranked[:HEATMAP_PARAMETERS]]
        pairs = list(combinations(paired, 2))
        panels = pair_heatmaps(points, pairs, heat_outcome, bounds)
        noisy = [panel for panel in panels if panel.noise]
        thin = panels[0].points_per_cell < HEATMAP_POINTS_PER_CELL if panels else False
        figure_items.append(
            figure(
                "heatmaps",
                f"Mean {outcome_label(heat_outcome)} over pairs of parameters",
                figures.heatmaps(
                    {(panel.first, panel.second): panel.table for panel in panels},
                    heat_outcome,
                    noise={(panel.first, panel.second): panel.noise for panel in panels},
                ),
                "Each cell is the mean outcome of the design points whose two parameters fall "
                "in it (averaged over the others); lighter is higher (cividis scale, readable "
                f"in greyscale). {len(points)} design points"
                + (
                    " (the base samples of the design: the others vary one parameter at a "
                    "time and would mix the others into the cells)"
                    if len(points) < len(data.design)
                    else ""
                )
                + f", {panels[0].points_per_cell:.0f} to a cell on average. "
                + (
                    f"{len(noisy)} of {len(panels)} panels are hatched and marked 'noise': their "
                    "cells differ by no more than chance (analysis of variance, p ≥ "
                    f"{HEATMAP_SIGNIFICANCE:g}/{len(panels)}), so their pattern says nothing "
                    "about these two parameters. "
                    if noisy
                    else "Every panel's cells differ by more than chance. "
                )
                + (
                    "Too few points per cell for a reliable pattern: read the panels as rough. "
                    if thin
                    else ""
                )
                + "Blank cells had no point."
                + (
                    f" Only the {HEATMAP_PARAMETERS} parameters whose response moves the outcome "
                    "most are paired."
                    if len(parameters) > HEATMAP_PARAMETERS
                    else ""
                ),
            )
        )
        if noisy:
            sentences.append(
                f"{len(noisy)} of {len(panels)} heatmap panels of {outcome_label(heat_outcome)} "
                "show only noise (cells no more different than chance): "
                + "; ".join(f"{panel.first} × {panel.second}" for panel in noisy[:4])
                + (" …" if len(noisy) > 4 else "")
                + "."
            )
    sections = [
        Section("summary", "Summary", items=sentences),
        Section(
            "figures",
            "Responses",
            paragraphs=[
                "A sweep runs the scenario at many combinations of parameter values (design "
                "points), each several times with its own seeds (replicates)"
                + (
                    " and, for the values it does not vary, its own parameter set drawn from "
                    "the calibrated posterior (replicate r has the same seed and set at every "
                    "point). "
                    if isinstance(manifest.get("posterior"), dict)
                    else ". "
                )
                + INTERVALS_TEXT.split(". ", 2)[-1]
                + f" Here every interval is {covers}."
            ],
            figures=figure_items,
        ),
    ]
    report_columns = [entry.name for entry in shown]
    sensitivity_section = _sensitivity_section(data, runs, design, report_columns, lead)
    if sensitivity_section is not None:
        sections.append(sensitivity_section)
        lead_words = REGISTRY.by_name[lead].label if lead in REGISTRY else lead
        sentences += [
            item
            for item in sensitivity_section.items
            if item.lower().startswith(lead_words.lower()) or "parameters about" in item
        ]
    discovery = discovery_section(ok, parameters, shown, focus)
    if discovery is not None:
        sections.append(discovery)
    tables_section = Section("tables", "Tables")
    if failed:
        tables_section.tables.append(
            TableItem(
                "failed-counts",
                f"Failed runs by error ({failed} in all)",
                failure_counts(runs),
            )
        )
        tables_section.tables.append(
            TableItem(
                "failed-runs",
                "Failed runs (first 50)",
                failed_runs(runs, parameters),
                "Rerun one with its seed and parameter values to investigate.",
            )
        )
    else:
        tables_section.paragraphs.append("No run failed.")
    sections.append(tables_section)
    return Report(
        kind="sweep",
        title=f"Sweep: {_sweep_name(manifest, name)}"
        + (" (incomplete)" if not data.complete else ""),
        subtitle=f"scenario {name}; {design} design over {', '.join(parameters)}; "
        f"{data.expected} runs",
        sections=sections,
        provenance=provenance(manifest, data.path),
        warnings=warnings_list,
    )


# --- scenario discovery ----------------------------------------------------------------------


#: Most binary outcomes a report looks for boxes of (unless ``--outcome`` names one).
DISCOVERY_OUTCOMES: Final = 3


def discovery_outcomes(
    ok: pd.DataFrame, shown: Sequence[Outcome], focus: Outcome | None
) -> list[Outcome]:
    """The yes/no outcomes to look for boxes of: ``focus`` if it is one, else the reported
    ones that happened in some runs but not all (at most :data:`DISCOVERY_OUTCOMES`)."""
    if focus is not None and focus.type == "bool":
        return [focus]
    chosen = []
    for entry in shown:
        if entry.type != "bool" or entry.name not in ok:
            continue
        share = float(ok[entry.name].astype(bool).mean())
        if 0.0 < share < 1.0:
            chosen.append(entry)
    return chosen[:DISCOVERY_OUTCOMES]


def limit_words(parameter: str, low: float, high: float, span: tuple[float, float]) -> str:
    """A box's limits on one parameter in words: "at least", "at most", "between"."""
    spec = schema.leaf(parameter)
    meaning = f"{spec.meaning} ({parameter})" if spec is not None else parameter
    if low > span[0] and high < span[1]:
        return f"{meaning} between {low:.3g} and {high:.3g}"
    if low > span[0]:
        return f"{meaning} at least {low:.3g}"
    return f"{meaning} at most {high:.3g}"


def box_sentence(number: int, box: Box, found: Discovery, outcome: Outcome) -> str:
    """One box in words: where it is, how much of the outcome it covers and how dense it is."""
    what = outcome.label.removeprefix("share of runs in which ")
    where = "; ".join(
        limit_words(name, low, high, found.ranges[name]) for name, (low, high) in box.limits.items()
    )
    return (
        f"Box {number} ({box.mass:.0%} of the runs): where {where or 'anywhere'}. In "
        f"{box.density:.0%} of its runs {what} (density; {found.base_rate:.0%} of all runs), and "
        f"it holds {box.coverage:.0%} of all runs in which {what} (coverage)."
    )


def discovery_table(found: Discovery) -> pd.DataFrame:
    """The boxes as a table: ``box``, ``parameter``, ``lower``, ``upper``, the swept range,
    and the box's coverage, density and share of runs."""
    rows = []
    for number, box in enumerate(found.boxes, start=1):
        for name, (low, high) in box.limits.items():
            rows.append(
                {
                    "box": number,
                    "parameter": name,
                    "lower": low,
                    "upper": high,
                    "swept from": found.ranges[name][0],
                    "swept to": found.ranges[name][1],
                    "coverage": box.coverage,
                    "density": box.density,
                    "share of runs": box.mass,
                }
            )
    return pd.DataFrame(rows)


def discovery_section(
    ok: pd.DataFrame, parameters: Sequence[str], shown: Sequence[Outcome], focus: Outcome | None
) -> Section | None:
    """Scenario discovery (PRIM, :mod:`sim.discovery`) for each yes/no outcome that varied:
    the boxes of parameter space where it happens, in plain words, with their coverage and
    density. None when the sweep has no yes/no outcome."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    binary = [entry for entry in shown if entry.type == "bool" and entry.name in ok]
    if focus is not None and focus.type == "bool" and focus not in binary:
        binary.insert(0, focus)
    if not binary:
        return None
    section = Section(
        "discovery", "Where it happens: scenario discovery", paragraphs=[DISCOVERY_TEXT]
    )
    chosen = discovery_outcomes(ok, binary, focus)
    if not chosen:
        words = ", ".join(entry.label for entry in binary[:3])
        section.paragraphs.append(
            f"No yes/no outcome both happened and failed to happen over this sweep ({words}, "
            "...): there is nothing to tell apart."
        )
        return section
    for entry in chosen:
        happened = ok[entry.name].astype(bool).to_numpy()
        found = prim(ok[list(parameters)], happened)
        if not found.boxes:
            section.items.append(f"{entry.text}: no box concentrates it.")
            continue
        section.items += [
            f"{entry.label[:1].upper()}{entry.label[1:]}: "
            + box_sentence(number, box, found, entry)
            for number, box in enumerate(found.boxes, start=1)
        ]
        section.figures.append(
            figure(
                f"discovery-{entry.name}",
                f"Where {entry.label.removeprefix('share of runs in which ')}: PRIM boxes",
                figures.prim_boxes(found, entry.label),
                "Left: the peeling trajectory of the first box — each point a box met while "
                "peeling, its coverage (share of all runs with the outcome inside) against its "
                "density (share of its runs with the outcome); the circled one was chosen "
                "(best balance of the two). Right: each box's limits on the parameters it "
                "restricts, as a share of the swept range (a bar across the whole width would "
                "be no restriction).",
            )
        )
        section.tables.append(
            TableItem(
                f"discovery-{entry.name}-table",
                f"Boxes: {entry.label}",
                rounded(discovery_table(found), 3),
                f"{found.cases} of {found.runs} runs had the outcome. Boxes are found one "
                "after the other among the runs no earlier box holds.",
            )
        )
    return section


DISCOVERY_TEXT: Final = (
    "Scenario discovery asks where in the swept parameter space a yes/no outcome happens. "
    "PRIM (the Patient Rule Induction Method of Friedman and Fisher, as the EMA Workbench uses "
    "it) peels thin slices off a box holding every run, each time the slice whose removal leaves "
    "the highest share of runs with the outcome, and returns boxes described by a few "
    "parameter limits. A box's density is the share of its runs with the outcome; its coverage "
    "the share of all runs with the outcome that it holds. A good box is dense and covers much; "
    "the boxes say where the outcome concentrates in the swept ranges, not why."
)


def _sweep_name(manifest: dict[str, Any], scenario: str) -> str:
    name = manifest.get("sweep")
    return name if isinstance(name, str) and name else scenario


def _bounds(
    manifest: dict[str, Any], runs: pd.DataFrame, parameters: Sequence[str]
) -> dict[str, tuple[float | None, float | None]]:
    bounds: dict[str, tuple[float | None, float | None]] = {p: (None, None) for p in parameters}
    for entry in sweep_definition(manifest):
        path = entry.get("path")
        if path in bounds and isinstance(entry.get("low"), int | float):
            bounds[path] = (float(entry["low"]), float(entry["high"]))
    return bounds


def _crossing_sentence(
    crossing: SweepCrossing, constant: bool = False, covers: str = covers_words(DRAWS)
) -> str:
    label = mean_words(crossing.outcome)
    if crossing.critical is None:
        return (
            f"The {label} does not cross {crossing.level:g} over the swept range of "
            f"{crossing.parameter}: no critical capacity in range."
        )
    interval = (
        f" (where its 95% band, {covers}, crosses: {crossing.interval()})"
        if np.isfinite(crossing.ci_low)
        else ""
    )
    meaning = (
        "The sweep holds capacity constant (its capacity shape is fixed to constant), so this "
        "is the capacity of every month, as `csto threshold` finds with a root finder."
        if constant
        else "This is the capacity the scenario starts from (its drain, shock or recovery "
        "still apply); `csto threshold` finds the constant capacity at which an outcome "
        "crosses a level, with a root finder."
    )
    return (
        f"Critical capacity: the {label} crosses {crossing.level:g} at {crossing.parameter} = "
        f"{crossing.critical:.3f}{interval}, averaged over the other swept parameters. " + meaning
    )


def _sensitivity_section(
    data: SweepFolder, runs: pd.DataFrame, design: str, outcomes: Sequence[str], lead: str
) -> Section | None:
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    if design not in ("sobol", "morris"):
        return None
    section = Section(
        "sensitivity",
        "Which parameters matter: sensitivity indices",
        paragraphs=[SENSITIVITY_TEXT[design]],
    )
    if isinstance(data.manifest.get("posterior"), dict):
        section.paragraphs.append(
            "The indices are those of the swept parameters over their swept ranges; the values "
            "not swept are drawn from the posterior, the same sets at every design point, so "
            "each point's mean averages over them (`csto sensitivity` gives indices over every "
            "calibrated value)."
        )
    problem = sweep_setting(data.manifest, "problem")
    settings = sweep_setting(data.manifest, "settings", {}) or {}
    seed = int(sweep_setting(data.manifest, "master_seed", 0) or 0)
    if not isinstance(problem, dict) or "names" not in problem:
        section.paragraphs.append(
            "Not computed: the manifest has no SALib problem (names and bounds)."
        )
        return section
    if not data.complete:
        section.paragraphs.append(
            f"Not computed: the sweep is incomplete ({data.missing} runs missing) and the "
            "estimators need every design point."
        )
        return section
    table, missing = sensitivity_table(
        design, problem, data.design, runs, outcomes, settings=settings, seed=seed
    )
    section.items = sensitivity_sentences(table, design)
    for outcome, reason in missing.items():
        words = REGISTRY.by_name[outcome].label if outcome in REGISTRY else outcome
        section.items.append(f"{words[:1].upper()}{words[1:]}: {reason}.")
    if table.empty:
        return section
    section.figures.append(
        figure(
            "sensitivity-matrix",
            "Which parameter moves which outcome",
            figures.sensitivity_matrix(table, design),
            SENSITIVITY_MATRIX_CAPTION[design],
        )
    )
    shown = lead if lead in set(table["outcome"]) else str(table["outcome"].iloc[0])
    indices = table[table["outcome"] == shown].drop(columns="outcome").reset_index(drop=True)
    draw = figures.sobol_bars if design == "sobol" else figures.morris_scatter
    section.figures.append(
        figure(
            f"sensitivity-{shown}",
            f"Sensitivity of {outcome_label(shown)}",
            draw(indices, shown),
            SENSITIVITY_CAPTION[design],
        )
    )
    listed = table.assign(outcome=table["outcome"].map(outcome_label))
    section.tables.append(
        TableItem(
            "sensitivity-table",
            "Indices for every outcome",
            rounded(listed, 3),
            "conf: half-width of SALib's bootstrap 95% interval (over the bootstrap resamples "
            "of the design points). An outcome missing from the table did not vary.",
        )
    )
    return section


SENSITIVITY_TEXT: Final = {
    "sobol": "Sobol indices split the variance of an outcome (its mean over replicates at each "
    "design point) among the parameters. S1, the first-order index, is the share a parameter "
    "explains alone; ST, the total index, adds its interactions with the others. ST much "
    "larger than S1 means the parameter matters through interactions. Intervals are SALib's "
    "bootstrap 95% intervals.",
    "morris": "The Morris method moves one parameter at a time along random trajectories. μ* "
    "(mean absolute elementary effect) ranks how much each parameter moves the outcome; σ "
    "(their spread) is large when its effect depends on the other parameters or is "
    "non-linear. Intervals on μ* are SALib's bootstrap 95% intervals.",
}


SENSITIVITY_MATRIX_CAPTION: Final = {
    "sobol": "Each cell is a parameter's total Sobol index ST for an outcome (a column per "
    "outcome, each member's included): the share of the outcome's variance over the design "
    "that involves the parameter. Darker is more; cells below 0.01 are left blank: over its "
    "swept range the parameter barely moves that outcome.",
    "morris": "Each cell is a parameter's μ* for an outcome, as a share of the largest μ* of "
    "that outcome (a column per outcome, each member's included). Darker is more; cells where "
    "μ* is below the outcome's size that matters are left blank.",
}


SENSITIVITY_CAPTION: Final = {
    "sobol": "Bars: first-order (plain) and total (hatched) Sobol indices with their 95% "
    "intervals. Small negative values are estimation noise around zero.",
    "morris": "Each point is a parameter: further right, more influence; higher, more "
    "interaction or non-linearity. Horizontal bars: 95% interval of μ*.",
}
