"""``csto sensitivity``: Sobol indices of the headline outcomes over the calibrated posterior —
which conclusions are robust and which rest on one uncertain number (``docs/sensitivity.md``).

A command of its own rather than a flag of ``csto forecast``: it asks a different question (what
the final outcomes rest on, not what happens half-year by half-year), runs a design of its own
(tens of thousands of points, not posterior draws) with options of its own (``--samples``,
``--workers``), and writes a folder of its own.

Every user error (an unknown scenario, no posterior or a stale one, a base sample that is not a
power of two, a results folder that exists) ends the command with one line on stderr and exit
status 2, before anything is written.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

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
    from rich.console import Console

    from sim.calibrate.posterior import Posterior
    from sim.results.sensitivity import Sensitivity
    from sim.scenario import Scenario


def register(app: typer.Typer) -> None:
    """Add ``sensitivity`` to the app."""
    app.command("sensitivity")(sensitivity_command)


def sensitivity_command(
    scenario: ScenarioArgument,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=2,
            max=1 << 16,
            help="Base sample of Saltelli's design, a power of two; the design has "
            "samples x (inputs + 2) points. More: narrower intervals, longer runs.",
        ),
    ] = 256,
    replicates: Annotated[
        int,
        typer.Option(
            "--replicates", "-r", min=1, max=1000, help="Seeds every design point runs under."
        ),
    ] = 8,
    seed: SeedOption = 1,
    steps: StepsOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            max=256,
            help="Worker processes (default: every core). The result does not depend on it.",
            show_default=False,
        ),
    ] = None,
    out: OutOption = DEFAULT_OUT,
    force: ForceOption = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")
    ] = False,
) -> None:
    """Sobol indices of cohesion, each member's final alignment and each member's exit over
    every calibrated value.

    Saltelli's design over the posterior's marginals (independent inputs, each with its
    posterior spread), each point run under the same seeds; first-order and total indices with
    bootstrap 95% intervals, and beside them the first-order indices on draws from the joint
    posterior, which keeps its correlations. Writes
    results/sensitivity/<scenario>/seed<N>-n<N>-r<R>/ (indices.csv, outcomes.csv,
    correlations.csv, points.parquet, manifest.json, report.html).
    """
    from rich.console import Console

    from sim import report
    from sim.calibrate.posterior import PosteriorError, posterior_for
    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.sensitivity import (
        SensitivityError,
        check_samples,
        sensitivity_folder,
        write_sensitivity,
    )
    from sim.scenario import load

    try:
        check_samples(samples)
    except SensitivityError as error:
        fail(str(error))
    count = workers if workers is not None else max(1, os.cpu_count() or 1)
    with user_errors():
        resolved = load(scenario)
        horizon = steps if steps is not None else resolved.horizon
        posterior = posterior_for(resolved)
        if posterior is None:
            raise PosteriorError(
                f"{resolved.name}: no calibrated posterior in its chain of scenario files "
                f"(run `csto calibrate {resolved.name}` first)"
            )
        folder = sensitivity_folder(
            out,
            resolved.name,
            seed,
            samples,
            replicates,
            steps=horizon if horizon != resolved.horizon else None,
        )
        output.check_writable(folder, force)
    command = ["csto", "sensitivity", scenario, "--samples", str(samples)]
    command += ["--replicates", str(replicates), "--seed", str(seed), "--steps", str(horizon)]
    command += ["--out", str(out)]
    started = provenance.now()
    try:
        with user_errors():
            result = _run_with_progress(
                resolved, posterior, samples, replicates, seed, horizon, count, quiet
            )
            write_sensitivity(
                result, folder, command=command, started=started, workers=count, force=force
            )
            report.write(report.build(folder), folder / "report.html")
    except KeyboardInterrupt:
        fail("interrupted; no results folder was written", INTERRUPTED)
    except OSError as error:
        fail(f"{folder}: cannot write results ({error.strerror or error}); nothing was written")
    if not quiet:
        print_table(result, Console())
    typer.echo(f"Results: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")


def _run_with_progress(
    scenario: Scenario,
    posterior: Posterior,
    samples: int,
    replicates: int,
    seed: int,
    steps: int,
    workers: int,
    quiet: bool,
) -> Sensitivity:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.results.sensitivity import run_sensitivity

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )
    with progress:
        task = progress.add_task(f"{scenario.name}: design points", total=None)
        return run_sensitivity(
            scenario,
            posterior,
            samples=samples,
            replicates=replicates,
            seed=seed,
            steps=steps,
            workers=workers,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )


def print_table(result: Sensitivity, console: Console) -> None:
    """Each headline outcome: its spread, what share of it the calibrated values explain, the
    value it rests on most and the verdict; the verdicts in words below."""
    from rich.table import Table

    from sim.report.sensitivity import short_outcome
    from sim.results.sensitivity import VERDICTS

    table = Table(
        title=f"{result.scenario.name}: what each headline outcome rests on "
        f"({result.design.points:,} design points x {result.replicates} seeds, "
        f"{len(result.design.names)} calibrated values)",
        title_justify="left",
        caption="sd: over single runs under the posterior; values: the share of that spread due "
        "to the calibrated values (the rest is chance); ST: the largest total Sobol index "
        "± its 95% half-width.",
        caption_justify="left",
    )
    table.add_column("outcome", no_wrap=True)
    table.add_column("sd", justify="right")
    table.add_column("values", justify="right")
    table.add_column("rests most on", overflow="fold")
    table.add_column("ST", justify="right", no_wrap=True)
    table.add_column("verdict")
    for row in result.outcomes.to_dict("records"):
        share = float(row["parameter_share"])
        table.add_row(
            short_outcome(str(row["outcome"])),
            f"{float(row['joint_sd']):.3f}",
            "–" if share != share else f"{share:.0%}",
            str(row["top_parameter"]) or "–",
            f"{row['top_ST']:.2f}±{row['top_ST_conf']:.2f}" if row["top_parameter"] else "–",
            VERDICTS[str(row["verdict"])],
        )
    console.print(table)
