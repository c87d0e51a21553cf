"""Reports: one self-contained HTML file built from a results folder, never by rerunning.

:func:`build` reads a results folder (:func:`sim.results.folder.read`), computes what the report
shows (:mod:`sim.report.analysis`), draws it (:mod:`sim.report.figures`,
:mod:`sim.report.plots`) and assembles a :class:`Report`: sections of plain-language sentences,
figures with captions that say how to read them, tables, and what is needed to reproduce the
folder. :func:`render_html` writes it as one HTML file: figures are embedded as base64 PNG, the
style sheet is inline, there is no script and nothing is fetched, so it opens offline in any
browser and prints as it shows. :func:`write_pdf` prints the same file to PDF with a headless
Chromium when one is installed, else lays out the figures and text with matplotlib.
"""

from __future__ import annotations

import base64
import html
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from sim.report import analysis
from sim.results import folder as folders
from sim.results.folder import FolderError, atomic_path, write_atomic
from sim.results.outcomes import COMPARED, REGISTRY, SWEEP_REPORT
from sim.results.run import RunFolder
from sim.results.sweep import SweepFolder, sweep_definition, sweep_setting
from sim.results.threshold import ThresholdFolder
from sim.scenario import schema

#: The outcomes a sweep report shows, in order (those present in the runs).
SWEEP_OUTCOMES: Final = REGISTRY.names(SWEEP_REPORT)
#: The outcome and level whose crossing is marked where capacity was swept.
CRITICAL_OUTCOME: Final = "final_cohesion"
CRITICAL_LEVEL: Final = 0.5
#: Swept paths that are Russia's capacity (the critical capacity is marked on them).
CAPACITY_PATHS: Final = ("russia.capacity.initial",)
#: Most parameters drawn in heatmaps (pairs grow as the square).
HEATMAP_PARAMETERS: Final = 5


class ReportError(Exception):
    """A report that cannot be built, with a one-line explanation."""


@dataclass
class FigureItem:
    """A figure: ``key`` (its id in the HTML), title, PNG bytes and how to read it."""

    key: str
    title: str
    png: bytes
    caption: str


@dataclass
class TableItem:
    """A table with a title and a caption."""

    key: str
    title: str
    frame: pd.DataFrame
    caption: str = ""


@dataclass
class Section:
    """A titled part of a report: paragraphs, a list of sentences, figures, tables."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)


@dataclass
class Report:
    """Everything a report shows, before it is written as HTML or PDF."""

    kind: str
    title: str
    subtitle: str
    sections: list[Section]
    provenance: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[FigureItem]:
        return [figure for section in self.sections for figure in section.figures]

    @property
    def summary(self) -> list[str]:
        """The plain-language summary (the first section's sentences)."""
        return list(self.sections[0].items) if self.sections else []


# --- building --------------------------------------------------------------------------------


def build(folder: str | Path) -> Report:
    """Read a results folder and assemble its report (any kind)."""
    try:
        data = folders.read(folder)
    except FolderError as error:
        raise ReportError(str(error)) from None
    if isinstance(data, SweepFolder):
        return sweep_report(data)
    if isinstance(data, ThresholdFolder):
        return threshold_report(data)
    if data.kind == "compare":
        return compare_report(data)
    return run_report(data)


def _figure(key: str, title: str, fig: Any, caption: str) -> FigureItem:
    from sim.report.plots import png

    return FigureItem(key, title, png(fig), caption)


def scenario_name(manifest: dict[str, Any]) -> str:
    """The scenario's name in a manifest (a record or a plain string)."""
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        return str(scenario.get("name", "scenario"))
    if isinstance(scenario, str):
        return scenario
    return "scenario"


def _parameter(manifest: dict[str, Any], path: str) -> float | None:
    values = manifest.get("parameters", {})
    entry = values.get("values", {}).get(path) if isinstance(values, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("value"), int | float):
        return float(entry["value"])
    return None


INTERVALS_TEXT: Final = (
    "Every run of a scenario is one replicate: the same scenario with its own random draws "
    "(crises, clashes, Russia's choice to coerce), from a seed derived from the master seed. "
    "Lines show the mean over replicates. The shaded band is the 95% interval of the mean "
    "(Student's t): where the mean would lie, give or take chance, with more replicates. The "
    "dashed lines enclose the middle 95% of replicates (2.5th to 97.5th percentile): how "
    "differently single histories can turn out. A narrow band with wide dashed lines means "
    "the average is known well but single histories vary a lot."
)


def run_report(data: RunFolder) -> Report:
    """The report of a ``csto run`` folder."""
    from sim.report import figures, plots

    manifest = data.manifest
    name = scenario_name(manifest)
    replicates = data.replicates
    start = data.start
    facts = analysis.run_facts(data.summary, data.timeseries, name, start)
    sentences = analysis.run_sentences(facts)
    title = f"{name}: {replicates} replicates"
    exit_threshold = _parameter(manifest, "mechanisms.exit_threshold")

    cohesion = _figure(
        "cohesion",
        "Cohesion of the alliance over time",
        figures.plot_cohesion(figures.cohesion_band(data.timeseries), title=title),
        "The cohesion index (0 to 1) blends how aligned the active members are with Russia and "
        "whether they act together (joint drills), less the strain of clashes between members; a "
        "frozen member counts as zero. The dotted line is Russia's capacity for the region as a "
        f"share of its pre-war level. {_cohesion_reading(facts)}",
    )
    marks = figures.event_marks(data.events, replicates)
    members = _figure(
        "members",
        "Alignment of each member with Russia",
        figures.plot_members(
            figures.member_bands(data.timeseries),
            marks,
            title=title,
            exit_threshold=exit_threshold,
        ),
        "One panel per member: 1 is loyal, 0.5 hedging, 0 exit. Vertical lines mark events the "
        "scenario gives (an appeal, a clash, a pledge by an outside power); crosses mark where "
        "members froze their participation, larger when more replicates froze that month. A "
        "member freezes after its alignment has stayed under the exit threshold (the low "
        "line) for several months in a row.",
    )
    trust = _figure(
        "trust-dependence",
        "Trust in Russia's guarantee and dependence on Russia",
        plots.member_lines(
            {
                "trust": figures.member_bands(data.timeseries, "trust"),
                "dependence": figures.member_bands(data.timeseries, "dependence"),
            },
            {
                "trust": "Trust in Russia's guarantee (0–1)",
                "dependence": "Dependence on Russia (0–1)",
            },
        ),
        "Trust rises when Russia answers a member's appeal for help and falls, sharply, when it "
        "ignores one; other members learn from what happens to the appellant. Dependence (energy "
        "transit, security and economic ties) erodes slowly as hedging members build other "
        "options. Lines are means over replicates; shading is the 95% interval of the mean.",
    )
    table = analysis.event_timeline(data.events, replicates)
    timeline = _figure(
        "timeline",
        "Event timeline",
        plots.timeline(table, title=f"{name}: events by month over {replicates} replicates"),
        "A row per kind of event. Markers sit in the month events happened; their area is the "
        "share of replicates in which that event happened that month. Black stars are events "
        "the scenario gives (the same in every replicate); the rest arise in the model "
        "from the random draws and the members' and Russia's decisions.",
    )
    summary_section = Section("summary", "Summary", items=sentences)
    figures_section = Section(
        "figures",
        "What happened, month by month",
        paragraphs=[INTERVALS_TEXT],
        figures=[cohesion, members, trust, timeline],
    )
    tables = Section(
        "tables",
        "Tables",
        tables=[
            TableItem(
                "outcomes",
                "Outcomes over replicates",
                _outcome_table(data.summary),
                "Mean with its 95% interval, and the middle 95% of replicates.",
            ),
            TableItem(
                "freezes",
                "Who froze its participation, and when",
                analysis.freeze_table(data.summary, start),
                "Months are counted from the first simulated month (month 1 = "
                f"{analysis.month_words(start)}).",
            ),
            TableItem(
                "scenario-events",
                "Events the scenario gives",
                analysis.scenario_events(data.events),
                "As explained in the event log of the first replicate.",
            ),
        ],
    )
    return Report(
        kind="run",
        title=f"Report: {name}",
        subtitle=_subtitle(manifest, replicates),
        sections=[summary_section, figures_section, tables],
        provenance=provenance(manifest, data.path),
    )


def _cohesion_reading(facts: analysis.RunFacts) -> str:
    final = facts.final_cohesion
    return (
        f"Here mean cohesion goes from {facts.initial_cohesion.mean:.2f} to {final.mean:.2f} "
        f"(95% interval {final.interval()})."
    )


def _outcome_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    columns = [
        ("initial_cohesion", "cohesion at the start"),
        ("final_cohesion", "cohesion at the end"),
        ("min_cohesion", "lowest cohesion"),
        ("final_capacity", "Russia's capacity at the end"),
        *((f"final_alignment_{name}", f"final alignment, {name}") for name in schema.MEMBERS),
        ("appeals_answered", "appeals answered"),
        ("appeals_ignored", "appeals ignored"),
        ("drills_cancelled", "drills cancelled"),
    ]
    for column, label in columns:
        if column not in summary:
            continue
        est = analysis.estimate(summary[column])
        rows.append(
            {
                "outcome": label,
                "mean": f"{est.mean:.3f}",
                "95% interval of the mean": est.interval(3),
                "middle 95% of replicates": f"{est.low:.3f}–{est.high:.3f}",
            }
        )
    return pd.DataFrame(rows)


def _subtitle(manifest: dict[str, Any], replicates: int) -> str:
    scenario = manifest.get("scenario")
    title = scenario.get("title", "") if isinstance(scenario, dict) else ""
    steps = manifest.get("steps")
    seed = manifest.get("master_seed")
    parts = [str(title)] if title else []
    parts.append(f"{replicates} replicates" + (f" × {steps} months" if steps else ""))
    if seed is not None:
        parts.append(f"master seed {seed}")
    return "; ".join(parts)


# --- comparison ------------------------------------------------------------------------------

#: The final outcomes a comparison reports differences in.
COMPARE_OUTCOMES: Final = REGISTRY.names(COMPARED)


def compare_names(data: RunFolder) -> list[str]:
    """The scenarios of a comparison, baseline first (manifest order, else order in the data)."""
    listed = data.manifest.get("scenarios")
    if isinstance(listed, list) and listed:
        names = [item["name"] if isinstance(item, dict) else str(item) for item in listed]
        return [name for name in names if name in set(data.summary["scenario"])]
    return list(dict.fromkeys(data.summary["scenario"]))


def compare_tables(data: RunFolder) -> pd.DataFrame:
    """Paired differences to the baseline for each final outcome (one row per scenario and
    outcome): ``outcome``, ``scenario`` and the columns of
    :func:`sim.report.analysis.paired_differences`."""
    from sim.results.compare import differences

    return differences(data.summary, compare_names(data))


def compare_report(data: RunFolder) -> Report:
    """The report of a ``csto compare`` folder: scenarios side by side, differences to the
    baseline with paired 95% intervals."""
    from sim.report import plots

    names = compare_names(data)
    baseline = names[0]
    replicates = int(data.summary.groupby("scenario")["replicate"].nunique().min())
    differences = compare_tables(data)
    sentences = [
        f"{len(names)} scenarios, each run {replicates} times with the same seeds (common random "
        f"numbers: replicate r of every scenario faces the same random draws), compared with "
        f"{baseline}."
    ]
    start = data.start
    for name in names:
        part = data.summary[data.summary["scenario"] == name]
        final = analysis.estimate(part["final_cohesion"])
        sentences.append(
            f"{name}: mean cohesion {part['initial_cohesion'].mean():.2f} → {final.mean:.2f} "
            f"(95% interval {final.interval()})."
        )
    for outcome in COMPARE_OUTCOMES:
        rows = differences[differences["outcome"] == outcome]
        sentences += analysis.compare_sentences(rows, baseline, outcome)
    bands = analysis.alliance_band(data.timeseries, "cohesion", by=["scenario"])
    trajectory = analysis.trajectory_differences(data.timeseries, baseline)
    member_bands = _scenario_member_bands(data.timeseries)
    figures_list = [
        _figure(
            "compare-trajectories",
            "Cohesion under each scenario, side by side",
            plots.compare_trajectories(bands, names),
            "One panel per scenario: mean cohesion over replicates, its 95% interval (shaded) "
            "and the middle 95% of replicates (dashed). The grey dashed line repeats the "
            f"baseline ({baseline}) in the other panels for reference.",
        ),
        _figure(
            "compare-differences",
            f"Difference to {baseline} over time",
            plots.compare_differences(trajectory, names),
            "For each replicate, the scenario's cohesion minus the baseline's in the same "
            "replicate (same seed, same random draws); the line is the mean of these paired "
            "differences and the band its 95% interval. Where the band excludes zero, the "
            "scenario, not chance, made the difference.",
        ),
        _figure(
            "compare-members",
            "Alignment of each member under each scenario",
            _member_scenarios_figure(member_bands, names),
            "One panel per member, one line per scenario (mean over replicates, with its 95% "
            "interval shaded): which members the scenarios move, and when.",
        ),
        _figure(
            "compare-forest",
            "Final outcomes: difference to the baseline",
            plots.forest(differences),
            "Each point is a scenario's mean paired difference to the baseline in a final "
            "outcome, with its 95% interval (t interval of the per-replicate differences). "
            "Intervals that do not cross the vertical zero line are differences the replicates "
            "establish.",
        ),
    ]
    table = differences.copy()
    table["outcome"] = table["outcome"].map(analysis.outcome_label)
    table["95% interval"] = [
        f"{low:+.3f} to {high:+.3f}" if np.isfinite(low) else "n/a"
        for low, high in zip(table["ci_low"], table["ci_high"], strict=True)
    ]
    table = table.drop(columns=["ci_low", "ci_high"]).rename(
        columns={
            "mean": "scenario mean",
            "baseline_mean": "baseline mean",
            "difference": "mean difference",
            "lower_share": "share of replicates lower",
        }
    )
    freezes = []
    for name in names:
        part = data.summary[data.summary["scenario"] == name]
        frame = analysis.freeze_table(part, start)
        freezes.append(frame.assign(scenario=name)[["scenario", *frame.columns]])
    return Report(
        kind="compare",
        title="Comparison: " + " vs ".join(names),
        subtitle=f"{replicates} replicates per scenario under common random numbers; "
        f"baseline {baseline}; master seed {data.manifest.get('master_seed', '?')}",
        sections=[
            Section("summary", "Summary", items=sentences),
            Section(
                "figures",
                "Side by side",
                paragraphs=[
                    INTERVALS_TEXT,
                    "Differences are paired: replicate r of each scenario uses the same seed, "
                    "so chance affects both alike and cancels out of their difference. That is "
                    "why the interval of a difference can be much narrower than the bands of "
                    "the scenarios themselves.",
                ],
                figures=figures_list,
            ),
            Section(
                "tables",
                "Tables",
                tables=[
                    TableItem(
                        "differences",
                        f"Differences to {baseline}",
                        _rounded(table),
                        "Paired 95% interval: Student's t interval of the per-replicate "
                        "differences.",
                    ),
                    TableItem(
                        "freezes",
                        "Freezes by scenario",
                        pd.concat(freezes, ignore_index=True),
                    ),
                ],
            ),
        ],
        provenance=provenance(data.manifest, data.path),
    )


def _scenario_member_bands(timeseries: pd.DataFrame) -> pd.DataFrame:
    from sim.results.replicates import describe

    band = describe(timeseries, "alignment", by=["scenario", "member", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band


def _member_scenarios_figure(bands: pd.DataFrame, names: Sequence[str]) -> Any:
    import matplotlib.pyplot as plt

    from sim.report import plots

    with plots._context():
        fig, axes = plt.subplots(
            2, 3, figsize=(12, 6.8), sharex=True, sharey=True, layout="constrained"
        )
        flat = list(axes.flat)
        for ax, member in zip(flat, schema.MEMBERS, strict=False):
            for index, name in enumerate(names):
                data = bands[(bands["member"] == member) & (bands["scenario"] == name)]
                plots.mean_line(ax, data, index, name, markersize=3)
            ax.set_title(member)
            ax.set_ylim(0, 1)
            ax.set_ylabel("Alignment (0 exit – 1 loyal)")
            ax.set_xlabel("Month")
            plots.format_months(ax)
        flat[-1].axis("off")
        handles, labels = flat[0].get_legend_handles_labels()
        flat[-1].legend(handles, labels, loc="center", title="scenario (mean, 95% band)")
    return fig


# --- threshold -------------------------------------------------------------------------------


def threshold_report(data: ThresholdFolder) -> Report:
    """The report of a ``csto threshold`` folder: the outcome against constant capacity and
    the critical capacity with its bootstrap interval."""
    from sim.report import plots
    from sim.results.replicates import describe

    manifest = data.manifest
    name = scenario_name(manifest)
    found = manifest["threshold"]
    column = str(manifest.get("outcome_column", manifest["outcome"]))
    level = float(manifest["level"])
    critical = found.get("critical")
    ci = (float(found.get("ci_low") or np.nan), float(found.get("ci_high") or np.nan))
    curve = describe(data.curve, "value", by=["capacity"])
    replicates = int(data.curve["replicate"].nunique())
    sentence = str(found.get("sentence", ""))
    items = [sentence] if sentence else []
    if critical is not None:
        items.append(
            f"The root was found by bracketing on a grid of {found.get('grid_points', '?')} "
            f"capacities (between {found['bracket'][0]:g} and {found['bracket'][1]:g}) and "
            f"Brent's method on the replicate mean ({len(data.evaluations)} evaluations); "
            "linear interpolation of the mean curve gives "
            f"{float(found.get('interpolated', np.nan)):.3f}."
        )
    figure = _figure(
        "threshold",
        "Outcome against constant capacity",
        plots.threshold_curve(
            curve,
            level,
            critical,
            ci,
            analysis.outcome_label(column),
            title=f"{name}: {analysis.outcome_label(column)} at constant capacity",
        ),
        "Each point on the x axis is a run of every replicate with Russia's capacity held "
        "constant at that level (same seeds at every capacity). The line is the replicate mean, "
        "the shaded band its 95% interval and the dashed lines the middle 95% of replicates. "
        "The vertical line marks the critical capacity where the mean crosses the level; the "
        "hatched span is its bootstrap 95% interval (replicates resampled with replacement).",
    )
    evaluations = data.evaluations.rename(
        columns={"capacity": "capacity tried", "mean": "replicate mean"}
    )
    return Report(
        kind="threshold",
        title=f"Critical capacity: {name}",
        subtitle=f"outcome {column}, level {level:g}, {replicates} replicates, "
        f"master seed {manifest.get('master_seed', '?')}",
        sections=[
            Section("summary", "Summary", items=items),
            Section(
                "figures",
                "The outcome as capacity varies",
                paragraphs=[METHOD_THRESHOLD],
                figures=[figure],
            ),
            Section(
                "tables",
                "Tables",
                tables=[
                    TableItem(
                        "evaluations",
                        "Capacities the root finder tried",
                        _rounded(evaluations, 4),
                    )
                ],
            ),
        ],
        provenance=provenance(manifest, data.path),
    )


METHOD_THRESHOLD: Final = (
    "Capacity is held constant for the whole run (no drain, shock or recovery). Every "
    "replicate keeps its seed at every capacity (common random numbers), so the replicate mean "
    "changes with capacity only. The mean is evaluated on an even grid of capacities; the "
    "highest pair of neighbours between which it crosses the level brackets the root, which "
    "Brent's method (scipy.optimize.brentq) then finds. The interval resamples the "
    "replicates with replacement (1000 times, seeded) and finds each resampled mean curve's "
    "crossing on a fine grid around the bracket."
)


# --- sweep -----------------------------------------------------------------------------------


def sweep_report(data: SweepFolder) -> Report:
    """The report of a ``csto sweep`` folder: responses, heatmaps, critical capacity,
    sensitivity indices and failed runs; marked incomplete if runs are missing."""
    from sim.report import plots

    manifest = data.manifest
    name = scenario_name(manifest)
    if data.present == 0:
        raise ReportError(
            f"{data.path / 'runs'}: no runs yet (0 of {data.expected}); nothing to report"
        )
    runs = analysis.add_derived_outcomes(data.runs)
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
            parameter: analysis.response(ok, parameter, outcome, *bounds[parameter])
            for parameter in parameters
        }
        for outcome in outcomes
    }
    crossing = None
    capacity = next((p for p in parameters if p in CAPACITY_PATHS), None)
    if capacity is not None and CRITICAL_OUTCOME in curves:
        crossing = analysis.sweep_crossing(
            curves[CRITICAL_OUTCOME][capacity], capacity, CRITICAL_OUTCOME, CRITICAL_LEVEL
        )
        sentences.append(_crossing_sentence(crossing))
    for parameter in parameters:
        curve = curves[outcomes[0]][parameter] if outcomes else None
        if curve is not None and len(curve) > 1:
            first, last = curve.iloc[0], curve.iloc[-1]
            sentences.append(
                f"As {parameter} goes from {first['x']:.3g} to {last['x']:.3g}, mean "
                f"{analysis.outcome_label(outcomes[0])} goes from {first['mean']:.2f} to "
                f"{last['mean']:.2f} (averaged over the other parameters)."
            )
    figure_items = []
    for outcome in outcomes:
        figure_items.append(
            _figure(
                f"response-{outcome}",
                f"Response of {analysis.outcome_label(outcome)}",
                plots.responses(
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
                column.removeprefix("final_alignment_"): analysis.response(
                    ok, parameter, column, *bounds[parameter]
                )
                for column in members
            }
            for parameter in parameters
        }
        figure_items.append(
            _figure(
                "response-members",
                "Members' final alignment against each parameter",
                plots.member_responses(by_parameter),
                "Mean final alignment of each member (1 loyal, 0.5 hedging, 0 exit) at each "
                "level or bin of each swept parameter, averaged over the other parameters.",
            )
        )
    if len(parameters) >= 2 and outcomes:
        shown = parameters[:HEATMAP_PARAMETERS]
        tables = {
            (first, second): analysis.heatmap(ok, first, second, outcomes[0], bounds)
            for first, second in combinations(shown, 2)
        }
        figure_items.append(
            _figure(
                "heatmaps",
                f"Mean {analysis.outcome_label(outcomes[0])} over pairs of parameters",
                plots.heatmaps(tables, outcomes[0]),
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
                analysis.failure_counts(runs),
            )
        )
        tables_section.tables.append(
            TableItem(
                "failed-runs",
                "Failed runs (first 50)",
                analysis.failed_runs(runs, parameters),
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


def _crossing_sentence(crossing: analysis.SweepCrossing) -> str:
    label = analysis.mean_words(crossing.outcome)
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
    from sim.report import plots

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
        means = analysis.point_means(runs, outcome, len(data.design))
        try:
            indices = analysis.sensitivity(
                design, problem, data.design, means, settings=settings, seed=seed
            )
        except (ValueError, ZeroDivisionError, IndexError, KeyError) as error:
            section.paragraphs.append(f"{analysis.outcome_label(outcome)}: not computed ({error}).")
            continue
        draw = plots.sobol_bars if design == "sobol" else plots.morris_scatter
        section.figures.append(
            _figure(
                f"sensitivity-{outcome}",
                f"Sensitivity of {analysis.outcome_label(outcome)}",
                draw(indices, outcome),
                SENSITIVITY_CAPTION[design],
            )
        )
        section.tables.append(
            TableItem(
                f"sensitivity-{outcome}-table",
                f"Indices for {analysis.outcome_label(outcome)}",
                _rounded(indices, 3),
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


def _rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    table = frame.copy()
    for column in table.columns:
        if pd.api.types.is_float_dtype(table[column]):
            table[column] = table[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
    return table


# --- provenance ------------------------------------------------------------------------------


def provenance(manifest: dict[str, Any], folder: Path) -> list[tuple[str, str]]:
    """What a reader needs to reproduce the folder: scenario, seeds, versions, command."""
    rows: list[tuple[str, str]] = []
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        text = f"{scenario.get('name')}"
        if scenario.get("title"):
            text += f" — {scenario['title']}"
        if scenario.get("sha256"):
            text += f" (sha256 {str(scenario['sha256'])[:12]})"
        files = [
            f"{item.get('path')} (sha256 {str(item.get('sha256', ''))[:12]})"
            for item in scenario.get("files", [])
            if isinstance(item, dict)
        ]
        if files:
            text += "; files: " + ", ".join(files)
        rows.append(("Scenario", text))
    elif scenario:
        rows.append(("Scenario", str(scenario)))
    compared = manifest.get("scenarios")
    if isinstance(compared, list):
        rows.append(
            (
                "Scenarios compared",
                "; ".join(
                    f"{item.get('name')} (sha256 {str(item.get('sha256', ''))[:12]})"
                    if isinstance(item, dict)
                    else str(item)
                    for item in compared
                ),
            )
        )
    command = manifest.get("command")
    if command:
        rows.append(("Command", " ".join(command) if isinstance(command, list) else str(command)))
    seed = manifest.get("master_seed", sweep_setting(manifest, "master_seed"))
    if seed is not None:
        rows.append(("Master seed", str(seed)))
    seeds = manifest.get("replicate_seeds", sweep_setting(manifest, "replicate_seeds"))
    if isinstance(seeds, list) and seeds:
        shown = ", ".join(str(s) for s in seeds[:5])
        more = f", … ({len(seeds)} in all)" if len(seeds) > 5 else ""
        rows.append(("Replicate seeds", f"{shown}{more} (SeedSequence.spawn of the master seed)"))
    for key in ("steps", "start", "run_id"):
        if key in manifest:
            rows.append((key.replace("_", " ").capitalize(), str(manifest[key])))
    versions = manifest.get("packages", manifest.get("versions"))
    if isinstance(versions, dict):
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    git = manifest.get("git")
    if isinstance(git, dict):
        dirty = " (work tree had uncommitted changes)" if git.get("dirty") else ""
        rows.append(("Git commit", f"{git.get('commit', 'unknown')}{dirty}"))
    elif "git_commit" in manifest:
        rows.append(("Git commit", str(manifest["git_commit"])))
    for key in ("started", "finished"):
        if key in manifest:
            rows.append((key.capitalize(), str(manifest[key])))
    rows.append(("Results folder", str(folder)))
    rows.append(("This report", f"csto report {folder}"))
    return rows


# --- writing ---------------------------------------------------------------------------------

STYLE: Final = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 64rem; margin: 2rem auto;
       padding: 0 1.2rem; color: #1a1a1a; line-height: 1.5; background: #fff; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
p.subtitle { color: #444; margin-top: 0; }
.warning { border: 3px double #000; background: #eee; padding: 0.6rem 1rem; font-weight: bold; }
figure { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.92rem; color: #222; margin-top: 0.4rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem 0; }
th, td { border: 1px solid #999; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #e6e6e6; }
dl.provenance { display: grid; grid-template-columns: 11rem 1fr; gap: 0.2rem 1rem;
                font-size: 0.85rem; }
dl.provenance dt { font-weight: bold; }
dl.provenance dd { margin: 0; font-family: 'DejaVu Sans Mono', monospace; word-break: break-all; }
ul.summary li { margin-bottom: 0.3rem; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-after: avoid; } }
"""


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="csto report ({report.kind})">',
        f"<title>{e(report.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        f'<body data-kind="{e(report.kind)}">',
        f"<header><h1>{e(report.title)}</h1>",
        f'<p class="subtitle">{e(report.subtitle)}</p></header>',
    ]
    for warning in report.warnings:
        parts.append(f'<p class="warning" role="alert">{e(warning)}</p>')
    number = 0
    for section in report.sections:
        parts.append(f'<section id="{e(section.key)}"><h2>{e(section.title)}</h2>')
        for paragraph in section.paragraphs:
            parts.append(f"<p>{e(paragraph)}</p>")
        if section.items:
            parts.append('<ul class="summary">')
            parts += [f"<li>{e(item)}</li>" for item in section.items]
            parts.append("</ul>")
        for figure in section.figures:
            number += 1
            data = base64.b64encode(figure.png).decode("ascii")
            parts.append(
                f'<figure id="fig-{e(figure.key)}" data-figure="{e(figure.key)}">'
                f'<img alt="Figure {number}: {e(figure.title)}" '
                f'src="data:image/png;base64,{data}">'
                f"<figcaption><strong>Figure {number}. {e(figure.title)}.</strong> "
                f"{e(figure.caption)}</figcaption></figure>"
            )
        for table in section.tables:
            parts.append(f'<div class="table" id="table-{e(table.key)}">')
            parts.append(f"<h3>{e(table.title)}</h3>")
            if table.frame.empty:
                parts.append("<p>None.</p>")
            else:
                parts.append(table.frame.to_html(index=False, escape=True, na_rep="–", border=0))
            if table.caption:
                parts.append(f"<p><small>{e(table.caption)}</small></p>")
            parts.append("</div>")
        parts.append("</section>")
    parts.append('<section id="reproduce"><h2>How to reproduce this</h2>')
    parts.append(
        "<p>Run the command below in a checkout of the project at the same git commit with the "
        "same package versions: it rewrites the data files of this folder byte for byte, and "
        "<code>csto report</code> on them gives this report again.</p>"
    )
    parts.append('<dl class="provenance">')
    for label, value in report.provenance:
        parts.append(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>")
    parts.append("</dl></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write(report: Report, out: Path, pdf: bool = False) -> list[Path]:
    """Write the HTML (and PDF) atomically; return the paths written."""
    if out.is_dir():
        raise ReportError(f"{out}: is a folder (expected a file name for the report)")
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: no such folder to write the report into")
    written = [out]
    write_atomic(out, render_html(report).encode("utf-8"))
    if pdf:
        target = out.with_suffix(".pdf")
        write_pdf(report, out, target)
        written.append(target)
    return written


def chromium() -> str | None:
    """A headless-capable Chromium on this machine, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run_chromium(arguments: Sequence[str], timeout: float = 120.0) -> bool:
    """Run the headless browser with a fresh profile; True if it succeeded."""
    browser = chromium()
    if browser is None:
        return False
    with tempfile.TemporaryDirectory(prefix="csto-chromium-") as profile:
        try:
            done = subprocess.run(
                [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return done.returncode == 0


def write_pdf(report: Report, html_path: Path, target: Path, browser: bool = True) -> Path:
    """Print the HTML report to PDF with headless Chromium, else lay it out with matplotlib."""
    if browser and chromium() is not None:
        try:
            with atomic_path(target) as temporary:
                ok = run_chromium(
                    [
                        "--no-pdf-header-footer",
                        f"--print-to-pdf={temporary}",
                        html_path.resolve().as_uri(),
                    ]
                )
                if not (ok and temporary.is_file() and temporary.stat().st_size > 0):
                    raise _NoPdf
            return target
        except _NoPdf:
            pass  # the browser failed: lay the PDF out with matplotlib instead
    return _pdf_with_matplotlib(report, target)


class _NoPdf(Exception):
    """The browser did not print the PDF."""


def _pdf_with_matplotlib(report: Report, target: Path) -> Path:
    import io

    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines: list[str] = [report.title, report.subtitle, ""]
    lines += [f"WARNING: {w}" for w in report.warnings]
    for item in report.summary:
        lines += [*textwrap.wrap(f"• {item}", 95), ""]
    lines += ["How to reproduce this:", ""]
    for label, value in report.provenance:
        lines += textwrap.wrap(f"{label}: {value}", 95, subsequent_indent="    ")
    with atomic_path(target) as temporary, PdfPages(temporary) as pdf:
        per_page = 60
        for first in range(0, len(lines), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(
                0.06,
                0.96,
                "\n".join(lines[first : first + per_page]),
                va="top",
                family="serif",
                fontsize=8.5,
            )
            pdf.savefig(fig)
            plt.close(fig)
        for number, figure in enumerate(report.figures, start=1):
            image = mpimg.imread(io.BytesIO(figure.png), format="png")
            fig = plt.figure(figsize=(8.27, 11.69))
            ax = fig.add_axes((0.05, 0.3, 0.9, 0.65))
            ax.imshow(image)
            ax.axis("off")
            caption = textwrap.fill(f"Figure {number}. {figure.title}. {figure.caption}", 100)
            fig.text(0.06, 0.27, caption, va="top", family="serif", fontsize=8.5)
            pdf.savefig(fig)
            plt.close(fig)
    return target
