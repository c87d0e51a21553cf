"""What a report is before it is written: sections of sentences, figures with captions, tables,
and what is needed to reproduce its folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.results.sweep import sweep_setting


class ReportError(Exception):
    """A report that cannot be built, with a one-line explanation."""


@dataclass
class FigureItem:
    """A figure: ``key`` (its id in the HTML), title, PNG bytes and how to read it."""

    key: str
    title: str
    png: bytes
    caption: str
    svg: bytes | None = None
    """The figure as SVG too, when drawn inside :func:`keeping_svg` (``csto export``)."""


@dataclass
class TableItem:
    """A table with a title and a caption."""

    key: str
    title: str
    frame: pd.DataFrame
    caption: str = ""


@dataclass
class Section:
    """A titled part of a report: paragraphs, a list of sentences, figures, tables."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    figures: list[FigureItem] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)


@dataclass
class Report:
    """Everything a report shows, before it is written as HTML or PDF."""

    kind: str
    title: str
    subtitle: str
    sections: list[Section]
    provenance: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[FigureItem]:
        return [figure for section in self.sections for figure in section.figures]

    @property
    def summary(self) -> list[str]:
        """The plain-language summary (the first section's sentences)."""
        return list(self.sections[0].items) if self.sections else []


_KEEP_SVG: ContextVar[bool] = ContextVar("keep_svg", default=False)


@contextmanager
def keeping_svg() -> Iterator[None]:
    """Within this, every report figure is kept as SVG as well as PNG."""
    token = _KEEP_SVG.set(True)
    try:
        yield
    finally:
        _KEEP_SVG.reset(token)


def figure(key: str, title: str, fig: Any, caption: str) -> FigureItem:
    """A drawn figure as a report's figure (its PNG bytes, and SVG inside
    :func:`keeping_svg`; the figure is closed)."""
    from sim.report.figures import png, svg

    vector = svg(fig) if _KEEP_SVG.get() else None
    return FigureItem(key, title, png(fig), caption, vector)


def scenario_name(manifest: dict[str, Any]) -> str:
    """The scenario's name in a manifest (a record or a plain string)."""
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        return str(scenario.get("name", "scenario"))
    if isinstance(scenario, str):
        return scenario
    return "scenario"


def manifest_value(manifest: dict[str, Any], path: str) -> float | None:
    """A numeric scenario value recorded in a manifest's ``parameters``, if there is one."""
    values = manifest.get("parameters", {})
    entry = values.get("values", {}).get(path) if isinstance(values, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("value"), int | float):
        return float(entry["value"])
    return None


def rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A table with its float columns as text to ``digits`` decimals (empty where missing)."""
    table = frame.copy()
    for column in table.columns:
        if pd.api.types.is_float_dtype(table[column]):
            table[column] = table[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
    return table


def provenance(manifest: dict[str, Any], folder: Path) -> list[tuple[str, str]]:
    """What a reader needs to reproduce the folder: scenario, seeds, versions, command."""
    rows: list[tuple[str, str]] = []
    scenario = manifest.get("scenario")
    if isinstance(scenario, dict):
        text = f"{scenario.get('name')}"
        if scenario.get("title"):
            text += f" — {scenario['title']}"
        if scenario.get("sha256"):
            text += f" (sha256 {str(scenario['sha256'])[:12]})"
        files = [
            f"{item.get('path')} (sha256 {str(item.get('sha256', ''))[:12]})"
            for item in scenario.get("files", [])
            if isinstance(item, dict)
        ]
        if files:
            text += "; files: " + ", ".join(files)
        rows.append(("Scenario", text))
    elif scenario:
        rows.append(("Scenario", str(scenario)))
    compared = manifest.get("scenarios")
    if isinstance(compared, list):
        rows.append(
            (
                "Scenarios compared",
                "; ".join(
                    f"{item.get('name')} (sha256 {str(item.get('sha256', ''))[:12]})"
                    if isinstance(item, dict)
                    else str(item)
                    for item in compared
                ),
            )
        )
    command = manifest.get("command")
    if command:
        rows.append(("Command", " ".join(command) if isinstance(command, list) else str(command)))
    seed = manifest.get("master_seed", sweep_setting(manifest, "master_seed"))
    if seed is not None:
        rows.append(("Master seed", str(seed)))
    seeds = manifest.get("replicate_seeds", sweep_setting(manifest, "replicate_seeds"))
    if isinstance(seeds, list) and seeds:
        shown = ", ".join(str(s) for s in seeds[:5])
        more = f", … ({len(seeds)} in all)" if len(seeds) > 5 else ""
        rows.append(("Replicate seeds", f"{shown}{more} (SeedSequence.spawn of the master seed)"))
    for key in ("steps", "start", "run_id"):
        if key in manifest:
            rows.append((key.replace("_", " ").capitalize(), str(manifest[key])))
    versions = manifest.get("packages", manifest.get("versions"))
    if isinstance(versions, dict):
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    git = manifest.get("git")
    if isinstance(git, dict):
        dirty = " (work tree had uncommitted changes)" if git.get("dirty") else ""
        rows.append(("Git commit", f"{git.get('commit', 'unknown')}{dirty}"))
    elif "git_commit" in manifest:
        rows.append(("Git commit", str(manifest["git_commit"])))
    for key in ("started", "finished"):
        if key in manifest:
            rows.append((key.capitalize(), str(manifest[key])))
    rows.append(("Results folder", str(folder)))
    rows.append(("This report", f"csto report {folder}"))
    return rows
