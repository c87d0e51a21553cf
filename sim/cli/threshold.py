"""``csto threshold``: the critical capacity at which an outcome crosses a level.

Every user error (an unknown scenario or outcome, a results folder that exists) ends the command
with one line on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import (
    DEFAULT_OUT,
    REPLICATES,
    ForceOption,
    OutOption,
    ReplicatesOption,
    SeedOption,
    StepsOption,
)

if TYPE_CHECKING:
    import pandas as pd

    from sim.report import analysis
    from sim.scenario import Scenario


def register(app: typer.Typer) -> None:
    """Add ``threshold`` to the app."""
    app.command("threshold")(threshold_command)


def threshold_command(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="A scenario name or a path to a .toml file.",
            show_default=False,
        ),
    ],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="cohesion (final), min_cohesion, freeze (share of runs in which a member "
            "froze), alignment_<Member> or freeze_<Member>.",
        ),
    ] = "cohesion",
    level: Annotated[
        float, typer.Option("--level", help="Level the replicate mean crosses.")
    ] = 0.5,
    seed: SeedOption = 1,
    replicates: ReplicatesOption = REPLICATES,
    steps: StepsOption = None,
    low: Annotated[float, typer.Option("--low", min=0.0, max=1.0, help="Lowest capacity.")] = 0.0,
    high: Annotated[
        float, typer.Option("--high", min=0.0, max=1.0, help="Highest capacity.")
    ] = 1.0,
    grid: Annotated[
        int, typer.Option("--grid", min=3, max=1001, help="Capacities in the bracketing grid.")
    ] = 21,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=100, max=100_000, help="Bootstrap resamples.")
    ] = 1000,
    out: OutOption = DEFAULT_OUT,
    force: ForceOption = False,
) -> None:
    """Find the critical capacity at which an outcome crosses a level.

    The critical capacity is the constant Russian capacity at which the replicate-mean outcome
    crosses the level: bracketed on a grid, found by Brent's method, with a bootstrap 95%
    interval. Prints it and writes it to a results folder with a report.
    """
    import pandas as pd

    from sim import report
    from sim.cli.compare import file_hashes
    from sim.model.draws import derive_seeds
    from sim.report import analysis
    from sim.results import folder as output
    from sim.results.threshold import capacity_outcome, outcome_column
    from sim.scenario import load

    try:
        column = outcome_column(outcome)
    except ValueError as error:
        fail(f"--outcome: {error}")
    if not math.isfinite(level):
        fail(f"--level: expected a finite number, got {level}")
    if low >= high:
        fail(f"--low {low:g} must be below --high {high:g}")
    with user_errors():
        resolved = load(scenario)
        horizon = steps if steps is not None else resolved.horizon
        tag = f"threshold-{outcome}-{level:g}"
        run_id = output.new_run_id(seed, replicates, horizon, tag=tag)
        folder = output.results_folder(out, resolved.name, run_id)
        output.check_writable(folder, force)
    command = ["csto", "threshold", scenario, "--outcome", outcome, "--level", f"{level:g}"]
    command += ["--seed", str(seed), "--replicates", str(replicates), "--steps", str(horizon)]
    command += ["--low", f"{low:g}", "--high", f"{high:g}", "--grid", str(grid)]
    command += ["--bootstrap", str(bootstrap), "--out", str(out)]
    started = output.now()
    seeds = derive_seeds(seed, replicates)
    try:
        found = analysis.critical_capacity(
            capacity_outcome(resolved, seeds, outcome, steps=horizon),
            level,
            low=low,
            high=high,
            grid_points=grid,
            bootstrap=bootstrap,
            seed=seed,
        )
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    sentence = analysis.threshold_sentence(found, column, resolved.name)
    with user_errors():
        with output.atomic_folder(folder, force) as work:
            output.write_parquet(threshold_table(found, seeds), work / "curve.parquet")
            output.write_csv(
                pd.DataFrame(found.evaluations, columns=["capacity", "mean"]),
                work / "evaluations.csv",
            )
            record = output.manifest(
                scenario=resolved,
                command=command,
                seed=seed,
                seeds=seeds,
                steps=horizon,
                times=output.Timestamps(started, output.now()),
                run_id=folder.name,
                files=file_hashes(work),
                extra=threshold_manifest(found, resolved, outcome, column, grid, sentence),
            )
            output.write_json(record, work / "manifest.json")
        report.write(report.build(folder), folder / "report.html")
    typer.echo(sentence)
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")


def threshold_table(found: analysis.Threshold, seeds: list[int]) -> pd.DataFrame:
    """Every replicate's outcome at every capacity of the grid: the data behind the curve."""
    import numpy as np
    import pandas as pd

    count = len(found.grid)
    return pd.DataFrame(
        {
            "capacity": np.repeat(found.grid, found.replicates),
            "replicate": np.tile(np.arange(found.replicates, dtype=np.int64), count),
            "seed": np.tile(np.asarray(seeds, dtype=np.uint64), count),
            "value": found.values.reshape(-1),
        }
    )


def threshold_manifest(
    found: analysis.Threshold,
    scenario: Scenario,
    outcome: str,
    column: str,
    grid: int,
    sentence: str,
) -> dict[str, Any]:
    """The manifest fields of a threshold folder."""

    def number(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else float(value)

    return {
        "kind": "threshold",
        "outcome": outcome,
        "outcome_column": column,
        "level": found.level,
        "capacity_path": "constant: shape=constant, initial=c, drain/shock/recovery 0, "
        "floor 0, ceiling 1 (sim.results.threshold.constant_capacity_overrides)",
        "threshold": {
            "critical": number(found.critical),
            "ci_low": number(found.ci_low),
            "ci_high": number(found.ci_high),
            "interpolated": number(found.interpolated),
            "bracket": list(found.bracket) if found.bracket else None,
            "crossings": found.crossings,
            "low": found.low,
            "high": found.high,
            "grid_points": grid,
            "bootstrap": found.bootstrap,
            "bootstrap_missing": found.bootstrap_missing,
            "method": "bracket on an even grid, scipy.optimize.brentq on the replicate mean; "
            "percentile bootstrap over replicates on a refined grid",
            "sentence": sentence,
            "scenario": scenario.name,
        },
    }
