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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.engine import BatchResult, simulate
from sim.scenario import Scenario, schema

MEMBER: Final = {name: index for index, name in enumerate(schema.MEMBERS)}
#: Steps of the baseline's calendar (start 2022-09): September 2022 is step 1, October step 2.
SEPTEMBER_2022: Final = 1
OCTOBER_2022: Final = 2


@dataclass(frozen=True)
class Check:
    """One comparison a pattern rests on: what is claimed, whether it held, what was seen, and
    (for a number held to bounds) the number and its bounds."""

    claim: str
    passed: bool
    observed: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    error: float = 0.0
    """The number's standard error over the runs (sampling noise)."""

    def fails_clearly(self, errors: float = 2.0) -> bool:
        """Whether the check fails by more than ``errors`` standard errors (a yes-or-no check:
        whether it fails). Comparing two models, a miss within sampling noise is no verdict."""
        if self.value is None:
            return not self.passed
        margin = errors * self.error
        low = -np.inf if self.low is None else self.low - margin
        high = np.inf if self.high is None else self.high + margin
        return not low <= self.value <= high


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

    def fails_clearly(self, errors: float = 2.0) -> bool:
        """Whether some check fails beyond sampling noise (:meth:`Check.fails_clearly`)."""
        return any(check.fails_clearly(errors) for check in self.checks)

    def failures(self) -> list[str]:
        return [
            f"{check.claim} (saw {check.observed})" for check in self.checks if not check.passed
        ]


def _check(claim: str, passed: bool | np.bool_, observed: str) -> Check:
    return Check(claim, bool(passed), observed)


def _bounded(
    claim: str,
    value: float,
    observed: str,
    error: float,
    low: float | None = None,
    high: float | None = None,
) -> Check:
    """A number held to bounds (inclusive), with its standard error."""
    passed = (low is None or value >= low) and (high is None or value <= high)
    return Check(claim, passed, observed, value, low, high, error)


def _mean_error(values: npt.ArrayLike) -> float:
    """Standard error of a mean over runs."""
    array = np.asarray(values, dtype=np.float64).ravel()
    return float(array.std(ddof=1) / np.sqrt(array.size)) if array.size > 1 else 0.0


def _share_error(bound: float, runs: int) -> float:
    """Standard error of a share over ``runs`` runs, at the bound it is held to (at least that of
    one run in ``runs``, so a bound of 0 or 1 still allows one run's noise)."""
    return float(np.sqrt(max(bound * (1.0 - bound), 1.0 / runs) / runs))


#: Per-run values (a posterior's draws, one per seed) a pattern's runs take; None: the scenario's.
Overrides = Mapping[str, npt.ArrayLike] | None


def _run(
    scenario: Scenario,
    seeds: Sequence[int],
    overrides: Overrides = None,
    timeseries: bool = False,
    events: bool = False,
) -> BatchResult:
    return simulate(scenario, list(seeds), overrides, timeseries=timeseries, events=events)


def kazakhstan_hedges(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """Pattern 1: Kazakhstan hedges — its alignment ends well below Belarus's, it speaks out —
    but it does not leave."""
    batch = _run(scenario, seeds, overrides)
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
            _bounded(
                "Kazakhstan's final alignment is on average at least 0.15 below Belarus's",
                gap,
                f"{gap:.3f}",
                _mean_error(belarus - kazakhstan),
                low=0.15,
            ),
            _bounded(
                "Kazakhstan ends hedging: mean final alignment between 0.3 and 0.6",
                mean,
                f"{mean:.3f}",
                _mean_error(kazakhstan),
                low=0.3,
                high=0.6,
            ),
            _bounded(
                "Kazakhstan exits in at most 5% of runs",
                exited,
                f"{exited:.0%}",
                _share_error(0.05, len(seeds)),
                high=0.05,
            ),
            _bounded(
                "Kazakhstan speaks out (voice) in at least 80% of runs",
                voiced,
                f"{voiced:.0%}",
                _share_error(0.8, len(seeds)),
                low=0.8,
            ),
        ),
    )


def armenia_abandoned(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """Pattern 2: Armenia's unanswered appeal costs most of its trust, and Armenia turns to
    the EU and France (against a counterfactual without the appeal, same seeds)."""
    batch = _run(scenario, seeds, overrides, timeseries=True, events=True)
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
    without = _run(
        scenario.without_events("armenia-appeal-2022"), seeds, overrides, timeseries=True
    )
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
            _bounded(
                "Russia leaves Armenia's September 2022 appeal unanswered in every run",
                ignored * len(appeal) / len(seeds),
                f"{ignored:.0%} of {len(appeal)} appeals ignored",
                _share_error(1.0, len(seeds)),
                low=1.0,
            ),
            _bounded(
                "Armenia keeps at most half its trust after the appeal (mean)",
                kept,
                f"{kept:.2f} of its trust kept",
                _mean_error(trust[:, SEPTEMBER_2022] / trust[:, 0]),
                high=0.5,
            ),
            _bounded(
                "outside powers offer Armenia more protection in October 2022 than without the "
                "appeal (mean difference at least 0.05)",
                turned,
                f"{turned:+.3f}",
                _mean_error(protection - protection_without),
                low=0.05,
            ),
        ),
    )


def belarus_most_loyal(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """Pattern 3: Belarus stays the most loyal member."""
    batch = _run(scenario, seeds, overrides, timeseries=True)
    assert batch.series is not None
    most_loyal = batch.series["alignment"].argmax(axis=2)
    share = float(np.mean(np.all(most_loyal == MEMBER["Belarus"], axis=1)))
    return PatternResult(
        "belarus-most-loyal",
        "Belarus stays the most loyal member",
        "article: 'with the exception of Moscow loyalist Belarus'",
        (
            _bounded(
                "Belarus has the highest alignment at every step in at least 95% of runs",
                share,
                f"{share:.0%} of runs",
                _share_error(0.95, len(seeds)),
                low=0.95,
            ),
        ),
    )


def clash_cancels_drill(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """Pattern 4: the Kyrgyz-Tajik clash cancels the October 2022 drill and lowers cohesion
    (against a counterfactual without the clash, same seeds)."""
    batch = _run(scenario, seeds, overrides, timeseries=True, events=True)
    calm = _run(
        scenario.without_events("kyrgyz-tajik-clash-2022"),
        seeds,
        overrides,
        timeseries=True,
        events=True,
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
            _bounded(
                "the October 2022 drill is cancelled, because of the clash, in every run",
                by_clash,
                f"cancelled in {cancelled:.0%}, for the clash in {by_clash:.0%}",
                _share_error(1.0, len(seeds)),
                low=1.0,
            ),
            _bounded(
                "without the clash it is held in at least 80% of runs",
                cancelled_calm,
                f"cancelled in {cancelled_calm:.0%}",
                _share_error(0.2, len(seeds)),
                high=0.2,
            ),
            _bounded(
                "cohesion over the six months from September 2022 is lower with the clash "
                "(mean gap at least 0.02)",
                gap,
                f"{gap:+.3f}",
                _mean_error(
                    (calm.series["cohesion"][:, window] - batch.series["cohesion"][:, window]).mean(
                        axis=1
                    )
                ),
                low=0.02,
            ),
        ),
    )


#: The constant capacities pattern 5 compares.
CAPACITY_LEVELS: Final = (0.1, 0.3, 0.5, 0.7, 0.9)


def capacity_orders_cohesion(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """Pattern 5: lower Russian capacity gives lower cohesion and weaker coercion."""
    cohesion: list[float] = []
    pull: list[float] = []
    # the capacity path is what this pattern sets: drawn values of it do not apply
    kept = {k: v for k, v in (overrides or {}).items() if not k.startswith("russia.capacity.")}
    for level in CAPACITY_LEVELS:
        batch = _run(scenario.with_constant_capacity(level), seeds, kept, events=True)
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


def article_reasons(
    scenario: Scenario, seeds: Sequence[int], overrides: Overrides = None
) -> PatternResult:
    """The article's reasons: in October 2022 the motives that pull and push hardest are the
    ones the article names (an explanation check, see :attr:`PatternResult.kind`)."""
    batch = _run(scenario, seeds, overrides, timeseries=True)
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
                "Russia's threat weighs on Kazakhstan more than on any other member",
                int(np.abs(threat).argmax()) == kazakhstan,
                schema.MEMBERS[int(np.abs(threat).argmax())],
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
PATTERNS: Final[dict[str, Callable[[Scenario, Sequence[int], Overrides], PatternResult]]] = {
    "kazakhstan-hedges": kazakhstan_hedges,
    "armenia-abandoned": armenia_abandoned,
    "belarus-most-loyal": belarus_most_loyal,
    "clash-cancels-drill": clash_cancels_drill,
    "capacity-orders-cohesion": capacity_orders_cohesion,
    "article-reasons": article_reasons,
}


def check_patterns(
    scenario: Scenario,
    seeds: Sequence[int],
    names: Sequence[str] | None = None,
    overrides: Overrides = None,
) -> list[PatternResult]:
    """The results of the named patterns (default: all) on a scenario; ``overrides`` gives the
    runs values of their own (one per seed: a posterior's draws)."""
    chosen = list(PATTERNS) if names is None else list(names)
    return [PATTERNS[name](scenario, seeds, overrides) for name in chosen]
