"""The words reports are written in: outcomes, months, changes, counts, what an interval
covers, whether a difference matters, and the paragraph that says how to read an interval.

>>> month_words("2023-12")
'December 2023'
>>> mean_words("froze"), mean_words("final_cohesion")
('share of runs in which a member froze its participation (exit)', 'mean final cohesion')
>>> covers_words("draws")
'over the random draws (seeds) of the replicates'
"""

from __future__ import annotations

import calendar
from typing import Final

from sim.results.outcomes import REGISTRY
from sim.results.run import event_month
from sim.stats import COVERS, DRAWS, DRAWS_AND_PARAMETERS, PARAMETERS
from sim.stats import verdict as verdict  # worded here: re-exported for the reports


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


# --- what an interval covers, and whether a difference matters --------------------------------

#: What an interval covers (the ``covers`` of a table or an estimate), in words.
COVERS_WORDS: Final = {
    DRAWS: "over the random draws (seeds) of the replicates",
    PARAMETERS: "over the uncertainty of the parameters",
    DRAWS_AND_PARAMETERS: "over the random draws and the uncertainty of the parameters",
}
assert set(COVERS_WORDS) == set(COVERS)


def covers_words(covers: str) -> str:
    """What an interval covers, in words (an unknown value is named as it stands)."""
    return COVERS_WORDS.get(covers, f"over {covers}")


def matters_words(negligible: float, unit: str) -> str:
    """The size that matters, for a sentence: "0.01 on a 0–1 scale", "0.1 per run"."""
    if unit in ("0–1", "index 0–1", "0 exit – 1 loyal"):
        return f"{negligible:g} on a 0–1 scale"
    return f"{negligible:g} ({unit})" if unit else f"{negligible:g}"
