"""Reports: one self-contained HTML file (and optionally a PDF) built from a results folder,
never by rerunning the model.

:func:`build` reads any results folder (:func:`sim.results.folder.read`) and assembles its
:class:`Report` with the module of its kind (:mod:`sim.report.run`, :mod:`sim.report.compare`,
:mod:`sim.report.threshold`, :mod:`sim.report.sweep`, :mod:`sim.report.forecast`,
:mod:`sim.report.sensitivity`): sections of plain-language sentences
(:mod:`sim.report.prose`), figures with captions that say how to read them
(:mod:`sim.report.figures`), tables, and what is needed to reproduce the folder.
:func:`write` writes it as HTML (:mod:`sim.report.html`) and PDF (:mod:`sim.report.pdf`).
"""

from __future__ import annotations

from pathlib import Path

from sim.report.compare import compare_report, compare_tables
from sim.report.document import Report, ReportError, provenance
from sim.report.forecast import forecast_report
from sim.report.html import render_html
from sim.report.pdf import CHROMIUM_FLAGS, chromium, write_pdf
from sim.report.run import run_report
from sim.report.sensitivity import sensitivity_report
from sim.report.sweep import sweep_report
from sim.report.threshold import threshold_report
from sim.results.folder import FolderError, read, write_atomic
from sim.results.forecast import ForecastFolder
from sim.results.outcomes import UnknownOutcome
from sim.results.sensitivity import SensitivityFolder
from sim.results.sweep import SweepFolder
from sim.results.threshold import ThresholdFolder

__all__ = [
    "CHROMIUM_FLAGS",
    "Report",
    "ReportError",
    "build",
    "chromium",
    "compare_tables",
    "provenance",
    "render_html",
    "write",
    "write_pdf",
]


def build(folder: str | Path, outcome: str | None = None, replicate: int | None = None) -> Report:
    """Read a results folder and assemble its report (any kind). ``outcome`` (any registry
    outcome, any case) is the one a comparison or a sweep report is about; ``replicate`` the
    replicate a run report tells the story of (default: the most typical)."""
    try:
        data = read(folder)
    except FolderError as error:
        raise ReportError(str(error)) from None
    if replicate is not None and (
        isinstance(data, SweepFolder | ThresholdFolder | ForecastFolder | SensitivityFolder)
        or data.kind == "compare"
    ):
        raise ReportError("--replicate: only a csto run folder's report tells a replicate's story")
    if isinstance(data, ForecastFolder | SensitivityFolder):
        if outcome is not None:
            raise ReportError(f"--outcome: a {data.kind} folder's report shows every outcome")
        return (
            forecast_report(data) if isinstance(data, ForecastFolder) else sensitivity_report(data)
        )
    try:
        if isinstance(data, SweepFolder):
            return sweep_report(data, outcome)
        if isinstance(data, ThresholdFolder):
            if outcome is not None:
                raise ReportError(
                    "--outcome: a threshold folder is about the outcome it was run for "
                    f"({data.manifest.get('outcome_column', data.manifest.get('outcome'))})"
                )
            return threshold_report(data)
        if data.kind == "compare":
            return compare_report(data, outcome)
        if outcome is not None:
            raise ReportError("--outcome: a run folder's report shows every outcome")
        return run_report(data, replicate)
    except UnknownOutcome as error:
        raise ReportError(f"--outcome: {error}") from None


def write(report: Report, out: Path, pdf: bool = False) -> list[Path]:
    """Write the HTML (and PDF) atomically; return the paths written."""
    if out.is_dir():
        raise ReportError(f"{out}: is a folder (expected a file name for the report)")
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: no such folder to write the report into")
    written = [out]
    write_atomic(out, render_html(report).encode("utf-8"))
    if pdf:
        target = out.with_suffix(".pdf")
        write_pdf(report, out, target)
        written.append(target)
    return written
