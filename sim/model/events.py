"""The event log: what happened in a run, to whom, and the numbers that made it happen.

The month (:mod:`sim.model.step`) records events into an :class:`EventLog` as columns over the
runs that had them; :meth:`EventLog.frame` turns them into one table in canonical order (run,
step, phase, member), each event explained in a plain sentence built from its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.scenario import schema

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

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


#: Where an event came from: the model's own draws and rules, or the scenario file.
ORIGINS: Final = ("model", "scenario")
#: Who an event's ``member`` column may name: a member, or Russia (a mobilisation shock).
ACTORS: Final = (*schema.MEMBERS, "Russia")
RUSSIA: Final = len(schema.MEMBERS)


@dataclass
class EventLog:
    """Columns of events, appended phase by phase as arrays over the runs that had them."""

    run: list[IntArray] = field(default_factory=list)
    step: list[IntArray] = field(default_factory=list)
    kind: list[IntArray] = field(default_factory=list)
    member: list[IntArray] = field(default_factory=list)
    counterpart: list[npt.NDArray[np.object_]] = field(default_factory=list)
    origin: list[IntArray] = field(default_factory=list)
    value: list[FloatArray] = field(default_factory=list)
    threshold: list[FloatArray] = field(default_factory=list)
    effect: list[FloatArray] = field(default_factory=list)

    def add(
        self,
        runs: IntArray,
        step: int,
        kind: str,
        member: int | IntArray,
        counterpart: str | npt.NDArray[np.object_],
        origin: str,
        value: Any,
        threshold: Any,
        effect: Any,
    ) -> None:
        """Record one event in each of ``runs``; a per-run column is given for those runs only
        (one entry per run in ``runs``), a scalar holds for all of them."""
        count = runs.size
        if count == 0:
            return

        def column(values: Any, dtype: type) -> Any:
            return np.broadcast_to(np.asarray(values, dtype=dtype), (count,)).copy()

        self.run.append(runs.astype(np.int64))
        self.step.append(np.full(count, step, dtype=np.int64))
        self.kind.append(np.full(count, KIND_ORDER[kind], dtype=np.int64))
        self.member.append(column(member, np.int64))
        self.counterpart.append(column(counterpart, object))
        self.origin.append(np.full(count, ORIGINS.index(origin), dtype=np.int64))
        self.value.append(column(value, np.float64))
        self.threshold.append(column(threshold, np.float64))
        self.effect.append(column(effect, np.float64))

    def add_where(
        self,
        mask: BoolArray,
        step: int,
        kind: str,
        member: int | IntArray,
        counterpart: str | npt.NDArray[np.object_],
        origin: str,
        value: Any,
        threshold: Any,
        effect: Any,
    ) -> None:
        """Like :meth:`add`, for the runs where ``mask`` holds, with columns over all runs."""
        runs = np.flatnonzero(mask)
        if runs.size == 0:
            return

        def pick(values: Any) -> Any:
            array = np.asarray(values)
            return array if array.ndim == 0 else array[runs]

        self.add(
            runs,
            step,
            kind,
            pick(member),
            pick(counterpart),
            origin,
            pick(value),
            pick(threshold),
            pick(effect),
        )

    def frame(self, start: str) -> pd.DataFrame:
        """All events as a table with a ``run`` column, in canonical order."""
        from sim.results.run import event_month

        if not self.run:
            empty = pd.DataFrame(columns=["run", *COLUMNS])
            return empty.astype({"run": "int64", "step": "int64"})
        frame = pd.DataFrame(
            {
                "run": np.concatenate(self.run),
                "step": np.concatenate(self.step),
                "kind_code": np.concatenate(self.kind),
                "member_code": np.concatenate(self.member),
                "counterpart": np.concatenate(self.counterpart),
                "origin": np.array(ORIGINS, dtype=object)[np.concatenate(self.origin)],
                "value": np.concatenate(self.value),
                "threshold": np.concatenate(self.threshold),
                "effect": np.concatenate(self.effect),
            }
        )
        frame["kind"] = np.array(KINDS, dtype=object)[frame["kind_code"].to_numpy()]
        frame["member"] = np.array(ACTORS, dtype=object)[frame["member_code"].to_numpy()]
        frame["sequence"] = frame.groupby(["run", "step", "kind", "member"]).cumcount()
        frame["phase"] = frame["kind"].map(PHASE)
        frame = frame.sort_values(
            ["run", "step", "phase", "member", "sequence", "counterpart"], kind="stable"
        )
        frame["date"] = [event_month(start, int(step)) for step in frame["step"]]
        frame["explanation"] = [
            explain(k, m, c, v, t, e)
            for k, m, c, v, t, e in zip(
                frame["kind"],
                frame["member"],
                frame["counterpart"],
                frame["value"],
                frame["threshold"],
                frame["effect"],
                strict=True,
            )
        ]
        return frame[["run", *COLUMNS]].reset_index(drop=True)
