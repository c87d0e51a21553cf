"""What a scenario file may hold: every key, its type, its limits and whether it needs a source.

The schema is data, read by :mod:`sim.scenario` to validate files and by ``csto show`` and the
docs to describe them. Paths are dotted: ``members.Kazakhstan.energy_transit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Final, Literal

MEMBERS: Final = ("Belarus", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Armenia")
POWERS: Final = ("China", "Turkey", "EU", "US")
PAIRS: Final = tuple(f"{a}-{b}" for a, b in combinations(MEMBERS, 2))
CAPACITY_SHAPES: Final = ("constant", "drain", "shock", "recovery", "explicit")
EVENT_KINDS: Final = (
    "appeal",
    "clash",
    "coercion",
    "pipeline_suspension",
    "security_pledge",
    "mobilisation_shock",
)
LEVERS: Final = ("energy", "economic", "security")
#: Kinds of outside engagement: each has its own interest per power and member, and enters the
#: members' calculus once (security as protection on offer, economic as markets to build on).
ENGAGEMENTS: Final = ("security", "economic")

Kind = Literal["unit", "real", "int", "date", "text", "choice", "members", "units"]

#: Structural variants: choices theory leaves open, each selectable in a scenario's
#: ``[variants]`` table and compared by calibration (docs/model.md, "Structural variants").
VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "threat_response": ("balance", "bandwagon"),
    "peer_influence": ("affinity", "uniform"),
}


@dataclass(frozen=True)
class Field:
    """One key of a scenario file."""

    kind: Kind
    meaning: str
    low: float = 0.0
    high: float = 1.0
    #: a numeric value that needs its provenance (``source`` or ``reason``) in a root scenario
    provenance: bool = False
    #: can a sweep vary it (numeric and not structural)
    sweepable: bool = False
    choices: tuple[str, ...] = ()
    #: ``low`` itself is refused (the value divides: at ``low`` every run would be NaN)
    above_low: bool = False

    def admits(self, value: float) -> bool:
        """Whether a number lies in the field's range (exact for huge integers; refuses NaN)."""
        if self.above_low:
            return self.low < value <= self.high
        return self.low <= value <= self.high

    def expected(self) -> str:
        """What a value of this field must look like, for error messages."""
        match self.kind:
            case "unit" | "real":
                opening = "(" if self.above_low else "["
                return f"a number in {opening}{self.low:g}, {self.high:g}]"
            case "int":
                return f"a whole number in [{self.low:g}, {self.high:g}]"
            case "date":
                return 'a month as "YYYY-MM"'
            case "text":
                return "a string"
            case "choice":
                return "one of " + ", ".join(self.choices)
            case "members":
                return "a list of member names (" + ", ".join(MEMBERS) + ")"
            case "units":
                return f"a list of numbers in [{self.low:g}, {self.high:g}]"


def _unit(meaning: str, provenance: bool = True) -> Field:
    return Field("unit", meaning, provenance=provenance, sweepable=True)


def _real(meaning: str, low: float, high: float) -> Field:
    return Field("real", meaning, low=low, high=high, provenance=True, sweepable=True)


def _int(meaning: str, low: float, high: float, sweepable: bool = True) -> Field:
    return Field("int", meaning, low=low, high=high, provenance=True, sweepable=sweepable)


MEMBER_FIELDS: Final[dict[str, Field]] = {
    "energy_transit": _unit("share of energy exports or supplies that run through Russian pipes"),
    "security_ties": _unit("Russian bases, troops, arms and border guards on the member's soil"),
    "economic_ties": _unit("trade with Russia and remittances from migrants working there"),
    "regime_ties": _unit("how far the regime counts on Moscow to guarantee its survival"),
    "russian_share": _unit("ethnic Russian share of the population (census)"),
    "proximity": _unit(
        "how close Russia's power sits: 1 a long land border, 0.5 Russian forces on its soil"
    ),
    "external_threat": _unit("need for a protector against a threat from outside the alliance"),
    "outside_options": _unit("ties to China, Turkey, the EU and the US that could replace Russia"),
    "alignment": _unit("initial alignment with Russia: 1 loyal, 0.5 hedging, 0 exit"),
    "trust": _unit("initial trust that Russia will honour its guarantee"),
    "sanctions_exposure": _unit("cost of being 'placed in the same bag as Russia' by sanctions"),
    "crisis_hazard": _unit(
        "monthly chance of a crisis (attack, border war, unrest) that prompts an appeal"
    ),
    "crisis_cost": _unit("capacity Russia must commit to answer the member's typical crisis"),
    "entrapment_aversion": _real(
        "Russia's unwillingness to fight the member's adversary", 0.0, 5.0
    ),
}

POWER_FIELDS: Final[dict[str, Field]] = {
    "responsiveness": _unit("share of the gap to its target engagement the power closes a month"),
}

RUSSIA_FIELDS: Final[dict[str, Field]] = {
    "threat_posture": _unit("how threatening Russia looks to its neighbours"),
    "posture_decay": _unit("share of a threat-posture shock still felt a month later"),
    "reserve_share": _unit("share of its capacity Russia keeps at home and never spends on allies"),
    "drift_penalty": _real(
        "how much more capacity Russia asks before answering a drifting ally's appeal", 0.0, 5.0
    ),
    "coercion_trigger": _unit("alignment under which Russia sees a member as drifting"),
    "coercion_propensity": _unit(
        "monthly chance Russia coerces a drifting member it can afford to"
    ),
    "coercion_cost": _unit("capacity a month of coercion ties up"),
    "concession_cost": _unit("capacity Russia commits to answer a member's voice"),
    "drill_cost": _unit("capacity Russia commits to take part in a joint drill"),
}

CAPACITY_FIELDS: Final[dict[str, Field]] = {
    "shape": Field("choice", "named shape of the capacity path", choices=CAPACITY_SHAPES),
    "initial": _unit("Russia's capacity for the region in October 2022, share of pre-war"),
    "drain_per_month": _real("capacity the war drains each month", 0.0, 0.2),
    "floor": _unit("capacity never falls below this"),
    "ceiling": _unit("capacity never rises above this"),
    "shock_at": Field("date", "month of a one-off drop in capacity"),
    "shock_size": _unit("size of the one-off drop"),
    "recovery_at": Field("date", "month the drain stops and recovery starts (ceasefire)"),
    "recovery_per_month": _real("capacity rebuilt each month after the ceasefire", 0.0, 0.2),
    "values": Field("units", "explicit capacity for each month, from the start month on"),
}

MECHANISM_FIELDS: Final[dict[str, Field]] = {
    "trust_gain_answered": _unit(
        "share of the way to full trust an answered appeal moves the appellant"
    ),
    "trust_loss_ignored": _unit("share of its trust an appellant loses when its appeal is ignored"),
    "onlooker_weight": _unit(
        "how strongly other members read an appeal's outcome, relative to the appellant"
    ),
    "step_in": _unit(
        "share of the gap to its interest an outside power closes after an ignored appeal"
    ),
    "clash_severity": _unit("strain a clash between members puts on the alliance"),
    "strain_decay": _unit("share of strain left a month later"),
    "clash_trust_loss": _unit("share of trust a member in an unprevented clash loses"),
    "clash_memory_months": _int("months a clash counts as active (blocks drills)", 1, 24),
    "policing_effect": _real(
        "how much likelier clashes and crises are with no Russian capacity than with full",
        0.0,
        10.0,
    ),
    "hazard_reference_capacity": _unit(
        "Russia's mean capacity over the period the hazards were counted in"
    ),
    "affinity_clash_loss": _unit("share of the way to enmity a clash moves a pair's affinity"),
    "affinity_recovery": _unit("share of the gap to its long-run affinity a pair closes a month"),
    "coercion_effect": _unit("pull of coercion at full capacity and full dependence"),
    "coercion_backfire": _unit("grievance one coercion leaves"),
    "grievance_decay": _unit("share of a grievance left a month later"),
    "exposure_reference_share": Field(
        "unit",
        "ethnic Russian share at which exposure is full",
        provenance=True,
        sweepable=True,
        above_low=True,
    ),
    "weight_protection": _real("weight of protection against external threat", 0.0, 5.0),
    "weight_regime": _real("weight of the regime guarantee", 0.0, 5.0),
    "weight_lockin": _real("weight of dependence as a cost of exit", 0.0, 5.0),
    "weight_threat": _real("weight of the threat Russia itself poses", 0.0, 5.0),
    "weight_outside": _real("weight of outside options already built", 0.0, 5.0),
    "weight_entrapment": _real(
        "weight of the cost of standing by Russia under sanctions (entrapment)", 0.0, 5.0
    ),
    "alignment_steepness": _real("how sharply preferred alignment follows net value", 0.1, 20.0),
    "inertia": Field(
        "real",
        "share of the gap to preferred alignment not closed in a month",
        low=0.5,
        high=0.99,
        provenance=True,
        sweepable=True,
    ),
    "peer_weight": _real("pull of the other members' alignment, by affinity", 0.0, 0.3),
    "diversification_rate": _unit("speed at which hedging members build outside options"),
    "energy_decay": _unit("monthly erosion of energy ties at full hedging and full options"),
    "economic_decay": _unit("monthly erosion of economic ties at full hedging and full options"),
    "security_decay": _unit("monthly erosion of security ties at full hedging and full options"),
    "action_weight": _unit("weight of collective action (drills, summits) in the cohesion index"),
    "action_learning": _unit(
        "weight of the latest drill or summit in the record of collective action"
    ),
    "drill_threshold": _unit("alignment a member needs to host or join a drill"),
    "min_drill_participants": _int("members (host included) a drill or summit needs", 1, 5),
    "voice_propensity": _unit(
        "monthly chance a discontented member criticises the alliance in public"
    ),
    "voice_trust_gain": _unit("share of the way to full trust an answered voice moves the member"),
    "voice_before_exit": _int("unanswered voice acts before a member may exit", 0, 24),
    "loyalty": _real(
        "how far loyalty raises the bar to exit, at full trust and capacity", 0.0, 5.0
    ),
    "exit_threshold": _unit("alignment under which a member's stance has turned enough to exit"),
}

DRILL_FIELDS: Final[dict[str, Field]] = {
    "every_months": _int("months between scheduled joint drills", 1, 36, sweepable=False),
    "first_at": Field("date", "month of the first scheduled drill"),
    "hosts": Field("members", "rotation of drill hosts"),
}

SUMMIT_FIELDS: Final[dict[str, Field]] = {
    "every_months": _int("months between CSTO summits", 1, 36, sweepable=False),
    "first_at": Field("date", "month of the first summit"),
    "hosts": Field("members", "rotation of summit hosts (the chairmanship)"),
}

VARIANT_FIELDS: Final[dict[str, Field]] = {
    "threat_response": Field(
        "choice",
        "how a member answers Russia's threat: balance against it, or bandwagon with it",
        choices=VARIANTS["threat_response"],
    ),
    "peer_influence": Field(
        "choice",
        "who pulls a member's alignment: peers by signed affinity, or all others alike",
        choices=VARIANTS["peer_influence"],
    ),
}

TOP_FIELDS: Final[dict[str, Field]] = {
    "name": Field("text", "scenario name (defaults to the file name)"),
    "title": Field("text", "one-line description"),
    "narrative": Field("text", "what question the scenario answers"),
    "extends": Field("text", "parent scenario name or path"),
    "start": Field("date", "month the first step simulates"),
    "horizon_months": Field("int", "default number of months to simulate", low=1, high=600),
    "drop_events": Field("text", "ids of inherited events to drop (a list of strings)"),
}

EVENT_FIELDS: Final[dict[str, Field]] = {
    "id": Field("text", "name of the event, to drop it in a child scenario"),
    "at": Field("date", "month of the event"),
    "kind": Field("choice", "what happens", choices=EVENT_KINDS),
    "member": Field("choice", "member concerned", choices=MEMBERS),
    "members": Field("members", "the two members of a clash"),
    "power": Field("choice", "outside power", choices=POWERS),
    "adversary": Field("text", "outside adversary of a clash"),
    "size": Field("unit", "size of a pledge or of a capacity drop"),
    "posture_rise": Field("unit", "rise in Russia's threat posture"),
    "cost": Field("unit", "capacity Russia must commit to answer"),
    "aversion": Field("real", "Russia's unwillingness to fight the adversary", low=0.0, high=5.0),
    "lever": Field("choice", "tie Russia pulls", choices=LEVERS),
    "note": Field("text", "what happened, with its source"),
}

EVENT_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "appeal": ("member",),
    "clash": (),
    "coercion": ("member", "lever"),
    "pipeline_suspension": ("member",),
    "security_pledge": ("power", "member", "size"),
    "mobilisation_shock": ("size",),
}

SECTIONS: Final = (
    "russia",
    "members",
    "powers",
    "clashes",
    "affinity",
    "mechanisms",
    "drills",
    "summits",
    "variants",
    "events",
)


#: The keys of a power's interest tables, and the kind of engagement each caps.
_INTEREST_KEYS: Final = {f"{kind}_interest": kind for kind in ENGAGEMENTS}


def interest_path(power: str, kind: str, member: str) -> str:
    """The dotted path of a power's security or economic interest in a member."""
    return f"powers.{power}.{kind}_interest.{member}"


def leaf(path: str) -> Field | None:
    """The field at a dotted path, or None if the path names no value."""
    parts = path.split(".")
    match parts:
        case [key] if key in TOP_FIELDS:
            return TOP_FIELDS[key]
        case ["russia", "capacity", key]:
            return CAPACITY_FIELDS.get(key)
        case ["russia", key]:
            return RUSSIA_FIELDS.get(key)
        case ["members", member, key] if member in MEMBERS:
            return MEMBER_FIELDS.get(key)
        case ["powers", power, kind, member] if (
            power in POWERS and kind in _INTEREST_KEYS and member in MEMBERS
        ):
            return _unit(
                f"the power's {_INTEREST_KEYS[kind]} interest in the member: "
                "the most it will engage"
            )
        case ["powers", power, key] if power in POWERS:
            return POWER_FIELDS.get(key)
        case ["clashes", pair] if pair in PAIRS:
            return _unit("monthly chance of a clash between the two members")
        case ["affinity", pair] if pair in PAIRS:
            return Field(
                "real",
                "long-run affinity of the two members: -1 enmity, 0 indifference, 1 friendship",
                low=-1.0,
                high=1.0,
                provenance=True,
                sweepable=True,
            )
        case ["mechanisms", key]:
            return MECHANISM_FIELDS.get(key)
        case ["drills", key]:
            return DRILL_FIELDS.get(key)
        case ["summits", key]:
            return SUMMIT_FIELDS.get(key)
        case ["variants", key]:
            return VARIANT_FIELDS.get(key)
    return None


def children(path: str) -> tuple[str, ...]:
    """The keys a table at a dotted path may hold ('' is the top of the file)."""
    parts = path.split(".") if path else []
    match parts:
        case []:
            return (*TOP_FIELDS, *SECTIONS)
        case ["russia"]:
            return (*RUSSIA_FIELDS, "capacity")
        case ["russia", "capacity"]:
            return tuple(CAPACITY_FIELDS)
        case ["members"]:
            return MEMBERS
        case ["members", member] if member in MEMBERS:
            return tuple(MEMBER_FIELDS)
        case ["powers"]:
            return POWERS
        case ["powers", power] if power in POWERS:
            return (*POWER_FIELDS, *_INTEREST_KEYS)
        case ["powers", power, kind] if power in POWERS and kind in _INTEREST_KEYS:
            return MEMBERS
        case ["clashes"] | ["affinity"]:
            return PAIRS
        case ["mechanisms"]:
            return tuple(MECHANISM_FIELDS)
        case ["drills"]:
            return tuple(DRILL_FIELDS)
        case ["summits"]:
            return tuple(SUMMIT_FIELDS)
        case ["variants"]:
            return tuple(VARIANT_FIELDS)
    return ()


def all_leaves() -> list[str]:
    """Every value path a scenario can set (events excluded), in a stable order."""
    paths: list[str] = []

    def walk(prefix: str) -> None:
        for key in children(prefix):
            path = f"{prefix}.{key}" if prefix else key
            if path == "events":
                continue
            if leaf(path) is not None:
                paths.append(path)
            else:
                walk(path)

    walk("")
    return paths


def sweepable_paths() -> list[str]:
    """Every numeric value a sweep may vary."""
    return [path for path in all_leaves() if (spec := leaf(path)) is not None and spec.sweepable]
