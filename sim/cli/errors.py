"""One-line errors for every ``csto`` command: what a user can cause never ends in a traceback.

Every user error (a bad scenario or sweep file, an unknown scenario or outcome, a results folder
that exists or cannot be written) ends the command with one line on stderr and exit status 2,
before anything is written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from sim.scenario import ScenarioError

#: Exit status of every user error (as for a command-line usage error).
USER_ERROR = 2
#: Exit status when a sweep's backend cannot be used or a worker dies.
BACKEND_ERROR = 1
#: Exit status after Ctrl-C (or SIGTERM during a sweep).
INTERRUPTED = 130


def error_line(message: object) -> None:
    """Print an error as one line on stderr."""
    typer.echo(f"csto: error: {' '.join(str(message).split())}", err=True)


def fail(message: str, code: int = USER_ERROR) -> NoReturn:
    """End the command with a one-line message on stderr."""
    error_line(message)
    raise typer.Exit(code)


def user_error_types() -> tuple[type[Exception], ...]:
    """The exceptions that mean bad input, not a bug.

    The results and report layers are imported by the commands that use them, when they run
    (``csto --help`` stays fast); an exception of a module that is not loaded cannot have been
    raised, so only loaded modules are asked for theirs.
    """
    kinds: list[type[Exception]] = [ScenarioError]  # SweepError included
    if "sim.results.folder" in sys.modules:
        from sim.results.folder import OutputError

        kinds.append(OutputError)
    if "sim.results.reader" in sys.modules:
        from sim.results.folder import FolderError

        kinds.append(FolderError)
    if "sim.report" in sys.modules:
        from sim.report import ReportError

        kinds.append(ReportError)
    if "sim.calibrate.targets" in sys.modules:
        from sim.calibrate.targets import TargetsError

        kinds.append(TargetsError)
    if "sim.calibrate.posterior" in sys.modules:
        from sim.calibrate.posterior import PosteriorError

        kinds.append(PosteriorError)
    if "sim.calibrate.run" in sys.modules:
        from sim.calibrate.run import CalibrationError

        kinds.append(CalibrationError)
    return tuple(kinds)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a one-line message and exit status 2."""
    try:
        yield
    except Exception as error:
        if isinstance(error, user_error_types()):
            fail(str(error))
        raise
