"""Helpers for tests of the ``csto`` command line (run in-process with Typer's CliRunner)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

runner = CliRunner()


def invoke(*arguments: str | Path) -> Result:
    """Run ``csto ARGUMENTS...`` in-process."""
    return runner.invoke(app, [str(argument) for argument in arguments])


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """A user error: exit status 2, one line on stderr naming what went wrong, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("csto: error: "), message
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def files_under(folder: Path) -> list[Path]:
    """Every file and folder under ``folder`` (empty if it does not exist)."""
    return sorted(folder.rglob("*")) if folder.exists() else []
