"""The state of a batch of runs: every number that changes during a run, as numpy arrays.

Every array has a leading runs axis: Russia's and the alliance's values have shape ``(runs,)``,
members' values ``(runs, members)``, outside powers' engagement ``(runs, powers, members)``,
pairs' values ``(runs, pairs)``. The batch engine (:mod:`sim.engine`) holds a state of many
runs; the Mesa model (:mod:`sim.mesa.model`) holds a state of one run and its agents read and
write their own slot of it. Both advance it with the one month of :mod:`sim.model.step`.

What does not change during a run (outside powers' interests, hazards, mechanism parameters)
lives in :class:`sim.scenario.inputs.Inputs`; the random numbers in :class:`Draws`.
"""

from __future__ import annotations

from collections.abc import Collection
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

#: What moved a member's alignment in a month, in the order of :attr:`State.drivers`: each
#: motive's share of the move toward the preferred alignment (:data:`sim.model.rules.MOTIVES`),
#: the neutral drift toward hedging, the pull of peers (and the bounds of the scale), and
#: Russia's coercion. They add up to the month's change in alignment.
DRIVERS: Final = (*rules.MOTIVES, "neutral", "peers", "coercion")
#: The columns of the time series that hold them.
DRIVER_SERIES: Final = tuple(f"driver_{name}" for name in DRIVERS)
#: What cohesion is made of (alignment, collective action, strain's loss): they add up to it.
COHESION_PARTS: Final = ("cohesion_alignment", "cohesion_action", "cohesion_strain")

#: What the time series records each step: Russia's and the alliance's values (one per run) ...
ALLIANCE_SERIES: Final = (
    "capacity",
    "threat_posture",
    "cohesion",
    "action_record",
    "strain",
    *COHESION_PARTS,
    "drills_held",
    "drills_cancelled",
)
#: ... and each member's (one per run and member).
MEMBER_SERIES: Final = (
    "alignment",
    "preferred_alignment",
    "net_value",
    "trust",
    "dependence",
    "energy_transit",
    "security_ties",
    "economic_ties",
    "outside_options",
    "outside_protection",
    "threat",
    "grievance",
    "unanswered_voice",
    "voice_acts",
    "appeals_ignored",
    "frozen",
    *DRIVER_SERIES,
)


@dataclass
class State:
    """Everything that changes during a batch of runs, at the end of the last month simulated."""

    # Russia
    capacity: FloatArray
    """Russia's capacity for the region this month (share of pre-war)."""
    threat_posture: FloatArray
    committed: FloatArray
    """Capacity already committed this month (answered appeals and voice, coercion, drills)."""
    # the alliance
    strain: FloatArray
    action_record: FloatArray
    cohesion: FloatArray
    initial_cohesion: FloatArray
    min_cohesion: FloatArray
    last_clash: FloatArray
    """Month of each pair's last clash, ``-inf`` if none: shape (runs, pairs)."""
    affinity: FloatArray
    """Each pair's affinity this month, in [-1, 1]: shape (runs, pairs)."""
    min_cohesion_step: IntArray
    """Step at which cohesion was lowest so far (the first such step; 0 is the start)."""
    drills_held: IntArray
    drills_cancelled: IntArray
    appeals_answered: IntArray
    """Appeals Russia answered in the run so far (every member's)."""
    coercions: IntArray
    """Coercions in the run so far."""
    clashes: IntArray
    """Clashes between members in the run so far."""
    action_weight: FloatArray
    """The weight of collective action in cohesion (the scenario's, fixed during a run)."""
    # members: shape (runs, members)
    alignment: FloatArray
    preferred_alignment: FloatArray
    net_value: FloatArray
    """Value of staying less value of leaving, this month (the sum of the motive terms)."""
    trust: FloatArray
    energy_transit: FloatArray
    security_ties: FloatArray
    economic_ties: FloatArray
    outside_options: FloatArray
    outside_protection: FloatArray
    """Security backing outside powers offer the member (their security engagement, combined)."""
    threat: FloatArray
    """The threat Russia poses to the member (Walt: power, proximity, intentions)."""
    grievance: FloatArray
    unanswered_voice: FloatArray
    """Voice acts since Russia last answered the member."""
    voice_acts: IntArray
    """Voice acts in the run so far."""
    appeals_ignored: IntArray
    """The member's appeals Russia left unanswered in the run so far."""
    frozen: BoolArray
    freeze_step: IntArray
    """Step at which each member froze its participation (exit), -1 if it has not."""
    motives: FloatArray
    """This month's signed motive terms: shape (runs, members, motives)."""
    drivers: FloatArray
    """What moved alignment this month (:data:`DRIVERS`): shape (runs, members, drivers)."""
    # outside powers: shape (runs, powers, members)
    security_engagement: FloatArray
    economic_engagement: FloatArray

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

    @property
    def cohesion_alignment(self) -> FloatArray:
        """Cohesion's part from active members' alignment (before strain)."""
        return self._cohesion_parts()[0]

    @property
    def cohesion_action(self) -> FloatArray:
        """Cohesion's part from the record of collective action (before strain)."""
        return self._cohesion_parts()[1]

    @property
    def cohesion_strain(self) -> FloatArray:
        """What strain takes off cohesion (zero or negative)."""
        return self._cohesion_parts()[2]

    def _cohesion_parts(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        weight = self.action_weight
        aligned: FloatArray = (1.0 - weight) * np.where(self.frozen, 0.0, self.alignment).mean(
            axis=-1
        )
        acted: FloatArray = weight * self.action_record
        strained: FloatArray = -self.strain * (aligned + acted)
        return aligned, acted, strained

    def series_value(self, name: str) -> FloatArray:
        """The value a time-series column records (see :data:`ALLIANCE_SERIES`)."""
        if name in DRIVER_SERIES:
            driver: FloatArray = self.drivers[..., DRIVER_SERIES.index(name)]
            return driver
        value: FloatArray = getattr(self, name)
        return value

    def copy(self) -> State:
        """An independent copy (arrays copied)."""
        return State(**{item.name: getattr(self, item.name).copy() for item in fields(self)})


def initial_state(inputs: Inputs) -> State:
    """The state before the first month: the scenario's starting values for every run.

    Outside powers start engaged as far as Russia's weakness already invites
    (``interest * (1 - capacity)``, security and economic alike); nobody has frozen; the record
    of collective action is full; pairs stand at their long-run affinity.
    """
    member = inputs.member
    mechanism = inputs.mechanism
    capacity = inputs.capacity[:, 0].copy()
    runs = int(capacity.shape[0])
    shape = (runs, N_MEMBERS)
    weakness = (1.0 - capacity)[:, np.newaxis, np.newaxis]
    security = inputs.security_interest * weakness
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
        affinity=inputs.affinity.copy(),
        min_cohesion_step=np.zeros(runs, dtype=np.int64),
        drills_held=np.zeros(runs, dtype=np.int64),
        drills_cancelled=np.zeros(runs, dtype=np.int64),
        appeals_answered=np.zeros(runs, dtype=np.int64),
        coercions=np.zeros(runs, dtype=np.int64),
        clashes=np.zeros(runs, dtype=np.int64),
        action_weight=mechanism["action_weight"].copy(),
        alignment=member["alignment"].copy(),
        preferred_alignment=np.full(shape, np.nan),
        net_value=np.full(shape, np.nan),
        trust=member["trust"].copy(),
        energy_transit=member["energy_transit"].copy(),
        security_ties=member["security_ties"].copy(),
        economic_ties=member["economic_ties"].copy(),
        outside_options=member["outside_options"].copy(),
        outside_protection=rules.outside_availability(security),
        threat=np.full(shape, np.nan),
        grievance=np.zeros(shape),
        unanswered_voice=np.zeros(shape),
        voice_acts=np.zeros(shape, dtype=np.int64),
        appeals_ignored=np.zeros(shape, dtype=np.int64),
        frozen=np.zeros(shape, dtype=bool),
        freeze_step=np.full(shape, -1, dtype=np.int64),
        motives=np.full((*shape, len(rules.MOTIVES)), np.nan),
        drivers=np.full((*shape, len(DRIVERS)), np.nan),
        security_engagement=security,
        economic_engagement=inputs.economic_interest * weakness,
    )
    state.cohesion = rules.cohesion(
        state.alignment,
        state.frozen,
        state.action_record,
        state.strain,
        state.action_weight,
    )
    state.initial_cohesion = state.cohesion.copy()
    state.min_cohesion = state.cohesion.copy()
    return state


@dataclass(frozen=True)
class Draws:
    """The random numbers of a batch of runs: each a pure function of the run's seed, the
    stream, the month and the slot (:mod:`sim.model.draws`), computed month by month."""

    keys: npt.NDArray[np.uint64]
    """One well-mixed key per run, from its seed."""
    months: int

    def _month(self, stream: int, month: int, slots: int) -> FloatArray:
        if not 0 <= month < self.months:
            raise IndexError(f"month {month} outside the {self.months} months drawn for")
        return draws.month_uniforms(self.keys, stream, month, slots)

    def crisis(self, month: int) -> FloatArray:
        """Shape (runs, members): a crisis arrives when the draw is under its hazard."""
        return self._month(draws.CRISIS, month, N_MEMBERS)

    def clash(self, month: int) -> FloatArray:
        """Shape (runs, pairs): a pair clashes when the draw is under its hazard."""
        return self._month(draws.CLASH, month, N_PAIRS)

    def coercion(self, month: int) -> FloatArray:
        """Shape (runs, members): Russia coerces a drifting member under its propensity."""
        return self._month(draws.COERCION, month, N_MEMBERS)

    def voice(self, month: int) -> FloatArray:
        """Shape (runs, members): a discontented member speaks out under its propensity."""
        return self._month(draws.VOICE, month, N_MEMBERS)


def draw(seeds: npt.NDArray[np.uint64], months: int) -> Draws:
    """The draws of ``months`` months for runs with these seeds (see :mod:`sim.model.draws`)."""
    return Draws(draws.run_keys(seeds), months)


class Recorder:
    """The time series of a batch: every :data:`ALLIANCE_SERIES` and :data:`MEMBER_SERIES`
    value (or the ones named) at every step (step 0 is the starting state)."""

    def __init__(self, runs: int, steps: int, names: Collection[str] | None = None) -> None:
        unknown = set(names or ()) - set(ALLIANCE_SERIES) - set(MEMBER_SERIES)
        if unknown:
            raise ValueError(f"unknown time series {sorted(unknown)}")
        self.series: dict[str, FloatArray] = {
            name: np.zeros((runs, steps + 1))
            for name in ALLIANCE_SERIES
            if names is None or name in names
        }
        self.series.update(
            {
                name: np.zeros((runs, steps + 1, N_MEMBERS))
                for name in MEMBER_SERIES
                if names is None or name in names
            }
        )

    def record(self, state: State, step: int) -> None:
        for name, values in self.series.items():
            values[:, step] = state.series_value(name)
