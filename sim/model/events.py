"""The event log: what happened in a run, to whom, and the numbers that made it happen.

Both engines (the Mesa model and the batch engine) record events with the same fields and the
same ordering key, and explain them with the same sentences, so their logs can be compared
row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Event kinds in the order they happen within a month (the phase of the step).
KINDS: Final = (
    "security_pledge",
    "mobilisation_shock",
    "clash",
    "appeal_answered",
    "appeal_ignored",
    "coercion",
    "drill_held",
    "drill_cancelled",
    "participation_frozen",
)
KIND_ORDER: Final = {kind: order for order, kind in enumerate(KINDS)}
#: An appeal's outcome is one phase: answered and ignored appeals interleave by member.
PHASE: Final = {
    kind: (KIND_ORDER["appeal_answered"] if kind.startswith("appeal_") else order)
    for kind, order in KIND_ORDER.items()
}

COLUMNS: Final = (
    "step",
    "date",
    "kind",
    "member",
    "counterpart",
    "origin",
    "value",
    "threshold",
    "effect",
    "explanation",
)


@dataclass(frozen=True)
class Event:
    """One event. ``value`` and ``threshold`` are the numbers compared; ``effect`` what changed."""

    step: int
    date: str
    kind: str
    member: str
    counterpart: str
    origin: str
    value: float
    threshold: float
    effect: float
    sequence: int = 0
    """Position among events of the same step, phase and member (e.g. two clashes)."""

    @property
    def explanation(self) -> str:
        return explain(
            self.kind, self.member, self.counterpart, self.value, self.threshold, self.effect
        )

    def sort_key(self) -> tuple[int, int, str, int, str]:
        return (self.step, PHASE[self.kind], self.member, self.sequence, self.counterpart)

    def as_row(self) -> dict[str, object]:
        return {
            "step": self.step,
            "date": self.date,
            "kind": self.kind,
            "member": self.member,
            "counterpart": self.counterpart,
            "origin": self.origin,
            "value": self.value,
            "threshold": self.threshold,
            "effect": self.effect,
            "explanation": self.explanation,
        }


def explain(
    kind: str, member: str, counterpart: str, value: float, threshold: float, effect: float
) -> str:
    """A one-sentence, plain-language reason for an event, built from its numbers."""
    match kind:
        case "appeal_answered":
            return (
                f"{member} appealed ({counterpart}); Russia's spare capacity {value:.2f} covered "
                f"the {threshold:.2f} an answer required; aid sent, {member}'s trust {effect:+.2f}"
            )
        case "appeal_ignored":
            return (
                f"{member} appealed ({counterpart}); Russia's spare capacity {value:.2f} fell "
                f"short of the {threshold:.2f} an answer required; no aid, {member}'s trust "
                f"{effect:+.2f}"
            )
        case "coercion":
            return (
                f"Russia pressed {member} through its {counterpart} ties (alignment {value:.2f}, "
                f"pressure strength {threshold:.2f}); alignment {effect:+.3f}, grievance rose"
            )
        case "clash":
            return (
                f"{member} and {counterpart} clashed; alliance strain now {value:.2f}; "
                f"each lost {effect:.2f} of its trust in the guarantee"
            )
        case "drill_held":
            return (
                f"Joint drill hosted by {member} held: host alignment {value:.2f} >= "
                f"{threshold:.2f}, {effect:.0f} members took part"
            )
        case "drill_cancelled":
            if counterpart:
                reason = f"{member} in an active clash with {counterpart}"
            elif value < threshold:
                reason = f"host alignment {value:.2f} < {threshold:.2f}"
            else:
                reason = f"only {effect:.0f} members aligned enough to take part"
            return f"Joint drill hosted by {member} cancelled: {reason}"
        case "participation_frozen":
            return (
                f"{member} froze its participation: alignment {value:.2f} stayed under "
                f"{threshold:.2f} for {effect:.0f} months"
            )
        case "security_pledge":
            return (
                f"{counterpart} pledged support to {member}: engagement {effect:+.2f} "
                f"to {value:.2f}"
            )
        case "mobilisation_shock":
            return (
                f"Mobilisation shock: Russia's capacity {value:.2f} this month; "
                f"threat posture {effect:+.2f} to {threshold:.2f}"
            )
    return f"{kind}: {member} {counterpart} {value:.3g} {threshold:.3g} {effect:.3g}"
