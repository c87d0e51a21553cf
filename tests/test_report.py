"""Reports of a ``csto run`` folder: built from the files, figures present, summary numbers equal
to those computed from the files, self-contained, readable in a real browser, bad input refused.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim import report
from sim.cli import app
from sim.report import prose
from sim.results import run as results_run

ROOT = Path(__file__).resolve().parent.parent
FRAGILE = ROOT / "tests" / "data" / "reports" / "fragile.toml"
CHROMIUM = Path("/usr/bin/chromium")
RUN_FIGURES = (
    "cohesion",
    "cohesion-parts",
    "fan",
    "members",
    "drivers",
    "trust-dependence",
    "timeline",
)

runner = CliRunner()


def invoke(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``csto run`` folder of a scenario in which members freeze."""
    out = tmp_path_factory.mktemp("results")
    code, _, err = invoke(
        "run", str(FRAGILE), "--replicates", "12", "--out", str(out), "--quiet", "--no-figures",
        "--no-posterior",
    )  # fmt: skip
    assert code == 0, err
    (folder,) = (out / "fragile").iterdir()
    return folder


@pytest.fixture(scope="module")
def built(run_folder: Path) -> tuple[report.Report, str]:
    made = report.build(run_folder)
    return made, report.render_html(made)


@pytest.mark.slow
def test_run_report_has_every_expected_figure(built: tuple[report.Report, str]) -> None:
    made, html = built
    assert made.kind == "run"
    assert [figure.key for figure in made.figures] == list(RUN_FIGURES)
    for key in RUN_FIGURES:
        match = re.search(
            rf'<figure id="fig-{key}" data-figure="{key}"><img alt="[^"]+" '
            r'src="data:image/png;base64,([A-Za-z0-9+/=]+)">',
            html,
        )
        assert match, f"figure {key} missing"
        assert len(match.group(1)) > 10_000
    for figure in made.figures:
        assert figure.png.startswith(b"\x89PNG")
        assert len(figure.caption) > 80  # each figure says how to read it


@pytest.mark.slow
def test_report_is_self_contained(built: tuple[report.Report, str]) -> None:
    _, html = built
    assert html.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "http://", "https://", "@import", "url("):
        assert forbidden not in html
    assert re.findall(r'src="([^"]{0,22})', html) == ["data:image/png;base64,"] * len(RUN_FIGURES)


@pytest.mark.slow
def test_report_names_scenario_seeds_versions_and_command(
    built: tuple[report.Report, str], run_folder: Path
) -> None:
    made, html = built
    manifest = json.loads((run_folder / "manifest.json").read_text())
    provenance = dict(made.provenance)
    assert provenance["Command"] == " ".join(manifest["command"])
    assert provenance["Master seed"] == str(manifest["master_seed"])
    assert str(manifest["replicate_seeds"][0]) in provenance["Replicate seeds"]
    assert "fragile" in provenance["Scenario"]
    assert manifest["scenario"]["sha256"][:12] in provenance["Scenario"]
    assert f"numpy {manifest['packages']['numpy']}" in provenance["Versions"]
    assert manifest["git"]["commit"] in provenance["Git commit"]
    for value in provenance.values():
        assert value.replace("&", "&amp;").replace("'", "&#x27;") in html


@pytest.mark.slow
def test_summary_numbers_equal_those_computed_from_the_files(
    built: tuple[report.Report, str], run_folder: Path
) -> None:
    made, _ = built
    story = next(section for section in made.sections if section.key == "story")
    assert story.title.startswith("One replicate's story: replicate ")
    assert story.items and all(item[0].isupper() for item in story.items)
    summary = pd.read_csv(run_folder / "summary.csv")
    events = pd.read_csv(run_folder / "events.csv")
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    manifest = json.loads((run_folder / "manifest.json").read_text())
    text = " ".join(made.summary)
    replicates = len(summary)

    final = summary["final_cohesion"].to_numpy()
    half = stats.t.ppf(0.975, replicates - 1) * final.std(ddof=1) / np.sqrt(replicates)
    initial = summary["initial_cohesion"].mean()
    assert (
        f"mean cohesion fell from {initial:.2f} to {final.mean():.2f} (95% interval of the mean "
        f"{final.mean() - half:.2f}–{final.mean() + half:.2f}; the middle 95% of replicates "
        f"ended between {np.quantile(final, 0.025):.2f} and {np.quantile(final, 0.975):.2f})"
    ) in text
    capacity = timeseries.groupby("step")["capacity"].mean()
    assert f"from {capacity.iloc[0]:.2f} to {capacity.iloc[-1]:.2f} of its pre-war" in text

    frozen = events[events["kind"] == "participation_frozen"]
    assert len(frozen), "the fixture scenario should freeze someone"
    for member, rows in frozen.groupby("member"):
        steps = np.sort(rows.groupby("replicate")["step"].min().to_numpy())
        share = len(steps) / replicates
        median = int(np.quantile(steps, 0.5, method="lower"))
        month = prose.month_words(results_run.event_month(manifest["start"], median))
        assert (
            f"{member} froze its participation in {share:.0%} of replicates "
            f"({len(steps)} of {replicates}), median month {median} ({month}"
        ) in text
    drills = summary["drills_held"] + summary["drills_cancelled"]
    assert (
        f"Of {drills.mean():.0f} scheduled joint drills, "
        f"{summary['drills_cancelled'].mean():.1f} were cancelled" in text
    )


@pytest.mark.slow
def test_report_command_writes_html_and_pdf(run_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "my report.html"
    target.parent.mkdir()
    code, out, err = invoke("report", str(run_folder), "--out", str(target), "--pdf")
    assert code == 0, err
    assert f"Report: {target}" in out
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert target.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_pdf_without_a_browser(built: tuple[report.Report, str], tmp_path: Path) -> None:
    made, html = built
    page = tmp_path / "r.html"
    page.write_text(html)
    pdf = report.write_pdf(made, page, tmp_path / "r.pdf", browser=False)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert content.count(b"/Type /Page\n") + content.count(b"/Type /Page ") >= 1 + len(RUN_FIGURES)


@pytest.mark.slow
def test_report_defaults_to_the_results_folder(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    code, out, _ = invoke("report", str(copy))
    assert code == 0
    assert (copy / "report.html").is_file()
    assert out.strip() == f"Report: {copy / 'report.html'}"


# --- bad input -------------------------------------------------------------------------------


def _one_line_error(code: int, err: str) -> str:
    assert code == 2
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_a_folder_that_is_not_a_results_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    err = _one_line_error(*invoke("report", str(tmp_path))[::2])
    assert f"{tmp_path}: not a results folder (no manifest.json" in err
    assert not (tmp_path / "report.html").exists()


def test_a_missing_folder(tmp_path: Path) -> None:
    err = _one_line_error(*invoke("report", str(tmp_path / "nope"))[::2])
    assert "no such folder" in err


def test_a_broken_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    err = _one_line_error(*invoke("report", str(tmp_path))[::2])
    assert "manifest.json: unreadable manifest" in err


@pytest.mark.slow
def test_a_run_folder_missing_a_file(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    (copy / "events.csv").unlink()
    err = _one_line_error(*invoke("report", str(copy))[::2])
    assert f"{copy / 'events.csv'}: missing" in err
    assert not (copy / "report.html").exists()


@pytest.mark.slow
def test_a_run_folder_with_a_corrupt_table(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    (copy / "timeseries.parquet").write_bytes(b"not parquet")
    err = _one_line_error(*invoke("report", str(copy))[::2])
    assert "timeseries.parquet: unreadable" in err


@pytest.mark.slow
def test_a_table_missing_a_column(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    summary = pd.read_csv(copy / "summary.csv").drop(columns="final_cohesion")
    summary.to_csv(copy / "summary.csv", index=False)
    err = _one_line_error(*invoke("report", str(copy))[::2])
    assert "summary.csv: missing column(s) final_cohesion" in err


def test_an_unknown_kind(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "poem"}))
    err = _one_line_error(*invoke("report", str(tmp_path))[::2])
    assert "unknown kind 'poem'" in err


@pytest.mark.slow
def test_out_must_be_an_html_file(run_folder: Path, tmp_path: Path) -> None:
    err = _one_line_error(*invoke("report", str(run_folder), "--out", str(tmp_path / "r.txt"))[::2])
    assert "expected an .html file name" in err
