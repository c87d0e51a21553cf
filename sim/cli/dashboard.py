"""``csto dashboard``: serve the classroom dashboard (a Solara app) on this machine.

The scenario, host and port are checked before the server starts: a bad scenario file, a port
in use or an address the machine does not have ends the command with one line on stderr and
exit status 2. The page writes nothing but results folders, under ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.errors import fail, user_errors
from sim.cli.options import DEFAULT_OUT, results_root

#: The loopback address: the page is for this machine's browser unless --host says otherwise.
LOCALHOST = "127.0.0.1"
DEFAULT_PORT = 8765


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to the app."""
    app.command("dashboard")(dashboard_command)


def dashboard_command(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="The scenario the page opens with: a name from scenarios/ or a .toml file.",
        ),
    ] = "baseline-2022",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on (default: this machine only; 0.0.0.0 opens it to "
            "the network).",
        ),
    ] = LOCALHOST,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Root of the results folders the page writes.",
            parser=results_root,
            metavar="PATH",
        ),
    ] = DEFAULT_OUT,
) -> None:
    """Serve the dashboard: sliders for a scenario's uncertain values, one replicate stepped
    month by month, bands over many replicates, the tweak against its parent, downloads.

    Open the address it prints in a browser; Ctrl-C stops it.
    """
    from sim.dashboard.server import port_problem, serve
    from sim.scenario import load

    with user_errors():
        load(scenario)
    problem = port_problem(host, port)
    if problem is not None:
        fail(problem)
    if host not in (LOCALHOST, "localhost", "::1"):
        typer.echo(
            f"csto: warning: listening on {host}: other machines may open the page", err=True
        )
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"Dashboard: http://{shown}:{port}/  (Ctrl-C stops it)")
    serve(scenario, host, port, out)
