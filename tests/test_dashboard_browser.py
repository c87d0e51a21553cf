"""``csto dashboard`` in a real browser: Debian's chromium driven by Playwright.

One server, one page, one student's session: move a slider, refuse a typed value out of its
range, step a replicate and check that the numbers shown are ``sim.run``'s for the same seed
and values, look at the bands, download the tweak (``csto validate`` accepts it) and the
results folder (it reads as a run folder), check that a screenshot is not blank and that the
page wrote nothing outside the results folder. Marked slow (a server, a browser).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from csto_cli import invoke
from dashboard_server import CHROMIUM, browser_page, dashboard_server
from playwright.sync_api import expect

import sim
from sim.model.draws import derive_seeds
from sim.results.folder import read

pytestmark = pytest.mark.slow

PATH = "russia.capacity.initial"
MONTHS = 3


def _files(*roots: Path) -> set[Path]:
    return {path for root in roots for path in root.rglob("*") if path.is_file()}


def _not_blank(png: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3)
    colours = np.unique(pixels, axis=0)
    assert image.size[0] >= 800 and image.size[1] >= 600
    assert len(colours) > 200, "the screenshot has almost no colours: a blank page?"
    most = np.unique(pixels, axis=0, return_counts=True)[1].max()
    assert most / len(pixels) < 0.9, "one colour fills the screenshot: a blank page?"


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (.ci/run installs it)",
)
def test_a_student_session_in_a_real_browser(tmp_path: Path) -> None:
    work, home, out = tmp_path / "work", tmp_path / "home", tmp_path / "work" / "results"
    work.mkdir()
    home.mkdir()
    downloads = tmp_path / "downloads"
    with dashboard_server(work, out, env={"HOME": str(home)}) as url, browser_page() as page:
        before = _files(work, home)
        page.goto(url)
        page.get_by_text(f"Month 0 of {sim.load('baseline-2022').horizon}").wait_for()

        # Move a slider one step with the keyboard, as a student can.
        page.locator(".csto-group--russia-capacity").click()
        row = page.locator(f".csto-value--{PATH.replace('.', '-')}")
        row.locator("[role=slider]").focus()
        row.locator("[role=slider]").press("ArrowLeft")
        row.get_by_text("changed, was 0.5").wait_for()
        entry = row.locator(".csto-entry input")
        expect(entry).not_to_have_value("0.5")
        value = float(entry.input_value())
        assert 0.3 <= value < 0.5

        # A typed value outside the file's range is refused with the range shown.
        entry.fill("0.95")
        entry.press("Enter")
        refusal = row.locator(".csto-refused")
        refusal.wait_for()
        assert "[0.3, 0.7]" in refusal.inner_text()
        assert "baseline-2022.toml" in refusal.inner_text()
        entry.fill(f"{value:g}")
        entry.press("Enter")
        refusal.wait_for(state="detached")

        # Step replicate 0 of master seed 1: the numbers are sim.run's for its own seed.
        for month in range(1, MONTHS + 1):
            page.get_by_role("button", name="Step").click()
            page.get_by_text(f"Month {month} of").wait_for()
        seed = derive_seeds(1, 1)[0]
        assert str(seed) in page.get_by_text("Replicate 0 of master seed 1").inner_text()
        reference = sim.run("baseline-2022", seed=seed, overrides={PATH: value})
        alliance = reference.alliance_series().set_index("step").loc[MONTHS]
        for column in ("capacity", "cohesion"):
            shown = page.locator(f".csto-monitors td[data-series={column}]").inner_text()
            assert shown == f"{alliance[column]:.3f}", column
        for column in ("alignment", "trust"):
            expected = reference.member_series(column).loc[MONTHS]
            for member, number in expected.items():
                cell = f".csto-monitors td[data-member={member}][data-series={column}]"
                assert page.locator(cell).inner_text() == f"{number:.3f}", (member, column)
        assert page.locator(".csto-events").inner_text().count("\n") >= 1

        # Many replicates: bands, and the tweak against its parent.
        page.get_by_role("tab", name="Replicates").click()
        computed = page.locator(".csto-computed").first
        computed.wait_for()
        # the bands span the baseline's calibrated posterior: 100 parameter sets, one seed each
        assert "100 draws of the posterior, master seed 1" in computed.inner_text()
        page.get_by_role("tab", name="Compare with parent").click()
        page.get_by_text("final cohesion (index 0–1)").first.wait_for()
        _not_blank(page.screenshot(full_page=False))

        # Download the tweak: csto validate accepts it and it holds the value moved.
        with page.expect_download() as tweak:
            page.get_by_role("button", name="Scenario file (.toml)").click()
        scenario_file = downloads / tweak.value.suggested_filename
        tweak.value.save_as(scenario_file)
        assert invoke("validate", scenario_file).exit_code == 0
        assert sim.load(scenario_file)[PATH] == pytest.approx(value)

        # Write the results folder and download it: csto report reads it.
        page.get_by_role("button", name="Write results folder").click()
        written = page.locator(".csto-written")
        written.wait_for()
        folder = Path(written.inner_text().removeprefix("Written: ").strip())
        assert folder.is_relative_to(out.resolve()) or folder.is_relative_to(out)
        with page.expect_download() as archive:
            page.get_by_role("button", name="Results folder (.zip)").click()
        zipped = downloads / archive.value.suggested_filename
        archive.value.save_as(zipped)
        with zipfile.ZipFile(zipped) as opened:
            opened.extractall(downloads / "unzipped")
        unzipped = downloads / "unzipped" / folder.name
        assert (unzipped / "scenario.toml").is_file()
        opened_folder = read(unzipped)  # what csto report reads first (a report: test_dashboard)
        assert opened_folder.kind == "run" and opened_folder.replicates == 100
        after = _files(work, home)

    new = {path for path in after - before if not path.is_relative_to(out)}
    assert new == set(), f"the page wrote outside the results folder: {sorted(new)}"
