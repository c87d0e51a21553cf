"""Turn a resolved scenario into the numbers a batch of runs needs.

:class:`Inputs` holds every number the rules need that does not change during a run, as numpy
arrays with a leading runs axis (a batch of one run has ``runs = 1``): Russia's and a
mechanism's values have shape ``(runs,)``, members' ``(runs, members)``. Runs of one batch may
differ in any value (a sweep's design, given as ``overrides``). :class:`Plan` holds what every
run of a scenario shares: the months, the drill schedule and the scenario-given events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from sim.model import rules
from sim.scenario import Scenario, ScenarioEvent, month_index, schema

FloatArray = npt.NDArray[np.float64]

MEMBER_KEYS = tuple(schema.MEMBER_FIELDS)
MECHANISM_KEYS = tuple(schema.MECHANISM_FIELDS)
RUSSIA_KEYS = tuple(schema.RUSSIA_FIELDS)
MEMBER_INDEX = {name: index for index, name in enumerate(schema.MEMBERS)}
POWER_INDEX = {name: index for index, name in enumerate(schema.POWERS)}
PAIR_MEMBERS = tuple(
    (MEMBER_INDEX[pair.split("-")[0]], MEMBER_INDEX[pair.split("-")[1]]) for pair in schema.PAIRS
)


@dataclass(frozen=True)
class Plan:
    """What every run of a scenario shares: horizon, calendar, drills and injected events."""

    start: str
    steps: int
    drill_host: npt.NDArray[np.int64]
    """Index of the drill host in each month, -1 where no drill is scheduled."""
    summit_host: npt.NDArray[np.int64]
    """Index of the summit host in each month, -1 where no summit is scheduled."""
    events_by_month: Mapping[int, tuple[ScenarioEvent, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """Every number of a batch of runs that stays fixed during a run (leading axis: runs)."""

    capacity: FloatArray
    """Russia's capacity in each month: shape ``(..., steps)``."""
    russia: Mapping[str, FloatArray]
    member: Mapping[str, FloatArray]
    """Member values by field name, shape ``(..., members)``."""
    responsiveness: FloatArray
    """Shape ``(..., powers)``."""
    security_interest: FloatArray
    """The most each power will engage in each member's security: shape ``(..., powers,
    members)``."""
    economic_interest: FloatArray
    """The most each power will engage in each member's economy: shape ``(..., powers,
    members)``."""
    clash_hazard: FloatArray
    """Shape ``(..., pairs)``."""
    affinity: FloatArray
    """Long-run affinity of each pair of members: shape ``(..., pairs)``."""
    mechanism: Mapping[str, FloatArray]
    variant: Mapping[str, npt.NDArray[np.int64]]
    """Each structural variant's choice for each run, as an index into
    :data:`sim.scenario.schema.VARIANTS` (shape ``(...,)``)."""

    @cached_property
    def motive_coefficients(self) -> FloatArray:
        """The fixed part of each member's motives, computed once per batch (see
        :func:`sim.model.rules.motive_coefficients`): shape ``(..., members, motives)``."""
        mechanism = {key: value[..., np.newaxis] for key, value in self.mechanism.items()}
        member = self.member
        return rules.motive_coefficients(
            external_threat=member["external_threat"],
            regime_ties=member["regime_ties"],
            proximity=member["proximity"],
            sanctions_exposure=member["sanctions_exposure"],
            bandwagon=self.bandwagon[..., np.newaxis],
            weight_protection=mechanism["weight_protection"],
            weight_regime=mechanism["weight_regime"],
            weight_lockin=mechanism["weight_lockin"],
            weight_threat=mechanism["weight_threat"],
            weight_outside=mechanism["weight_outside"],
            weight_entrapment=mechanism["weight_entrapment"],
        )

    @cached_property
    def revisionism(self) -> FloatArray:
        """Each member's exposure to Russian revisionism, damped by its regime ties: the fixed
        part of :func:`sim.model.rules.hostile_intent` (shape ``(..., members)``)."""
        exposure = rules.exposure(
            self.member["russian_share"],
            self.mechanism["exposure_reference_share"][..., np.newaxis],
        )
        result: FloatArray = exposure * (1.0 - self.member["regime_ties"])
        return result

    @property
    def bandwagon(self) -> npt.NDArray[np.bool_]:
        """Runs whose members bandwagon with Russia's threat rather than balance against it."""
        result: npt.NDArray[np.bool_] = self.variant["threat_response"] == 1
        return result

    @property
    def uniform_peers(self) -> npt.NDArray[np.bool_]:
        """Runs in which every other member pulls alike (not by affinity)."""
        result: npt.NDArray[np.bool_] = self.variant["peer_influence"] == 1
        return result


def build_plan(scenario: Scenario, steps: int | None = None) -> Plan:
    """The shared schedule of a scenario for ``steps`` months (default: its horizon)."""
    horizon = scenario.horizon if steps is None else steps
    if horizon < 1:
        raise ValueError(f"steps must be at least 1, got {horizon}")
    start = scenario.start

    def schedule(section: str) -> npt.NDArray[np.int64]:
        first = month_index(start, scenario[f"{section}.first_at"])
        every = int(scenario[f"{section}.every_months"])
        hosts = [MEMBER_INDEX[name] for name in scenario[f"{section}.hosts"]]
        host = np.full(horizon, -1, dtype=np.int64)
        for number, month in enumerate(range(first, horizon, every)):
            host[month] = hosts[number % len(hosts)]
        return host

    by_month: dict[int, list[ScenarioEvent]] = {}
    for event in scenario.events:
        if event.month < horizon:
            by_month.setdefault(event.month, []).append(event)
    return Plan(
        start,
        horizon,
        schedule("drills"),
        schedule("summits"),
        {m: tuple(e) for m, e in by_month.items()},
    )


def build_inputs(
    scenario: Scenario,
    steps: int | None = None,
    overrides: Mapping[str, npt.ArrayLike] | None = None,
    runs: int = 1,
) -> Inputs:
    """Numeric inputs for ``runs`` runs, whose values ``overrides`` may vary.

    ``overrides`` maps dotted paths to a value or an array of ``runs`` values.
    """
    horizon = scenario.horizon if steps is None else steps
    chosen = dict(overrides or {})
    for path in chosen:
        spec = schema.leaf(path)
        if path.startswith("variants.") and spec is not None:
            continue  # a structural variant: per-run choices, by name or index
        if spec is None or not spec.sweepable:
            raise KeyError(f"{path}: not a numeric scenario value that can vary between runs")

    def get(path: str, default: float | None = None) -> FloatArray:
        if path in chosen:
            value = np.asarray(chosen[path], dtype=np.float64)
        elif path in scenario.values:
            value = np.asarray(scenario[path], dtype=np.float64)
        elif default is not None:
            value = np.asarray(default, dtype=np.float64)
        else:
            raise KeyError(path)
        return np.broadcast_to(value, (runs,)).copy()

    def stack(paths: list[str], default: float | None = None) -> FloatArray:
        return np.stack([get(path, default) for path in paths], axis=-1)

    capacity = _capacity(scenario, horizon, get, runs)
    members = {
        key: stack([f"members.{name}.{key}" for name in schema.MEMBERS]) for key in MEMBER_KEYS
    }

    def interest(kind: str) -> FloatArray:
        return np.stack(
            [
                stack(
                    [schema.interest_path(power, kind, name) for name in schema.MEMBERS],
                    default=0.0,
                )
                for power in schema.POWERS
            ],
            axis=-2,
        )

    def variant(key: str) -> npt.NDArray[np.int64]:
        choices = schema.VARIANTS[key]
        given = chosen.get(f"variants.{key}", scenario[f"variants.{key}"])
        codes = np.vectorize(
            lambda item: choices.index(item) if isinstance(item, str) else int(item),
            otypes=[np.int64],
        )(np.asarray(given, dtype=object))
        if np.any((codes < 0) | (codes >= len(choices))):
            raise KeyError(f"variants.{key}: expected one of {', '.join(choices)}")
        return np.broadcast_to(codes, (runs,)).copy()

    return Inputs(
        capacity=capacity,
        russia={key: get(f"russia.{key}") for key in RUSSIA_KEYS},
        member=members,
        responsiveness=stack([f"powers.{power}.responsiveness" for power in schema.POWERS]),
        security_interest=interest("security"),
        economic_interest=interest("economic"),
        clash_hazard=stack([f"clashes.{pair}" for pair in schema.PAIRS], default=0.0),
        affinity=stack([f"affinity.{pair}" for pair in schema.PAIRS], default=0.0),
        mechanism={key: get(f"mechanisms.{key}") for key in MECHANISM_KEYS},
        variant={key: variant(key) for key in schema.VARIANTS},
    )


def _capacity(scenario: Scenario, horizon: int, get: object, runs: int) -> FloatArray:
    """Capacity per month from the scenario's shape, less any mobilisation shocks."""
    assert callable(get)
    shape = scenario["russia.capacity.shape"]
    months = np.arange(horizon, dtype=np.float64)
    floor = get("russia.capacity.floor")
    ceiling = get("russia.capacity.ceiling")
    if shape == "explicit":
        given = np.asarray(scenario["russia.capacity.values"], dtype=np.float64)
        padded = np.concatenate([given, np.full(max(horizon - len(given), 0), given[-1])])[:horizon]
        path = np.broadcast_to(padded, (*np.shape(floor), horizon)).copy()
    else:
        start = scenario.start

        def month_of(key: str) -> float:
            full = f"russia.capacity.{key}"
            return float(month_index(start, scenario[full])) if full in scenario.values else np.inf

        drain = 0.0 if shape == "constant" else get("russia.capacity.drain_per_month", 0.0)
        path = rules.capacity_path(
            months,
            initial=get("russia.capacity.initial"),
            drain_per_month=drain,
            floor=floor,
            ceiling=ceiling,
            shock_month=month_of("shock_at"),
            shock_size=get("russia.capacity.shock_size", 0.0),
            recovery_month=month_of("recovery_at"),
            recovery_per_month=get("russia.capacity.recovery_per_month", 0.0),
        )
    drops = np.zeros(horizon)
    for event in scenario.events:
        if event.kind == "mobilisation_shock" and event.month < horizon and event.size:
            drops[event.month :] += event.size
    if drops.any():
        path = np.minimum(
            np.maximum(path - drops, floor[..., np.newaxis]), ceiling[..., np.newaxis]
        )
    if path.ndim == 1:
        path = np.broadcast_to(path, (runs, horizon)).copy()
    result: FloatArray = path
    return result
