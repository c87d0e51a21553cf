"""The ``csto`` command line (also ``python -m sim``).

Each group of subcommands lives in its own module under :mod:`sim.cli` and registers itself
on the shared Typer app through ``register(app)``.
"""

from __future__ import annotations

import importlib
import sys

import typer

# Typer vendors its own copy of Click; its exceptions are the ones raised while parsing.
from typer._click.exceptions import NoArgsIsHelpError, UsageError

app = typer.Typer(
    name="csto",
    help="Simulate the cohesion of the CSTO under varying Russian capacity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules that add subcommands, in the order they appear in ``csto --help``.
COMMAND_MODULES = ("sim.cli.run", "sim.cli.sweep", "sim.cli.report")

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point of the ``csto`` script.

    Command-line mistakes (an unknown option, a value out of range) are reported like every
    other user error: one line on stderr, exit status 2, no traceback.
    """
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        print(error.ctx.get_help() if error.ctx is not None else "csto --help")
        sys.exit(0)
    except UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "csto"
        message = " ".join(error.format_message().split())
        print(f"csto: error: {message} (see '{command} --help')", file=sys.stderr)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        print("csto: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
