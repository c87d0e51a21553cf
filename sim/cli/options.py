"""Arguments and options that several ``csto`` commands share, and their limits.

Defined without importing the model or the results layer, so that ``csto --help`` (which
builds every command's options) stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from sim.sweep.spec import MAX_SEED as MAX_SEED
from sim.sweep.spec import MAX_STEPS as MAX_STEPS

#: Root of results folders, relative to the working directory (``sim.results.folder`` writes
#: there by default too; a test keeps the two equal).
DEFAULT_OUT: Final = Path("results")
#: Root of sweep folders (as ``sim.sweep.store.DEFAULT_ROOT``; a test keeps the two equal).
DEFAULT_SWEEP_ROOT: Final = DEFAULT_OUT / "sweeps"
#: Default number of replicates of ``compare`` and ``threshold`` (the batch engine is fast).
REPLICATES: Final = 100


def results_root(value: str | Path) -> Path:
    """An ``--out`` folder: an empty name is refused (``Path("")`` is the current folder)."""
    if not str(value).strip():
        raise typer.BadParameter("expected a folder, got an empty name")
    return Path(value)


ScenarioArgument = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario name from scenarios/ (see `csto scenarios`) or a path to a .toml file.",
        show_default=False,
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED, help="Master seed; replicate seeds derive from it."
    ),
]
ReplicatesOption = Annotated[
    int,
    typer.Option(
        "--replicates", "-r", min=1, max=100_000, help="Replicates (the same seeds everywhere)."
    ),
]
StepsOption = Annotated[
    int | None,
    typer.Option(
        "--steps",
        "-t",
        min=1,
        max=MAX_STEPS,
        help="Months to simulate (default: the first scenario's horizon_months).",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out", "-o", help="Root of results folders.", parser=results_root, metavar="PATH"
    ),
]
OutcomeOption = Annotated[
    str | None,
    typer.Option(
        "--outcome",
        help="The outcome to focus on, any of the registry's (any case): e.g. cohesion, "
        "min_cohesion, freeze, alignment_<Member>, freeze_<Member>; a misspelt name gets a "
        "did-you-mean.",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the results folder if it exists.")
]
