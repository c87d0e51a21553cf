"""The words reports are written in: outcomes, months, changes, counts, and the paragraph that
says how to read an interval.

>>> month_words("2023-12")
'December 2023'
>>> mean_words("froze"), mean_words("final_cohesion")
('share of runs in which a member froze its participation (exit)', 'mean final cohesion')
"""

from __future__ import annotations

import calendar
from typing import Final

from sim.results.outcomes import REGISTRY
from sim.results.run import event_month


def outcome_label(column: str) -> str:
    """The words and unit of an outcome column, from the registry (the column name in words
    if it is not an outcome)."""
    return REGISTRY.text(column)


def outcome_words(column: str) -> str:
    """The words for an outcome column, without its unit (for sentences)."""
    if column in REGISTRY:
        return REGISTRY.by_name[column].label
    return column.replace("_", " ")


def mean_words(column: str) -> str:
    """ "mean final cohesion", but "share of runs in which a member froze" (already a mean)."""
    words = outcome_words(column)
    return words if words.startswith("share") else f"mean {words}"


def month_words(month: str) -> str:
    """A "YYYY-MM" month in words: "2023-12" -> "December 2023"."""
    year, number = month[:7].split("-")
    return f"{calendar.month_name[int(number)]} {int(year)}"


def month_text(start: str, step: int | None) -> str:
    """A step and its month: "14 (November 2023)", or "–" for none."""
    if step is None:
        return "–"
    return f"{step} ({month_words(event_month(start, step))})"


def change(before: float, after: float) -> str:
    """ "fell", "rose" or "stayed", to two decimals."""
    if round(after, 2) < round(before, 2):
        return "fell"
    if round(after, 2) > round(before, 2):
        return "rose"
    return "stayed"


def replicates_text(count: int) -> str:
    """ "1 replicate", "30 replicates"."""
    return f"{count} replicate" + ("" if count == 1 else "s")


INTERVALS_TEXT: Final = (
    "Every run of a scenario is one replicate: the same scenario with its own random draws "
    "(crises, clashes, Russia's choice to coerce), from a seed derived from the master seed. "
    "Lines show the mean over replicates. The shaded band is the 95% interval of the mean "
    "(Student's t): where the mean would lie, give or take chance, with more replicates. The "
    "dashed lines enclose the middle 95% of replicates (2.5th to 97.5th percentile): how "
    "differently single histories can turn out. A narrow band with wide dashed lines means "
    "the average is known well but single histories vary a lot."
)


#: Event kinds in the order a timeline lists them, with their words.
TIMELINE_KINDS: Final[dict[str, str]] = {
    "security_pledge": "security pledge by an outside power",
    "mobilisation_shock": "mobilisation shock",
    "clash": "clash",
    "appeal_answered": "appeal answered by Russia",
    "appeal_ignored": "appeal ignored by Russia",
    "coercion": "coercion by Russia",
    "drill_held": "joint drill held",
    "drill_cancelled": "joint drill cancelled",
    "participation_frozen": "participation frozen",
}
