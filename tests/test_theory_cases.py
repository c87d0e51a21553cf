"""Cases whose answer theory fixes, run through the Mesa model and the batch engine."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import simulate
from sim.scenario import Scenario, load, schema

SEEDS = list(range(30))


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load("baseline-2022")


def no_threats(scenario: Scenario) -> Scenario:
    """No crises, no clashes, no external threats, a Russia that threatens nobody."""
    values: dict[str, float] = {"russia.threat_posture": 0.0}
    for name in schema.MEMBERS:
        values[f"members.{name}.crisis_hazard"] = 0.0
        values[f"members.{name}.external_threat"] = 0.0
    for pair in schema.PAIRS:
        values[f"clashes.{pair}"] = 0.0
    calm = scenario.with_values(values, origin="test: no threats")
    return calm.without_events(*(event.id for event in scenario.events))


def test_full_capacity_and_no_threats_nobody_freezes(baseline: Scenario) -> None:
    batch = simulate(no_threats(baseline).with_constant_capacity(1.0), SEEDS)
    assert np.all(batch.freeze_step < 0)
    assert np.all(batch.final_cohesion > 0.5)


def test_capacity_near_zero_cohesion_falls(baseline: Scenario) -> None:
    drained = simulate(baseline.with_constant_capacity(0.01), SEEDS)
    reference = simulate(baseline, SEEDS)
    assert np.all(drained.final_cohesion < drained.initial_cohesion)
    assert np.all(drained.final_cohesion < reference.final_cohesion)


def test_without_peer_influence_a_members_path_ignores_the_others_alignment(
    baseline: Scenario,
) -> None:
    """Other members' alignment reaches a member only through peer influence, through Russia's
    budget (coercion costs) and through freezes (a frozen member stops appealing, which onlookers
    watch). With the three off, Kazakhstan's path must not move when the others' alignment does."""
    isolated = baseline.with_values(
        {
            "mechanisms.peer_weight": 0.0,
            "russia.coercion_cost": 0.0,
            "mechanisms.exit_threshold": 0.0,
        },
        origin="test: no peer influence",
    )
    others = [name for name in schema.MEMBERS if name != "Kazakhstan"]
    shifted = isolated.with_values(
        {f"members.{name}.alignment": 0.3 for name in others}, origin="test: others shifted"
    )
    first = simulate(isolated, SEEDS, timeseries=True)
    second = simulate(shifted, SEEDS, timeseries=True)
    assert first.series is not None and second.series is not None
    kazakhstan = schema.MEMBERS.index("Kazakhstan")
    np.testing.assert_array_equal(
        first.series["alignment"][:, :, kazakhstan], second.series["alignment"][:, :, kazakhstan]
    )
    # ... and with peer influence on, the same shift does move Kazakhstan
    coupled = simulate(
        shifted.with_values({"mechanisms.peer_weight": 0.1}, origin="test"),
        SEEDS,
        timeseries=True,
    )
    assert coupled.series is not None
    assert not np.array_equal(
        coupled.series["alignment"][:, :, kazakhstan], second.series["alignment"][:, :, kazakhstan]
    )
