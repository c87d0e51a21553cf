"""The Mesa agents: Russia, the five members and the outside powers, as views onto the state.

An agent holds no numbers of its own: each attribute reads (and, for what changes during a run,
writes) the agent's own slot of the model's one-run :class:`~sim.model.state.State`, or of its
fixed :class:`~sim.scenario.inputs.Inputs`. So a student who inspects ``member.alignment`` after
``model.step()`` sees exactly the number the batch engine computes for that run, and a value set
by hand (``member.trust = 0.2``) is what the next month starts from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import numpy.typing as npt

from sim.model.state import DRIVER_SERIES

if TYPE_CHECKING:
    from sim.mesa.model import CSTOModel


class _StateSlot:
    """A member's (or Russia's) value in the model's state: ``state.<name>[0, index]``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = name

    def _array(self, agent: Any) -> npt.NDArray[Any]:
        array: npt.NDArray[Any] = getattr(agent.model.state, self.field)
        return array

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        array = self._array(agent)
        return (array[0] if array.ndim == 1 else array[0, agent.index]).item()

    def __set__(self, agent: Any, value: float) -> None:
        array = self._array(agent)
        if array.ndim == 1:
            array[0] = value
        else:
            array[0, agent.index] = value


class _DriverSlot:
    """What moved a member's alignment this month, one driver: ``state.drivers[0, index, k]``."""

    def __init__(self, position: int) -> None:
        self.position = position

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return float(agent.model.state.drivers[0, agent.index, self.position])


class _InputSlot:
    """A member's fixed input: ``inputs.member[<name>][0, index]`` (read-only)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return float(agent.model.inputs.member[self.field][0, agent.index])


class Russia(mesa.Agent):  # type: ignore[misc]
    """The patron: capacity for the region, threat posture, and what it has committed this month."""

    capacity = _StateSlot()
    threat_posture = _StateSlot()
    committed = _StateSlot()

    def __init__(self, model: CSTOModel) -> None:
        super().__init__(model)
        self.name = "Russia"


class Member(mesa.Agent):  # type: ignore[misc]
    """A member state: its ties of dependence, exposure, threat, options, alignment and trust."""

    alignment = _StateSlot()
    preferred_alignment = _StateSlot()
    net_value = _StateSlot()
    trust = _StateSlot()
    energy_transit = _StateSlot()
    security_ties = _StateSlot()
    economic_ties = _StateSlot()
    outside_options = _StateSlot()
    outside_protection = _StateSlot()
    threat = _StateSlot()
    grievance = _StateSlot()
    unanswered_voice = _StateSlot()
    voice_acts = _StateSlot()
    appeals_ignored = _StateSlot()
    frozen = _StateSlot()
    regime_ties = _InputSlot()
    russian_share = _InputSlot()
    proximity = _InputSlot()
    external_threat = _InputSlot()
    sanctions_exposure = _InputSlot()
    crisis_hazard = _InputSlot()
    crisis_cost = _InputSlot()
    entrapment_aversion = _InputSlot()

    def __init__(self, model: CSTOModel, name: str, index: int) -> None:
        super().__init__(model)
        self.name = name
        self.index = index

    @property
    def dependence(self) -> float:
        """Mean of the energy, security and economic ties (the levers Russia holds)."""
        return float(self.model.state.dependence[0, self.index])


for _position, _name in enumerate(DRIVER_SERIES):
    setattr(Member, _name, _DriverSlot(_position))


class OutsidePower(mesa.Agent):  # type: ignore[misc]
    """China, Turkey, the EU or the US: engagement with each member, bounded by its interest."""

    def __init__(self, model: CSTOModel, name: str, index: int) -> None:
        super().__init__(model)
        self.name = name
        self.index = index

    @property
    def security_engagement(self) -> npt.NDArray[np.float64]:
        """Security engagement with each member (a view: writing to it changes the run)."""
        view: npt.NDArray[np.float64] = self.model.state.security_engagement[0, self.index]
        return view

    @property
    def economic_engagement(self) -> npt.NDArray[np.float64]:
        """Economic engagement with each member (a view: writing to it changes the run)."""
        view: npt.NDArray[np.float64] = self.model.state.economic_engagement[0, self.index]
        return view

    @property
    def security_interest(self) -> npt.NDArray[np.float64]:
        """The most the power will engage in each member's security."""
        interest: npt.NDArray[np.float64] = self.model.inputs.security_interest[0, self.index]
        return interest

    @property
    def economic_interest(self) -> npt.NDArray[np.float64]:
        """The most the power will engage in each member's economy."""
        interest: npt.NDArray[np.float64] = self.model.inputs.economic_interest[0, self.index]
        return interest

    @property
    def responsiveness(self) -> float:
        return float(self.model.inputs.responsiveness[0, self.index])
