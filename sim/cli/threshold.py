"""``csto threshold``: the critical capacity at which an outcome crosses a level.

Every user error (an unknown scenario or outcome, a results folder that exists) ends the command
with one line on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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
    pass


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
            help="Any outcome whose mean over replicates means something, any case: cohesion "
            "(final), min_cohesion, freeze (share of runs in which a member froze), "
            "alignment_<Member>, freeze_<Member>, drills_cancelled, ...",
        ),
    ] = "cohesion",
    level: Annotated[
        float,
        typer.Option(
            "--level", help="Level the replicate mean crosses (within the outcome's range)."
        ),
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
    from sim import report
    from sim.model.draws import derive_seeds
    from sim.report.threshold import threshold_sentence
    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.threshold import (
        capacity_context,
        capacity_outcome,
        check_level,
        critical_capacity,
        outcome_column,
        threshold_folder,
        write_threshold,
    )
    from sim.scenario import load

    try:
        column = outcome_column(outcome)
    except ValueError as error:
        fail(f"--outcome: {error}")
    try:
        check_level(column, level)
    except ValueError as error:
        fail(f"--level: {error}")
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
        evaluate = capacity_outcome(resolved, seeds, outcome, steps=horizon)
        found = critical_capacity(
            evaluate,
            level,
            low=low,
            high=high,
            grid_points=grid,
            bootstrap=bootstrap,
            seed=seed,
        )
        context = capacity_context(resolved, seeds, evaluate, steps=horizon)
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    sentence = threshold_sentence(found, column, resolved.name, context=context, steps=horizon)
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
            context=context,
        )
        report.write(report.build(folder), folder / "report.html")
    typer.echo(sentence)
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")
