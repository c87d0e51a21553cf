"""The batch engine (sim.engine) against the reference Mesa model (sim.mesa.model.CSTOModel).

For random design points (random values of many sweepable paths, drawn inside the scenario's
ranges) and random seeds, the vectorised engine must give the Mesa model's trajectories to
1e-12 and the same events (kind, member, counterpart, cause, origin, step; numbers to 1e-12),
on the baseline and on a variant that exercises every kind of scenario-given event, the shock
and recovery capacity shapes and exits. Each design point also draws both structural variants
(balance or bandwagon, affinity or uniform peers) at random. A run's results must also not
depend on which other runs share its batch: that is what makes a sweep's results independent of
chunking and backends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine import BatchResult, simulate
from sim.mesa.model import CSTOModel, result_from_model
from sim.model.events import KINDS
from sim.results.outcomes import outcome_table
from sim.results.run import RunResult, run_result
from sim.scenario import Scenario, load, schema

TOLERANCE = 1e-12
POINTS_PER_SCENARIO = 30

#: Swept paths: Russia, capacity, members, outside powers, pairs and mechanisms (whole
#: numbers included).
PATHS = (
    "russia.capacity.initial",
    "russia.capacity.drain_per_month",
    "russia.capacity.floor",
    "russia.threat_posture",
    "russia.posture_decay",
    "russia.reserve_share",
    "russia.drift_penalty",
    "russia.coercion_trigger",
    "russia.coercion_propensity",
    "russia.coercion_cost",
    "russia.concession_cost",
    "russia.drill_cost",
    "members.Kazakhstan.energy_transit",
    "members.Kyrgyzstan.alignment",
    "members.Belarus.trust",
    "members.Armenia.crisis_hazard",
    "members.Armenia.entrapment_aversion",
    "members.Tajikistan.crisis_cost",
    "members.Tajikistan.outside_options",
    "powers.China.security_interest.Kazakhstan",
    "powers.China.economic_interest.Kazakhstan",
    "powers.EU.security_interest.Armenia",
    "powers.EU.responsiveness",
    "clashes.Kyrgyzstan-Tajikistan",
    "affinity.Kyrgyzstan-Tajikistan",
    "affinity.Kazakhstan-Kyrgyzstan",
    "mechanisms.trust_loss_ignored",
    "mechanisms.onlooker_weight",
    "mechanisms.step_in",
    "mechanisms.policing_effect",
    "mechanisms.hazard_reference_capacity",
    "mechanisms.affinity_clash_loss",
    "mechanisms.affinity_recovery",
    "mechanisms.inertia",
    "mechanisms.peer_weight",
    "mechanisms.coercion_effect",
    "mechanisms.coercion_backfire",
    "mechanisms.weight_regime",
    "mechanisms.weight_lockin",
    "mechanisms.weight_threat",
    "mechanisms.weight_entrapment",
    "mechanisms.drill_threshold",
    "mechanisms.voice_propensity",
    "mechanisms.voice_trust_gain",
    "mechanisms.loyalty",
    "mechanisms.exit_threshold",
    "mechanisms.voice_before_exit",
    "mechanisms.clash_memory_months",
    "mechanisms.min_drill_participants",
)
#: What the variant sets so that members exit (a stance under hedging counts as turned, no
#: loyalty, one unanswered voice act, a weak pull to stay): not swept there.
VARIANT_FIXED = (
    "mechanisms.exit_threshold",
    "mechanisms.loyalty",
    "mechanisms.voice_before_exit",
    "mechanisms.weight_regime",
    "mechanisms.weight_lockin",
)
VARIANT_EXTRA = ("russia.capacity.shock_size", "russia.capacity.recovery_per_month")

VARIANT = """
extends = "baseline-2022"
name = "equivalence-variant"

[russia.capacity]
shape = "recovery"
shock_at = "2023-03"
shock_size = { value = 0.1, range = [0.0, 0.3], source = "test" }
recovery_at = "2024-01"
recovery_per_month = { value = 0.02, range = [0.0, 0.05], source = "test" }

[mechanisms]
exit_threshold = 0.5
loyalty = 0.0
voice_before_exit = 1
weight_regime = 0.5
weight_lockin = 0.5

[[events]]
id = "mobilisation"
at = "2022-11"
kind = "mobilisation_shock"
size = 0.05
posture_rise = 0.3

[[events]]
id = "pipeline"
at = "2023-02"
kind = "pipeline_suspension"
member = "Kazakhstan"

[[events]]
id = "coercion-armenia"
at = "2023-04"
kind = "coercion"
member = "Armenia"
lever = "economic"

[[events]]
id = "appeal-tajikistan"
at = "2023-05"
kind = "appeal"
member = "Tajikistan"
adversary = "Taliban"
cost = 0.15
aversion = 0.5

[[events]]
id = "pledge-eu"
at = "2023-06"
kind = "security_pledge"
power = "EU"
member = "Armenia"
size = 0.3

[[events]]
id = "kazakh-kyrgyz-clash"
at = "2023-07"
kind = "clash"
members = ["Kazakhstan", "Kyrgyzstan"]
"""


def random_design(
    scenario: Scenario, paths: tuple[str, ...], count: int, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``count`` random design points inside the scenario's ranges, each structural variant
    chosen at random, and random seeds."""
    rng = np.random.default_rng(seed)
    overrides: dict[str, np.ndarray] = {}
    for path in paths:
        value = scenario.values[path]
        assert value.low is not None and value.high is not None, path
        draws = rng.uniform(value.low, value.high, count)
        spec = schema.leaf(path)
        assert spec is not None and spec.sweepable
        overrides[path] = np.round(draws) if spec.kind == "int" else draws
    for key, choices in schema.VARIANTS.items():
        overrides[f"variants.{key}"] = rng.choice(np.array(choices, dtype=object), count)
    seeds = rng.integers(0, 2**63, count, dtype=np.uint64)
    return overrides, seeds


def design_point(overrides: dict[str, np.ndarray], index: int) -> dict[str, float | str]:
    """One design point's values: numbers, and the structural variants by name."""
    return {
        path: str(values[index]) if path.startswith("variants.") else float(values[index])
        for path, values in overrides.items()
    }


def mesa_run(
    scenario: Scenario, seed: int, overrides: dict[str, float | str]
) -> tuple[RunResult, CSTOModel]:
    model = CSTOModel(scenario, rng=seed, overrides=overrides).run()
    return result_from_model(model), model


def assert_same_run(batch: BatchResult, index: int, reference: RunResult) -> None:
    mine = run_result(batch, index)
    numbers = [c for c in reference.timeseries.columns if c not in ("date", "member", "frozen")]
    for column in ("step", "date", "member", "frozen"):
        assert mine.timeseries[column].tolist() == reference.timeseries[column].tolist(), column
    np.testing.assert_allclose(
        mine.timeseries[numbers].to_numpy(np.float64),
        reference.timeseries[numbers].to_numpy(np.float64),
        rtol=0,
        atol=TOLERANCE,
        equal_nan=True,
    )
    events, expected = mine.events, reference.events
    assert len(events) == len(expected)
    for column in ("step", "kind", "member", "counterpart", "cause", "origin"):
        assert events[column].tolist() == expected[column].tolist(), column
    np.testing.assert_allclose(
        events[["value", "threshold", "effect"]].to_numpy(np.float64),
        expected[["value", "threshold", "effect"]].to_numpy(np.float64),
        rtol=0,
        atol=TOLERANCE,
    )


def assert_same_outcomes(outcomes: pd.DataFrame, index: int, model: CSTOModel) -> None:
    """The per-run outcomes a sweep keeps equal the Mesa model's DataCollector reporters."""
    row = outcomes.iloc[index]
    assert abs(row["final_cohesion"] - model.cohesion) <= TOLERANCE
    assert abs(row["min_cohesion"] - model.min_cohesion) <= TOLERANCE
    assert abs(row["initial_cohesion"] - model.initial_cohesion) <= TOLERANCE
    assert row["drills_cancelled"] == model.drills_cancelled
    assert row["first_freeze_step"] == model.first_freeze_step
    member = row["first_freeze_member"]
    assert ("" if pd.isna(member) else member) == model.first_freeze_member
    for member in model.members:
        assert abs(row[f"final_alignment_{member.name}"] - member.alignment) <= TOLERANCE
        assert row[f"voice_acts_{member.name}"] == member.voice_acts


def comparable(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes with "" for no freeze (pandas stores a column of only None as object, else as
    strings with NaN)."""
    frame = outcomes.reset_index(drop=True)
    member = frame["first_freeze_member"]
    frame["first_freeze_member"] = [
        "" if pd.isna(value) else str(value) for value in member.astype(object)
    ]
    return frame


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("scenarios")
    path = folder / "equivalence-variant.toml"
    path.write_text(VARIANT, encoding="utf-8")
    return load(path)


@pytest.fixture(scope="module")
def cases(variant: Scenario) -> list[tuple[Scenario, dict[str, np.ndarray], np.ndarray]]:
    baseline = load("baseline-2022")
    variant_paths = tuple(p for p in PATHS if p not in VARIANT_FIXED) + VARIANT_EXTRA
    return [
        (baseline, *random_design(baseline, PATHS, POINTS_PER_SCENARIO, seed=2022)),
        (variant, *random_design(variant, variant_paths, POINTS_PER_SCENARIO, seed=2023)),
    ]


@pytest.mark.slow
def test_batch_engine_equals_mesa_model_on_random_design_points(
    cases: list[tuple[Scenario, dict[str, np.ndarray], np.ndarray]],
) -> None:
    kinds: set[str] = set()
    variants: set[tuple[str, ...]] = set()
    compared = 0
    for scenario, overrides, seeds in cases:
        batch = simulate(scenario, seeds, overrides, timeseries=True, events=True)
        outcomes = outcome_table(batch)
        for index, seed in enumerate(seeds):
            point = design_point(overrides, index)
            reference, model = mesa_run(scenario, int(seed), point)
            assert_same_run(batch, index, reference)
            assert_same_outcomes(outcomes, index, model)
            kinds.update(reference.events["kind"])
            variants.add(tuple(str(point[f"variants.{key}"]) for key in schema.VARIANTS))
            compared += 1
    assert compared >= 50
    assert kinds == set(KINDS), f"event kinds never exercised: {set(KINDS) - kinds}"
    assert len(variants) == 4, f"combinations of structural variants compared: {variants}"


def test_a_runs_results_do_not_depend_on_its_batch(
    cases: list[tuple[Scenario, dict[str, np.ndarray], np.ndarray]],
) -> None:
    scenario, overrides, seeds = cases[1]
    whole = simulate(scenario, seeds, overrides, timeseries=True, events=True)
    order = np.random.default_rng(5).permutation(len(seeds))
    for part in np.array_split(order, [1, 8]):  # one run alone, 7 runs, the rest shuffled
        sub = {path: values[part] for path, values in overrides.items()}
        alone = simulate(scenario, seeds[part], sub, timeseries=True, events=True)
        pd.testing.assert_frame_equal(
            comparable(outcome_table(alone)), comparable(outcome_table(whole).iloc[part])
        )
        for name, series in (alone.series or {}).items():
            assert whole.series is not None
            np.testing.assert_array_equal(series, whole.series[name][part])
        for position, run in enumerate(part):
            mine = run_result(alone, position).events
            pd.testing.assert_frame_equal(mine, run_result(whole, int(run)).events)


def test_variant_scenario_is_valid(variant: Scenario) -> None:
    assert Path(variant.files[-1]).name == "equivalence-variant.toml"
    assert {event.kind for event in variant.events} >= {
        "mobilisation_shock",
        "pipeline_suspension",
        "coercion",
        "appeal",
        "security_pledge",
        "clash",
    }
