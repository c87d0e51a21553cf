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
    "voice_refused_drill",
    "summit",
    "voice_declined_declaration",
    "voice_boycotted_summit",
    "voice_criticism",
    "voice_answered",
    "voice_ignored",
    "participation_frozen",
)
KIND_ORDER: Final = {kind: order for order, kind in enumerate(KINDS)}
#: Kinds that share a phase, so that their events interleave by member: an appeal's outcome,
#: a summit's voice, the answer to voice.
_SAME_PHASE: Final = {
    "appeal_ignored": "appeal_answered",
    "voice_boycotted_summit": "voice_declined_declaration",
    "voice_ignored": "voice_answered",
}
PHASE: Final = {kind: KIND_ORDER[_SAME_PHASE.get(kind, kind)] for kind in KINDS}
#: A member's voice: what it does to say it is unhappy without leaving (Hirschman 1970).
VOICE_KINDS: Final = (
    "voice_refused_drill",
    "voice_declined_declaration",
    "voice_boycotted_summit",
    "voice_criticism",
)

COLUMNS: Final = (
    "step",
    "date",
    "kind",
    "member",
    "counterpart",
    "cause",
    "origin",
    "value",
    "threshold",
    "effect",
    "explanation",
)


@dataclass(frozen=True)
class Event:
    """One event. ``counterpart`` is the other country or power involved (empty if none),
    ``cause`` what brought it about (a crisis, a lever, the motive that pushed hardest, the
    reason a drill was cancelled); ``value`` and ``threshold`` are the numbers compared;
    ``effect`` what changed (NaN where nothing did)."""

    step: int
    date: str
    kind: str
    member: str
    counterpart: str
    cause: str
    origin: str
    value: float
    threshold: float
    effect: float
    sequence: int = 0
    """Position among events of the same step, phase and member (e.g. two clashes)."""

    @property
    def explanation(self) -> str:
        return explain(
            self.kind,
            self.member,
            self.counterpart,
            self.cause,
            self.value,
            self.threshold,
            self.effect,
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
            "cause": self.cause,
            "origin": self.origin,
            "value": self.value,
            "threshold": self.threshold,
            "effect": self.effect,
            "explanation": self.explanation,
        }


#: How a motive is named in a sentence (the strongest push behind a voice or an exit).
MOTIVE_WORDS: Final = {
    "protection": "too little protection from Russia",
    "regime": "too little from Russia's regime guarantee",
    "lockin": "too little to lose by leaving",
    "threat": "the threat Russia itself poses",
    "outside_protection": "protection on offer from outside powers",
    "markets": "outside markets and partners",
    "entrapment": "the cost of standing by Russia under sanctions",
}

#: Why a drill was cancelled, in words (the ``cause`` of a ``drill_cancelled`` event).
DRILL_REASONS: Final = {
    "russia": "Russia could not spare the capacity to take part",
    "clash": "the host was in an active clash",
    "host": "the host refused to host it",
    "quorum": "too few members were willing to take part",
}


def explain(
    kind: str,
    member: str,
    counterpart: str,
    cause: str,
    value: float,
    threshold: float,
    effect: float,
) -> str:
    """A one-sentence, plain-language reason for an event, built from its numbers."""
    push = MOTIVE_WORDS.get(cause, cause)
    match kind:
        case "appeal_answered" | "appeal_ignored":
            against = f" against {counterpart}" if counterpart else ""
            if kind == "appeal_answered":
                verdict = f"covered the {threshold:.2f} an answer required; aid sent"
            else:
                verdict = f"fell short of the {threshold:.2f} an answer required; no aid"
            return (
                f"{member} appealed for help in a crisis{against}; Russia's spare capacity "
                f"{value:.2f} {verdict}, {member}'s trust {effect:+.2f}"
            )
        case "coercion":
            lever = "its dependence" if cause == "dependence" else f"its {cause} ties"
            return (
                f"Russia pressed {member} through {lever} (alignment {value:.2f}, pressure "
                f"strength {threshold:.2f}); alignment {effect:+.3f}"
            )
        case "clash":
            return (
                f"{member} and {counterpart} clashed; alliance strain now {value:.2f}, their "
                f"affinity {threshold:+.2f}; each lost {effect:.0%} of its trust in the guarantee"
            )
        case "drill_held":
            return (
                f"Joint drill hosted by {member} held with Russia: {value:.0f} members took "
                f"part (at least {threshold:.0f} needed)"
            )
        case "drill_cancelled":
            reason = DRILL_REASONS.get(cause, cause)
            if cause == "clash" and counterpart:
                reason = f"{member} was in an active clash with {counterpart}"
            elif cause == "quorum":
                reason = (
                    f"only {value:.0f} members were willing to take part ({threshold:.0f} needed)"
                )
            return f"Joint drill hosted by {member} cancelled: {reason}"
        case "summit":
            if cause == "quorum":
                return f"Summit in {member} failed: only {threshold:.0f} members attended"
            return (
                f"Summit in {member}: {value:.0f} members signed the declaration, "
                f"{threshold:.0f} attended"
            )
        case "voice_refused_drill":
            role = f"to join the drill in {counterpart}" if counterpart else "to host the drill"
            return (
                f"{member} refused {role}: staying was worth {value:+.2f} against leaving, "
                f"the strongest push {push}"
            )
        case "voice_declined_declaration":
            return (
                f"{member} declined to sign the summit declaration: staying worth {value:+.2f}, "
                f"the strongest push {push}"
            )
        case "voice_boycotted_summit":
            return (
                f"{member} stayed away from the summit: staying worth {value:+.2f}, below "
                f"loyalty's bar {threshold:+.2f}; the strongest push {push}"
            )
        case "voice_criticism":
            return (
                f"{member} criticised the alliance in public: staying worth {value:+.2f}, "
                f"the strongest push {push}"
            )
        case "voice_answered":
            return (
                f"Russia answered {member}'s voice: spare capacity {value:.2f} covered the "
                f"{threshold:.2f} a concession required; trust {effect:+.2f}"
            )
        case "voice_ignored":
            return (
                f"Russia left {member}'s voice unanswered: spare capacity {value:.2f} short "
                f"of the {threshold:.2f} a concession required"
            )
        case "participation_frozen":
            return (
                f"{member} froze its participation (exit): leaving worth {-value:.2f} more than "
                f"staying, above loyalty's bar {-threshold:.2f}, after {effect:.0f} unanswered "
                f"voice acts; the strongest push {push}"
            )
        case "security_pledge":
            return (
                f"{counterpart} pledged support to {member}: security engagement {effect:+.2f} "
                f"to {value:.2f} (its interest {threshold:.2f})"
            )
        case "mobilisation_shock":
            return (
                f"Mobilisation shock: Russia's capacity {value:.2f} this month; "
                f"threat posture {effect:+.2f} to {threshold:.2f}"
            )
    return f"{kind}: {member} {counterpart} {cause} {value:.3g} {threshold:.3g} {effect:.3g}"


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
    cause: list[npt.NDArray[np.object_]] = field(default_factory=list)
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
        cause: str | npt.NDArray[np.object_],
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
        self.cause.append(column(cause, object))
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
        cause: str | npt.NDArray[np.object_],
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
            pick(cause),
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
                "cause": np.concatenate(self.cause),
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
        # a month's label once per step, and plain object arrays to iterate over (iterating
        # pandas' Arrow-backed strings costs a run with many events seconds)
        steps = frame["step"].to_numpy()
        labels = {int(step): event_month(start, int(step)) for step in np.unique(steps)}
        frame["date"] = [labels[int(step)] for step in steps]
        columns = ("kind", "member", "counterpart", "cause")
        text = [frame[name].to_numpy(dtype=object) for name in columns]
        numbers = [
            frame[name].to_numpy(dtype=np.float64).tolist()
            for name in ("value", "threshold", "effect")
        ]
        frame["explanation"] = [
            explain(k, m, c, r, v, t, e)
            for k, m, c, r, v, t, e in zip(*text, *numbers, strict=True)
        ]
        return frame[["run", *COLUMNS]].reset_index(drop=True)
