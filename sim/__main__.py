"""``python -m sim`` is the ``csto`` command line."""

from sim.cli import main

main()
