"""``csto threshold``: the critical capacity at which an outcome crosses a level.

Every user error (an unknown scenario or outcome, a results folder that exists) ends the command
with one line on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from sim.cli.draws import DrawsOption, PosteriorOption, SeedsOption, choose
from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import (
    DEFAULT_OUT,
    REPLICATES,
    ForceOption,
    OutOption,
    SeedOption,
    StepsOption,
)

#: Parameter sets and seeds the critical capacity draws from the posterior by default: 200 runs
#: at each of about 70 capacities.
DRAWS: Final = 50
SEEDS_WITH_DRAWS: Final = 4


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
    replicates: SeedsOption = None,
    draws: DrawsOption = None,
    posterior: PosteriorOption = True,
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
    interval. Prints it and writes it to a results folder with a report. Where the scenario has
    a calibrated posterior, the runs are DRAWS parameter sets drawn from it (default 50, each
    under 4 seeds; the capacity path's own values are held, not drawn) and the interval covers
    the parameters too (--no-posterior: the scenario's own values, 100 seeds).
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
        plan = choose(
            [resolved],
            posterior=posterior,
            draws=draws,
            replicates=replicates,
            default_draws=DRAWS,
            replicates_with=SEEDS_WITH_DRAWS,
            replicates_without=REPLICATES,
        )
        horizon = steps if steps is not None else resolved.horizon
        folder = threshold_folder(
            out, resolved.name, outcome, level, seed, plan.replicates, horizon, plan.draws
        )
        output.check_writable(folder, force)
    command = ["csto", "threshold", scenario, "--outcome", outcome, "--level", f"{level:g}"]
    command += ["--seed", str(seed), *plan.command(), "--replicates", str(plan.replicates)]
    command += ["--steps", str(horizon)]
    command += ["--low", f"{low:g}", "--high", f"{high:g}", "--grid", str(grid)]
    command += ["--bootstrap", str(bootstrap), "--out", str(out)]
    started = provenance.now()
    seeds = derive_seeds(seed, plan.replicates)
    posterior_used = plan.posteriors[0]
    drawn = None if posterior_used is None else posterior_used.draw(plan.draws, seed)
    try:
        evaluate = capacity_outcome(resolved, seeds, outcome, steps=horizon, drawn=drawn)
        found = critical_capacity(
            evaluate,
            level,
            low=low,
            high=high,
            grid_points=grid,
            bootstrap=bootstrap,
            seed=seed,
            draws=plan.draws,
        )
        context = capacity_context(resolved, seeds, evaluate, steps=horizon, drawn=drawn)
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
            posterior=None if posterior_used is None else posterior_used.record(),
        )
        report.write(report.build(folder), folder / "report.html")
    typer.echo(sentence)
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")
