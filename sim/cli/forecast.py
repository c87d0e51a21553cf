"""``csto forecast``: half-yearly probabilities from the calibrated posterior, with a persistence
baseline beside them, written as a table ready for scoring (``docs/forecast.md``).

Every user error (an unknown scenario, no posterior or a stale one, a horizon too short for a
half-year, a results folder that exists) ends the command with one line on stderr and exit
status 2, before anything is written.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.draws import PosteriorOption
from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import (
    DEFAULT_OUT,
    ForceOption,
    OutOption,
    ScenarioArgument,
    SeedOption,
    StepsOption,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from sim.calibrate.posterior import Posterior
    from sim.results.forecast import Forecast
    from sim.scenario import Scenario


def register(app: typer.Typer) -> None:
    """Add ``forecast`` to the app."""
    app.command("forecast")(forecast_command)


def forecast_command(
    scenario: ScenarioArgument,
    draws: Annotated[
        int,
        typer.Option(
            "--draws", "-d", min=1, max=100_000, help="Parameter sets drawn from the posterior."
        ),
    ] = 1000,
    replicates: Annotated[
        int,
        typer.Option("--replicates", "-r", min=1, max=10_000, help="Seeds each draw runs under."),
    ] = 10,
    seed: SeedOption = 1,
    steps: StepsOption = None,
    out: OutOption = DEFAULT_OUT,
    posterior: PosteriorOption = True,
    force: ForceOption = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")
    ] = False,
) -> None:
    """Forecast by half-year: each member's voice and exit, cohesion's band, drills held.

    Runs draws x replicates runs (each draw a parameter set from the calibrated posterior, with
    its own seeds from the master seed) and gives, for every half-year (October-March,
    April-September) through the horizon, the probability that each member takes a voice
    action and that it has exited, cohesion's 5-95% band and the chance a drill is held,
    beside a persistence baseline (the October 2022 state carried forward). Writes
    results/forecasts/<scenario>/seed<N>-d<D>-r<R>/ (forecast.csv, ensemble.parquet,
    manifest.json, report.html).
    """
    from rich.console import Console

    from sim import report
    from sim.calibrate.posterior import PosteriorError, posterior_for
    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.forecast import (
        ForecastError,
        forecast_folder,
        forecast_table,
        periods_for,
        write_forecast,
    )
    from sim.scenario import load

    with user_errors():
        resolved = load(scenario)
        horizon = steps if steps is not None else resolved.horizon
        try:
            periods_for(resolved.start, horizon)
        except ForecastError as error:
            fail(str(error))
        drawn_from = None
        if posterior:
            drawn_from = posterior_for(resolved)
            if drawn_from is None:
                raise PosteriorError(
                    f"{resolved.name}: no calibrated posterior in its chain of scenario files "
                    f"(run `csto calibrate {resolved.name}`, or pass --no-posterior)"
                )
        folder = forecast_folder(
            out,
            resolved.name,
            seed,
            draws,
            replicates,
            steps=horizon if horizon != resolved.horizon else None,
            posterior=posterior,
        )
        output.check_writable(folder, force)
    command = ["csto", "forecast", scenario, "--draws", str(draws)]
    command += ["--replicates", str(replicates), "--seed", str(seed), "--steps", str(horizon)]
    command += ["--out", str(out)] + ([] if posterior else ["--no-posterior"])
    started = provenance.now()
    console = Console(stderr=True, quiet=quiet)
    try:
        forecast = _run_with_progress(resolved, drawn_from, draws, replicates, seed, horizon, quiet)
        with user_errors():
            write_forecast(forecast, folder, command=command, started=started, force=force)
            report.write(report.build(folder), folder / "report.html")
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    except OSError as error:
        fail(f"{folder}: cannot write results ({error.strerror or error}); nothing was written")
    if drawn_from is not None:
        kept = f"; {len(forecast.kept)} kept as the scenario sets them" if forecast.kept else ""
        console.print(
            f"{resolved.name}: {draws} draws from the posterior of {drawn_from.scenario} "
            f"({len(forecast.drawn)} values and variants drawn{kept}) x {replicates} seeds"
        )
        if not forecast.drawn:
            typer.echo(
                f"csto: warning: {resolved.name} sets every value its posterior calibrated, so "
                "nothing was drawn from it: the probabilities cover chance only",
                err=True,
            )
    if not quiet:
        print_table(forecast_table(forecast), Console())
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")
    sys.stdout.flush()


def _run_with_progress(
    scenario: Scenario,
    posterior: Posterior | None,
    draws: int,
    replicates: int,
    seed: int,
    steps: int,
    quiet: bool,
) -> Forecast:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.results.forecast import run_forecast

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )
    with progress:
        task = progress.add_task(f"{scenario.name}: runs", total=draws * replicates)
        return run_forecast(
            scenario,
            posterior,
            draws=draws,
            replicates=replicates,
            seed=seed,
            steps=steps,
            progress=lambda done, _total: progress.update(task, completed=done),
        )


def print_table(table: pd.DataFrame, console: Console) -> None:
    """The probabilities by half-year (model, then persistence in the last column)."""
    from rich.table import Table

    from sim.report.posterior_figures import period_labels

    shown = table[table["statistic"].isin(("probability", "q50"))]
    periods = sorted(set(zip(shown["period_start"], shown["period_end"], strict=True)))
    grid = Table(
        title=f"{table['scenario'].iloc[0]}: forecast by half-year, made with what was known "
        f"at the end of {table['issued'].iloc[0]}",
        title_justify="left",
        caption="voice: at least one voice action in the half-year; exit: exited by its end; "
        "cohesion: median at its end; drill: at least one held. Persistence: the state at the "
        "end of the first half-year's first month carried forward.",
        caption_justify="left",
    )
    grid.add_column("quantity", no_wrap=True)
    for label in period_labels(periods):
        grid.add_column(label, justify="right")
    grid.add_column("persis-\ntence", justify="right")
    words = {"voice": "voice", "exit": "exit", "cohesion": "cohesion", "drills_held": "drill"}
    for (quantity, subject), rows in shown.groupby(["quantity", "subject"], sort=False):
        carried = sorted(set(rows["persistence"].round(2)))
        grid.add_row(
            words[str(quantity)] + ("" if subject == "alliance" else f" {subject}"),
            *(f"{value:.2f}" for value in rows["model"]),
            f"{carried[0]:.2f}" if len(carried) == 1 else "varies",
        )
    console.print(grid)
