"""Mutants: the model with one mechanism disabled or inverted, to show validation can fail.

A validation pattern that every version of the model passes tests nothing. Each
:class:`Mutant` breaks one mechanism — by a value no calibration would choose (a weight of
zero) or by swapping one rule of :mod:`sim.model.rules` for a broken one while it is in use —
and names the patterns (:mod:`sim.validation.patterns`) that should reject it. The tests run
each mutant through those patterns and require at least one to fail; ``docs/model.md`` lists
the table. The calibration issue runs every mutant through the whole validation and reports
the share rejected.

>>> [mutant.name for mutant in MUTANTS][:3]
['no-regime-guarantee', 'no-lock-in', 'no-entrapment']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from sim.model import rules
from sim.scenario import Scenario, schema


@dataclass(frozen=True)
class Mutant:
    """One broken version of the model."""

    name: str
    breaks: str
    """The mechanism broken, and how."""
    targets: tuple[str, ...]
    """The patterns that reject it (empty: the article's patterns do not constrain the
    mechanism it breaks; ``docs/model.md`` says so)."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """Scenario values that break it (a weight of zero, say)."""
    rules: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """Rules of :mod:`sim.model.rules` replaced while the mutant runs."""

    def scenario(self, base: Scenario) -> Scenario:
        """``base`` with the mutant's values."""
        if not self.overrides:
            return base
        return base.with_values(dict(self.overrides), origin=f"mutant {self.name}")

    @contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block, the month calls the mutant's rules (in this process only)."""
        saved = {name: getattr(rules, name) for name in self.rules}
        try:
            for name, replacement in self.rules.items():
                setattr(rules, name, replacement)
            yield
        finally:
            for name, original in saved.items():
                setattr(rules, name, original)


_original = {
    name: getattr(rules, name)
    for name in (
        "required_capacity",
        "drill_held",
        "motive_states",
        "alignment_after_coercion",
        "trust_after_appeal",
        "engagement_after_step_in",
        "policed_hazard",
    )
}


def _always_answers(*args: Any, **kwargs: Any) -> Any:
    """Russia's bar for an answer is zero: every appeal and every voice is answered."""
    return np.zeros_like(np.asarray(_original["required_capacity"](*args, **kwargs)))


def _drill_ignores_clashes(
    russia_takes_part: Any, host_willing: Any, host_in_clash: Any, *rest: Any
) -> Any:
    """A host in an active clash hosts anyway."""
    return _original["drill_held"](russia_takes_part, host_willing, False, *rest)


def _capacity_blind_motives(
    trust: Any,
    capacity: Any,
    dependence: Any,
    intent: Any,
    outside_protection: Any,
    outside_options: Any,
    alignment: Any,
) -> Any:
    """Members weigh Russia as if it had its pre-war capacity, whatever it has."""
    full = np.ones_like(np.asarray(capacity, dtype=np.float64))
    return _original["motive_states"](
        trust, full, dependence, intent, outside_protection, outside_options, alignment
    )


def _coercion_at_full_strength(alignment: Any, capacity: Any, leverage: Any, effect: Any) -> Any:
    """Coercion pulls as hard whatever Russia's capacity."""
    return _original["alignment_after_coercion"](alignment, 1.0, leverage, effect)


def _coercion_repels(alignment: Any, capacity: Any, leverage: Any, effect: Any) -> Any:
    """Coercion pushes a member away as hard as it would have pulled it."""
    return _original["alignment_after_coercion"](alignment, capacity, leverage, -effect)


def _abandonment_forgiven(trust: Any, answered: Any, weight: Any, gain: Any, loss: Any) -> Any:
    """An ignored appeal costs no trust."""
    return _original["trust_after_appeal"](trust, answered, weight, gain, 0.0 * loss)


def _nobody_steps_in(engagement: Any, interest: Any, step_in: Any) -> Any:
    """Outside powers never step in, nor keep a pledge."""
    return engagement


def _crises_ignore_policing(
    hazard: Any, capacity: Any, policing_effect: Any, reference_capacity: Any
) -> Any:
    """Clashes and crises come as often whatever Russia's capacity (at full capacity's rate)."""
    return _original["policed_hazard"](hazard, 1.0, policing_effect, reference_capacity)


#: The mutants, each breaking one mechanism.
MUTANTS: Final = (
    Mutant(
        "no-regime-guarantee",
        "the regime guarantee counts for nothing (weight_regime = 0)",
        (),
        overrides={"mechanisms.weight_regime": 0.0},
    ),
    Mutant(
        "no-lock-in",
        "dependence is no cost of exit (weight_lockin = 0)",
        ("clash-cancels-drill", "article-reasons"),
        overrides={"mechanisms.weight_lockin": 0.0},
    ),
    Mutant(
        "no-entrapment",
        "standing by Russia under sanctions costs nothing (weight_entrapment = 0)",
        ("article-reasons",),
        overrides={"mechanisms.weight_entrapment": 0.0},
    ),
    Mutant(
        "russia-always-answers",
        "Russia answers every appeal and every voice, whatever its spare capacity",
        ("armenia-abandoned", "clash-cancels-drill"),
        rules={"required_capacity": _always_answers},
    ),
    Mutant(
        "abandonment-forgiven",
        "an ignored appeal costs no trust",
        ("armenia-abandoned",),
        rules={"trust_after_appeal": _abandonment_forgiven},
    ),
    Mutant(
        "nobody-steps-in",
        "outside powers never step in where Russia does not (nor keep pledges)",
        ("armenia-abandoned",),
        rules={"engagement_after_step_in": _nobody_steps_in},
    ),
    Mutant(
        "clashes-do-not-block-drills",
        "a host in an active clash hosts the drill anyway",
        ("clash-cancels-drill",),
        rules={"drill_held": _drill_ignores_clashes},
    ),
    Mutant(
        "no-clash-strain",
        "a clash between members puts no strain on the alliance (clash_severity = 0)",
        (),
        overrides={"mechanisms.clash_severity": 0.0},
    ),
    Mutant(
        "capacity-blind-members",
        "members weigh Russia as if it had its pre-war capacity",
        ("kazakhstan-hedges", "belarus-most-loyal", "article-reasons"),
        rules={"motive_states": _capacity_blind_motives},
    ),
    Mutant(
        "coercion-at-full-strength",
        "coercion pulls as hard whatever Russia's capacity",
        ("belarus-most-loyal", "capacity-orders-cohesion"),
        rules={"alignment_after_coercion": _coercion_at_full_strength},
    ),
    Mutant(
        "coercion-repels",
        "coercion pushes a member away instead of pulling it back",
        ("capacity-orders-cohesion",),
        rules={"alignment_after_coercion": _coercion_repels},
    ),
    Mutant(
        "no-threat",
        "Russia's own threat counts for nothing (weight_threat = 0)",
        ("article-reasons",),
        overrides={"mechanisms.weight_threat": 0.0},
    ),
    Mutant(
        "crises-ignore-policing",
        "clashes and crises come as often whatever Russia's capacity",
        (),
        rules={"policed_hazard": _crises_ignore_policing},
    ),
)

#: Mutants by name.
BY_NAME: Final = {mutant.name: mutant for mutant in MUTANTS}

assert all(set(mutant.overrides) <= set(schema.all_leaves()) for mutant in MUTANTS), (
    "a mutant overrides a value the schema does not have"
)
