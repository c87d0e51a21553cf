"""``csto sweep``: run a parameter sweep, locally or on a Dask cluster, resumably.

Every user error (a bad sweep file or ``--param``, an unknown scenario, a results folder that
holds another sweep) ends the command with one line on stderr and exit status 2, before anything
is written; no traceback. Ctrl-C (or SIGTERM) stops the sweep with exit status 130, keeping the
finished chunks: the same command resumes it.
"""

from __future__ import annotations

import math
import shlex
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.errors import BACKEND_ERROR, INTERRUPTED, fail, user_errors
from sim.cli.options import DEFAULT_SWEEP_ROOT as DEFAULT_ROOT
from sim.scenario import ScenarioError
from sim.sweep.spec import (
    DESIGNS,
    MAX_REPLICATES,
    MAX_SEED,
    MAX_STEPS,
    SweepError,
    SweepSpec,
    from_options,
    is_sweep_file,
    load_sweep,
    named_sweeps,
    with_options,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import ProgressColumn

    from sim.calibrate.posterior import Posterior
    from sim.sweep.cluster import ClusterSettings
    from sim.sweep.execute import SweepSummary


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to the app."""
    app.command("sweep")(sweep_command)


SweepArgument = Annotated[
    str,
    typer.Argument(
        metavar="SWEEP",
        help="A sweep file (a name from sweeps/ or a path to a .toml file), or a scenario "
        "name or path with the parameters given by --param.",
        show_default=False,
    ),
]


def sweep_command(
    sweep: SweepArgument,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="PATH=LOW:HIGH:N",
            help="Vary a numeric scenario value (dotted path) from LOW to HIGH (N levels for a "
            "grid); repeatable. Replaces the sweep file's entry for the same path.",
            show_default=False,
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            "--design",
            "-d",
            help=f"Design: {', '.join(DESIGNS)} (default: the file's, else grid).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            "-n",
            help="lhs: points; sobol: base sample N (a power of 2); morris: trajectories.",
            show_default=False,
        ),
    ] = None,
    replicates: Annotated[
        int | None,
        typer.Option(
            "--replicates",
            "-r",
            help="Replicates per design point (default: the file's, else 1).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            "-s",
            help="Master seed (default: the file's, else 1).",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            "-t",
            help="Months to simulate (default: the scenario's horizon).",
            show_default=False,
        ),
    ] = None,
    posterior: Annotated[
        bool | None,
        typer.Option(
            "--posterior/--no-posterior",
            help="Draw the values the sweep does not vary from the scenario's calibrated "
            "posterior, one parameter set per replicate (default: the file's choice, else yes "
            "where the scenario has one); --no-posterior runs the scenario's own values.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            help="Local worker processes (default: one per core, or none (this process) "
            "for a sweep of up to about 20,000 runs).",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Send the chunks to a running Dask scheduler (tcp://HOST:PORT).",
            show_default=False,
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="SYSTEM",
            help="Run the chunks on worker jobs of a batch system: slurm (or local, dask-"
            "jobqueue's local job queue, for trying a configuration). See docs/cluster.md.",
            show_default=False,
        ),
    ] = None,
    cluster_config: Annotated[
        Path | None,
        typer.Option(
            "--cluster-config",
            metavar="FILE",
            help="A TOML file whose [cluster] table sets the options below and more "
            "(lifetime, prologue, directives, ...); implies --cluster slurm unless it says "
            "otherwise. Options given here override the file.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", help="Cluster: most worker jobs at once (default 4).", show_default=False
        ),
    ] = None,
    cores: Annotated[
        int | None,
        typer.Option("--cores", help="Cluster: cores per job (default 1).", show_default=False),
    ] = None,
    memory: Annotated[
        str | None,
        typer.Option("--memory", help="Cluster: memory per job (default 2GB).", show_default=False),
    ] = None,
    walltime: Annotated[
        str | None,
        typer.Option(
            "--walltime",
            metavar="HH:MM:SS",
            help="Cluster: time limit of each job (default 01:00:00); workers leave before it.",
            show_default=False,
        ),
    ] = None,
    queue: Annotated[
        str | None,
        typer.Option("--queue", help="Cluster: partition to submit to.", show_default=False),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Cluster: account to charge.", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Results folder (default: {DEFAULT_ROOT}/<sweep name>).",
            show_default=False,
        ),
    ] = None,
    timeseries: Annotated[
        bool,
        typer.Option("--timeseries", help="Also keep every run's full time series."),
    ] = False,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            help="Runs per chunk (default: up to 2000, 250 with --timeseries).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary table.")
    ] = False,
) -> None:
    """Run a parameter sweep: design points x replicates, streamed to Parquet shards.

    Rerun the same command after an interruption to resume: finished chunks are skipped.
    """
    from rich.console import Console

    from sim.sweep.execute import BackendError, SweepInterrupted

    with user_errors():
        if out is not None and out == Path():  # "" and "." alike: the shards would litter here
            raise SweepError("--out", "", "expected a folder for the sweep, not the current one")
        for flag, value, low, high in (
            ("--samples", samples, 1, None),
            ("--replicates", replicates, 1, MAX_REPLICATES),
            ("--seed", seed, 0, MAX_SEED),
            ("--steps", steps, 1, MAX_STEPS),
            ("--workers", workers, 1, 4096),
            ("--chunk-size", chunk_size, 1, 1_000_000),
        ):
            check_option(flag, value, low, high)
        spec = resolve(
            sweep,
            param or [],
            design=design,
            samples=samples,
            replicates=replicates,
            seed=seed,
            steps=steps,
            posterior=posterior,
        )
        drawn_from = spec.draws_from  # a stale or corrupt posterior: one line, nothing written
        settings = cluster_settings(
            cluster,
            cluster_config,
            workers=workers,
            scheduler=scheduler,
            jobs=jobs,
            cores=cores,
            memory=memory,
            walltime=walltime,
            queue=queue,
            account=account,
        )
    if workers is not None and settings is None:
        warn_about_workers(workers)
    folder = out if out is not None else DEFAULT_ROOT / spec.name
    command = reproduce_command(
        sweep,
        param or [],
        design,
        samples,
        replicates,
        seed,
        steps,
        out,
        timeseries,
        chunk_size,
        posterior,
    )
    console = Console(stderr=True)
    if not quiet:
        console.print(
            f"[bold]{spec.name}[/]: {spec.points():,} design points x {spec.replicates} "
            f"replicates = {spec.runs():,} runs ({spec.design.method}), results in {folder}"
        )
        console.print(parameters_line(spec.replicates, drawn_from), highlight=False)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        summary = _run_with_progress(
            spec,
            folder,
            workers,
            scheduler,
            timeseries,
            chunk_size,
            command,
            quiet,
            console,
            settings,
        )
    except ScenarioError as error:
        fail(str(error))
    except BackendError as error:
        fail(str(error), BACKEND_ERROR)
    except SweepInterrupted as error:
        fail(str(error), INTERRUPTED)
    except KeyboardInterrupt:  # before the sweep's folder was opened, or after it was saved
        fail(
            f"interrupted; rerun the same command to resume or finish the sweep in {folder}",
            INTERRUPTED,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not quiet:
        print_summary(spec, summary, Console())
    typer.echo(f"Results: {summary.folder}")


def check_option(flag: str, value: int | None, low: int, high: int | None) -> None:
    """A numeric option in its range, else a one-line SweepError."""
    if value is None:
        return
    if value < low or (high is not None and value > high):
        expected = (
            f"a whole number >= {low}" if high is None else f"a whole number in [{low}, {high}]"
        )
        raise SweepError(flag, "", f"expected {expected}, got {value}")


def cluster_settings(
    cluster: str | None,
    config: Path | None,
    *,
    workers: int | None,
    scheduler: str | None,
    **options: int | str | None,
) -> ClusterSettings | None:
    """The cluster settings the options ask for (None: no cluster); a SweepError for options
    that do not go together."""
    given = [f"--{key}" for key, value in options.items() if value is not None]
    if cluster is None and config is None:
        if given:
            raise SweepError(given[0], "", "only with --cluster or --cluster-config")
        return None
    for flag, value in (("--scheduler", scheduler), ("--workers", workers)):
        if value is not None:
            raise SweepError(
                flag, "", "not with --cluster (the cluster's jobs are set by --jobs and --cores)"
            )
    from sim.sweep.cluster import settings

    return settings(cluster, config, **options)


def warn_about_workers(workers: int) -> None:
    """A warning on stderr if ``--workers`` asks for more processes than there are cores."""
    from sim.sweep.execute import available_cores

    cores = available_cores()
    if workers > cores:
        typer.echo(
            f"csto: warning: --workers {workers} is more than the {cores} cores this process "
            "may use; the extra workers only share them (the sweep will not run faster)",
            err=True,
        )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def resolve(
    sweep: str,
    params: list[str],
    *,
    design: str | None,
    samples: int | None,
    replicates: int | None,
    seed: int | None,
    steps: int | None,
    posterior: bool | None = None,
) -> SweepSpec:
    """The sweep the command line describes: a sweep file with options applied, or a scenario
    with ``--param`` options (``posterior``: ``--posterior``/``--no-posterior``, None if not
    given)."""
    if is_sweep_file(sweep):
        return with_options(
            load_sweep(sweep),
            params,
            design=design,
            samples=samples,
            replicates=replicates,
            seed=seed,
            steps=steps,
            posterior=posterior,
        )
    if not params and not _exists(sweep):
        from sim.scenario import available

        names = ", ".join([*named_sweeps(), *available()])
        raise ScenarioError(
            sweep,
            "",
            f"no such sweep (expected a sweep or scenario name from {names}, or a path to a "
            ".toml file)",
        )
    return from_options(
        sweep,
        params,
        design=design,
        samples=samples,
        replicates=replicates,
        seed=seed,
        steps=steps,
        posterior=posterior is not False,
    )


def parameters_line(replicates: int, posterior: Posterior | None) -> str:
    """What the runs' values not swept are: drawn from a posterior, or the scenario's own."""
    if posterior is None:
        return "Values not swept: the scenario's own (replicates differ in their seeds only)"
    return (
        f"Values not swept: drawn from the calibrated posterior of {posterior.scenario}, "
        f"replicate r with parameter set r of {replicates:,} at every point"
    )


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:  # a name too long for a file
        return False


def reproduce_command(
    sweep: str,
    params: list[str],
    design: str | None,
    samples: int | None,
    replicates: int | None,
    seed: int | None,
    steps: int | None,
    out: Path | None,
    timeseries: bool,
    chunk_size: int | None,
    posterior: bool | None = None,
) -> str:
    """The ``csto sweep`` command line as given (options in a fixed order)."""
    words = ["csto", "sweep", sweep]
    for text in params:
        words += ["--param", text]
    for flag, value in (
        ("--design", design),
        ("--samples", samples),
        ("--replicates", replicates),
        ("--seed", seed),
        ("--steps", steps),
        ("--out", out),
        ("--chunk-size", chunk_size),
    ):
        if value is not None:
            words += [flag, str(value)]
    if timeseries:
        words.append("--timeseries")
    if posterior is not None:
        words.append("--posterior" if posterior else "--no-posterior")
    return shlex.join(words)


def rate_column() -> ProgressColumn:
    """A progress column of runs per second (rich is imported when a sweep starts)."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Runs per second."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} runs/s" if speed else "", style="progress.data.speed")

    return RateColumn()


def _run_with_progress(
    spec: SweepSpec,
    folder: Path,
    workers: int | None,
    scheduler: str | None,
    timeseries: bool,
    chunk_size: int | None,
    command: str,
    quiet: bool,
    console: Console,
    cluster: ClusterSettings | None = None,
) -> SweepSummary:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from sim.sweep.execute import run_sweep

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        rate_column(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("runs", total=spec.runs())
        started: list[int] = []

        def update(done: int, total: int) -> None:
            if not started:  # resumed runs count as done, not as speed
                started.append(done)
                progress.reset(task, total=total, completed=done)
            else:
                progress.update(task, completed=done)

        return run_sweep(
            spec,
            folder,
            workers=workers,
            scheduler=scheduler,
            cluster=cluster,
            timeseries=timeseries,
            chunk_size=chunk_size,
            command=command,
            progress=update,
        )


def _number(value: float, digits: int = 3) -> str:
    return "—" if math.isnan(value) or math.isinf(value) else f"{value:.{digits}f}"


def print_summary(spec: SweepSpec, summary: SweepSummary, console: Console) -> None:
    """The end-of-sweep tables: runs, failures and speed; then the outcomes' spread."""
    from rich.table import Table

    runs = Table(title=f"Sweep {spec.name} ({spec.scenario.name})", title_justify="left")
    runs.add_column("")
    runs.add_column("", justify="right")
    ok = summary.present - summary.failed
    runs.add_row("design", f"{spec.design.method}, {spec.points():,} points")
    runs.add_row("runs", f"{summary.runs:,} ({spec.replicates} replicates, seed {spec.seed})")
    drawn = summary.manifest.get("posterior")
    runs.add_row(
        "values not swept",
        "the scenario's own"
        if not isinstance(drawn, dict)
        else f"drawn from the posterior of {drawn.get('scenario')}, one set per replicate",
    )
    runs.add_row("succeeded", f"{ok:,}")
    runs.add_row("failed", f"{summary.failed:,}")
    if summary.present < summary.runs:
        runs.add_row("missing", f"{summary.runs - summary.present:,}")
    runs.add_row(
        "chunks",
        f"{summary.chunks_run} run now, {summary.chunks - summary.chunks_run} already on disk",
    )
    runs.add_row("ran on", summary.backend)
    if summary.chunks_run:
        rate = "—" if math.isnan(summary.rate) else f"{summary.rate:,.0f}"
        runs.add_row("time", f"{summary.seconds:.1f} s ({rate} runs/s)")
    console.print(runs)
    if summary.failed:
        common = max(summary.errors.items(), key=lambda item: item[1])
        console.print(
            f"[yellow]{summary.failed:,} run(s) failed[/]; most common error "
            f"({common[1]:,}x): {common[0]}"
        )
    if summary.outcomes:
        table = Table(title="Outcomes over successful runs", title_justify="left")
        for name in ("outcome", "mean", "sd", "min", "max"):
            table.add_column(name, justify="left" if name == "outcome" else "right")
        for name, stats in summary.outcomes.items():
            digits = 2 if name == "drills_cancelled" else 3
            table.add_row(
                name,
                _number(stats.mean, digits),
                _number(stats.sd, digits),
                _number(stats.low, digits),
                _number(stats.high, digits),
            )
        console.print(table)
    if ok and "first_freeze_step" in spec.outcomes:
        share = summary.froze / ok
        line = f"Runs in which a member froze its participation: {summary.froze:,} ({share:.1%})"
        if summary.first_freezers:
            ranked = sorted(summary.first_freezers.items(), key=lambda item: -item[1])
            line += "; first to freeze: " + ", ".join(f"{m} {n:,}" for m, n in ranked[:3])
        console.print(line)
