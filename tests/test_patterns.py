"""Pattern-oriented validation: the article's patterns, each over many seeds of the baseline,
and the mutants that show each pattern can fail.

The patterns live in :mod:`sim.validation.patterns` (each a list of checks with the numbers
behind them), the mutants in :mod:`sim.validation.mutants`. A pattern the model cannot
reproduce would be reported in docs/model.md, not tuned away; a mutant no pattern rejects is
listed there as a mechanism the article's patterns do not constrain.
"""

from __future__ import annotations

import pytest

from sim.scenario import Scenario, load
from sim.validation.mutants import MUTANTS, Mutant
from sim.validation.patterns import PATTERNS, check_patterns

SEEDS = list(range(50))


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load("baseline-2022")


@pytest.mark.parametrize("name", list(PATTERNS))
def test_the_baseline_reproduces_the_pattern(baseline: Scenario, name: str) -> None:
    (result,) = check_patterns(baseline, SEEDS, [name])
    assert result.passed, result.failures()
    assert result.checks and all(check.observed for check in result.checks)


@pytest.mark.parametrize("name", list(PATTERNS))
def test_every_pattern_is_rejected_by_some_mutant(name: str) -> None:
    """A pattern no broken model fails would be an input, not a validation."""
    assert any(name in mutant.targets for mutant in MUTANTS), name


def failing(mutant: Mutant, baseline: Scenario, names: list[str]) -> set[str]:
    with mutant.applied():
        results = check_patterns(mutant.scenario(baseline), SEEDS, names)
    return {result.name for result in results if not result.passed}


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.targets], ids=lambda m: m.name)
def test_a_mutant_fails_the_patterns_it_breaks(baseline: Scenario, mutant: Mutant) -> None:
    assert failing(mutant, baseline, list(mutant.targets)) == set(mutant.targets)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if not m.targets], ids=lambda m: m.name)
def test_a_mutant_listed_as_uncaught_passes_every_pattern(
    baseline: Scenario, mutant: Mutant
) -> None:
    """docs/model.md says these mechanisms are not constrained by the article's patterns: if a
    pattern starts to reject one, the table there must say so."""
    assert failing(mutant, baseline, list(PATTERNS)) == set()


def test_a_mutant_leaves_the_model_as_it_was(baseline: Scenario) -> None:
    from sim.model import rules

    before = rules.drill_held
    mutant = next(m for m in MUTANTS if m.rules)
    with mutant.applied():
        assert any(getattr(rules, name) is not before for name in mutant.rules)
    assert rules.drill_held is before
    assert check_patterns(baseline, SEEDS[:10], ["clash-cancels-drill"])[0].passed
