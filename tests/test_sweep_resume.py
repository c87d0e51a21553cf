"""Resuming a sweep: stop a real ``python -m sim sweep`` process mid-way (Ctrl-C, then
``kill -9``), rerun the same command, and get exactly the rows of an uninterrupted run: no run
lost, none duplicated. A changed sweep file pointed at the old folder is refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.sweep import load_sweep, read_manifest, read_runs, run_sweep
from sim.sweep.execute import InlineBackend

SWEEP = """
name = "resume-test"
scenario = "baseline-2022"
seed = 5
replicates = 80
steps = 12
chunk_size = 200

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 50 }
"mechanisms.trust_loss_ignored" = { low = 0.3, high = 0.8, levels = 20 }
"""
CHUNKS = 50 * 20 * 80 // 200


def chunk_count(folder: Path) -> int:
    runs = folder / "runs"
    return len(list(runs.glob("chunk-*.parquet"))) if runs.is_dir() else 0


def start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def pool_workers(children: list[psutil.Process]) -> list[psutil.Process]:
    """Worker processes: the children of the forkserver (or of the coordinator with spawn)."""
    workers = []
    for child in children:
        try:
            if "forkserver" in " ".join(child.cmdline()):
                workers += child.children()
            elif "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.Error:
            continue
    return workers


def wait_for_progress(
    process: subprocess.Popen[str], folder: Path, chunks: int, workers: bool
) -> list[psutil.Process]:
    """Wait until ``chunks`` chunks are on disk (and, if asked, worker processes are up);
    return the process's children."""
    deadline = time.monotonic() + 120
    parent = psutil.Process(process.pid)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the sweep ended before it could be stopped ({err.strip()[-300:]})")
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if chunk_count(folder) >= chunks and (not workers or len(pool_workers(children)) >= 2):
            return children
        time.sleep(0.01)
    process.kill()
    pytest.fail("the sweep made no progress")


@pytest.mark.slow
def test_interrupted_and_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    sweep = tmp_path / "resume-test.toml"
    sweep.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "resumed"
    command = [sys.executable, "-m", "sim", "sweep", str(sweep), "--workers", "2"]
    command += ["--out", str(out), "--quiet"]

    # 1. Ctrl-C: the coordinator stops cleanly, says how to resume, exit status 130.
    first = start(command)
    wait_for_progress(first, out, 20, workers=False)
    os.kill(first.pid, signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "rerun the same command to resume" in err and "Traceback" not in err
    interrupted = chunk_count(out)
    assert 20 <= interrupted < CHUNKS
    manifest = read_manifest(out)
    assert manifest["complete"] is False and manifest["sessions"][0]["status"] == "interrupted"

    # 2. kill -9 while worker processes are running: they exit too, finished shards stay whole.
    second = start(command)
    children = wait_for_progress(second, out, interrupted + 40, workers=True)
    os.kill(second.pid, signal.SIGKILL)
    second.communicate(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=15)
    for process in alive:
        process.kill()
    assert not alive, f"worker processes outlived the killed coordinator: {alive}"
    killed = chunk_count(out)
    assert interrupted < killed < CHUNKS
    assert read_manifest(out)["complete"] is False

    # 3. The same command again finishes the sweep.
    third = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert third.returncode == 0, third.stderr
    manifest = read_manifest(out)
    assert manifest["complete"] is True and len(manifest["sessions"]) == 3
    assert manifest["sessions"][2]["chunks_run"] == CHUNKS - killed

    # An uninterrupted run of the same sweep, in this process.
    reference = tmp_path / "reference"
    run_sweep(load_sweep(sweep), reference, backend=InlineBackend())
    names = sorted(path.name for path in (reference / "runs").iterdir())
    assert sorted(path.name for path in (out / "runs").iterdir()) == names
    assert len(names) == CHUNKS
    for name in names:
        assert (out / "runs" / name).read_bytes() == (reference / "runs" / name).read_bytes()
    runs = read_runs(out)
    assert len(runs) == 50 * 20 * 80
    assert not runs.duplicated(["point", "replicate"]).any()
    pd.testing.assert_frame_equal(runs, read_runs(reference))
    assert not list(out.rglob(".*tmp-*")), "temporary files left behind"

    # The sweep drew from the posterior (the default): every session drew the same sets, and
    # the same command with --no-posterior is refused rather than mixed into the folder.
    assert (
        manifest["posterior"]["replicate_particles"]
        == read_runs(out).groupby("replicate")["particle"].first().tolist()
    )
    before = (out / "manifest.json").read_text()
    mixed = CliRunner().invoke(
        app, ["sweep", str(sweep), "--out", str(out), "--quiet", "--no-posterior"]
    )
    assert mixed.exit_code == 2 and len(mixed.stderr.strip().splitlines()) == 1
    assert "drew from the posterior of baseline-2022" in mixed.stderr
    assert (out / "manifest.json").read_text() == before

    # A changed sweep file pointed at the old folder is refused, and nothing is touched.
    sweep.write_text(SWEEP.replace("replicates = 80", "replicates = 81"), encoding="utf-8")
    before = (out / "manifest.json").read_text()
    result = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.startswith(f"csto: error: {out / 'manifest.json'}: definition: ")
    assert "different sweep (changed: replicates)" in message and len(message.splitlines()) == 1
    assert (out / "manifest.json").read_text() == before
    assert json.loads(before)["complete"] is True
