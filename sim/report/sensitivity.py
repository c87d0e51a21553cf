"""The report of a ``csto sensitivity`` folder: for each headline outcome, what share of its
spread the calibrated values explain, which of them it rests on (Sobol indices with their
intervals) and whether the independence approximation holds for it.

The data of the figure and tables is computed here from the folder's tables
(:func:`heatmap_data`, :func:`top_table`, :func:`outcome_table`) and drawn by
:mod:`sim.report.posterior_figures`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from sim.report.document import Report, Section, TableItem, figure, provenance, scenario_name
from sim.results.sensitivity import SensitivityFolder


def short_outcome(name: str) -> str:
    """ "cohesion", "alignment Belarus", "exit Belarus" for the headline outcomes' names."""
    if name == "final_cohesion":
        return "cohesion"
    if name.startswith("final_alignment_"):
        return f"alignment {name.removeprefix('final_alignment_')}"
    if name.startswith("froze_"):
        return f"exit {name.removeprefix('froze_')}"
    return name


def heatmap_data(
    indices: pd.DataFrame, outcomes: pd.DataFrame, per_outcome: int = 5, limit: int = 16
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Total indices of every outcome over the parameters that matter most (each outcome's
    ``per_outcome`` largest, at most ``limit`` in all, ordered by their largest index): the
    indices and the low and high ends of their 95% intervals, outcomes x parameters. An
    outcome whose distribution the design changes (verdict ``dependent``) is marked with an
    asterisk and does not choose columns."""
    agreeing = set(outcomes.loc[outcomes["verdict"] != "dependent", "outcome"])
    ranked = indices[indices["outcome"].isin(agreeing)].dropna(subset=["ST"])
    ranked = ranked.sort_values(["outcome", "ST"], ascending=[True, False], kind="stable")
    chosen = ranked.groupby("outcome", sort=False).head(per_outcome)
    strongest = chosen.groupby("parameter")["ST"].max().sort_values(ascending=False, kind="stable")
    parameters = list(strongest.index[:limit])
    names = list(dict.fromkeys(indices["outcome"]))
    table = indices[indices["parameter"].isin(parameters)]

    def pivot(values: pd.Series) -> pd.DataFrame:
        frame = table.assign(value=values).pivot(
            index="outcome", columns="parameter", values="value"
        )
        frame = frame.reindex(index=names, columns=parameters)
        frame.index = [
            short_outcome(name) + ("" if name in agreeing else " *") for name in frame.index
        ]
        return frame

    return (
        pivot(table["ST"]),
        pivot((table["ST"] - table["ST_conf"]).clip(lower=0.0)),
        pivot(table["ST"] + table["ST_conf"]),
    )


def _interval(value: float, conf: float) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:.2f} ± {conf:.2f}"


def top_table(indices: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """Each outcome's ``count`` values with the largest total index: S1, ST and the joint
    posterior's first-order index, each with its 95% half-width."""
    rows = []
    for outcome, group in indices.groupby("outcome", sort=False):
        ranked = group.dropna(subset=["ST"]).sort_values("ST", ascending=False, kind="stable")
        for row in ranked.head(count).to_dict("records"):
            rows.append(
                {
                    "outcome": short_outcome(str(outcome)),
                    "value": row["parameter"],
                    "S1": _interval(float(row["S1"]), float(row["S1_conf"])),
                    "ST": _interval(float(row["ST"]), float(row["ST_conf"])),
                    "S1 on the joint posterior": _interval(
                        float(row["S1_joint"]), float(row["S1_joint_conf"])
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "value", "S1", "ST", "S1 on the joint posterior"])


def outcome_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome: its mean and spread under the joint posterior and under the
    design, the share of its spread the values explain, and the verdict."""

    def number(value: float, digits: int = 3) -> str:
        return "–" if not np.isfinite(value) else f"{value:.{digits}f}"

    rows = []
    for row in outcomes.to_dict("records"):
        share = float(row["parameter_share"])
        rows.append(
            {
                "outcome": short_outcome(str(row["outcome"])),
                "posterior: mean (sd)": f"{number(float(row['joint_mean']))} "
                f"({number(float(row['joint_sd']))})",
                "design: mean (sd)": f"{number(float(row['mean']))} ({number(float(row['sd']))})",
                "agree": "yes" if bool(row["agrees"]) else "no",
                "share of spread from the values": "–"
                if not np.isfinite(share)
                else f"{share:.0%}",
                "verdict": str(row["verdict_text"]),
            }
        )
    return pd.DataFrame(rows)


def summary_sentences(data: SensitivityFolder) -> list[str]:
    """How the analysis was made, then each outcome's verdict."""
    setting = data.manifest.get("sensitivity", {})
    inputs = setting.get("inputs", [])
    sentences = [
        f"{len(inputs)} calibrated values and variants, each drawn from its posterior marginal "
        f"and independent of the others, on {setting.get('points', 0):,} design points "
        f"(base sample {setting.get('samples')}) under {data.manifest.get('replicates')} seeds "
        f"each; beside them {setting.get('joint_draws', 0):,} draws from the joint posterior, "
        "correlations kept."
    ]
    if len(data.correlations):
        strongest = data.correlations.iloc[0]
        sentences.append(
            "The posterior's strongest rank correlation between two values is "
            f"{float(strongest['correlation']):+.2f} ({strongest['first']} and "
            f"{strongest['second']}): the independence approximation drops correlations of "
            "this size and the constraints they stand for; where an outcome's mean or spread "
            "under the design differs from the joint posterior's, its verdict says so."
        )
    for row in data.outcomes.to_dict("records"):
        label = short_outcome(str(row["outcome"]))
        sentences.append(f"{label[:1].upper()}{label[1:]}: {row['verdict_text']}.")
    return sentences


def sensitivity_report(data: SensitivityFolder) -> Report:
    """The report of a ``csto sensitivity`` folder."""
    from sim.report import posterior_figures

    manifest = data.manifest
    name = scenario_name(manifest)
    matrix, low, high = heatmap_data(data.indices, data.outcomes)
    heatmap = figure(
        "indices",
        "Total Sobol indices of the headline outcomes",
        posterior_figures.sensitivity_heatmap(
            matrix, low, high, title=f"{name}: what each headline outcome rests on"
        ),
        "Each row is a headline outcome, each column one of the calibrated values that matter "
        "most (each outcome's five largest). A cell is the total Sobol index ST — the share of "
        "the outcome's variance over the design that involves the value, alone or with others "
        "— with its bootstrap 95% interval below it; '–' where the outcome does not vary. A "
        "row with one bright cell rests on one uncertain number; a row of dim cells is spread "
        "over many. An asterisk marks an outcome whose mean or spread the independent design "
        "changes (see the table of outcomes): its indices describe the design, not the "
        "posterior.",
    )
    setting = manifest.get("sensitivity", {})
    return Report(
        kind="sensitivity",
        title=f"Sensitivity on the posterior: {name}",
        subtitle=f"base sample {setting.get('samples')}, {manifest.get('replicates')} seeds, "
        f"master seed {manifest.get('master_seed', '?')}",
        sections=[
            Section("summary", "Summary", items=summary_sentences(data)),
            Section(
                "figures",
                "What each outcome rests on",
                paragraphs=[METHOD_SENSITIVITY],
                figures=[heatmap],
            ),
            Section(
                "tables",
                "Tables",
                tables=[
                    TableItem(
                        "outcomes",
                        "The headline outcomes",
                        outcome_table(data.outcomes),
                        "posterior: under draws from the joint posterior; design: under the "
                        "independent marginals the indices are computed on; agree: means within "
                        "a quarter of a standard deviation and variances within a factor of two. "
                        "Share of spread: Var(E[outcome | values]) / Var(outcome) over single "
                        "runs, the rest being chance.",
                    ),
                    TableItem(
                        "top",
                        "The values each outcome rests on most",
                        top_table(data.indices),
                        "S1: first-order index (the value alone); ST: total index (with its "
                        "interactions); both ± the half-width of their bootstrap 95% interval, on "
                        "the design. S1 on the joint posterior: the share of the outcome's "
                        "variance that knowing the value alone would remove, correlations kept.",
                    ),
                    TableItem(
                        "correlations",
                        "The posterior's strongest correlations",
                        data.correlations.assign(
                            correlation=data.correlations["correlation"].map(lambda v: f"{v:+.2f}")
                        ),
                        "Weighted Spearman rank correlations between calibrated values in the "
                        "posterior: what the design's independent inputs leave out.",
                    ),
                ],
            ),
        ],
        provenance=provenance(manifest, data.path),
    )


METHOD_SENSITIVITY: Final = (
    "Sobol indices split an outcome's variance among its inputs: the first-order index S1 is "
    "the share one value explains alone, the total index ST the share it has a hand in, with "
    "others included. They need independent inputs, and a posterior's are not: here each "
    "calibrated value is drawn from its own posterior distribution, independently of the "
    "others (Saltelli's design through each value's weighted quantile function), and every "
    "design point is run under the same seeds, its outcome being their mean. The posterior "
    "itself is run beside it, and for it only first-order indices can be estimated (from the "
    "draws, by binning each value). docs/sensitivity.md explains the choice and the verdicts."
)
