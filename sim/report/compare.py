"""The report of a ``csto compare`` folder: scenarios side by side under common random numbers,
and each one's differences to the baseline, replicate by replicate, with paired 95% intervals,
in every outcome the registry compares (every member's included) and in the outcome the
comparison is about (``--outcome``).

Each difference gets a verdict (:func:`sim.stats.verdict`): *no difference* (equal in every
replicate), *negligible* (smaller than the outcome's size that matters, even when its interval
excludes zero), *clear*, or *unclear*; every interval says what it covers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.report.document import Report, Section, TableItem, figure, provenance, rounded
from sim.report.drivers import compare_driver_sentences, driver_difference_table
from sim.report.prose import (
    INTERVALS_TEXT,
    covers_words,
    matters_words,
    mean_words,
    outcome_label,
    outcome_words,
)
from sim.report.run import alliance_rows, freeze_table
from sim.results.compare import compared_outcomes, differences
from sim.results.drivers import comparison_drivers
from sim.results.outcomes import REGISTRY, Outcome
from sim.results.run import RunFolder
from sim.stats import CLEAR, NEGLIGIBLE, NO_DIFFERENCE, NO_INTERVAL, UNCLEAR, describe, estimate

#: The outcome a comparison is about unless it names another (``--outcome``).
DEFAULT_OUTCOME = "final_cohesion"


def focus_outcome(data: RunFolder, outcome: str | None = None) -> Outcome:
    """The outcome a comparison's report is about: ``outcome`` (any spelling), else the one
    the comparison was run for (its manifest's ``outcome``), else final cohesion; one the
    summary has or can derive (an UnknownOutcome naming the choices otherwise)."""
    among = REGISTRY.averageable(data.summary.columns)
    name = outcome or data.manifest.get("outcome") or DEFAULT_OUTCOME
    return REGISTRY.get(str(name), among=among, what="outcomes of this comparison")


def series_rows(timeseries: pd.DataFrame, outcome: Outcome) -> pd.DataFrame:
    """The rows of the time series that hold an outcome's path: the member's rows for a member
    outcome, one row per replicate and step for an alliance-wide one. Empty if the outcome has
    no time-series column (:attr:`sim.results.outcomes.Outcome.series`) or the table lacks it."""
    if outcome.series is None or outcome.series not in timeseries:
        return timeseries.iloc[0:0]
    if outcome.member is not None:
        rows: pd.DataFrame = timeseries[timeseries["member"] == outcome.member]
        return rows
    return alliance_rows(timeseries)


def series_band(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """A column of :func:`series_rows` per scenario and step over replicates: ``scenario``,
    ``step``, ``date`` (timestamp) and the columns of :func:`sim.stats.describe`."""
    band = describe(rows, column, by=["scenario", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band.reset_index(drop=True)


def trajectory_differences(
    timeseries: pd.DataFrame,
    baseline: str,
    column: str = "cohesion",
    member: str | None = None,
) -> pd.DataFrame:
    """Per scenario and step: the mean paired difference to the baseline with its 95% interval,
    of an alliance-wide column, or of a member's (``member``).

    Columns: ``scenario``, ``step``, ``date``, ``n``, ``mean``, ``ci_low``, ``ci_high``,
    ``low``, ``high`` (as :func:`sim.stats.describe`, of the differences).
    """
    source = (
        timeseries[timeseries["member"] == member]
        if member is not None
        else alliance_rows(timeseries)
    )
    rows = source[["scenario", "replicate", "step", "date", column]]
    base = rows[rows["scenario"] == baseline].drop(columns="scenario")
    others = rows[rows["scenario"] != baseline]
    joined = others.merge(base, on=["replicate", "step", "date"], suffixes=("", "_base"))
    joined["difference"] = joined[column] - joined[f"{column}_base"]
    band = describe(joined, "difference", by=["scenario", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band.reset_index(drop=True)


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def difference_sentence(row: dict[str, object], baseline: str) -> str:
    """One difference to the baseline in words, saying whether it matters and what its
    interval covers (a row of :func:`sim.results.compare.differences`)."""
    outcome = str(row["outcome"])
    label = mean_words(outcome)
    name = row["scenario"]
    mean, base_mean = float(str(row["mean"])), float(str(row["baseline_mean"]))
    difference = float(str(row["difference"]))
    low, high = float(str(row["ci_low"])), float(str(row["ci_high"]))
    unit = REGISTRY.by_name[outcome].unit if outcome in REGISTRY else ""
    size = float(str(row.get("negligible", 0.0)))
    interval = (
        f"paired 95% interval {covers_words(str(row.get('covers', 'draws')))} "
        f"{_signed(low)} to {_signed(high)}"
    )
    kind = str(row["verdict"])
    runs = "replicate" if str(row.get("covers", "draws")) == "draws" else "run"
    if kind == NO_DIFFERENCE:
        return (
            f"{name}: {label} {mean:.2f}, the same as under {baseline} in every {runs} — "
            "no difference."
        )
    if kind == NO_INTERVAL:
        return (
            f"{name}: {label} {mean:.2f} against {baseline}'s {base_mean:.2f} "
            "(one replicate: no interval)."
        )
    if kind == NEGLIGIBLE:
        return (
            f"{name}: {label} {mean:.2f} against {base_mean:.2f} — a negligible difference "
            f"({_signed(difference)}, below the {matters_words(size, unit)} that matters; "
            f"{interval})."
        )
    if kind == CLEAR:
        direction = "higher" if difference > 0 else "lower"
        return (
            f"{name}: {label} {mean:.2f} against {base_mean:.2f} — {abs(difference):.3f} "
            f"{direction} than under {baseline} ({interval}, which excludes zero: not an "
            f"accident of the draws); {direction} than under the baseline in "
            f"{float(str(row[f'{direction}_share'])):.0%} of paired {runs}s."
        )
    return (
        f"{name}: {label} {mean:.2f} against {base_mean:.2f} — no clear difference from "
        f"{baseline} (mean difference {_signed(difference)}, {interval}, which includes zero "
        f"and sizes that would matter)."
    )


def _family_words(outcomes: Sequence[str]) -> list[str]:
    """Outcomes in words, a member outcome given for every member as one "each member"."""
    entries = [REGISTRY.by_name[name] for name in outcomes if name in REGISTRY]
    every = {name for name in REGISTRY.names() if name in outcomes}
    words: list[str] = []
    done: set[str] = set()
    for entry in entries:
        if entry.member is None:
            words.append(entry.label)
            continue
        family = [e for e in REGISTRY if e.member is not None and e.family == entry.family]
        if all(e.name in every for e in family):
            if entry.family not in done:
                done.add(entry.family)
                words.append(entry.label.replace(entry.member, "each member"))
        else:
            words.append(entry.label)
    return words


def compare_sentences(table: pd.DataFrame, baseline: str) -> list[str]:
    """The differences to the baseline in words, scenario by scenario: a sentence for each
    clear or unclear difference (largest first), then the negligible ones and those with no
    difference at all, each group in one sentence."""
    sentences: list[str] = []
    for name in dict.fromkeys(table["scenario"]):
        rows = table[table["scenario"] == name]
        shown = rows[rows["verdict"].isin([CLEAR, UNCLEAR, NO_INTERVAL])]
        shown = shown.reindex(shown["difference"].abs().sort_values(ascending=False).index)
        sentences += [difference_sentence(row, baseline) for row in shown.to_dict("records")]
        small = rows[rows["verdict"] == NEGLIGIBLE]
        if len(small):
            listed = ", ".join(
                f"{outcome_words(str(r['outcome']))} ({_signed(float(r['difference']))})"
                for r in small.to_dict("records")
            )
            size = ", ".join(
                dict.fromkeys(
                    matters_words(
                        float(r["negligible"]),
                        REGISTRY.by_name[str(r["outcome"])].unit
                        if str(r["outcome"]) in REGISTRY
                        else "",
                    )
                    for r in small.to_dict("records")
                )
            )
            sentences.append(
                f"{name}: negligible differences from {baseline}, below the {size} that "
                f"matters (even where the paired interval excludes zero): {listed}."
            )
        same = rows[rows["verdict"] == NO_DIFFERENCE]
        if len(same):
            runs = "replicate" if set(same["covers"]) <= {"draws"} else "run"
            sentences.append(
                f"{name}: no difference from {baseline} in any {runs} in "
                + ", ".join(_family_words(list(same["outcome"])))
                + "."
            )
    return sentences


def difference_table(table: pd.DataFrame) -> pd.DataFrame:
    """The differences as a table to read: one row per scenario and outcome, the outcome in
    words, means, the mean difference, its interval and what it covers, and the verdict."""
    shown = pd.DataFrame(
        {
            "scenario": table["scenario"],
            "outcome": table["outcome"].map(outcome_label),
            "baseline mean": table["baseline_mean"],
            "scenario mean": table["mean"],
            "mean difference": table["difference"],
            "paired 95% interval": [
                f"{low:+.3f} to {high:+.3f}" if np.isfinite(low) else "n/a"
                for low, high in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            "interval covers": table["covers"],
            "verdict": table["verdict"],
            "share of replicates lower": table["lower_share"],
            "share of replicates higher": table["higher_share"],
        }
    )
    return shown


def compare_text_table(table: pd.DataFrame, baseline: str) -> list[str]:
    """The differences as fixed-width lines for a terminal, one block per scenario."""
    lines: list[str] = []
    width = max(len("outcome"), *(len(str(name)) for name in table["outcome"]))
    for name in dict.fromkeys(table["scenario"]):
        rows = table[table["scenario"] == name]
        covers = ", ".join(dict.fromkeys(covers_words(str(c)) for c in rows["covers"]))
        count = int(rows["n"].max())
        unit = "replicates" if set(rows["covers"]) == {"draws"} else "runs"
        lines.append(
            f"{name} against {baseline}, {count} paired {unit} (paired 95% intervals {covers}):"
        )
        lines.append(
            f"  {'outcome':<{width}}  {'baseline':>8}  {'scenario':>8}  {'difference':>10}  "
            f"{'95% interval':<18}  verdict"
        )
        for row in rows.to_dict("records"):
            low, high = float(row["ci_low"]), float(row["ci_high"])
            interval = f"{low:+.3f} to {high:+.3f}" if np.isfinite(low) else "n/a"
            if row["verdict"] == NO_DIFFERENCE:
                interval = "– (all equal)"
            lines.append(
                f"  {row['outcome']:<{width}}  {float(row['baseline_mean']):>8.3f}  "
                f"{float(row['mean']):>8.3f}  {float(row['difference']):>+10.3f}  "
                f"{interval:<18}  {row['verdict']}"
            )
    lines.append(
        "Verdicts: a difference below the size that matters (0.01 on a 0–1 scale) is "
        "negligible even when its interval excludes zero; see docs/reports.md."
    )
    return lines


def compare_names(data: RunFolder) -> list[str]:
    """The scenarios of a comparison, baseline first (manifest order, else order in the data)."""
    listed = data.manifest.get("scenarios")
    if isinstance(listed, list) and listed:
        names = [item["name"] if isinstance(item, dict) else str(item) for item in listed]
        return [name for name in names if name in set(data.summary["scenario"])]
    return list(dict.fromkeys(data.summary["scenario"]))


def compare_tables(data: RunFolder, outcome: str | None = None) -> pd.DataFrame:
    """Paired differences to the baseline for the focus outcome (:func:`focus_outcome`) and
    every outcome the registry compares (one row per outcome and scenario): the columns of
    :func:`sim.results.compare.differences`."""
    focus = focus_outcome(data, outcome)
    return differences(
        data.summary, compare_names(data), compared_outcomes(data.summary, focus.name)
    )


def compare_report(data: RunFolder, outcome: str | None = None) -> Report:
    """The report of a ``csto compare`` folder: scenarios side by side, differences to the
    baseline with paired 95% intervals and verdicts; ``outcome`` chooses the outcome drawn over
    time (default: the one the comparison was run for, else final cohesion)."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    focus = focus_outcome(data, outcome)
    names = compare_names(data)
    baseline = names[0]
    replicates = int(data.summary.groupby("scenario")["replicate"].nunique().min())
    table = compare_tables(data, focus.name)
    derived = REGISTRY.derived(data.summary)
    draws = int(data.manifest.get("draws", 1) or 1)
    how = (
        f"each run {replicates} times: {draws} parameter sets drawn from the posterior x "
        f"{replicates // draws} seeds, the same in every scenario (run k of every scenario shares "
        "its parameter set and its random draws)"
        if draws > 1
        else f"each run {replicates} times with the same seeds (common random numbers: "
        "replicate r of every scenario faces the same random draws)"
    )
    interval_how = (
        "a percentile bootstrap that resamples parameter sets and seeds apart (Owen's "
        "pigeonhole bootstrap), covering the random draws and the uncertainty of the parameters"
        if draws > 1
        else "Student's t interval of the per-replicate differences, covering the random draws "
        "of the replicates, not the uncertainty of the parameters"
    )
    sentences = [
        f"{len(names)} scenarios, {how}, compared with "
        f"{baseline} in {table['outcome'].nunique()} outcomes; intervals are paired 95% "
        f"intervals {covers_words(str(table['covers'].iloc[0]))}."
    ]
    start = data.start
    for name in names:
        part = derived[derived["scenario"] == name]
        final = estimate(part[focus.name])
        sentences.append(
            f"{name}: {mean_words(focus.name)} {final.mean:.2f} "
            f"(95% interval of the mean {covers_words(final.covers)} {final.interval()})."
        )
    sentences += compare_sentences(table, baseline)
    drivers = comparison_drivers(data.path, data.timeseries, data.summary, names)
    sentences += compare_driver_sentences(drivers, baseline)
    figures_list = []
    rows = series_rows(data.timeseries, focus)
    if len(rows) and focus.series is not None:
        what = outcome_words(focus.name).removeprefix("final ")
        ylabel = f"{_capital(what)} ({focus.unit})"
        bands = series_band(rows, focus.series)
        trajectory = trajectory_differences(data.timeseries, baseline, focus.series, focus.member)
        figures_list += [
            figure(
                "compare-trajectories",
                f"{_capital(what)} under each scenario, side by side",
                figures.compare_trajectories(bands, names, ylabel=ylabel),
                "One panel per scenario: the mean over replicates, its 95% interval (shaded) and "
                "the middle 95% of replicates (dashed), both over the random draws. The grey "
                f"dashed line repeats the baseline ({baseline}) in the other panels.",
            ),
            figure(
                "compare-differences",
                f"Difference to {baseline} over time: {what}",
                figures.compare_differences(
                    trajectory, names, ylabel=f"Difference in {what}", negligible=focus.negligible
                ),
                "For each replicate, the scenario's value minus the baseline's in the same "
                "replicate (same seed, same random draws); the line is the mean of these paired "
                "differences and the band its 95% interval over the draws. Where the band "
                "excludes zero the scenario, not chance, made the difference — which matters "
                f"only if it is larger than {matters_words(focus.negligible, focus.unit)}.",
            ),
        ]
    figures_list.append(
        figure(
            "compare-members",
            "Alignment of each member under each scenario",
            figures.member_scenarios(_scenario_member_bands(data.timeseries), names),
            "One panel per member, one line per scenario (mean over replicates, with its 95% "
            "interval over the draws shaded): which members the scenarios move, and when.",
        )
    )
    figures_list.append(
        figure(
            "compare-forest",
            "Final outcomes: difference to the baseline",
            figures.forest(
                table,
                "Difference to the baseline, with its paired 95% interval "
                + covers_words(str(table["covers"].iloc[0])),
            ),
            "Each point is a scenario's mean paired difference to the baseline in an outcome, "
            f"with its 95% interval ({interval_how}); outcomes are grouped by scale. "
            "The grey band around zero spans the "
            "differences too small to matter: a point inside it is negligible even if its "
            "interval excludes zero. Hollow points are outcomes equal in every replicate.",
        )
    )
    missing = []
    driver_tables = []
    if len(drivers):
        figures_list.append(
            figure(
                "compare-drivers",
                f"Which drivers differ from {baseline}",
                figures.driver_differences(drivers, names),
                "One panel per member, a bar per driver: how much more (right) or less (left) "
                "it pushed the member's alignment toward Russia over the months under the "
                f"scenario than under {baseline}, run by run (the same seed and parameter set), "
                "averaged over the runs whose time series the folder keeps, with its paired 95% "
                f"interval {covers_words(str(drivers['covers'].iloc[0]))}. The top bar is their "
                "sum, the difference in the alignment's change. The grey band spans the "
                "differences too small to matter (0.01 on the 0–1 scale). A difference in one "
                "motive often sets off others: a member pulled further away drifts back toward "
                "hedging and weighs sanctions less, so some bars offset others.",
            )
        )
        driver_tables.append(
            TableItem(
                "drivers",
                f"Drivers: differences to {baseline}",
                driver_difference_table(drivers),
                "Each driver's total over the months (its contribution to the member's "
                "alignment), mean over the runs whose time series the folder keeps, under the "
                "baseline and the scenario; their paired difference with its 95% interval and "
                "verdict. The folder's drivers.csv holds the full table.",
            )
        )
    else:
        missing.append(
            "This folder's time series records no drivers (columns driver_…, how much each "
            "motive pushed or pulled a member's alignment each month), so which drivers differ "
            "between the scenarios is left out; a comparison written by this version of csto "
            "has them."
        )
    freezes = []
    for name in names:
        part = data.summary[data.summary["scenario"] == name]
        frame = freeze_table(part, start)
        freezes.append(frame.assign(scenario=name)[["scenario", *frame.columns]])
    return Report(
        kind="compare",
        title="Comparison: " + " vs ".join(names),
        subtitle=f"{replicates} "
        + (f"runs ({draws} parameter sets x seeds)" if draws > 1 else "replicates")
        + " per scenario under common random numbers; "
        f"baseline {baseline}; about {outcome_words(focus.name)}; master seed "
        f"{data.manifest.get('master_seed', '?')}",
        sections=[
            Section("summary", "Summary", items=sentences),
            Section(
                "figures",
                "Side by side",
                paragraphs=[
                    INTERVALS_TEXT,
                    "Differences are paired: replicate r of each scenario uses the same seed "
                    "(and, drawing from the posterior, the same parameter set), so chance "
                    "affects both alike and cancels out of their difference. That is "
                    "why the interval of a difference can be much narrower than the bands of "
                    "the scenarios themselves — narrow enough to exclude zero for differences "
                    "too small to matter, which this report calls negligible.",
                    *missing,
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
                        rounded(difference_table(table)),
                        f"Paired 95% interval: {interval_how}. "
                        "Verdicts: no difference (equal in every "
                        "replicate), negligible (below the size that matters: 0.01 on a 0–1 "
                        "scale), clear (at least that, interval excluding zero), unclear.",
                    ),
                    *driver_tables,
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


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _scenario_member_bands(timeseries: pd.DataFrame) -> pd.DataFrame:
    band = describe(timeseries, "alignment", by=["scenario", "member", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band
