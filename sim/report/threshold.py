"""The report of a ``csto threshold`` folder: the outcome against constant capacity, and the
critical capacity where its replicate mean crosses the level, with its bootstrap interval
(found by :func:`sim.results.threshold.critical_capacity`)."""

from __future__ import annotations

from typing import Final

import numpy as np

from sim.report.document import (
    Report,
    Section,
    TableItem,
    figure,
    provenance,
    rounded,
    scenario_name,
)
from sim.report.prose import mean_words, outcome_label, replicates_text
from sim.results.threshold import Threshold, ThresholdFolder, curve_band


def threshold_sentence(
    result: Threshold, outcome: str, scenario: str, replicates: int | None = None
) -> str:
    """The critical capacity in words."""
    label = mean_words(outcome)
    count = replicates if replicates is not None else result.replicates
    if result.critical is None:
        side = "above" if result.mean[0] >= result.level else "below"
        return (
            f"{scenario}: the {label} over {replicates_text(count)} stays {side} "
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
        f"{replicates_text(count)} crosses {result.level:g} at a critical capacity of "
        f"{result.critical:.3f} of the pre-war level ({interval}).{several}"
    )


def threshold_report(data: ThresholdFolder) -> Report:
    """The report of a ``csto threshold`` folder: the outcome against constant capacity and
    the critical capacity with its bootstrap interval."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    manifest = data.manifest
    name = scenario_name(manifest)
    found = manifest["threshold"]
    column = str(manifest.get("outcome_column", manifest["outcome"]))
    level = float(manifest["level"])
    critical = found.get("critical")
    ci = (float(found.get("ci_low") or np.nan), float(found.get("ci_high") or np.nan))
    curve = curve_band(data.curve)
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
    curve_figure = figure(
        "threshold",
        "Outcome against constant capacity",
        figures.threshold_curve(
            curve,
            level,
            critical,
            ci,
            outcome_label(column),
            title=f"{name}: {outcome_label(column)} at constant capacity",
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
                figures=[curve_figure],
            ),
            Section(
                "tables",
                "Tables",
                tables=[
                    TableItem(
                        "evaluations",
                        "Capacities the root finder tried",
                        rounded(evaluations, 4),
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
