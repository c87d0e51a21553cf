"""``csto run``, ``csto scenarios``, ``csto show`` and ``csto validate``.

Every user error (a bad scenario file, an unknown scenario, a results folder that exists or
cannot be written) ends the command with one line on stderr and exit status 2, before anything
is written; no traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sim.results import folder as output
from sim.results import provenance
from sim.results.replicates import ReplicateSet, member_outcomes, run_replicates
from sim.results.run import write_replicates
from sim.scenario import Scenario, ScenarioError, available, load, month_label, schema, validate
from sim.stats import describe

#: Exit status of every user error (as for a command-line usage error).
USER_ERROR = 2
#: Exit status after Ctrl-C.
INTERRUPTED = 130
#: Largest number of months a run may simulate (as ``horizon_months`` in a scenario).
MAX_STEPS = int(schema.TOP_FIELDS["horizon_months"].high)
MAX_SEED = 2**63 - 1


def register(app: typer.Typer) -> None:
    """Add ``run``, ``scenarios``, ``show`` and ``validate`` to the app."""
    app.command("run")(run_command)
    app.command("scenarios")(scenarios_command)
    app.command("show")(show_command)
    app.command("validate")(validate_command)


# --- errors ----------------------------------------------------------------------------------


def error_line(message: object) -> None:
    """Print an error as one line on stderr."""
    typer.echo(f"csto: error: {' '.join(str(message).split())}", err=True)


def fail(message: str, code: int = USER_ERROR) -> NoReturn:
    """End the command with a one-line message on stderr."""
    error_line(message)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a one-line message and exit status 2."""
    try:
        yield
    except (ScenarioError, output.OutputError) as error:
        fail(str(error))


# --- csto run --------------------------------------------------------------------------------

ScenarioArgument = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario name from scenarios/ (see `csto scenarios`) or a path to a .toml file.",
        show_default=False,
    ),
]


def run_command(
    scenario: ScenarioArgument,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", "-s", min=0, max=MAX_SEED, help="Master seed; replicate seeds derive from it."
        ),
    ] = 1,
    replicates: Annotated[
        int,
        typer.Option("--replicates", "-r", min=1, max=100_000, help="Number of replicates."),
    ] = 30,
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
            "--out", "-o", help="Root of results folders: results go to OUT/<scenario>/<run-id>/."
        ),
    ] = output.DEFAULT_OUT,
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

    The run id is seed<N>-r<R>-t<T>, so a rerun with the same options finds the same folder
    (refused unless --force) and reproduces the same data files byte for byte.
    """
    with user_errors():
        resolved = load(scenario)
        horizon = steps if steps is not None else resolved.horizon
        run_id = output.new_run_id(seed, replicates, horizon)
        folder = output.results_folder(out, resolved.name, run_id)
        output.check_writable(folder, force)
    command = reproduce_command(scenario, seed, replicates, horizon, out, csv, figures)
    started = provenance.now()
    try:
        runs = _run_with_progress(resolved, seed, replicates, horizon, quiet)
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
    scenario: Scenario, seed: int, replicates: int, steps: int, quiet: bool
) -> ReplicateSet:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
    )
    with progress:
        task = progress.add_task(f"{scenario.name}: replicates", total=replicates)
        return run_replicates(
            scenario,
            seed,
            replicates,
            steps,
            progress=lambda done, _total: progress.update(task, completed=done),
        )


def _number(value: float, digits: int = 3) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "—"
    return f"{low:.3f}–{high:.3f}"


def print_summary(runs: ReplicateSet, console: Console) -> None:
    """The summary tables: cohesion and capacity, then each member's alignment and freezes."""
    start, end = runs.start, month_label(runs.start, runs.steps - 1)
    head = (
        f"{runs.scenario.name}: {runs.replicates} replicate(s) x {runs.steps} months "
        f"({start} to {end}), master seed {runs.master_seed}"
    )
    alliance = Table(
        title=Text(head),
        title_justify="left",
        caption="95% CI: interval of the mean over replicates; 95% of runs: the middle 95% "
        "of replicates (2.5th to 97.5th percentile).",
        caption_justify="left",
    )
    alliance.add_column("Alliance")
    alliance.add_column("Mean", justify="right")
    alliance.add_column("95% CI", justify="right")
    alliance.add_column("95% of runs", justify="right")
    rows = (
        (f"Cohesion, start of {start}", "initial_cohesion"),
        (f"Cohesion, end of {end}", "final_cohesion"),
        ("Lowest cohesion on the way", "min_cohesion"),
        (f"Russia's capacity in {end}", "final_capacity"),
    )
    for label, column in rows:
        stats = describe(runs.summary, column).iloc[0]
        alliance.add_row(
            label,
            _number(stats["mean"]),
            _interval(stats["ci_low"], stats["ci_high"]),
            _interval(stats["low"], stats["high"]),
        )
    console.print(alliance)

    members = Table(title=Text(f"Members at the end of {end}"), title_justify="left")
    members.add_column("Member")
    members.add_column("Alignment", justify="right")
    members.add_column("95% CI", justify="right")
    members.add_column("Froze in", justify="right")
    members.add_column("Freeze month: median (first – last)")
    for row in member_outcomes(runs).to_dict("records"):
        share = float(row["froze_share"])
        count = round(share * runs.replicates)
        froze = f"{share:.0%} ({count}/{runs.replicates})"
        when = (
            f"{row['freeze_median']} ({row['freeze_first']} – {row['freeze_last']})"
            if row["freeze_median"]
            else "—"
        )
        members.add_row(
            str(row["member"]),
            _number(float(row["alignment"])),
            _interval(float(row["alignment_ci_low"]), float(row["alignment_ci_high"])),
            froze,
            when,
        )
    console.print(members)


# --- csto scenarios, show, validate ----------------------------------------------------------


def scenarios_command() -> None:
    """List the named scenarios with a one-line description each."""
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("Scenario", no_wrap=True)
    table.add_column("Description")
    for name, path in available().items():
        try:
            description = load(path).title or "(no title)"
        except ScenarioError as error:
            description = f"invalid: {error}"
        table.add_row(name, Text(description))
    Console().print(table)


def show_command(
    scenario: ScenarioArgument,
    prefix: Annotated[
        str,
        typer.Argument(
            help="Show only keys under this dotted prefix, e.g. members.Kazakhstan.",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Print a scenario's resolved parameters with their sources, and its injected events."""
    with user_errors():
        resolved = load(scenario)
    paths = [path for path in resolved.values if _under(path, prefix)]
    if not paths:
        fail(f"{scenario}: no value under '{prefix}' (expected a dotted prefix such as members)")
    console = Console()
    console.print(Text(f"{resolved.name}: {resolved.title}", style="bold"))
    if resolved.narrative:
        console.print(Text(" ".join(resolved.narrative.split())))
    root = resolved.files[0]
    console.print(Text("Files (root first): " + " <- ".join(resolved.files)))
    console.print()
    order = {path: index for index, path in enumerate(schema.all_leaves())}
    for path in sorted(paths, key=lambda p: order.get(p, len(order))):
        value = resolved.values[path]
        line = Text(f"{path} = ", style="bold")
        line.append(_format_value(value.value))
        if value.has_range:
            line.append(f"   (range {value.low:g} – {value.high:g})")
        if value.file and value.file != root:
            line.append(f"   [set in {Path(value.file).name}]", style="italic")
        console.print(line)
        if value.source:
            console.print(Padding(Text(value.source), (0, 0, 0, 4)))
    if resolved.events and not prefix:
        console.print()
        console.print(Text("Scenario-given events", style="bold"))
        for event in resolved.events:
            who = ", ".join(
                part
                for part in (event.member, *event.members, event.power, event.adversary)
                if part
            )
            console.print(Text(f"{event.at}  {event.kind}  {who}  (id {event.id})"))
            if event.note:
                console.print(Padding(Text(event.note), (0, 0, 0, 4)))


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.strip(".")
    return not prefix or path == prefix or path.startswith(prefix + ".")


def _format_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def validate_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...", help="Scenario files (or names) to check.", show_default=False
        ),
    ],
) -> None:
    """Check scenario files (and their parents) without running them."""
    failures = _validate_all(files)
    typer.echo(f"{len(files) - failures} of {len(files)} scenario file(s) valid")
    if failures:
        raise typer.Exit(USER_ERROR)


def _validate_all(files: Sequence[str]) -> int:
    failures = 0
    for file in files:
        try:
            resolved = validate(file)
        except ScenarioError as error:
            failures += 1
            error_line(error)
            continue
        typer.echo(f"ok: {file} ({resolved.name}: {resolved.title or 'no title'})")
    return failures
