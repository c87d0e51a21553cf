"""Test-run reporting: a failing test is named the moment it fails, not only at the end.

``make test`` runs the suite on two processes with a progress dot per test; a failure's
details come at the end (``-ra``), and this line tells at once which test failed and why.
"""

from __future__ import annotations

import pytest

_config: pytest.Config | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.failed or _config is None or hasattr(_config, "workerinput"):
        return  # xdist workers send their reports to the controlling process, which prints
    reporter = _config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    crash = getattr(report.longrepr, "reprcrash", None)
    reason = f": {crash.message.splitlines()[0]}" if crash is not None and crash.message else ""
    phase = "" if report.when == "call" else f" (in {report.when})"
    reporter.write_line(f"\nFAILED {report.nodeid}{phase}{reason}", red=True, bold=True)
