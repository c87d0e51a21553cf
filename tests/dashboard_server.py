"""A ``csto dashboard`` server for tests, and a browser to drive it.

The server runs in a subprocess on a free loopback port and is stopped by its own process id.
The browser is Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) driven by
Playwright for Python: Playwright's own browser download cannot work on this project's
machines. Both are used by ``tests/test_dashboard_browser.py`` and
``benchmarks/dashboard.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Seconds a server may take to answer (importing Solara, Mesa and matplotlib on a busy machine).
START_TIMEOUT = 120.0


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def dashboard_server(
    workdir: Path,
    out: Path,
    scenario: str = "baseline-2022",
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Start ``csto dashboard`` in ``workdir``, wait until it answers, yield its address, and
    stop it (SIGTERM, then SIGKILL) by its process id."""
    port = free_port()
    command = [sys.executable, "-m", "sim", "dashboard", scenario, "--port", str(port)]
    command += ["--out", str(out)]
    log = workdir / "server.log"
    environment = {**os.environ, **(env or {})}
    with log.open("w") as output:
        server = subprocess.Popen(
            command, cwd=workdir, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the dashboard server stopped: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not answer in {START_TIMEOUT:.0f} s")
            time.sleep(0.25)
        yield url
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
                server.wait(timeout=15)


@contextmanager
def browser_page(width: int = 1500, height: int = 1000) -> Iterator[Any]:
    """A page of a headless Debian chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
