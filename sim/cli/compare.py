"""``csto compare``: scenarios side by side under common random numbers.

Every user error (an unknown scenario, a results folder that exists) ends the command with one
line on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import typer

from sim.cli.draws import DrawsOption, PosteriorOption, SeedsOption, choose
from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import (
    DEFAULT_OUT,
    REPLICATES,
    ForceOption,
    OutcomeOption,
    OutOption,
    SeedOption,
    StepsOption,
)

#: Parameter sets and seeds a comparison draws from the posterior by default: 500 runs per
#: scenario, paired run by run.
DRAWS: Final = 100
SEEDS_WITH_DRAWS: Final = 5

if TYPE_CHECKING:
    import pandas as pd


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the app."""
    app.command("compare")(compare_command)


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
    replicates: SeedsOption = None,
    draws: DrawsOption = None,
    posterior: PosteriorOption = True,
    steps: StepsOption = None,
    outcome: OutcomeOption = None,
    out: OutOption = DEFAULT_OUT,
    force: ForceOption = False,
) -> None:
    """Run scenarios under common random numbers and report them side by side.

    The first scenario is the baseline: the table and the report show each scenario's
    difference to it in every compared outcome (every member's too), replicate by replicate
    (same seeds), with paired 95% intervals and whether the difference matters. Where the
    baseline has a calibrated posterior, every scenario draws the same DRAWS parameter sets
    from it (default 100, each under 5 seeds), less the values a scenario sets itself, and
    the intervals cover the parameters too (--no-posterior: the scenarios' own values, 100
    seeds).
    """
    from sim import report
    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.compare import comparison_folder, run_comparison, write_comparison
    from sim.results.outcomes import REGISTRY, SUMMARY
    from sim.scenario import load

    if len(scenarios) < 2:
        fail("compare needs at least two scenarios (the first is the baseline)")
    chosen = None
    if outcome is not None:
        summary_names = REGISTRY.names(SUMMARY)
        try:
            chosen = REGISTRY.get(
                outcome, among=REGISTRY.averageable(summary_names), what="outcomes compared"
            ).name
        except ValueError as error:
            fail(f"--outcome: {error}")
    with user_errors():
        resolved = [load(name) for name in scenarios]
        plan = choose(
            resolved,
            posterior=posterior,
            draws=draws,
            replicates=replicates,
            default_draws=DRAWS,
            replicates_with=SEEDS_WITH_DRAWS,
            replicates_without=REPLICATES,
        )
        horizon = steps if steps is not None else resolved[0].horizon
        names = [scenario.name for scenario in resolved]
        folder = comparison_folder(out, names, seed, plan.replicates, horizon, draws=plan.draws)
        output.check_writable(folder, force)
    command = ["csto", "compare", *scenarios, "--seed", str(seed), *plan.command()]
    command += ["--replicates", str(plan.replicates), "--steps", str(horizon)]
    command += ["--out", str(out)]
    if chosen is not None:
        command += ["--outcome", chosen]
    started = provenance.now()
    try:
        comparison = run_comparison(
            resolved,
            seed,
            plan.replicates,
            horizon,
            draws=plan.draws,
            posteriors=plan.posteriors,
        )
    except ValueError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    with user_errors():
        differences = write_comparison(
            comparison, folder, command=command, started=started, force=force, outcome=chosen
        )
        report.write(report.build(folder), folder / "report.html")
    _print_differences(differences, names[0])
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")


def _print_differences(differences: pd.DataFrame, baseline: str) -> None:
    """The table of differences, then the same in sentences."""
    from sim.report.compare import compare_sentences, compare_text_table

    for line in compare_text_table(differences, baseline):
        typer.echo(line)
    for sentence in compare_sentences(differences, baseline):
        typer.echo(sentence)
