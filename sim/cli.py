"""The ``csto`` command line (also ``python -m sim``).

Each group of subcommands lives in its own module under :mod:`sim.commands` and registers itself
on the shared Typer app through ``register(app)``.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="csto",
    help="Simulate the cohesion of the CSTO under varying Russian capacity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules that add subcommands, in the order they appear in ``csto --help``.
COMMAND_MODULES = ("sim.commands.run", "sim.commands.sweep", "sim.commands.report")

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point of the ``csto`` script."""
    app()
