"""``csto report``: one self-contained HTML report (and optionally a PDF) from a results folder.

Every user error (not a results folder, a report file name that is not .html) ends the command
with one line on stderr and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.errors import user_errors


def register(app: typer.Typer) -> None:
    """Add ``report`` to the app."""
    app.command("report")(report_command)


def report_command(
    results_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_DIR",
            help="A results folder written by csto run, sweep, compare, threshold, forecast or "
            "sensitivity.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file to write (default: RESULTS_DIR/report.html).",
            show_default=False,
        ),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF beside the HTML.")] = False,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="For a comparison or a sweep: the outcome to focus on, any of the registry's "
            "(any case), e.g. alignment_Kazakhstan or freeze_Armenia.",
            show_default=False,
        ),
    ] = None,
    replicate: Annotated[
        int | None,
        typer.Option(
            "--replicate",
            min=0,
            help="For a run: the replicate whose story to tell (default: the most typical).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build one self-contained HTML report from a results folder.

    Works on the folders of csto run, sweep, compare, threshold, forecast and sensitivity;
    never reruns the model.
    """
    from sim import report

    with user_errors():
        target = out if out is not None else results_dir / "report.html"
        if target.suffix.lower() not in (".html", ".htm"):
            raise report.ReportError(f"{target}: expected an .html file name for --out")
        built = report.build(results_dir, outcome=outcome, replicate=replicate)
        written = report.write(built, target, pdf=pdf)
    for warning in built.warnings:
        typer.echo(f"csto: warning: {warning}", err=True)
    for path in written:
        typer.echo(f"Report: {path}")
