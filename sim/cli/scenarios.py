"""``csto scenarios``, ``csto show`` and ``csto validate``: what the scenario library holds.

These commands read scenario files only; they import neither the model nor pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.errors import USER_ERROR, error_line, fail, user_errors
from sim.cli.options import ScenarioArgument
from sim.scenario import ScenarioError, available, load, schema


def register(app: typer.Typer) -> None:
    """Add ``scenarios``, ``show`` and ``validate`` to the app."""
    app.command("scenarios")(scenarios_command)
    app.command("show")(show_command)
    app.command("validate")(validate_command)


def scenarios_command() -> None:
    """List the named scenarios with a one-line description each."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

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
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

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
        spec = schema.leaf(path)
        if path.startswith("variants.") and spec is not None:
            line.append(f"   (structural variant: one of {', '.join(spec.choices)})")
        if value.file and value.file != root:
            line.append(f"   [set in {Path(value.file).name}]", style="italic")
        console.print(line)
        if value.source:
            console.print(Padding(Text(value.source), (0, 0, 0, 4)))
        elif path.startswith("variants.") and spec is not None:
            console.print(Padding(Text(spec.meaning), (0, 0, 0, 4)))
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
            resolved = load(file)
        except ScenarioError as error:
            failures += 1
            error_line(error)
            continue
        typer.echo(f"ok: {file} ({resolved.name}: {resolved.title or 'no title'})")
    return failures
