"""Serving the dashboard: Solara's server on one host and port, offline.

:func:`serve` hands the page its settings through environment variables
(:data:`sim.dashboard.app.SCENARIO_VARIABLE`, :data:`~sim.dashboard.app.OUT_VARIABLE`) and runs
``solara run sim.dashboard.app`` in this process, in production mode (no reloading, no file
watching). The page's scripts and styles come from the ``solara-assets`` package, never from a
CDN, and Solara's usage statistics are switched off: the page works with no network.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Final

#: Solara's settings for a page that needs no network and reports nothing.
OFFLINE: Final = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_TELEMETRY_SERVER_USER_ID": "offline",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_THEME_SHOW_BANNER": "False",
}


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (in use, no such address), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"cannot listen on host {host!r} ({error.strerror})"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is in use (choose another with --port)"
            return f"cannot listen on {host}:{port} ({error.strerror or error})"
    return None


def environment(scenario: str, out: Path) -> dict[str, str]:
    """The environment variables the page reads, and Solara's offline settings."""
    from sim.dashboard.app import OUT_VARIABLE, SCENARIO_VARIABLE

    return {**OFFLINE, SCENARIO_VARIABLE: scenario, OUT_VARIABLE: str(out.resolve())}


def serve(scenario: str, host: str, port: int, out: Path) -> None:
    """Run the dashboard's server until it is stopped (Ctrl-C or a signal)."""
    os.environ.update(environment(scenario, out))
    from solara.__main__ import run

    arguments = [
        "sim.dashboard.app",
        "--host", host,
        "--port", str(port),
        "--production",
        "--no-open",
        "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    run.main(args=arguments, prog_name="csto dashboard", standalone_mode=False)
