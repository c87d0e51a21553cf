"""A report as PDF: the HTML file printed by a headless Chromium when one is installed, else
the figures and text laid out with matplotlib."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from sim.report.document import Report
from sim.results.folder import atomic_path


def chromium() -> str | None:
    """A headless-capable Chromium on this machine, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run_chromium(arguments: Sequence[str], timeout: float = 120.0) -> bool:
    """Run the headless browser with a fresh profile; True if it succeeded."""
    browser = chromium()
    if browser is None:
        return False
    with tempfile.TemporaryDirectory(prefix="csto-chromium-") as profile:
        try:
            done = subprocess.run(
                [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return done.returncode == 0


def write_pdf(report: Report, html_path: Path, target: Path, browser: bool = True) -> Path:
    """Print the HTML report to PDF with headless Chromium, else lay it out with matplotlib."""
    if browser and chromium() is not None:
        try:
            with atomic_path(target) as temporary:
                ok = run_chromium(
                    [
                        "--no-pdf-header-footer",
                        f"--print-to-pdf={temporary}",
                        html_path.resolve().as_uri(),
                    ]
                )
                if not (ok and temporary.is_file() and temporary.stat().st_size > 0):
                    raise _NoPdf
            return target
        except _NoPdf:
            pass  # the browser failed: lay the PDF out with matplotlib instead
    return _pdf_with_matplotlib(report, target)


class _NoPdf(Exception):
    """The browser did not print the PDF."""


def _pdf_with_matplotlib(report: Report, target: Path) -> Path:
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines: list[str] = [report.title, report.subtitle, ""]
    lines += [f"WARNING: {w}" for w in report.warnings]
    for item in report.summary:
        lines += [*textwrap.wrap(f"• {item}", 95), ""]
    lines += ["How to reproduce this:", ""]
    for label, value in report.provenance:
        lines += textwrap.wrap(f"{label}: {value}", 95, subsequent_indent="    ")
    with atomic_path(target) as temporary, PdfPages(temporary) as pdf:
        per_page = 60
        for first in range(0, len(lines), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(
                0.06,
                0.96,
                "\n".join(lines[first : first + per_page]),
                va="top",
                family="serif",
                fontsize=8.5,
            )
            pdf.savefig(fig)
            plt.close(fig)
        for number, figure in enumerate(report.figures, start=1):
            image = mpimg.imread(io.BytesIO(figure.png), format="png")
            fig = plt.figure(figsize=(8.27, 11.69))
            ax = fig.add_axes((0.05, 0.3, 0.9, 0.65))
            ax.imshow(image)
            ax.axis("off")
            caption = textwrap.fill(f"Figure {number}. {figure.title}. {figure.caption}", 100)
            fig.text(0.06, 0.27, caption, va="top", family="serif", fontsize=8.5)
            pdf.savefig(fig)
            plt.close(fig)
    return target
