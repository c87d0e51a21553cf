"""The report of a ``csto compare`` folder: scenarios side by side under common random numbers,
and each one's differences to the baseline, replicate by replicate, with paired 95% intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.report.document import Report, Section, TableItem, figure, provenance, rounded
from sim.report.prose import INTERVALS_TEXT, mean_words, outcome_label
from sim.report.run import alliance_band, alliance_rows, freeze_table
from sim.results.compare import differences
from sim.results.outcomes import COMPARED, REGISTRY
from sim.results.run import RunFolder
from sim.stats import describe, estimate

#: The final outcomes a comparison reports differences in (the registry's ``compared``).
COMPARE_OUTCOMES = REGISTRY.names(COMPARED)


def trajectory_differences(
    timeseries: pd.DataFrame, baseline: str, column: str = "cohesion"
) -> pd.DataFrame:
    """Per scenario and step: the mean paired difference to the baseline with its 95% interval.

    Columns: ``scenario``, ``step``, ``date``, ``n``, ``mean``, ``ci_low``, ``ci_high``,
    ``low``, ``high`` (as :func:`sim.stats.describe`, of the differences).
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
    :func:`sim.stats.paired_differences`."""
    return differences(data.summary, compare_names(data))


def compare_report(data: RunFolder) -> Report:
    """The report of a ``csto compare`` folder: scenarios side by side, differences to the
    baseline with paired 95% intervals."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

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
        final = estimate(part["final_cohesion"])
        sentences.append(
            f"{name}: mean cohesion {part['initial_cohesion'].mean():.2f} → {final.mean:.2f} "
            f"(95% interval {final.interval()})."
        )
    for outcome in COMPARE_OUTCOMES:
        rows = differences[differences["outcome"] == outcome]
        sentences += compare_sentences(rows, baseline, outcome)
    bands = alliance_band(data.timeseries, "cohesion", by=["scenario"])
    trajectory = trajectory_differences(data.timeseries, baseline)
    member_bands = _scenario_member_bands(data.timeseries)
    figures_list = [
        figure(
            "compare-trajectories",
            "Cohesion under each scenario, side by side",
            figures.compare_trajectories(bands, names),
            "One panel per scenario: mean cohesion over replicates, its 95% interval (shaded) "
            "and the middle 95% of replicates (dashed). The grey dashed line repeats the "
            f"baseline ({baseline}) in the other panels for reference.",
        ),
        figure(
            "compare-differences",
            f"Difference to {baseline} over time",
            figures.compare_differences(trajectory, names),
            "For each replicate, the scenario's cohesion minus the baseline's in the same "
            "replicate (same seed, same random draws); the line is the mean of these paired "
            "differences and the band its 95% interval. Where the band excludes zero, the "
            "scenario, not chance, made the difference.",
        ),
        figure(
            "compare-members",
            "Alignment of each member under each scenario",
            figures.member_scenarios(member_bands, names),
            "One panel per member, one line per scenario (mean over replicates, with its 95% "
            "interval shaded): which members the scenarios move, and when.",
        ),
        figure(
            "compare-forest",
            "Final outcomes: difference to the baseline",
            figures.forest(differences),
            "Each point is a scenario's mean paired difference to the baseline in a final "
            "outcome, with its 95% interval (t interval of the per-replicate differences). "
            "Intervals that do not cross the vertical zero line are differences the replicates "
            "establish.",
        ),
    ]
    table = differences.copy()
    table["outcome"] = table["outcome"].map(outcome_label)
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
        frame = freeze_table(part, start)
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
                        rounded(table),
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
    band = describe(timeseries, "alignment", by=["scenario", "member", "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band
