"""Generate the parameter tables of ``docs/model.md`` from the schema and the baseline scenario.

The tables sit between ``<!-- parameters:start -->`` and ``<!-- parameters:end -->``;
``scripts/uvrun python scripts/docgen.py`` rewrites them, and with ``--check`` fails if they are
stale (the test suite runs the check, so the documented parameters always match the code).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.scenario import Scenario, Value, load, schema

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _number(value: Value) -> str:
    if isinstance(value.value, float):
        return f"{value.value:g}"
    if isinstance(value.value, tuple):
        return ", ".join(str(item) for item in value.value)
    return str(value.value)


def _range(value: Value) -> str:
    return f"{value.low:g} – {value.high:g}" if value.has_range else "—"


def tables(scenario: Scenario) -> str:
    """Markdown tables of every value of ``scenario`` with meaning, default, range, source."""
    lines: list[str] = [
        f"Generated from `scenarios/{scenario.name}.toml` and `sim/scenario/schema.py` by "
        "`scripts/uvrun python scripts/docgen.py`; do not edit by hand.",
        "",
    ]

    def starting(prefix: str) -> list[str]:
        return [p for p in scenario.values if p.startswith(prefix)]

    groups: list[tuple[str, list[str]]] = [
        ("Calendar", ["start", "horizon_months"]),
        ("Russia", starting("russia.")),
        ("Mechanisms", starting("mechanisms.")),
        ("Drills", starting("drills.")),
        ("Summits", starting("summits.")),
        ("Structural variants", starting("variants.")),
        ("Clashes between members (monthly hazard per pair)", starting("clashes.")),
        ("Affinity between members (long-run, per pair)", starting("affinity.")),
    ]
    for title, paths in groups:
        lines += [
            f"#### {title}",
            "",
            "| parameter | meaning | default | range | source |",
            "|---|---|---|---|---|",
        ]
        for path in paths:
            spec = schema.leaf(path)
            value = scenario.values[path]
            meaning = spec.meaning if spec else ""
            lines.append(
                f"| `{path}` | {_cell(meaning)} | {_number(value)} | {_range(value)} | "
                f"{_cell(value.source)} |"
            )
        lines.append("")
    lines += ["#### Members", ""]
    for name in schema.MEMBERS:
        lines += [
            f"**{name}**",
            "",
            "| field | meaning | value | range | source |",
            "|---|---|---|---|---|",
        ]
        for key, spec in schema.MEMBER_FIELDS.items():
            value = scenario.values[f"members.{name}.{key}"]
            lines.append(
                f"| `{key}` | {_cell(spec.meaning)} | {_number(value)} | {_range(value)} | "
                f"{_cell(value.source)} |"
            )
        lines.append("")
    lines += [
        "#### Outside powers",
        "",
        "| parameter | value | range | source |",
        "|---|---|---|---|",
    ]
    for power in schema.POWERS:
        for path in [p for p in scenario.values if p.startswith(f"powers.{power}.")]:
            value = scenario.values[path]
            lines.append(
                f"| `{path}` | {_number(value)} | {_range(value)} | {_cell(value.source)} |"
            )
    lines.append("")
    lines += [
        "#### Scenario-given events",
        "",
        "| id | month | kind | who | note |",
        "|---|---|---|---|---|",
    ]
    for event in scenario.events:
        who = ", ".join(
            x for x in (event.member, *event.members, event.power, event.adversary) if x
        )
        lines.append(
            f"| `{event.id}` | {event.at} | {event.kind} | {_cell(who)} | {_cell(event.note)} |"
        )
    lines.append("")
    return "\n".join(lines)


def render(document: str, scenario: Scenario) -> str:
    """The document with its parameter section regenerated."""
    head, start, rest = document.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"{DOC} lacks the {START} ... {END} markers")
    return f"{head}{START}\n{tables(scenario)}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    document = DOC.read_text(encoding="utf-8")
    fresh = render(document, load("baseline-2022"))
    if "--check" in args:
        if fresh != document:
            print(
                f"{DOC}: parameter tables are stale; run `python scripts/docgen.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
