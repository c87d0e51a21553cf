"""Cases whose answer theory fixes, run through the batch engine (the Mesa model steps the same
month: tests/test_mesa_face.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import simulate
from sim.scenario import Scenario, load, schema

SEEDS = list(range(30))
LONG = 120


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


@pytest.mark.parametrize("variant", schema.VARIANTS["threat_response"])
def test_full_capacity_and_no_threats_nobody_exits_in_120_months(
    baseline: Scenario, variant: str
) -> None:
    calm = no_threats(baseline).with_values(
        {"variants.threat_response": variant}, origin="test: variant"
    )
    batch = simulate(calm.with_constant_capacity(1.0), SEEDS, steps=LONG)
    assert np.all(batch.freeze_step < 0)
    assert np.all(batch.final_cohesion > 0.5)


def test_capacity_zero_with_outside_options_the_alliance_does_not_hold(
    baseline: Scenario,
) -> None:
    """Vinogradova & Galam's alpha -> 0: with nothing left to Russia and outside options on
    offer, cohesion falls below the exit threshold within 120 months in most runs."""
    batch = simulate(baseline.with_constant_capacity(0.0), SEEDS, steps=LONG, timeseries=True)
    assert batch.series is not None
    threshold = baseline["mechanisms.exit_threshold"]
    fell = (batch.series["cohesion"] < threshold).any(axis=1)
    assert np.mean(fell) > 0.5
    assert np.mean(batch.freeze_step >= 0) > 0  # some member leaves
    # and nothing rests on Russia any more: every pull of staying is zero
    for motive in ("protection", "regime", "lockin", "threat"):
        np.testing.assert_array_equal(batch.series[f"driver_{motive}"][:, 1:], 0.0)


def test_a_constant_capacity_below_the_floor_is_kept(baseline: Scenario) -> None:
    """The floor bounds the drain, not a path that starts below it (the old 'capacity 0.01'
    case ran at the floor, 0.1)."""
    batch = simulate(baseline.with_constant_capacity(0.01), SEEDS[:3], timeseries=True)
    assert batch.series is not None
    np.testing.assert_array_equal(batch.series["capacity"], 0.01)


def test_capacity_near_zero_cohesion_falls(baseline: Scenario) -> None:
    drained = simulate(baseline.with_constant_capacity(0.01), SEEDS)
    reference = simulate(baseline, SEEDS)
    assert np.all(drained.final_cohesion < drained.initial_cohesion)
    assert np.all(drained.final_cohesion < reference.final_cohesion)


def test_without_peer_ties_a_members_path_ignores_the_others_alignment(
    baseline: Scenario,
) -> None:
    """Other members' alignment reaches a member only through peers, through Russia's budget
    (the capacity it spends on others' appeals, voice, coercion and drills, and how it treats
    drifting appellants), through what onlookers read into others' appeals, and through exits.
    With all of them off, Kazakhstan's path must not move when the others' alignment does."""
    isolated = baseline.with_values(
        {
            "mechanisms.peer_weight": 0.0,
            "mechanisms.onlooker_weight": 0.0,
            "russia.coercion_cost": 0.0,
            "russia.concession_cost": 0.0,
            "russia.drill_cost": 0.0,
            "russia.drift_penalty": 0.0,
            "mechanisms.exit_threshold": 0.0,
        },
        origin="test: no peer ties",
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


def test_rivals_are_not_pulled_together(baseline: Scenario) -> None:
    """With affinity peers, Kyrgyzstan and Tajikistan (affinity -0.5) move apart; with the
    uniform variant (the first version's mean of the others) they are pulled together."""
    kyrgyzstan, tajikistan = schema.MEMBERS.index("Kyrgyzstan"), schema.MEMBERS.index("Tajikistan")
    gaps = {}
    for variant in schema.VARIANTS["peer_influence"]:
        scenario = baseline.with_values(
            {"variants.peer_influence": variant, "mechanisms.peer_weight": 0.1}, origin="test"
        )
        batch = simulate(scenario, SEEDS, timeseries=True)
        assert batch.series is not None
        peers = batch.series["driver_peers"][:, 1:]
        gaps[variant] = (peers[..., tajikistan] - peers[..., kyrgyzstan]).mean()
    # Tajikistan is the more aligned of the two: rivals push it up and Kyrgyzstan down
    assert gaps["affinity"] > 0 > gaps["uniform"]


def test_120_months_stay_in_bounds_and_are_cheap_enough_to_run(baseline: Scenario) -> None:
    batch = simulate(baseline, SEEDS, steps=LONG, timeseries=True)
    assert batch.series is not None
    for name in ("alignment", "trust", "cohesion", "outside_options", "capacity"):
        values = batch.series[name][:, 1:]
        assert np.all((values >= 0) & (values <= 1)), name
