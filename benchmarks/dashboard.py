"""Benchmark: how fast the dashboard redraws 100 replicates of 36 months after a slider moves.

    scripts/uvrun python benchmarks/dashboard.py              # the figures in docs/dashboard.md
    scripts/uvrun python benchmarks/dashboard.py --rounds 5   # fewer rounds

Two measurements:

1. **In the browser, end to end** (the target: within 1 s). ``csto dashboard`` runs on a free
   loopback port; Debian's chromium, driven by Playwright, opens the Replicates tab, then in
   each round moves Russia's initial capacity one slider step with the keyboard and waits until
   the page shows the bands of the new values (the line naming the tweak changes: the charts
   come in the same update). That is the whole redraw: the change sent to the server, 100
   replicates of the tweak run by the batch engine, quantiles and outcomes, two SVG charts
   written, the page updated and drawn.
2. **On the server, side by side** (interleaved rounds): the work of one redraw in this
   process (:func:`sim.dashboard.runs.compute` and the two charts), against the reference of
   running the same 100 replicates as 100 Mesa models in a Python loop (``CSTOModel.run()``),
   what a SolaraViz app over one Mesa run per replicate would do; their ratio.

Not a test: it prints its figures (``--json FILE`` saves them). The machine may be shared: the
load average is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TARGET = 1.0  # seconds, browser end to end
REPLICATES = 100
STEPS = 36
PATH = "russia.capacity.initial"


def server_side(rounds: int) -> dict[str, Any]:
    """One redraw's work against 100 Mesa runs in a loop, in interleaved rounds."""
    import sim
    from sim.dashboard import charts, runs, values
    from sim.mesa.model import CSTOModel
    from sim.model.state import ALLIANCE_SERIES

    parent = sim.load("baseline-2022")
    draws = runs.SeedDraws(1, REPLICATES)
    parent_batch = runs.run_draws(parent, draws, STEPS)
    redraw: list[float] = []
    mesa: list[float] = []
    for index in range(rounds):
        tweak = values.tweaked(parent, {PATH: 0.45 + 0.001 * index})
        started = time.perf_counter()
        computed = runs.compute(tweak, parent, draws, STEPS, parent_batch)
        charts.alliance_bands(computed.bands, ALLIANCE_SERIES)
        charts.member_bands(computed.bands, "alignment")
        redraw.append(time.perf_counter() - started)
        started = time.perf_counter()
        for seed in draws.seeds():
            CSTOModel(tweak, rng=seed, steps=STEPS).run()
        mesa.append(time.perf_counter() - started)
    return {
        "redraw_min": min(redraw),
        "redraw_median": statistics.median(redraw),
        "mesa_loop_min": min(mesa),
        "mesa_loop_median": statistics.median(mesa),
        "ratio_median": statistics.median(mesa) / statistics.median(redraw),
    }


def browser(rounds: int) -> dict[str, Any]:
    """Slider move to redrawn bands, in the browser."""
    from dashboard_server import browser_page, dashboard_server

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="csto-bench-") as folder:
        work = Path(folder)
        with dashboard_server(work, work / "results") as url, browser_page() as page:
            page.goto(url)
            page.get_by_text("Month 0 of").wait_for()
            page.get_by_role("tab", name="Replicates").click()
            computed = page.locator(".csto-computed").first
            computed.wait_for()
            page.locator(".csto-group--russia-capacity").click()
            thumb = page.locator(f".csto-value--{PATH.replace('.', '-')} [role=slider]")
            for index in range(rounds + 1):  # the first round warms the server up
                before = computed.inner_text()
                thumb.focus()
                started = time.perf_counter()
                thumb.press("ArrowLeft" if index % 2 == 0 else "ArrowRight")
                page.wait_for_function(
                    """([selector, before]) => {
                        const line = document.querySelector(selector);
                        return line !== null && line.innerText !== before;
                    }""",
                    arg=[".csto-computed", before],
                    polling="raf",
                )
                if index:
                    times.append(time.perf_counter() - started)
    return {
        "browser_min": min(times),
        "browser_median": statistics.median(times),
        "browser_max": max(times),
        "rounds": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    load = os.getloadavg()
    cores = os.cpu_count()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cores} cores")
    figures = {**server_side(options.rounds), **browser(options.rounds)}
    print(
        f"server, one redraw ({REPLICATES} replicates x {STEPS} months, compute + 2 charts): "
        f"min {figures['redraw_min']:.3f} s, median {figures['redraw_median']:.3f} s"
    )
    print(
        f"server, reference: {REPLICATES} Mesa runs in a Python loop: "
        f"min {figures['mesa_loop_min']:.3f} s, median {figures['mesa_loop_median']:.3f} s "
        f"({figures['ratio_median']:.1f} x one redraw)"
    )
    verdict = "within" if figures["browser_median"] <= TARGET else "OVER"
    print(
        f"browser, slider moved to bands redrawn: min {figures['browser_min']:.3f} s, median "
        f"{figures['browser_median']:.3f} s, max {figures['browser_max']:.3f} s over "
        f"{figures['rounds']} rounds ({verdict} the {TARGET:.0f} s target)"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if options.json is not None:
        options.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
