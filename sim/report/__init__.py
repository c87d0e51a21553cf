"""Reports: one self-contained HTML file (and optionally a PDF) built from a results folder."""

from sim.report.build import (
    CHROMIUM_FLAGS,
    Report,
    ReportError,
    build,
    chromium,
    compare_tables,
    provenance,
    render_html,
    write,
    write_pdf,
)

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
