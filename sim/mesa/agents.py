"""The Mesa agents: Russia, the five members and the outside powers.

Each agent holds its own numbers and applies the rules of :mod:`sim.model.rules` to them. The
model (:mod:`sim.mesa.model`) calls the agents phase by phase, in the order documented in
``docs/model.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import rules

if TYPE_CHECKING:
    from sim.mesa.model import CSTOModel


class Russia(mesa.Agent):  # type: ignore[misc]
    """The patron: capacity for the region, threat posture, and what it has committed this month."""

    def __init__(self, model: CSTOModel, threat_posture: float) -> None:
        super().__init__(model)
        self.name = "Russia"
        self.capacity = float("nan")
        self.base_posture = threat_posture
        self.threat_posture = threat_posture
        self.committed = 0.0

    def begin_month(self, capacity: float, posture_decay: float) -> None:
        """Capacity comes from the scenario's path; a posture shock relaxes; commitments reset."""
        self.capacity = capacity
        self.threat_posture = float(
            rules.threat_posture_after_month(self.threat_posture, self.base_posture, posture_decay)
        )
        self.committed = 0.0

    def spare(self, reserve: float) -> float:
        """Capacity still free this month."""
        return float(rules.spare_capacity(self.capacity, reserve, self.committed))

    def answer(self, cost: float, aversion: float, reserve: float) -> tuple[bool, float, float]:
        """Answer an appeal if spare capacity covers the cost inflated by entrapment aversion."""
        spare = self.spare(reserve)
        required = float(rules.required_capacity(cost, aversion))
        answered = bool(rules.russia_answers(spare, required))
        if answered:
            self.committed = self.committed + cost
        return answered, spare, required


class Member(mesa.Agent):  # type: ignore[misc]
    """A member state: its ties of dependence, exposure, threat, options, alignment and trust."""

    def __init__(self, model: CSTOModel, name: str, index: int, values: dict[str, float]) -> None:
        super().__init__(model)
        self.name = name
        self.index = index
        self.energy_transit = values["energy_transit"]
        self.security_ties = values["security_ties"]
        self.economic_ties = values["economic_ties"]
        self.regime_ties = values["regime_ties"]
        self.russian_share = values["russian_share"]
        self.external_threat = values["external_threat"]
        self.sanctions_exposure = values["sanctions_exposure"]
        self.crisis_hazard = values["crisis_hazard"]
        self.crisis_cost = values["crisis_cost"]
        self.entrapment_aversion = values["entrapment_aversion"]
        self.outside_options = values["outside_options"]
        self.alignment = values["alignment"]
        self.trust = values["trust"]
        self.grievance = 0.0
        self.months_below = 0.0
        self.frozen = False
        self.preferred = float("nan")
        self.fear = float("nan")
        self._next: dict[str, float] = {}

    @property
    def dependence(self) -> float:
        """Mean of the energy, security and economic ties (the levers Russia holds)."""
        return float(rules.dependence(self.energy_transit, self.security_ties, self.economic_ties))

    def lever(self, name: str) -> float:
        """The tie Russia pulls when it coerces through a named lever."""
        return {
            "energy": self.energy_transit,
            "economic": self.economic_ties,
            "security": self.security_ties,
            "dependence": self.dependence,
        }[name]

    def read_appeal(self, answered: bool, weight: float) -> None:
        """Update trust after an appeal (own: weight 1; another member's: the onlooker weight)."""
        mech = self.model.mechanism
        self.trust = float(
            rules.trust_after_appeal(
                self.trust,
                answered,
                weight,
                mech["trust_gain_answered"],
                mech["trust_loss_ignored"],
            )
        )

    def suffer_clash(self) -> None:
        """A clash the alliance did not prevent costs trust in its guarantee."""
        self.trust = rules.trust_after_clash(
            self.trust, True, self.model.mechanism["clash_trust_loss"]
        )

    def be_coerced(self, capacity: float, leverage: float) -> float:
        """Coercion pulls alignment back and leaves a grievance; returns the change in alignment."""
        mech = self.model.mechanism
        before = self.alignment
        self.alignment = float(
            rules.alignment_after_coercion(before, capacity, leverage, mech["coercion_effect"])
        )
        self.grievance = float(
            rules.grievance_after_coercion(self.grievance, mech["coercion_backfire"])
        )
        return self.alignment - before

    def decide(self) -> None:
        """Stage next month's alignment, options and ties from this month's state (simultaneous)."""
        model = self.model
        mech = model.mechanism
        russia = model.russia
        exposure = rules.exposure(self.russian_share, mech["exposure_reference_share"])
        self.fear = float(
            rules.fear(russia.threat_posture, exposure, self.regime_ties, self.grievance)
        )
        self.preferred = float(
            rules.preferred_alignment(
                trust=self.trust,
                capacity=russia.capacity,
                external_threat=self.external_threat,
                alternative=float(model.outside_available[self.index]),
                regime_ties=self.regime_ties,
                dependence=self.dependence,
                fear=self.fear,
                sanctions_exposure=self.sanctions_exposure,
                outside_options=self.outside_options,
                weight_protection=mech["weight_protection"],
                weight_regime=mech["weight_regime"],
                weight_lockin=mech["weight_lockin"],
                weight_fear=mech["weight_fear"],
                weight_sanctions=mech["weight_sanctions"],
                weight_outside=mech["weight_outside"],
                bias=mech["alignment_bias"],
                steepness=mech["alignment_steepness"],
            )
        )
        peer = float(model.peer_alignment[self.index])
        available = float(model.outside_available[self.index])
        self._next = {
            "alignment": rules.alignment_after_month(
                self.alignment, self.preferred, peer, mech["inertia"], mech["peer_weight"]
            ),
            "outside_options": rules.outside_options_after_month(
                self.outside_options,
                available,
                self.alignment,
                self.grievance,
                mech["diversification_rate"],
            ),
            "energy_transit": rules.tie_after_month(
                self.energy_transit, self.alignment, self.outside_options, mech["energy_decay"]
            ),
            "economic_ties": rules.tie_after_month(
                self.economic_ties, self.alignment, self.outside_options, mech["economic_decay"]
            ),
            "security_ties": rules.tie_after_month(
                self.security_ties, self.alignment, self.outside_options, mech["security_decay"]
            ),
            "grievance": rules.grievance_after_month(self.grievance, mech["grievance_decay"]),
        }

    def commit(self) -> None:
        """Apply the staged update."""
        for key, value in self._next.items():
            setattr(self, key, float(value))
        self._next = {}

    def count_months_below(self) -> bool:
        """Advance the months-below-exit counter; return True if the member freezes now."""
        mech = self.model.mechanism
        self.months_below = float(
            rules.months_below_after_month(
                self.months_below, self.alignment, mech["exit_threshold"]
            )
        )
        freezes = bool(rules.freezes(self.months_below, self.frozen, mech["freeze_after_months"]))
        if freezes:
            self.frozen = True
        return freezes


class OutsidePower(mesa.Agent):  # type: ignore[misc]
    """China, Turkey, the EU or the US: engagement with each member, bounded by its interest."""

    def __init__(
        self,
        model: CSTOModel,
        name: str,
        index: int,
        responsiveness: float,
        interest: np.ndarray,
        engagement: np.ndarray,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.index = index
        self.responsiveness = responsiveness
        self.interest = interest
        self.engagement = engagement

    def step_in(self, member: int, step_in: float) -> None:
        """Step into the space Russia left when it ignored a member's appeal."""
        self.engagement[member] = rules.engagement_after_step_in(
            float(self.engagement[member]), float(self.interest[member]), step_in
        )

    def pledge(self, member: int, size: float) -> float:
        """A security pledge (e.g. Xi on Kazakhstan's territorial integrity); returns the rise."""
        before = float(self.engagement[member])
        self.engagement[member] = rules.engagement_after_step_in(before, 1.0, size)
        return float(self.engagement[member]) - before

    def respond(self) -> None:
        """Engagement rises toward interest times Russia's weakness."""
        capacity = np.full_like(self.engagement, self.model.russia.capacity)
        responsiveness = np.full_like(self.engagement, self.responsiveness)
        self.engagement = rules.engagement_after_month(
            self.engagement, self.interest, capacity, responsiveness
        )
