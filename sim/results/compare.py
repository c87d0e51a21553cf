"""Scenarios side by side under common random numbers (``csto compare``).

Every scenario is run by the batch engine (:func:`sim.engine.simulate`) with the *same*
replicate seeds, derived once from the master seed (:func:`sim.model.draws.derive_seeds`). Replicate
``r`` of every scenario therefore faces the same crisis, clash and coercion draws, and the
difference between two scenarios' outcomes in replicate ``r`` is due to the scenarios alone;
the paired differences vary much less than independent runs would, so their 95% interval is
narrow (:func:`sim.stats.paired_differences`). Drawing from the calibrated posterior, run ``k``
of every scenario also shares its parameter set, drawn once from the master seed, so a
difference is what the scenarios make under the same uncertain parameters, and its interval
covers the seeds and the parameters both.

The tables have the columns of a ``csto run`` results folder plus ``scenario`` first, so a
comparison folder reads like several run folders stacked (:func:`read_comparison`), with
``differences.csv`` beside them (:func:`differences`) and ``drivers.csv``, which drivers of each
member's alignment differ (:func:`sim.results.drivers.driver_differences`);
:func:`write_comparison` writes it all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.model.draws import derive_seeds
from sim.results import provenance
from sim.results.drivers import DRIVERS_FILE, driver_differences
from sim.results.folder import new_run_id, results_folder, write_folder
from sim.results.outcomes import COMPARED, REGISTRY
from sim.results.replicates import run_replicates
from sim.results.run import RunFolder, events_for_file, read_run
from sim.scenario import Scenario
from sim.stats import DRAWS, DRAWS_AND_PARAMETERS, paired_differences, verdict

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior


@dataclass(frozen=True)
class Comparison:
    """Replicates of several scenarios under the same seeds; the first is the baseline.

    With ``draws`` above 1, run ``k`` of every scenario is parameter set ``k // replicates``
    drawn from its posterior (the same draw from the same posterior, less the values a
    scenario sets itself) under seed ``k % replicates``."""

    scenarios: tuple[Scenario, ...]
    master_seed: int
    seeds: tuple[int, ...]
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    draws: int = 1
    posteriors: tuple[dict[str, Any] | None, ...] = ()
    """Each scenario's posterior as drawn from (its record; None: its own values)."""

    @property
    def baseline(self) -> str:
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        return [scenario.name for scenario in self.scenarios]

    @property
    def replicates(self) -> int:
        return len(self.seeds)

    @property
    def runs(self) -> int:
        return self.draws * self.replicates


def run_comparison(
    scenarios: Sequence[Scenario],
    seed: int,
    replicates: int,
    steps: int | None = None,
    *,
    draws: int = 1,
    posteriors: Sequence[Posterior | None] | None = None,
) -> Comparison:
    """Run every scenario ``replicates`` times with the same seeds (the first is the baseline);
    with ``posteriors`` (one per scenario, None for one without) and ``draws`` above 1, that
    many parameter sets drawn from each, every set under the same seeds.

    ``steps`` defaults to the baseline's horizon. Raises ValueError if the scenarios start in
    different months or share a name (their rows could not be told apart).
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared, got {', '.join(names)}")
    starts = {scenario.start for scenario in scenarios}
    if len(starts) > 1:
        raise ValueError(
            "scenarios must start in the same month to be compared month by month, got "
            + ", ".join(f"{s.name} {s.start}" for s in scenarios)
        )
    chosen = list(posteriors) if posteriors is not None else [None] * len(scenarios)
    if draws > 1 and all(posterior is None for posterior in chosen):
        raise ValueError("draws above 1 need a posterior to draw from")
    horizon = scenarios[0].horizon if steps is None else steps
    series, logs, summaries = [], [], []
    for scenario, posterior in zip(scenarios, chosen, strict=True):
        runs = run_replicates(
            scenario,
            seed,
            replicates,
            horizon,
            draws=draws if posterior is not None else 1,
            posterior=posterior,
        )
        summary_table = runs.summary
        if posterior is None and draws > 1:  # its own values in every parameter set's runs
            summary_table = _repeated(summary_table, draws, replicates)
        series.append(runs.timeseries)
        logs.append(runs.events)
        summaries.append(summary_table)
    summary = pd.concat(summaries, ignore_index=True)
    first = ["scenario", "replicate", "seed"]
    summary = summary[[*first, *(c for c in summary.columns if c not in first)]]
    return Comparison(
        scenarios=tuple(scenarios),
        master_seed=seed,
        seeds=tuple(derive_seeds(seed, replicates)),
        steps=horizon,
        timeseries=pd.concat(series, ignore_index=True),
        events=pd.concat(logs, ignore_index=True),
        summary=summary,
        draws=draws,
        posteriors=tuple(None if p is None else p.record() for p in chosen),
    )


def _repeated(summary: pd.DataFrame, draws: int, replicates: int) -> pd.DataFrame:
    """A scenario without a posterior, run once per seed, as the runs of every parameter set
    (its values are the same in each), numbered as the others' runs are."""
    frame = pd.concat([summary] * draws, ignore_index=True)
    frame["replicate"] = range(draws * replicates)
    frame["draw"] = [k // replicates for k in range(draws * replicates)]
    return frame


def compared_outcomes(summary: pd.DataFrame, focus: str | None = None) -> list[str]:
    """The outcomes a comparison reports, in order: ``focus`` first (an outcome's registry
    name) if given, then the registry's ``compared`` group; those ``summary`` has or can
    derive."""
    present = {entry.name for entry in REGISTRY.averageable(summary.columns)}
    names = [*([focus] if focus else []), *REGISTRY.names(COMPARED)]
    return [name for name in dict.fromkeys(names) if name in present]


def differences(
    summary: pd.DataFrame, names: Sequence[str], outcomes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Paired differences to the baseline (``names[0]``) in each outcome (default
    :func:`compared_outcomes`): one row per outcome and scenario, ``outcome``, ``scenario``, the
    columns of :func:`sim.stats.paired_differences`, ``negligible`` (the smallest difference
    that matters for the outcome) and ``verdict`` (:func:`sim.stats.verdict`). ``summary`` is
    a comparison's."""
    table = REGISTRY.derived(summary)
    chosen = compared_outcomes(summary) if outcomes is None else list(outcomes)
    parts = []
    for outcome in chosen:
        if outcome not in table:
            continue
        part = paired_differences(table, outcome, names[0], order=names).assign(outcome=outcome)
        size = REGISTRY.by_name[outcome].negligible if outcome in REGISTRY else 0.0
        part["negligible"] = size
        part["verdict"] = [
            verdict(d, low, high, identical=bool(same), negligible=size)
            for d, low, high, same in zip(
                part["difference"], part["ci_low"], part["ci_high"], part["identical"], strict=True
            )
        ]
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    return frame[["outcome", *(c for c in frame.columns if c != "outcome")]]


# --- the results folder of ``csto compare`` ----------------------------------------------------


def comparison_folder(
    out: Path, names: Sequence[str], seed: int, replicates: int, steps: int, draws: int = 1
) -> Path:
    """``out/compare/<a>-vs-<b>-seed<N>-r<R>-t<T>`` (``-d<D>-`` before ``r`` with draws)."""
    run_id = f"{'-vs-'.join(names)}-{new_run_id(seed, replicates, steps, draws=draws)}"
    return results_folder(out, "compare", run_id)


def write_comparison(
    comparison: Comparison,
    folder: Path,
    *,
    command: Sequence[str],
    started: str,
    force: bool = False,
    outcome: str | None = None,
) -> pd.DataFrame:
    """Write a comparison's results folder atomically: ``timeseries.parquet``, ``events.csv``,
    ``summary.csv``, ``differences.csv``, ``drivers.csv`` (the paired differences of what moved
    each member's alignment, :func:`sim.results.drivers.driver_differences`) and, last,
    ``manifest.json`` (with ``outcome``, the outcome the comparison is about, if one was
    chosen); return the differences."""
    table = differences(
        comparison.summary, comparison.names, compared_outcomes(comparison.summary, outcome)
    )
    scenarios = comparison.scenarios

    def manifest(hashes: dict[str, str]) -> dict[str, Any]:
        return provenance.manifest(
            scenario=scenarios[0],
            command=command,
            seed=comparison.master_seed,
            seeds=comparison.seeds,
            steps=comparison.steps,
            times=provenance.Timestamps(started, provenance.now()),
            run_id=folder.name,
            files=hashes,
            extra={
                "kind": "compare",
                "baseline": comparison.baseline,
                **({"outcome": outcome} if outcome else {}),
                "scenarios": [provenance.scenario_record(s) for s in scenarios],
                "draws": comparison.draws,
                "runs": comparison.runs,
                "covers": DRAWS_AND_PARAMETERS if comparison.draws > 1 else DRAWS,
                "posteriors": {
                    s.name: record
                    for s, record in zip(scenarios, comparison.posteriors, strict=False)
                },
                "parameters_by_scenario": {
                    s.name: provenance.parameters_record(s) for s in scenarios
                },
            },
        )

    files = {
        "timeseries.parquet": comparison.timeseries,
        "events.csv": events_for_file(comparison.events),
        "summary.csv": comparison.summary,
        "differences.csv": table,
        DRIVERS_FILE: driver_differences(
            comparison.timeseries, comparison.summary, comparison.names
        ),
    }
    write_folder(folder, files, force=force, manifest=manifest)
    return table


def read_comparison(path: Path, manifest: dict[str, Any]) -> RunFolder:
    """A comparison folder: its tables, which start with ``scenario``, checked."""
    return read_run(path, manifest, kind="compare")
