"""The article's patterns as checks a run of the model can pass or fail.

Pattern-oriented validation (Grimm et al. 2005): the October 2022 article describes five
patterns (``docs/model.md``, section 4). Each is a function of a scenario and a list of seeds
that runs the batch engine and returns a :class:`PatternResult`: the checks that make the
pattern up, whether each held, and the numbers behind it. The tests (``tests/test_patterns.py``)
require every pattern to hold for the baseline, and every mutant of
:mod:`sim.validation.mutants` to fail the patterns it targets: a check no mutant can fail would
be an input, not a validation.

>>> from sim.scenario import load
>>> result = belarus_most_loyal(load("baseline-2022"), range(20))
>>> result.passed, result.name
(True, 'belarus-most-loyal')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from sim.engine import BatchResult, simulate
from sim.scenario import Scenario, schema

MEMBER: Final = {name: index for index, name in enumerate(schema.MEMBERS)}
#: Steps of the baseline's calendar (start 2022-09): September 2022 is step 1, October step 2.
SEPTEMBER_2022: Final = 1
OCTOBER_2022: Final = 2


@dataclass(frozen=True)
class Check:
    """One comparison a pattern rests on: what is claimed, whether it held, what was seen."""

    claim: str
    passed: bool
    observed: str


@dataclass(frozen=True)
class PatternResult:
    """The checks of one pattern on one scenario and set of seeds."""

    name: str
    title: str
    source: str
    checks: tuple[Check, ...]
    kind: str = "outcome"
    """"outcome" for what the model produces over time; "explanation" for the reasons it gives
    (which motive pulls or pushes hardest): those rest largely on inputs and weights, so they
    check the model's reasons against the article's, not its dynamics."""

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def failures(self) -> list[str]:
        return [
            f"{check.claim} (saw {check.observed})" for check in self.checks if not check.passed
        ]


def _check(claim: str, passed: bool | np.bool_, observed: str) -> Check:
    return Check(claim, bool(passed), observed)


def _run(
    scenario: Scenario, seeds: Sequence[int], timeseries: bool = False, events: bool = False
) -> BatchResult:
    return simulate(scenario, list(seeds), timeseries=timeseries, events=events)


def kazakhstan_hedges(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """Pattern 1: Kazakhstan hedges — its alignment ends well below Belarus's, it speaks out —
    but it does not leave."""
    batch = _run(scenario, seeds)
    kazakhstan = batch.final_alignment[:, MEMBER["Kazakhstan"]]
    belarus = batch.final_alignment[:, MEMBER["Belarus"]]
    gap = float(np.mean(belarus - kazakhstan))
    exited = float(np.mean(batch.freeze_step[:, MEMBER["Kazakhstan"]] >= 0))
    voiced = float(np.mean(batch.voice_acts[:, MEMBER["Kazakhstan"]] > 0))
    mean = float(np.mean(kazakhstan))
    return PatternResult(
        "kazakhstan-hedges",
        "Kazakhstan hedges but does not leave",
        "article: 'a careful diluting of ties rather than a full pivot away from Moscow'; "
        "Kazakhstan 'snubbed a demand from Moscow'",
        (
            _check(
                "Kazakhstan's final alignment is on average at least 0.15 below Belarus's",
                gap >= 0.15,
                f"{gap:.3f}",
            ),
            _check(
                "Kazakhstan ends hedging: mean final alignment between 0.3 and 0.6",
                0.3 <= mean <= 0.6,
                f"{mean:.3f}",
            ),
            _check("Kazakhstan exits in at most 5% of runs", exited <= 0.05, f"{exited:.0%}"),
            _check(
                "Kazakhstan speaks out (voice) in at least 80% of runs",
                voiced >= 0.8,
                f"{voiced:.0%}",
            ),
        ),
    )


def armenia_abandoned(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """Pattern 2: Armenia's unanswered appeal costs most of its trust, and Armenia turns to
    the EU and France (against a counterfactual without the appeal, same seeds)."""
    batch = _run(scenario, seeds, timeseries=True, events=True)
    assert batch.events is not None and batch.series is not None
    events = batch.events
    appeal = events[
        (events["step"] == SEPTEMBER_2022)
        & (events["member"] == "Armenia")
        & events["kind"].str.startswith("appeal_")
    ]
    ignored = float(np.mean(appeal["kind"] == "appeal_ignored")) if len(appeal) else 0.0
    armenia = MEMBER["Armenia"]
    trust = batch.series["trust"][:, :, armenia]
    kept = float(np.mean(trust[:, SEPTEMBER_2022] / trust[:, 0]))
    without = _run(scenario.without_events("armenia-appeal-2022"), seeds, timeseries=True)
    assert without.series is not None
    protection = batch.series["outside_protection"][:, OCTOBER_2022, armenia]
    protection_without = without.series["outside_protection"][:, OCTOBER_2022, armenia]
    turned = float(np.mean(protection - protection_without))
    return PatternResult(
        "armenia-abandoned",
        "Armenia's unanswered appeal costs most of its trust; Armenia turns to the EU",
        "article: 'no military aid was sent. Instead of Russia, it was France and the EU that "
        "stepped in'",
        (
            _check(
                "Russia leaves Armenia's September 2022 appeal unanswered in every run",
                len(appeal) == len(seeds) and ignored == 1.0,
                f"{ignored:.0%} of {len(appeal)} appeals ignored",
            ),
            _check(
                "Armenia keeps at most half its trust after the appeal (mean)",
                kept <= 0.5,
                f"{kept:.2f} of its trust kept",
            ),
            _check(
                "outside powers offer Armenia more protection in October 2022 than without the "
                "appeal (mean difference at least 0.05)",
                turned >= 0.05,
                f"{turned:+.3f}",
            ),
        ),
    )


def belarus_most_loyal(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """Pattern 3: Belarus stays the most loyal member."""
    batch = _run(scenario, seeds, timeseries=True)
    assert batch.series is not None
    most_loyal = batch.series["alignment"].argmax(axis=2)
    share = float(np.mean(np.all(most_loyal == MEMBER["Belarus"], axis=1)))
    return PatternResult(
        "belarus-most-loyal",
        "Belarus stays the most loyal member",
        "article: 'with the exception of Moscow loyalist Belarus'",
        (
            _check(
                "Belarus has the highest alignment at every step in at least 95% of runs",
                share >= 0.95,
                f"{share:.0%} of runs",
            ),
        ),
    )


def clash_cancels_drill(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """Pattern 4: the Kyrgyz-Tajik clash cancels the October 2022 drill and lowers cohesion
    (against a counterfactual without the clash, same seeds)."""
    batch = _run(scenario, seeds, timeseries=True, events=True)
    calm = _run(
        scenario.without_events("kyrgyz-tajik-clash-2022"), seeds, timeseries=True, events=True
    )
    assert batch.events is not None and calm.events is not None
    assert batch.series is not None and calm.series is not None

    def october_drills(result: BatchResult) -> tuple[float, float]:
        events = result.events
        assert events is not None
        drills = events[(events["step"] == OCTOBER_2022) & events["kind"].str.startswith("drill_")]
        cancelled = drills["kind"] == "drill_cancelled"
        by_clash = cancelled & (drills["cause"] == "clash")
        return float(cancelled.mean()), float(by_clash.mean())

    cancelled, by_clash = october_drills(batch)
    cancelled_calm, _ = october_drills(calm)
    window = slice(SEPTEMBER_2022, SEPTEMBER_2022 + 6)
    gap = float(np.mean(calm.series["cohesion"][:, window] - batch.series["cohesion"][:, window]))
    return PatternResult(
        "clash-cancels-drill",
        "A Kyrgyz-Tajik clash cancels the drill and lowers cohesion",
        "article: 'Kyrgyzstan pulled out of hosting the alliance's joint drills ... The "
        '"indivisible brotherhood" exercises were cancelled\'',
        (
            _check(
                "the October 2022 drill is cancelled, because of the clash, in every run",
                by_clash == 1.0,
                f"cancelled in {cancelled:.0%}, for the clash in {by_clash:.0%}",
            ),
            _check(
                "without the clash it is held in at least 80% of runs",
                cancelled_calm <= 0.2,
                f"cancelled in {cancelled_calm:.0%}",
            ),
            _check(
                "cohesion over the six months from September 2022 is lower with the clash "
                "(mean gap at least 0.02)",
                gap >= 0.02,
                f"{gap:+.3f}",
            ),
        ),
    )


#: The constant capacities pattern 5 compares.
CAPACITY_LEVELS: Final = (0.1, 0.3, 0.5, 0.7, 0.9)


def capacity_orders_cohesion(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """Pattern 5: lower Russian capacity gives lower cohesion and weaker coercion."""
    cohesion: list[float] = []
    pull: list[float] = []
    for level in CAPACITY_LEVELS:
        batch = _run(scenario.with_constant_capacity(level), seeds, events=True)
        assert batch.events is not None
        cohesion.append(float(np.mean(batch.final_cohesion)))
        coerced = batch.events[batch.events["kind"] == "coercion"]
        pull.append(float(coerced["effect"].mean()) if len(coerced) else 0.0)
    return PatternResult(
        "capacity-orders-cohesion",
        "Lower capacity gives lower cohesion and weaker coercion",
        "article: 'Russia's draining war' creates 'an opportunity ... to chip away'; 'we don't "
        "see anything that Russia can use to stop Kazakhstan'",
        (
            _check(
                "mean final cohesion rises with constant capacity "
                + "/".join(f"{level:g}" for level in CAPACITY_LEVELS),
                bool(np.all(np.diff(cohesion) > 0)),
                " / ".join(f"{value:.3f}" for value in cohesion),
            ),
            _check(
                "the mean pull of a coercion rises with capacity",
                bool(np.all(np.diff(pull) > 0)),
                " / ".join(f"{value:.4f}" for value in pull),
            ),
        ),
    )


def article_reasons(scenario: Scenario, seeds: Sequence[int]) -> PatternResult:
    """The article's reasons: in October 2022 the motives that pull and push hardest are the
    ones the article names (an explanation check, see :attr:`PatternResult.kind`)."""
    batch = _run(scenario, seeds, timeseries=True)
    assert batch.series is not None
    motives = {
        name: np.median(batch.series[f"driver_{name}"][:, OCTOBER_2022], axis=0)
        for name in ("protection", "regime", "lockin", "threat", "outside_protection")
    }
    motives.update(
        {
            name: np.median(batch.series[f"driver_{name}"][:, OCTOBER_2022], axis=0)
            for name in ("markets", "entrapment")
        }
    )
    order = list(motives)
    table = np.stack([motives[name] for name in order], axis=-1)  # members x motives
    kazakhstan, armenia = MEMBER["Kazakhstan"], MEMBER["Armenia"]

    def strongest(member: int, pull: bool) -> str:
        row = table[member]
        return order[int(row.argmax() if pull else row.argmin())]

    pushes = np.argsort(table[kazakhstan])[:2]
    threat = table[:, order.index("threat")]
    return PatternResult(
        "article-reasons",
        "The motives that pull and push hardest are the article's",
        "article: Kazakhstan has 'no choice but to maintain good links', must not be 'placed in "
        "the same bag as Russia', and fears for its 'large ethnic Russian population'; for "
        "Armenia 'it was France and the EU that stepped in'",
        (
            _check(
                "Kazakhstan's strongest pull in October 2022 is lock-in (dependence)",
                strongest(kazakhstan, pull=True) == "lockin",
                strongest(kazakhstan, pull=True),
            ),
            _check(
                "entrapment is one of Kazakhstan's two strongest pushes",
                order.index("entrapment") in pushes,
                ", ".join(order[int(index)] for index in pushes),
            ),
            _check(
                "Russia's threat pushes Kazakhstan harder than any other member",
                int(threat.argmin()) == kazakhstan,
                schema.MEMBERS[int(threat.argmin())],
            ),
            _check(
                "Armenia's strongest push is the protection outside powers offer",
                strongest(armenia, pull=False) == "outside_protection",
                strongest(armenia, pull=False),
            ),
        ),
        kind="explanation",
    )


#: Every pattern, by name, in the article's order.
PATTERNS: Final[dict[str, Callable[[Scenario, Sequence[int]], PatternResult]]] = {
    "kazakhstan-hedges": kazakhstan_hedges,
    "armenia-abandoned": armenia_abandoned,
    "belarus-most-loyal": belarus_most_loyal,
    "clash-cancels-drill": clash_cancels_drill,
    "capacity-orders-cohesion": capacity_orders_cohesion,
    "article-reasons": article_reasons,
}


def check_patterns(
    scenario: Scenario, seeds: Sequence[int], names: Sequence[str] | None = None
) -> list[PatternResult]:
    """The results of the named patterns (default: all) on a scenario."""
    chosen = list(PATTERNS) if names is None else list(names)
    return [PATTERNS[name](scenario, seeds) for name in chosen]
