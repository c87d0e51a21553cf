"""Property tests for the rules: bounds that must always hold and signs that theory fixes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import draws, rules

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weight = st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
bias = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
steepness = st.floats(min_value=0.1, max_value=20.0, allow_nan=False)

settings.register_profile("rules", max_examples=200, deadline=None)
settings.load_profile("rules")


def preferred(**changes: float) -> float:
    """Preferred alignment at a reference point, with some inputs changed."""
    base = {
        "trust": 0.5,
        "capacity": 0.5,
        "external_threat": 0.5,
        "alternative": 0.3,
        "regime_ties": 0.4,
        "dependence": 0.5,
        "fear": 0.3,
        "sanctions_exposure": 0.3,
        "outside_options": 0.2,
        "weight_protection": 1.0,
        "weight_regime": 1.0,
        "weight_lockin": 1.0,
        "weight_fear": 1.0,
        "weight_sanctions": 1.0,
        "weight_outside": 1.0,
        "bias": 0.5,
        "steepness": 1.5,
    }
    base.update(changes)
    return float(rules.preferred_alignment(**base))


@given(
    trust=unit,
    capacity=unit,
    threat=unit,
    alternative=unit,
    regime=unit,
    dependence=unit,
    fear=unit,
    sanctions=unit,
    outside=unit,
    w=weight,
    b=bias,
    s=steepness,
)
def test_preferred_alignment_stays_in_unit_interval(
    trust: float,
    capacity: float,
    threat: float,
    alternative: float,
    regime: float,
    dependence: float,
    fear: float,
    sanctions: float,
    outside: float,
    w: float,
    b: float,
    s: float,
) -> None:
    value = preferred(
        trust=trust,
        capacity=capacity,
        external_threat=threat,
        alternative=alternative,
        regime_ties=regime,
        dependence=dependence,
        fear=fear,
        sanctions_exposure=sanctions,
        outside_options=outside,
        weight_protection=w,
        weight_fear=w,
        bias=b,
        steepness=s,
    )
    assert 0.0 <= value <= 1.0


@pytest.mark.parametrize(
    ("motive", "direction"),
    [
        ("trust", +1),
        ("capacity", +1),
        ("regime_ties", +1),
        ("dependence", +1),  # more dependence never makes exit cheaper
        ("alternative", -1),
        ("fear", -1),
        ("sanctions_exposure", -1),
        ("outside_options", -1),
    ],
)
@given(low=unit, high=unit, context=st.tuples(unit, unit, unit, unit))
def test_preferred_alignment_moves_the_way_theory_says(
    motive: str,
    direction: int,
    low: float,
    high: float,
    context: tuple[float, float, float, float],
) -> None:
    low, high = min(low, high), max(low, high)
    trust, capacity, threat, regime = context
    setting = {
        "trust": trust,
        "capacity": capacity,
        "external_threat": threat,
        "regime_ties": regime,
    }
    setting.pop(motive, None)
    at_low = preferred(**{**setting, motive: low})
    at_high = preferred(**{**setting, motive: high})
    if direction > 0:
        assert at_high >= at_low
    else:
        assert at_high <= at_low


@given(trust=unit, weight=unit, gain=unit, loss=unit)
def test_an_answer_never_lowers_trust_and_silence_never_raises_it(
    trust: float, weight: float, gain: float, loss: float
) -> None:
    answered = float(rules.trust_after_appeal(trust, True, weight, gain, loss))
    ignored = float(rules.trust_after_appeal(trust, False, weight, gain, loss))
    assert 0.0 <= ignored <= trust <= answered <= 1.0


@given(trust=unit, gain=unit, loss=unit, onlooker=unit)
def test_the_appellant_moves_at_least_as_much_as_an_onlooker(
    trust: float, gain: float, loss: float, onlooker: float
) -> None:
    own = float(rules.trust_after_appeal(trust, False, 1.0, gain, loss))
    watched = float(rules.trust_after_appeal(trust, False, onlooker, gain, loss))
    assert own <= watched


@given(alignment=unit, capacity=unit, low=unit, high=unit, effect=unit)
def test_coercion_pulls_more_the_more_capacity_russia_has(
    alignment: float, capacity: float, low: float, high: float, effect: float
) -> None:
    leverage = 0.5
    weak = float(rules.alignment_after_coercion(alignment, min(low, high), leverage, effect))
    strong = float(rules.alignment_after_coercion(alignment, max(low, high), leverage, effect))
    assert alignment <= weak <= strong <= 1.0


@given(grievance=unit, backfire=unit)
def test_coercion_never_lowers_grievance(grievance: float, backfire: float) -> None:
    after = float(rules.grievance_after_coercion(grievance, backfire))
    assert grievance <= after <= 1.0


@given(posture=unit, exposure=unit, regime=unit, grievance=unit, more=unit)
def test_fear_in_unit_interval_and_rises_with_posture_and_grievance(
    posture: float, exposure: float, regime: float, grievance: float, more: float
) -> None:
    fear = float(rules.fear(posture, exposure, regime, grievance))
    assert 0.0 <= fear <= 1.0
    assert float(rules.fear(max(posture, more), exposure, regime, grievance)) >= fear
    assert float(rules.fear(posture, exposure, regime, max(grievance, more))) >= fear
    assert float(rules.fear(posture, exposure, max(regime, more), grievance)) <= fear


@given(share=unit, reference=st.floats(min_value=0.01, max_value=1.0))
def test_exposure_is_capped_at_one(share: float, reference: float) -> None:
    assert 0.0 <= float(rules.exposure(share, reference)) <= 1.0


@given(
    alignment=unit,
    preferred_value=unit,
    peer=unit,
    inertia=st.floats(min_value=0.5, max_value=0.99),
    peer_weight=st.floats(0.0, 0.3),
)
def test_alignment_update_stays_between_its_inputs(
    alignment: float, preferred_value: float, peer: float, inertia: float, peer_weight: float
) -> None:
    moved = float(
        rules.alignment_after_month(alignment, preferred_value, peer, inertia, peer_weight)
    )
    assert min(alignment, preferred_value, peer) - 1e-12 <= moved
    assert moved <= max(alignment, preferred_value, peer) + 1e-12


@given(tie=unit, alignment=unit, outside=unit, decay=unit)
def test_ties_only_erode(tie: float, alignment: float, outside: float, decay: float) -> None:
    after = float(rules.tie_after_month(tie, alignment, outside, decay))
    assert 0.0 <= after <= tie


@given(outside=unit, available=unit, alignment=unit, grievance=unit, rate=st.floats(0.0, 0.5))
def test_outside_options_grow_toward_what_is_available(
    outside: float, available: float, alignment: float, grievance: float, rate: float
) -> None:
    after = float(rules.outside_options_after_month(outside, available, alignment, grievance, rate))
    assert outside <= after <= max(outside, available) + 1e-12


@given(engagement=unit, interest=unit, capacity=unit, responsiveness=unit, step=unit)
def test_engagement_stays_in_unit_interval_and_never_falls(
    engagement: float, interest: float, capacity: float, responsiveness: float, step: float
) -> None:
    after = float(rules.engagement_after_month(engagement, interest, capacity, responsiveness))
    stepped = float(rules.engagement_after_step_in(engagement, interest, step))
    assert engagement <= after <= 1.0
    assert engagement <= stepped <= 1.0


@given(strain=unit, clashes=st.integers(0, 10), severity=unit, decay=unit)
def test_strain_in_unit_interval_and_clashes_add_to_it(
    strain: float, clashes: int, severity: float, decay: float
) -> None:
    after = float(rules.strain_after_month(strain, float(clashes), severity, decay))
    quiet = float(rules.strain_after_month(strain, 0.0, severity, decay))
    assert 0.0 <= quiet <= after <= 1.0


@given(
    alignment=st.lists(unit, min_size=5, max_size=5),
    frozen=st.lists(st.booleans(), min_size=5, max_size=5),
    action=unit,
    strain=unit,
    weight_=unit,
)
def test_cohesion_in_unit_interval_and_freezing_never_raises_it(
    alignment: list[float], frozen: list[bool], action: float, strain: float, weight_: float
) -> None:
    values = np.array(alignment)
    frozen_mask = np.array(frozen)
    value = float(rules.cohesion(values, frozen_mask, action, strain, weight_))
    none_frozen = float(rules.cohesion(values, np.zeros(5, bool), action, strain, weight_))
    assert 0.0 <= value <= none_frozen <= 1.0


def test_peer_mean_is_the_mean_of_the_others() -> None:
    alignment = np.array([[1.0, 0.0, 0.5, 0.5, 0.0], [0.2, 0.4, 0.6, 0.8, 1.0]])
    expected = np.array([[np.mean(np.delete(row, i)) for i in range(5)] for row in alignment])
    np.testing.assert_allclose(rules.peer_mean(alignment), expected, rtol=0, atol=1e-15)


@given(
    initial=unit,
    drain=st.floats(0.0, 0.2),
    floor=st.floats(0.0, 0.5),
    shock_month=st.integers(0, 40),
    shock=unit,
)
def test_capacity_path_stays_between_floor_and_ceiling_and_never_rises_without_recovery(
    initial: float, drain: float, floor: float, shock_month: int, shock: float
) -> None:
    months = np.arange(36, dtype=np.float64)
    path = rules.capacity_path(
        months, initial, drain, floor, 1.0, float(shock_month), shock, np.inf, 0.0
    )
    assert path.min() >= floor - 1e-12
    assert path.max() <= 1.0
    assert np.all(np.diff(path) <= 1e-12)


def test_capacity_path_recovers_after_the_ceasefire_month() -> None:
    months = np.arange(24, dtype=np.float64)
    path = rules.capacity_path(months, 0.5, 0.01, 0.1, 1.0, np.inf, 0.0, 12.0, 0.02)
    assert path[12] == pytest.approx(0.5 - 0.12)
    assert np.all(np.diff(path[:13]) < 0) and np.all(np.diff(path[12:]) > 0)


def test_drill_needs_an_aligned_host_at_peace_and_a_quorum() -> None:
    assert rules.drill_held(0.6, False, False, 3.0, 0.4, 3.0)
    assert not rules.drill_held(0.3, False, False, 3.0, 0.4, 3.0)
    assert not rules.drill_held(0.6, True, False, 3.0, 0.4, 3.0)
    assert not rules.drill_held(0.6, False, True, 3.0, 0.4, 3.0)
    assert not rules.drill_held(0.6, False, False, 2.0, 0.4, 3.0)


def test_freeze_needs_enough_consecutive_months_below_the_threshold() -> None:
    months = 0.0
    for alignment in (0.2, 0.2, 0.3, 0.2, 0.2, 0.2):
        months = float(rules.months_below_after_month(months, alignment, 0.25))
    assert months == 3.0
    assert not rules.freezes(months, False, 4.0)
    assert rules.freezes(months + 1.0, False, 4.0)
    assert not rules.freezes(months + 1.0, True, 4.0)  # already frozen: no new freeze


@given(seed=st.integers(0, 2**64 - 1))
def test_draws_are_uniform_and_depend_only_on_the_run_seed(seed: int) -> None:
    keys = draws.run_keys([seed, 12345])
    together = draws.uniforms(keys, draws.CRISIS, 12, 5)
    alone = draws.uniforms(draws.run_keys([seed]), draws.CRISIS, 12, 5)
    assert np.array_equal(together[0], alone[0])
    assert together.min() >= 0.0 and together.max() < 1.0


def test_draw_streams_are_independent_and_look_uniform() -> None:
    keys = draws.run_keys(np.arange(2000))
    crisis = draws.uniforms(keys, draws.CRISIS, 36, 5).ravel()
    clash = draws.uniforms(keys, draws.CLASH, 36, 5).ravel()
    assert abs(crisis.mean() - 0.5) < 0.005
    assert abs(np.corrcoef(crisis, clash)[0, 1]) < 0.01
    counts, _ = np.histogram(crisis, bins=10, range=(0, 1))
    assert counts.min() > 0.97 * crisis.size / 10


def test_derived_seeds_are_fixed_by_the_master_seed() -> None:
    assert draws.derive_seeds(7, 5) == draws.derive_seeds(7, 5)
    assert draws.derive_seeds(7, 5)[:3] == draws.derive_seeds(7, 3)
    assert len(set(draws.derive_seeds(7, 1000))) == 1000
    with pytest.raises(ValueError, match="non-negative"):
        draws.derive_seeds(-1, 2)
