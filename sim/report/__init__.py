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


def build(folder: str | Path) -> Report:
    """Read a results folder and assemble its report (any kind)."""
    try:
        data = read(folder)
    except FolderError as error:
        raise ReportError(str(error)) from None
    if isinstance(data, SweepFolder):
        return sweep_report(data)
    if isinstance(data, ThresholdFolder):
        return threshold_report(data)
    if isinstance(data, ForecastFolder):
        return forecast_report(data)
    if isinstance(data, SensitivityFolder):
        return sensitivity_report(data)
    if data.kind == "compare":
        return compare_report(data)
    return run_report(data)


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
