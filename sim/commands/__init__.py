"""Subcommands of the ``csto`` command line, one module per group."""
