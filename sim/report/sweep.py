"""The report of a ``csto sweep`` folder: each outcome's response to each swept parameter,
heatmaps over pairs, the critical capacity where capacity was swept, Sobol or Morris indices
with their confidence intervals, and the failed runs; marked incomplete if runs are missing.

The data functions (:func:`response`, :func:`heatmap`, :func:`sweep_crossing`,
:func:`sensitivity`, ...) compute from the runs table; :mod:`sim.report.figures` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

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
from sim.report.prose import INTERVALS_TEXT, mean_words, outcome_label
from sim.results.outcomes import REGISTRY, SWEEP_REPORT
from sim.results.sweep import SweepFolder, sweep_definition, sweep_setting
from sim.results.threshold import last_crossing
from sim.scenario import schema
from sim.stats import LEVEL, describe, wilson

FloatArray = npt.NDArray[np.float64]

#: The outcomes a sweep report shows, in order (those present in the runs).
SWEEP_OUTCOMES: Final = REGISTRY.names(SWEEP_REPORT)


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


# --- the report ----------------------------------------------------------------------------


def sweep_report(data: SweepFolder) -> Report:
    """The report of a ``csto sweep`` folder: responses, heatmaps, critical capacity,
    sensitivity indices and failed runs; marked incomplete if runs are missing."""
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
    bounds = _bounds(manifest, runs, parameters)
    ok = runs[runs["status"] == "ok"]
    failed = len(runs) - len(ok)
    design = str(sweep_setting(manifest, "design", "grid"))
    if isinstance(sweep_setting(manifest, "design"), dict):
        design = str(sweep_setting(manifest, "design").get("name", "grid"))
    replicates = sweep_setting(manifest, "replicates", "?")
    warnings = []
    if not data.complete:
        warnings.append(
            f"Incomplete sweep: {data.missing} of {data.expected} runs are missing "
            f"({data.present} present). Responses and heatmaps use the runs present; "
            "sensitivity indices need every design point."
        )
    outcomes = [o for o in SWEEP_OUTCOMES if o in ok.columns]
    sentences = [
        f"Sweep of {name}: {len(parameters)} parameter(s) varied by a {design} design, "
        f"{len(data.design)} design points × {replicates} replicates = {data.expected} runs; "
        f"{len(ok)} succeeded, {failed} failed"
        + (f", {data.missing} missing." if data.missing else ".")
    ]
    curves = {
        outcome: {
            parameter: response(ok, parameter, outcome, *bounds[parameter])
            for parameter in parameters
        }
        for outcome in outcomes
    }
    crossing = None
    capacity = next((p for p in parameters if p in CAPACITY_PATHS), None)
    if capacity is not None and CRITICAL_OUTCOME in curves:
        crossing = sweep_crossing(
            curves[CRITICAL_OUTCOME][capacity], capacity, CRITICAL_OUTCOME, CRITICAL_LEVEL
        )
        sentences.append(_crossing_sentence(crossing))
    for parameter in parameters:
        curve = curves[outcomes[0]][parameter] if outcomes else None
        if curve is not None and len(curve) > 1:
            first, last = curve.iloc[0], curve.iloc[-1]
            sentences.append(
                f"As {parameter} goes from {first['x']:.3g} to {last['x']:.3g}, mean "
                f"{outcome_label(outcomes[0])} goes from {first['mean']:.2f} to "
                f"{last['mean']:.2f} (averaged over the other parameters)."
            )
    figure_items = []
    for outcome in outcomes:
        figure_items.append(
            figure(
                f"response-{outcome}",
                f"Response of {outcome_label(outcome)}",
                figures.responses(
                    curves[outcome],
                    outcome,
                    crossing if outcome == CRITICAL_OUTCOME else None,
                    CRITICAL_LEVEL if outcome == CRITICAL_OUTCOME and crossing else None,
                ),
                "One panel per swept parameter: the mean outcome over all successful runs at "
                "each level of the parameter (or in each of its bins, for sampled designs), "
                "averaged over the other parameters, with the 95% interval of the mean "
                "(shaded) and the middle 95% of runs (dashed)."
                + (
                    " The vertical line marks where mean final cohesion crosses "
                    f"{CRITICAL_LEVEL:g} as capacity varies; the hatched span is where the "
                    "band of the mean crosses it."
                    if outcome == CRITICAL_OUTCOME and crossing and crossing.critical
                    else ""
                ),
            )
        )
    members = [f"final_alignment_{m}" for m in schema.MEMBERS if f"final_alignment_{m}" in ok]
    if members:
        by_parameter = {
            parameter: {
                column.removeprefix("final_alignment_"): response(
                    ok, parameter, column, *bounds[parameter]
                )
                for column in members
            }
            for parameter in parameters
        }
        figure_items.append(
            figure(
                "response-members",
                "Members' final alignment against each parameter",
                figures.member_responses(by_parameter),
                "Mean final alignment of each member (1 loyal, 0.5 hedging, 0 exit) at each "
                "level or bin of each swept parameter, averaged over the other parameters.",
            )
        )
    if len(parameters) >= 2 and outcomes:
        shown = parameters[:HEATMAP_PARAMETERS]
        tables = {
            (first, second): heatmap(ok, first, second, outcomes[0], bounds)
            for first, second in combinations(shown, 2)
        }
        figure_items.append(
            figure(
                "heatmaps",
                f"Mean {outcome_label(outcomes[0])} over pairs of parameters",
                figures.heatmaps(tables, outcomes[0]),
                "Each cell is the mean outcome of the runs whose two parameters fall in it "
                "(averaged over the others); lighter is higher (cividis scale, readable in "
                "greyscale). Interactions show as cells that do not follow the rows' and "
                "columns' trends; blank cells had no run."
                + (
                    f" Only the first {HEATMAP_PARAMETERS} parameters are paired."
                    if len(parameters) > HEATMAP_PARAMETERS
                    else ""
                ),
            )
        )
    sections = [
        Section("summary", "Summary", items=sentences),
        Section(
            "figures",
            "Responses",
            paragraphs=[
                "A sweep runs the scenario at many combinations of parameter values (design "
                "points), each several times with its own seeds (replicates). "
                + INTERVALS_TEXT.split(". ", 2)[-1]
            ],
            figures=figure_items,
        ),
    ]
    sensitivity_section = _sensitivity_section(data, runs, design, outcomes)
    if sensitivity_section is not None:
        sections.append(sensitivity_section)
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
        warnings=warnings,
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


def _crossing_sentence(crossing: SweepCrossing) -> str:
    label = mean_words(crossing.outcome)
    if crossing.critical is None:
        return (
            f"The {label} does not cross {crossing.level:g} over the swept range of "
            f"{crossing.parameter}: no critical capacity in range."
        )
    interval = (
        f" (where its 95% band crosses: {crossing.interval()})"
        if np.isfinite(crossing.ci_low)
        else ""
    )
    return (
        f"Critical capacity: the {label} crosses {crossing.level:g} at {crossing.parameter} = "
        f"{crossing.critical:.3f}{interval}, averaged over the other swept parameters. This "
        "is the capacity the scenario starts from (its drain, shock or recovery still apply); "
        "`csto threshold` finds the constant capacity at which an outcome crosses a level, with "
        "a root finder."
    )


def _sensitivity_section(
    data: SweepFolder, runs: pd.DataFrame, design: str, outcomes: Sequence[str]
) -> Section | None:
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    if design not in ("sobol", "morris"):
        return None
    section = Section(
        "sensitivity",
        "Which parameters matter: sensitivity indices",
        paragraphs=[SENSITIVITY_TEXT[design]],
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
    for outcome in outcomes[:3]:
        means = point_means(runs, outcome, len(data.design))
        try:
            indices = sensitivity(design, problem, data.design, means, settings=settings, seed=seed)
        except (ValueError, ZeroDivisionError, IndexError, KeyError) as error:
            section.paragraphs.append(f"{outcome_label(outcome)}: not computed ({error}).")
            continue
        draw = figures.sobol_bars if design == "sobol" else figures.morris_scatter
        section.figures.append(
            figure(
                f"sensitivity-{outcome}",
                f"Sensitivity of {outcome_label(outcome)}",
                draw(indices, outcome),
                SENSITIVITY_CAPTION[design],
            )
        )
        section.tables.append(
            TableItem(
                f"sensitivity-{outcome}-table",
                f"Indices for {outcome_label(outcome)}",
                rounded(indices, 3),
                "conf: half-width of SALib's bootstrap 95% interval.",
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


SENSITIVITY_CAPTION: Final = {
    "sobol": "Bars: first-order (plain) and total (hatched) Sobol indices with their 95% "
    "intervals. Small negative values are estimation noise around zero.",
    "morris": "Each point is a parameter: further right, more influence; higher, more "
    "interaction or non-linearity. Horizontal bars: 95% interval of μ*.",
}
