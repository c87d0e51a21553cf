"""The ``csto`` command line (also ``python -m sim``).

Each command lives in a module of its own under :mod:`sim.cli` (``run``, ``scenarios``,
``sweep``, ``report``, ``compare``, ``threshold``, ``export``, ``calibrate``, ``forecast``,
``sensitivity``, ``dashboard``) and registers itself on the shared Typer app through
``register(app)``; :mod:`sim.cli.errors` turns user errors into one line, and
:mod:`sim.cli.options` holds the options several commands share. A command module imports the
model, pandas or matplotlib only inside its command, when it runs, so ``csto --help`` and the
scenario commands start fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from sim.cli.errors import INTERRUPTED, USER_ERROR

app = typer.Typer(
    name="csto",
    help="Simulate the cohesion of the CSTO under varying Russian capacity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules that add subcommands, in the order they appear in ``csto --help``.
COMMAND_MODULES = (
    "sim.cli.run",
    "sim.cli.scenarios",
    "sim.cli.sweep",
    "sim.cli.report",
    "sim.cli.compare",
    "sim.cli.threshold",
    "sim.cli.export",
    "sim.cli.calibrate",
    "sim.cli.forecast",
    "sim.cli.sensitivity",
    "sim.cli.dashboard",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point of the ``csto`` script.

    Command-line mistakes (an unknown option, a value out of range) are reported like every
    other user error: one line on stderr, exit status 2, no traceback. ``csto`` alone prints
    the help.
    """
    arguments = sys.argv[1:] or ["--help"]
    try:
        code = app(args=arguments, standalone_mode=False)
    except typer.TyperException as error:  # Typer's usage errors (typer >= 0.27.2)
        context = getattr(error, "ctx", None)
        command = getattr(context, "command_path", "csto")
        message = " ".join(error.format_message().split())
        print(f"csto: error: {message} (see '{command} --help')", file=sys.stderr)
        sys.exit(USER_ERROR)
    except (typer.Abort, KeyboardInterrupt):
        print("csto: interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
