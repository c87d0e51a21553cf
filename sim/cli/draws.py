"""The posterior's draws, as ``csto run``, ``compare`` and ``threshold`` choose them.

Where a scenario (or the scenario it extends) has a calibrated posterior, a command draws its
parameter sets from it by default, each under the same seeds; ``--no-posterior`` runs the
scenario's own values. Defined without importing the model, so that ``csto --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.errors import fail

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior
    from sim.scenario import Scenario

DrawsOption = Annotated[
    int | None,
    typer.Option(
        "--draws",
        "-d",
        min=1,
        max=100_000,
        help="Parameter sets drawn from the scenario's calibrated posterior (default: as the "
        "command says, if it has one; 1 is the scenario's own values).",
        show_default=False,
    ),
]
SeedsOption = Annotated[
    int | None,
    typer.Option(
        "--replicates",
        "-r",
        min=1,
        max=100_000,
        help="Seeds each parameter set runs under, the same everywhere (default: as the "
        "command says, fewer with posterior draws than without).",
        show_default=False,
    ),
]
PosteriorOption = Annotated[
    bool,
    typer.Option(
        "--posterior/--no-posterior",
        help="Draw parameter sets from the calibrated posterior where the scenario has one.",
    ),
]


@dataclass(frozen=True)
class Chosen:
    """What a command runs: ``draws`` parameter sets (1: the scenarios' own values), each under
    ``replicates`` seeds, from each scenario's posterior (None where it runs its own values)."""

    draws: int
    replicates: int
    posteriors: tuple[Posterior | None, ...]

    def command(self) -> list[str]:
        """The options that reproduce the choice on a command line (whether or not a
        posterior appears later)."""
        return ["--draws", str(self.draws)] if self.draws > 1 else ["--no-posterior"]


def choose(
    scenarios: list[Scenario],
    *,
    posterior: bool,
    draws: int | None,
    replicates: int | None,
    default_draws: int,
    replicates_with: int,
    replicates_without: int,
) -> Chosen:
    """The draws and seeds a command runs (call inside :func:`sim.cli.errors.user_errors`: a
    stale or corrupt posterior is a user error). The first scenario decides: without a
    posterior of its own or inherited (or with ``--no-posterior``), every scenario runs its own
    values; ``--draws`` above 1 then is a one-line error."""
    from sim.calibrate.posterior import posterior_for

    found = [posterior_for(scenario) if posterior else None for scenario in scenarios]
    if found[0] is None and draws is not None and draws > 1:
        why = (
            "--no-posterior asks for the scenario's own values"
            if not posterior
            else "the scenario has none (run csto calibrate)"
        )
        fail(f"{scenarios[0].name}: --draws {draws} needs a calibrated posterior, and {why}")
    count = (draws if draws is not None else default_draws) if found[0] is not None else 1
    if count == 1:
        found = [None] * len(scenarios)
    seeds = (
        replicates
        if replicates is not None
        else (replicates_with if count > 1 else replicates_without)
    )
    return Chosen(count, seeds, tuple(found))
