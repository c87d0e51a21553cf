"""Each named scenario runs, and moves outcomes in the direction its narrative claims.

Every scenario is run against the baseline (or another scenario its narrative names) under the
same 20 replicate seeds, 37 months (September 2022 to September 2025): common random numbers,
so the paired differences show the scenario's effect and not luck. The claims below restate
each narrative's sentences; if the model stops supporting one, change the narrative (and this
table), do not tune the model.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import pandas as pd
import pytest

from sim.results.replicates import run_replicates
from sim.scenario import available, load, schema

MASTER_SEED = 2022
REPLICATES = 20
STEPS = 37
BASELINE = "baseline-2022"
MEMBERS = schema.MEMBERS


@dataclass(frozen=True)
class Claim:
    """``metric`` in the scenario is ``relation`` than in ``reference`` (mean paired difference).

    Relations: "lower", "higher", "about" (|difference| < ``tolerance``), "at most"
    (the scenario's own mean is at most ``tolerance``); for a metric per member named
    ``<column>_<member>``: "largest drop" (it falls most for that member), "lowest" (that
    member's scenario mean is the lowest).
    """

    metric: str
    relation: str
    reference: str = BASELINE
    tolerance: float = 0.0

    def describe(self) -> str:
        if self.relation == "at most":
            return f"mean {self.metric} <= {self.tolerance:g}"
        if self.relation in ("largest drop", "lowest"):
            return f"{self.metric}: the {self.relation} of all members (vs {self.reference})"
        if self.relation == "about":
            return f"{self.metric} within {self.tolerance:g} of {self.reference}"
        return f"{self.metric} {self.relation} than in {self.reference}"


def lower(metric: str, reference: str = BASELINE) -> Claim:
    return Claim(metric, "lower", reference)


def higher(metric: str, reference: str = BASELINE) -> Claim:
    return Claim(metric, "higher", reference)


def every_member(relation: str, column: str = "final_alignment", reference: str = BASELINE):
    return [Claim(f"{column}_{name}", relation, reference) for name in MEMBERS]


CLAIMS: dict[str, list[Claim]] = {
    "protracted-war": [
        lower("final_capacity"),
        lower("final_cohesion"),
        *every_member("lower"),
        *every_member("lower", column="final_trust"),
        higher("appeals_ignored"),
        higher("voice_acts_Kyrgyzstan"),
        higher("voice_acts_Tajikistan"),
        higher("coercions"),
    ],
    "ceasefire-2023": [
        higher("final_capacity"),
        higher("final_cohesion"),
        *every_member("higher"),
        higher("appeals_answered"),
        lower("voice_acts_Armenia"),
        lower("voice_acts_Kazakhstan"),
        lower("coercions"),
    ],
    "russian-collapse": [
        lower("final_capacity"),
        lower("final_cohesion"),
        *every_member("lower"),
        Claim("final_alignment_Tajikistan", "largest drop"),
        higher("appeals_ignored"),
        higher("voice_acts_Tajikistan"),
        Claim("frozen_members", "at most", tolerance=0.0),
    ],
    "china-steps-in": [
        lower("final_alignment_Kazakhstan"),
        lower("final_alignment_Kyrgyzstan"),
        lower("final_alignment_Tajikistan"),
        Claim("final_alignment_Tajikistan", "largest drop"),
        lower("final_cohesion"),
        higher("voice_acts_Tajikistan"),
        Claim("frozen_members", "at most", tolerance=0.0),
    ],
    "west-engages-armenia": [
        lower("final_alignment_Armenia"),
        Claim("final_alignment_Armenia", "largest drop"),
        lower("final_cohesion"),
        Claim("frozen_Armenia", "at most", tolerance=0.0),
    ],
    "trans-caspian-bypass": [
        lower("final_energy_transit_Kazakhstan"),
        lower("final_alignment_Kazakhstan"),
        Claim("final_alignment_Kazakhstan", "about", tolerance=0.02),
        Claim("final_cohesion", "about", tolerance=0.01),
    ],
    "coercive-moscow": [
        higher("coercions"),
        *every_member("higher"),
        higher("final_cohesion"),
    ],
    "frozen-conflicts-flare": [
        higher("clashes"),
        higher("appeals_ignored"),
        lower("final_cohesion"),
        Claim("final_alignment_Armenia", "largest drop"),
        *every_member("lower", column="final_trust"),
    ],
    "second-mobilisation": [
        lower("final_capacity"),
        lower("final_cohesion"),
        *every_member("lower"),
    ],
    "stop-go-war": [
        higher("final_capacity"),
        higher("final_cohesion"),
        *every_member("higher"),
        lower("final_cohesion", reference="ceasefire-2023"),
        *every_member("lower", reference="ceasefire-2023"),
    ],
}


@functools.cache
def outcomes(name: str) -> pd.DataFrame:
    """One row per replicate: the summary plus final ties and freezes per member."""
    runs = run_replicates(name, seed=MASTER_SEED, replicates=REPLICATES, steps=STEPS)
    table = runs.summary.set_index("replicate").copy()
    final = runs.timeseries[runs.timeseries["step"] == STEPS]
    for column in ("energy_transit", "frozen"):
        wide = final.pivot(index="replicate", columns="member", values=column).astype(float)
        for member in MEMBERS:
            table[f"final_{column}_{member}"] = wide[member]
    for member in MEMBERS:
        table[f"frozen_{member}"] = table[f"final_frozen_{member}"]
    table["frozen_members"] = sum(table[f"frozen_{member}"] for member in MEMBERS)
    return table


def mean_difference(name: str, metric: str, reference: str) -> float:
    scenario, base = outcomes(name), outcomes(reference)
    assert (scenario["seed"] == base["seed"]).all(), "replicates must share seeds"
    return float((scenario[metric].astype(float) - base[metric].astype(float)).mean())


def holds(name: str, claim: Claim) -> tuple[bool, str]:
    if claim.relation == "at most":
        value = float(outcomes(name)[claim.metric].astype(float).mean())
        return value <= claim.tolerance, f"mean {value:.4f}"
    column, _, member = claim.metric.rpartition("_")
    if claim.relation == "largest drop":
        drops = {m: mean_difference(name, f"{column}_{m}", claim.reference) for m in MEMBERS}
        return min(drops, key=drops.__getitem__) == member, f"changes {drops}"
    if claim.relation == "lowest":
        means = {m: float(outcomes(name)[f"{column}_{m}"].mean()) for m in MEMBERS}
        return min(means, key=means.__getitem__) == member, f"means {means}"
    difference = mean_difference(name, claim.metric, claim.reference)
    text = f"mean paired difference {difference:+.4f}"
    if claim.relation == "lower":
        return difference < 0, text
    if claim.relation == "higher":
        return difference > 0, text
    if claim.relation == "about":
        return abs(difference) < claim.tolerance, text
    raise AssertionError(claim.relation)


def test_library_has_at_least_eight_scenarios_beyond_the_baseline() -> None:
    names = set(available()) - {BASELINE}
    assert len(names) >= 8
    assert names <= set(CLAIMS), f"scenarios without claims: {sorted(names - set(CLAIMS))}"


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_scenario_is_documented_and_extends_the_baseline(name: str) -> None:
    scenario = load(name)
    assert scenario.name == name
    assert scenario.title and len(scenario.title) <= 100
    assert len(scenario.narrative.split()) >= 40, "a narrative paragraph says what it answers"
    assert "model's answer" in " ".join(scenario.narrative.split())
    assert scenario.files[0].endswith(f"{BASELINE}.toml")
    assert len(scenario.files) == 2


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_scenario_moves_outcomes_as_its_narrative_claims(name: str) -> None:
    failures = []
    for claim in CLAIMS[name]:
        ok, detail = holds(name, claim)
        if not ok:
            failures.append(f"{claim.describe()}: {detail}")
    assert not failures, f"{name}: narrative claims the model does not support:\n" + "\n".join(
        failures
    )


def test_second_mobilisation_works_through_capacity_not_lasting_fear() -> None:
    """The narrative: almost all of the effect by the end comes from the lost capacity."""
    full = load("second-mobilisation")
    capacity_only = dataclasses.replace(
        full,
        events=tuple(
            dataclasses.replace(event, posture_rise=0.0)
            if event.kind == "mobilisation_shock"
            else event
            for event in full.events
        ),
    )
    effect = mean_difference("second-mobilisation", "final_cohesion", BASELINE)
    runs = run_replicates(capacity_only, seed=MASTER_SEED, replicates=REPLICATES, steps=STEPS)
    without_fear = float(
        (runs.summary["final_cohesion"] - outcomes(BASELINE)["final_cohesion"].to_numpy()).mean()
    )
    assert effect < 0
    assert abs(effect - without_fear) < 0.1 * abs(effect)
