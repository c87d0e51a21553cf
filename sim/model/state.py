"""The state of a batch of runs: every number that changes during a run, as numpy arrays.

Every array has a leading runs axis: Russia's and the alliance's values have shape ``(runs,)``,
members' values ``(runs, members)``, outside powers' engagement ``(runs, powers, members)`` and
clash memory ``(runs, pairs)``. The batch engine (:mod:`sim.engine`) holds a state of many runs;
the Mesa model (:mod:`sim.mesa.model`) holds a state of one run and its agents read and write
their own slot of it. Both advance it with the one month of :mod:`sim.model.step`.

What does not change during a run (ties to outside powers' interest, hazards, mechanism
parameters) lives in :class:`sim.scenario.inputs.Inputs`; the random numbers in :class:`Draws`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.model import draws, rules
from sim.scenario import schema
from sim.scenario.inputs import Inputs

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MEMBERS: Final = schema.MEMBERS
N_MEMBERS: Final = len(schema.MEMBERS)
N_PAIRS: Final = len(schema.PAIRS)

#: What the time series records each step: Russia's and the alliance's values (one per run) ...
ALLIANCE_SERIES: Final = ("capacity", "threat_posture", "cohesion", "action_record", "strain")
#: ... and each member's (one per run and member).
MEMBER_SERIES: Final = (
    "alignment",
    "preferred_alignment",
    "trust",
    "dependence",
    "energy_transit",
    "security_ties",
    "economic_ties",
    "outside_options",
    "fear",
    "grievance",
    "frozen",
)


@dataclass
class State:
    """Everything that changes during a batch of runs, at the end of the last month simulated."""

    # Russia
    capacity: FloatArray
    """Russia's capacity for the region this month (share of pre-war)."""
    threat_posture: FloatArray
    committed: FloatArray
    """Capacity already committed this month (answered appeals, coercion)."""
    # the alliance
    strain: FloatArray
    action_record: FloatArray
    cohesion: FloatArray
    initial_cohesion: FloatArray
    min_cohesion: FloatArray
    last_clash: FloatArray
    """Month of each pair's last clash, ``-inf`` if none: shape (runs, pairs)."""
    drills_held: IntArray
    drills_cancelled: IntArray
    # members: shape (runs, members)
    alignment: FloatArray
    preferred_alignment: FloatArray
    trust: FloatArray
    energy_transit: FloatArray
    security_ties: FloatArray
    economic_ties: FloatArray
    outside_options: FloatArray
    fear: FloatArray
    grievance: FloatArray
    exposure: FloatArray
    """Exposure to Russian revisionism: fixed by the census share, computed once."""
    months_below: FloatArray
    frozen: BoolArray
    freeze_step: IntArray
    """Step at which each member froze its participation, -1 if it has not."""
    # outside powers
    engagement: FloatArray
    """Each power's engagement with each member: shape (runs, powers, members)."""

    @property
    def runs(self) -> int:
        return int(self.capacity.shape[0])

    @property
    def dependence(self) -> FloatArray:
        """Each member's dependence on Russia (mean of its energy, security and economic ties)."""
        result: FloatArray = rules.dependence(
            self.energy_transit, self.security_ties, self.economic_ties
        )
        return result

    def series_value(self, name: str) -> FloatArray:
        """The value a time-series column records (see :data:`ALLIANCE_SERIES`)."""
        value: FloatArray = getattr(self, name)
        return value

    def copy(self) -> State:
        """An independent copy (arrays copied)."""
        return State(**{item.name: getattr(self, item.name).copy() for item in fields(self)})


def initial_state(inputs: Inputs) -> State:
    """The state before the first month: the scenario's starting values for every run.

    Outside powers start engaged as far as Russia's weakness already invites
    (``interest * (1 - capacity)``); nobody has frozen; the record of collective action is full.
    """
    member = inputs.member
    mechanism = inputs.mechanism
    capacity = inputs.capacity[:, 0].copy()
    runs = int(capacity.shape[0])
    shape = (runs, N_MEMBERS)
    state = State(
        capacity=capacity,
        threat_posture=inputs.russia["threat_posture"].copy(),
        committed=np.zeros(runs),
        strain=np.zeros(runs),
        action_record=np.ones(runs),
        cohesion=np.zeros(runs),
        initial_cohesion=np.zeros(runs),
        min_cohesion=np.zeros(runs),
        last_clash=np.full((runs, N_PAIRS), -np.inf),
        drills_held=np.zeros(runs, dtype=np.int64),
        drills_cancelled=np.zeros(runs, dtype=np.int64),
        alignment=member["alignment"].copy(),
        preferred_alignment=np.full(shape, np.nan),
        trust=member["trust"].copy(),
        energy_transit=member["energy_transit"].copy(),
        security_ties=member["security_ties"].copy(),
        economic_ties=member["economic_ties"].copy(),
        outside_options=member["outside_options"].copy(),
        fear=np.full(shape, np.nan),
        grievance=np.zeros(shape),
        exposure=rules.exposure(
            member["russian_share"], mechanism["exposure_reference_share"][:, np.newaxis]
        ),
        months_below=np.zeros(shape),
        frozen=np.zeros(shape, dtype=bool),
        freeze_step=np.full(shape, -1, dtype=np.int64),
        engagement=inputs.interest * (1.0 - capacity)[:, np.newaxis, np.newaxis],
    )
    state.cohesion = rules.cohesion(
        state.alignment,
        state.frozen,
        state.action_record,
        state.strain,
        mechanism["action_weight"],
    )
    state.initial_cohesion = state.cohesion.copy()
    state.min_cohesion = state.cohesion.copy()
    return state


@dataclass(frozen=True)
class Draws:
    """The random numbers of a batch of runs, drawn up front from each run's seed."""

    crisis: FloatArray
    """Shape (runs, months, members): a crisis arrives when the draw is under its hazard."""
    clash: FloatArray
    """Shape (runs, months, pairs)."""
    coercion: FloatArray
    """Shape (runs, months, members): Russia coerces a drifting member under its propensity."""


def draw(seeds: npt.NDArray[np.uint64], months: int) -> Draws:
    """All draws of ``months`` months for runs with these seeds (see :mod:`sim.model.draws`)."""
    keys = draws.run_keys(seeds)
    return Draws(
        crisis=draws.uniforms(keys, draws.CRISIS, months, N_MEMBERS),
        clash=draws.uniforms(keys, draws.CLASH, months, N_PAIRS),
        coercion=draws.uniforms(keys, draws.COERCION, months, N_MEMBERS),
    )


class Recorder:
    """The time series of a batch: every :data:`ALLIANCE_SERIES` and :data:`MEMBER_SERIES`
    value at every step (step 0 is the starting state)."""

    def __init__(self, runs: int, steps: int) -> None:
        self.series: dict[str, FloatArray] = {
            name: np.zeros((runs, steps + 1)) for name in ALLIANCE_SERIES
        }
        self.series.update({name: np.zeros((runs, steps + 1, N_MEMBERS)) for name in MEMBER_SERIES})

    def record(self, state: State, step: int) -> None:
        for name, values in self.series.items():
            values[:, step] = state.series_value(name)
