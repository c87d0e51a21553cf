"""``csto export``: any results folder's tables for a spreadsheet (CSV or Excel), and its
figures as SVG.

Every user error (not a results folder, an unknown format, an export folder that exists) ends
the command with one line on stderr and exit status 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.errors import fail, user_errors
from sim.cli.options import ForceOption


def register(app: typer.Typer) -> None:
    """Add ``export`` to the app."""
    app.command("export")(export_command)


def export_command(
    results_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_DIR",
            help="A results folder written by csto run, sweep, compare or threshold.",
            show_default=False,
        ),
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="csv (one file per table) or xlsx (one workbook, a sheet per table).",
        ),
    ] = "csv",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write (default: RESULTS_DIR/export-FORMAT).",
            show_default=False,
        ),
    ] = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Also write the figures as SVG.")
    ] = True,
    force: ForceOption = False,
) -> None:
    """Write a results folder's tables for a spreadsheet, and its figures as SVG.

    Tables: a run's or comparison's summary, events and time series (and a comparison's
    differences), a threshold's curve and evaluations, a sweep's design and runs, and the
    manifest's settings.
    """
    from sim.results.export import FORMATS, ExportError, export
    from sim.results.folder import OutputError

    chosen = format.lower()
    if chosen not in FORMATS:
        fail(f"--format: unknown format '{format}' (expected one of {', '.join(FORMATS)})")
    with user_errors():
        try:
            written = export(results_dir, chosen, out=out, figures=figures, force=force)
        except (ExportError, OutputError) as error:
            fail(str(error))
    typer.echo(f"Exported: {written}")
