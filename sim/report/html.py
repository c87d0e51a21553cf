"""A report as one self-contained HTML file: figures embedded as base64 PNG, the style sheet
inline, no script and nothing fetched, so it opens offline in any browser and prints as it
shows."""

from __future__ import annotations

import base64
import html
from typing import Final

from sim.report.document import Report

STYLE: Final = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 64rem; margin: 2rem auto;
       padding: 0 1.2rem; color: #1a1a1a; line-height: 1.5; background: #fff; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
p.subtitle { color: #444; margin-top: 0; }
.warning { border: 3px double #000; background: #eee; padding: 0.6rem 1rem; font-weight: bold; }
figure { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.92rem; color: #222; margin-top: 0.4rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem 0; }
th, td { border: 1px solid #999; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #e6e6e6; }
dl.provenance { display: grid; grid-template-columns: 11rem 1fr; gap: 0.2rem 1rem;
                font-size: 0.85rem; }
dl.provenance dt { font-weight: bold; }
dl.provenance dd { margin: 0; font-family: 'DejaVu Sans Mono', monospace; word-break: break-all; }
ul.summary li { margin-bottom: 0.3rem; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-after: avoid; } }
"""


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="csto report ({report.kind})">',
        f"<title>{e(report.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        f'<body data-kind="{e(report.kind)}">',
        f"<header><h1>{e(report.title)}</h1>",
        f'<p class="subtitle">{e(report.subtitle)}</p></header>',
    ]
    for warning in report.warnings:
        parts.append(f'<p class="warning" role="alert">{e(warning)}</p>')
    number = 0
    for section in report.sections:
        parts.append(f'<section id="{e(section.key)}"><h2>{e(section.title)}</h2>')
        for paragraph in section.paragraphs:
            parts.append(f"<p>{e(paragraph)}</p>")
        if section.items:
            parts.append('<ul class="summary">')
            parts += [f"<li>{e(item)}</li>" for item in section.items]
            parts.append("</ul>")
        for figure in section.figures:
            number += 1
            data = base64.b64encode(figure.png).decode("ascii")
            parts.append(
                f'<figure id="fig-{e(figure.key)}" data-figure="{e(figure.key)}">'
                f'<img alt="Figure {number}: {e(figure.title)}" '
                f'src="data:image/png;base64,{data}">'
                f"<figcaption><strong>Figure {number}. {e(figure.title)}.</strong> "
                f"{e(figure.caption)}</figcaption></figure>"
            )
        for table in section.tables:
            parts.append(f'<div class="table" id="table-{e(table.key)}">')
            parts.append(f"<h3>{e(table.title)}</h3>")
            if table.frame.empty:
                parts.append("<p>None.</p>")
            else:
                parts.append(table.frame.to_html(index=False, escape=True, na_rep="–", border=0))
            if table.caption:
                parts.append(f"<p><small>{e(table.caption)}</small></p>")
            parts.append("</div>")
        parts.append("</section>")
    parts.append('<section id="reproduce"><h2>How to reproduce this</h2>')
    parts.append(
        "<p>Run the command below in a checkout of the project at the same git commit with the "
        "same package versions: it rewrites the data files of this folder byte for byte, and "
        "<code>csto report</code> on them gives this report again.</p>"
    )
    parts.append('<dl class="provenance">')
    for label, value in report.provenance:
        parts.append(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>")
    parts.append("</dl></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
