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
from sim.report.prose import covers_words, mean_words, outcome_label, replicates_text
from sim.results.threshold import CapacityContext, Threshold, ThresholdFolder, curve_band


def _range_words(low: float, high: float) -> str:
    return f"from {low:g} to {high:g}"


def context_sentences(
    result: Threshold, outcome: str, scenario: str, context: CapacityContext, steps: int | None
) -> list[str]:
    """Where a critical capacity lies against the scenario (below its capacity floor, outside
    or inside the range its capacity takes) and the outcome at constant capacity 0 and 1."""
    label = mean_words(outcome)
    months = f" over its {steps} months" if steps else ""
    taken = f"{context.lowest:.2f} to {context.highest:.2f}{months}"
    sentences: list[str] = []
    critical = result.critical
    if critical is not None:
        if critical < context.floor:
            sentences.append(
                f"That is below the scenario's capacity floor ({context.floor:g}): in "
                f"{scenario} Russia's capacity never falls that low (it goes {taken}), so "
                "this crossing is not reached in the scenario as written."
            )
        elif critical < context.lowest:
            sentences.append(
                f"That is below the lowest capacity {scenario} reaches ({context.lowest:.2f}; "
                f"it goes {taken}): the crossing is not reached within the scenario's horizon."
            )
        elif critical > context.highest:
            sentences.append(
                f"That is above the highest capacity {scenario} reaches ({context.highest:.2f}; "
                f"it goes {taken}): the scenario's capacity stays below the crossing throughout."
            )
        else:
            sentences.append(
                f"That lies within the range Russia's capacity takes in {scenario} ({taken}): "
                "the scenario's own path passes through it."
            )
    sentences.append(
        f"At constant capacity 0 the {label} is {context.at_zero:.2f}; at 1 (the pre-war "
        f"level) it is {context.at_one:.2f}."
    )
    return sentences


def threshold_sentence(
    result: Threshold,
    outcome: str,
    scenario: str,
    replicates: int | None = None,
    context: CapacityContext | None = None,
    steps: int | None = None,
) -> str:
    """The critical capacity in words, read against the scenario (``context``) if given."""
    label = mean_words(outcome)
    count = replicates if replicates is not None else result.replicates
    runs = (
        f"{count} runs ({result.draws} parameter sets from the posterior x "
        f"{count // result.draws} seeds)"
        if result.draws > 1
        else replicates_text(count)
    )
    if result.critical is None:
        side = "above" if result.mean[0] >= result.level else "below"
        text = (
            f"{scenario}: the {label} over {runs} never crosses "
            f"{result.level:g}: it stays {side} it at every constant capacity "
            f"{_range_words(result.low, result.high)}"
            + (
                ""
                if context is not None and (result.low, result.high) == (0.0, 1.0)
                else f" (from {result.mean[0]:.2f} to {result.mean[-1]:.2f})"
            )
            + ", so there is no critical capacity in that range."
        )
    else:
        interval = (
            f"bootstrap 95% interval {covers_words(result.covers)} "
            f"{result.ci_low:.3f}–{result.ci_high:.3f}"
            if np.isfinite(result.ci_low)
            else "no bootstrap interval: resampled means do not cross the level in range"
        )
        several = (
            f" The mean crosses the level {result.crossings} times on the grid; this is the "
            "highest crossing, the first met as capacity falls."
            if result.crossings > 1
            else ""
        )
        text = (
            f"{scenario}: with Russia's capacity held constant, the {label} over "
            f"{runs} crosses {result.level:g} at a critical capacity of "
            f"{result.critical:.3f} of the pre-war level ({interval}).{several}"
        )
    if context is not None:
        text += " " + " ".join(context_sentences(result, outcome, scenario, context, steps))
    return text


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
    context = CapacityContext.from_record(manifest.get("context", {}))
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
            scenario_range=(context.lowest, context.highest) if context else None,
            floor=context.floor if context else None,
        ),
        "Each point on the x axis is a run of every replicate with Russia's capacity held "
        "constant at that level (same seeds at every capacity). The line is the replicate mean, "
        "the shaded band its 95% interval and the dashed lines the middle 95% of replicates. "
        "The vertical line marks the critical capacity where the mean crosses the level; the "
        "hatched span is its bootstrap 95% interval "
        + (
            "over the random draws and the uncertainty of the parameters (parameter sets drawn "
            "from the posterior and seeds resampled apart, with replacement)."
            if int(found.get("draws", 1)) > 1
            else "over the random draws (replicates resampled with replacement)."
        )
        + (
            " The grey span is the range Russia's capacity takes in the scenario as written "
            "(its own shape, drain and events), the dotted line its capacity floor: a critical "
            "capacity outside the span is not reached in the scenario."
            if context
            else ""
        ),
    )
    evaluations = data.evaluations.rename(
        columns={"capacity": "capacity tried", "mean": "replicate mean"}
    )
    return Report(
        kind="threshold",
        title=f"Critical capacity: {name}",
        subtitle=f"outcome {column}, level {level:g}, {replicates} "
        + ("runs" if int(found.get("draws", 1)) > 1 else "replicates")
        + ", "
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
