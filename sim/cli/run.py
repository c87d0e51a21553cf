"""``csto run``: replicates of a scenario, a summary on the terminal and a results folder.

Every user error (a bad scenario file, an unknown scenario, a results folder that exists or
cannot be written) ends the command with one line on stderr and exit status 2, before anything
is written; no traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.draws import DrawsOption, PosteriorOption, SeedsOption, choose
from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import DEFAULT_OUT, MAX_SEED, MAX_STEPS, ScenarioArgument, results_root

if TYPE_CHECKING:
    from rich.console import Console

    from sim.calibrate.posterior import Posterior
    from sim.results.replicates import ReplicateSet
    from sim.scenario import Scenario


def register(app: typer.Typer) -> None:
    """Add ``run`` to the app."""
    app.command("run")(run_command)


def run_command(
    scenario: ScenarioArgument,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", "-s", min=0, max=MAX_SEED, help="Master seed; replicate seeds derive from it."
        ),
    ] = 1,
    replicates: SeedsOption = None,
    draws: DrawsOption = None,
    posterior: PosteriorOption = True,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            "-t",
            min=1,
            max=MAX_STEPS,
            help="Months to simulate (default: the scenario's horizon_months).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Root of results folders: results go to OUT/<scenario>/<run-id>/.",
            parser=results_root,
            metavar="PATH",
        ),
    ] = DEFAULT_OUT,
    csv: Annotated[
        bool, typer.Option("--csv", help="Also write timeseries.csv beside the parquet file.")
    ] = False,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Draw figures/*.png.")
    ] = True,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the results folder if it exists.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary table.")
    ] = False,
) -> None:
    """Run replicates of a scenario; print a summary and the results folder.

    Where the scenario (or the scenario it extends) has a calibrated posterior, every run draws
    its uncertain values from it: DRAWS parameter sets (default 100), each under the same
    REPLICATES seeds (default 10; 30 without the posterior), so the summary tells the spread
    the seeds make from the spread the parameters make (--no-posterior: the scenario's own
    values). The run id is seed<N>-r<R>-t<T>
    (seed<N>-d<D>-r<R>-t<T> with draws), so a rerun with the same options finds the same folder
    (refused unless --force) and reproduces the same data files byte for byte.
    """
    from rich.console import Console

    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.run import write_replicates
    from sim.scenario import load

    with user_errors():
        resolved = load(scenario)
        chosen = choose(
            [resolved],
            posterior=posterior,
            draws=draws,
            replicates=replicates,
            default_draws=100,
            replicates_with=10,
            replicates_without=30,
        )
        count, seeds, drawn_from = chosen.draws, chosen.replicates, chosen.posteriors[0]
        horizon = steps if steps is not None else resolved.horizon
        run_id = output.new_run_id(seed, seeds, horizon, draws=count)
        folder = output.results_folder(out, resolved.name, run_id)
        output.check_writable(folder, force)
    command = reproduce_command(scenario, seed, seeds, horizon, out, csv, figures)
    command[5:5] = chosen.command()
    started = provenance.now()
    try:
        runs = _run_with_progress(resolved, seed, seeds, horizon, quiet, count, drawn_from)
        with user_errors():
            write_replicates(
                runs,
                folder,
                command=command,
                started=started,
                csv=csv,
                figures=figures,
                force=force,
            )
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    except OSError as error:  # disk full, permissions changed mid-run: nothing was left behind
        fail(f"{folder}: cannot write results ({error.strerror or error}); nothing was written")
    if not quiet:
        print_summary(runs, Console())
    typer.echo(f"Results: {folder}")


def reproduce_command(
    scenario: str, seed: int, replicates: int, steps: int, out: Path, csv: bool, figures: bool
) -> list[str]:
    """The ``csto run`` command line that reproduces a results folder."""
    command = ["csto", "run", scenario, "--seed", str(seed), "--replicates", str(replicates)]
    command += ["--steps", str(steps), "--out", str(out)]
    if csv:
        command.append("--csv")
    if not figures:
        command.append("--no-figures")
    return command


def _run_with_progress(
    scenario: Scenario,
    seed: int,
    replicates: int,
    steps: int,
    quiet: bool,
    draws: int = 1,
    posterior: Posterior | None = None,
) -> ReplicateSet:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.results.replicates import run_replicates

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
    )
    with progress:
        task = progress.add_task(f"{scenario.name}: runs", total=draws * replicates)
        return run_replicates(
            scenario,
            seed,
            replicates,
            steps,
            progress=lambda done, _total: progress.update(task, completed=done),
            draws=draws,
            posterior=posterior,
        )


def _number(value: float, digits: int = 3) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "—"
    return f"{low:.3f}–{high:.3f}"


def print_summary(runs: ReplicateSet, console: Console) -> None:
    """The summary tables: cohesion and capacity, then each member's alignment and exits, with
    what the spread covers (the seeds alone, or the seeds and the posterior's parameters, told
    apart)."""
    from rich.table import Table
    from rich.text import Text

    from sim.results.replicates import member_outcomes
    from sim.scenario import month_label
    from sim.stats import describe, split_uncertainty

    start, end = runs.start, month_label(runs.start, runs.steps - 1)
    split = runs.draws > 1
    if split:
        head = (
            f"{runs.scenario.name}: {runs.draws} parameter sets from the posterior x "
            f"{runs.replicates} seeds = {runs.runs} runs x {runs.steps} months "
            f"({start} to {end}), master seed {runs.master_seed}"
        )
        caption = (
            "95% of runs: the middle 95% of runs, covering the random draws and the "
            "calibrated parameters. ± seeds: the spread (sd) the random draws make at fixed "
            "parameters; ± params: the spread the posterior's parameter sets make. Exited: "
            "froze its participation; median exit: the median month among the runs where it "
            "did (each run's in summary.csv)."
        )
    else:
        head = (
            f"{runs.scenario.name}: {runs.replicates} replicate(s) x {runs.steps} months "
            f"({start} to {end}), master seed {runs.master_seed}"
        )
        caption = (
            "95% CI: interval of the mean over replicates; 95% of runs: the middle 95% of "
            "replicates. Both cover the random draws only, at the scenario's own values"
            + (" (no posterior drawn)" if runs.posterior is None else "")
            + ". Exited: froze its participation; median exit: the median month among the "
            "replicates where it did (each replicate's in summary.csv)."
        )
    alliance = Table(
        title=Text(head), title_justify="left", caption=caption, caption_justify="left"
    )
    alliance.add_column("Alliance")
    alliance.add_column("Mean", justify="right")
    if split:
        alliance.add_column("95% of runs", justify="right")
        alliance.add_column("± seeds", justify="right")
        alliance.add_column("± params", justify="right")
    else:
        alliance.add_column("95% CI", justify="right")
        alliance.add_column("95% of runs", justify="right")
    rows = (
        (f"Cohesion, start of {start}", "initial_cohesion"),
        (f"Cohesion, end of {end}", "final_cohesion"),
        ("Lowest cohesion on the way", "min_cohesion"),
        (f"Russia's capacity in {end}", "final_capacity"),
    )
    for label, column in rows:
        if split:
            parts = split_uncertainty(runs.summary[column], runs.draws, runs.replicates)
            alliance.add_row(
                label,
                _number(parts.mean),
                _interval(parts.low, parts.high),
                f"±{parts.seeds:.3f}",
                f"±{parts.parameters:.3f}",
            )
            continue
        stats = describe(runs.summary, column).iloc[0]
        alliance.add_row(
            label,
            _number(stats["mean"]),
            _interval(stats["ci_low"], stats["ci_high"]),
            _interval(stats["low"], stats["high"]),
        )
    console.print(alliance)

    members = Table(title=Text(f"Members at the end of {end}"), title_justify="left")
    members.add_column("Member", no_wrap=True)
    members.add_column("Alignment", justify="right")
    if split:
        members.add_column("95% of\nruns", justify="right", no_wrap=True)
        members.add_column("± seeds", justify="right")
        members.add_column("± params", justify="right")
    else:
        members.add_column("95% CI", justify="right")
    members.add_column("Exited", justify="right")
    members.add_column("Median\nexit", no_wrap=True)
    for row in member_outcomes(runs).to_dict("records"):
        share = float(row["froze_share"])
        count = round(share * runs.runs)
        froze = f"{share:.0%}" if split else f"{share:.0%} ({count}/{runs.runs})"
        when = str(row["freeze_median"]) if row["freeze_median"] else "—"
        name = str(row["member"])
        if split:
            parts = split_uncertainty(
                runs.summary[f"final_alignment_{name}"], runs.draws, runs.replicates
            )
            members.add_row(
                name,
                _number(parts.mean),
                _interval(parts.low, parts.high),
                f"±{parts.seeds:.3f}",
                f"±{parts.parameters:.3f}",
                froze,
                when,
            )
            continue
        members.add_row(
            name,
            _number(float(row["alignment"])),
            _interval(float(row["alignment_ci_low"]), float(row["alignment_ci_high"])),
            froze,
            when,
        )
    console.print(members)
