"""``csto report``, ``csto compare`` and ``csto threshold``.

Every user error (not a results folder, an unknown scenario or outcome, a folder that exists)
ends the command with one line on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from sim.cli.run import INTERRUPTED, MAX_SEED, MAX_STEPS, fail
from sim.report.compare import compare_sentences
from sim.report.threshold import threshold_sentence
from sim.results import folder as output
from sim.results import provenance
from sim.results.folder import FolderError
from sim.scenario import ScenarioError, load

#: Default number of replicates of ``compare`` and ``threshold`` (the batch engine is fast).
REPLICATES = 100


def register(app: typer.Typer) -> None:
    """Add ``report``, ``compare`` and ``threshold`` to the app."""
    app.command("report")(report_command)
    app.command("compare")(compare_command)
    app.command("threshold")(threshold_command)


@contextmanager
def user_errors() -> Iterator[None]:
    """One line on stderr and exit status 2 for every error a user can cause."""
    from sim.report import ReportError

    try:
        yield
    except (ScenarioError, output.OutputError, FolderError, ReportError) as error:
        fail(str(error))


SeedOption = Annotated[
    int,
    typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED, help="Master seed; replicate seeds derive from it."
    ),
]
ReplicatesOption = Annotated[
    int,
    typer.Option(
        "--replicates", "-r", min=1, max=100_000, help="Replicates (the same seeds everywhere)."
    ),
]
StepsOption = Annotated[
    int | None,
    typer.Option(
        "--steps",
        "-t",
        min=1,
        max=MAX_STEPS,
        help="Months to simulate (default: the first scenario's horizon_months).",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path,
    typer.Option("--out", "-o", help="Root of results folders."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the results folder if it exists.")
]


# --- csto report -----------------------------------------------------------------------------


def report_command(
    results_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_DIR",
            help="A results folder written by csto run, sweep, compare or threshold.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file to write (default: RESULTS_DIR/report.html).",
            show_default=False,
        ),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF beside the HTML.")] = False,
) -> None:
    """Build one self-contained HTML report from a results folder.

    Works on the folders of csto run, sweep, compare and threshold; never reruns the model.
    """
    from sim import report

    with user_errors():
        target = out if out is not None else results_dir / "report.html"
        if target.suffix.lower() not in (".html", ".htm"):
            raise report.ReportError(f"{target}: expected an .html file name for --out")
        built = report.build(results_dir)
        written = report.write(built, target, pdf=pdf)
    for warning in built.warnings:
        typer.echo(f"csto: warning: {warning}", err=True)
    for path in written:
        typer.echo(f"Report: {path}")


# --- csto compare ----------------------------------------------------------------------------


def compare_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO...",
            help="Two or more scenarios (names or .toml paths); the first is the baseline.",
            show_default=False,
        ),
    ],
    seed: SeedOption = 1,
    replicates: ReplicatesOption = REPLICATES,
    steps: StepsOption = None,
    out: OutOption = output.DEFAULT_OUT,
    force: ForceOption = False,
) -> None:
    """Run scenarios under common random numbers and report them side by side.

    The first scenario is the baseline: the report shows each scenario's difference to it,
    replicate by replicate (same seeds), with paired 95% intervals.
    """
    from sim import report
    from sim.results.compare import comparison_folder, run_comparison, write_comparison

    if len(scenarios) < 2:
        fail("compare needs at least two scenarios (the first is the baseline)")
    with user_errors():
        resolved = [load(name) for name in scenarios]
        horizon = steps if steps is not None else resolved[0].horizon
        names = [scenario.name for scenario in resolved]
        folder = comparison_folder(out, names, seed, replicates, horizon)
        output.check_writable(folder, force)
    command = ["csto", "compare", *scenarios, "--seed", str(seed)]
    command += ["--replicates", str(replicates), "--steps", str(horizon), "--out", str(out)]
    started = provenance.now()
    try:
        comparison = run_comparison(resolved, seed, replicates, horizon)
    except ValueError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    with user_errors():
        differences = write_comparison(
            comparison, folder, command=command, started=started, force=force
        )
        report.write(report.build(folder), folder / "report.html")
    _print_differences(differences, names[0])
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")


def _print_differences(differences: pd.DataFrame, baseline: str) -> None:
    for outcome, rows in differences.groupby("outcome", sort=False):
        for sentence in compare_sentences(rows, baseline, str(outcome)):
            typer.echo(sentence)


# --- csto threshold --------------------------------------------------------------------------


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
    out: OutOption = output.DEFAULT_OUT,
    force: ForceOption = False,
) -> None:
    """Find the critical capacity at which an outcome crosses a level.

    The critical capacity is the constant Russian capacity at which the replicate-mean outcome
    crosses the level: bracketed on a grid, found by Brent's method, with a bootstrap 95%
    interval. Prints it and writes it to a results folder with a report.
    """
    from sim import report
    from sim.model.draws import derive_seeds
    from sim.results.threshold import (
        capacity_outcome,
        critical_capacity,
        outcome_column,
        threshold_folder,
        write_threshold,
    )

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
        folder = threshold_folder(out, resolved.name, outcome, level, seed, replicates, horizon)
        output.check_writable(folder, force)
    command = ["csto", "threshold", scenario, "--outcome", outcome, "--level", f"{level:g}"]
    command += ["--seed", str(seed), "--replicates", str(replicates), "--steps", str(horizon)]
    command += ["--low", f"{low:g}", "--high", f"{high:g}", "--grid", str(grid)]
    command += ["--bootstrap", str(bootstrap), "--out", str(out)]
    started = provenance.now()
    seeds = derive_seeds(seed, replicates)
    try:
        found = critical_capacity(
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
    sentence = threshold_sentence(found, column, resolved.name)
    with user_errors():
        write_threshold(
            found,
            folder,
            scenario=resolved,
            seed=seed,
            seeds=seeds,
            steps=horizon,
            outcome=outcome,
            grid=grid,
            sentence=sentence,
            command=command,
            started=started,
            force=force,
        )
        report.write(report.build(folder), folder / "report.html")
    typer.echo(sentence)
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")
