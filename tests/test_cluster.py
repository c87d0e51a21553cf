"""``csto sweep --cluster``: worker jobs through dask-jobqueue, on a real SLURM when one is up.

The SLURM test runs a sweep through ``--cluster slurm`` on the machine's SLURM (``.ci/slurm``
starts a one-node cluster on localhost), cancels a worker job mid-sweep with ``scancel``,
interrupts the coordinator, resumes with the same command, cancels every job, and checks the
shards are byte for byte those of a run in this process: nothing lost, nothing doubled. Without
a reachable SLURM it is skipped, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from csto_cli import assert_one_line_error, files_under, invoke

from sim.sweep import load_sweep, read_manifest, read_runs, run_sweep
from sim.sweep.cluster import JOB_NAME, ClusterBackend, ClusterSettings, settings
from sim.sweep.execute import InlineBackend
from sim.sweep.spec import SweepError

SWEEP = """
name = "cluster-test"
scenario = "baseline-2022"
seed = 11
replicates = 40
steps = 24
chunk_size = 500

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 50 }
"mechanisms.trust_loss_ignored" = { low = 0.3, high = 0.8, levels = 20 }
"""
RUNS = 50 * 20 * 40
CHUNKS = RUNS // 500


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "cluster-test.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(sweep_file: Path) -> Path:
    """The sweep run in this process."""
    folder = sweep_file.parent / "reference"
    run_sweep(load_sweep(sweep_file), folder, backend=InlineBackend())
    return folder


def shards(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "runs").glob("chunk-*"))}


def assert_same_rows(folder: Path, reference: Path) -> None:
    """Every chunk, each once, byte for byte the reference's."""
    assert shards(folder) == shards(reference)
    runs = read_runs(folder)
    assert len(runs) == RUNS and not runs.duplicated(["point", "replicate"]).any()
    pd.testing.assert_frame_equal(runs, read_runs(reference))


# --- settings --------------------------------------------------------------------------------


def test_default_lifetime_ends_before_the_walltime() -> None:
    for walltime, seconds in (("00:05:00", 300), ("01:00:00", 3600), ("2-00:00:00", 172_800)):
        lifetime, stagger = ClusterSettings(walltime=walltime).lifetimes()
        assert lifetime - stagger > 0 and lifetime + stagger < seconds
        assert seconds - (lifetime + stagger) <= 120  # the jobs are not left idle for long
    assert ClusterSettings(walltime="01:00:00").lifetimes() == (3600 - 120 - 300, 300)
    assert ClusterSettings(lifetime="10m", lifetime_stagger="30s").lifetimes() == (600, 30)


def test_config_file_then_options(tmp_path: Path) -> None:
    config = tmp_path / "cluster.toml"
    config.write_text(
        '[cluster]\njobs = 20\ncores = 4\nmemory = "8GB"\nwalltime = "04:00:00"\n'
        'queue = "short"\naccount = "polsci"\nprologue = ["module load python/3.12"]\n'
        'directives = ["--qos=normal"]\n',
        encoding="utf-8",
    )
    chosen = settings(None, config, jobs=5, walltime=None)
    assert chosen == ClusterSettings(
        jobs=5,
        cores=4,
        memory="8GB",
        walltime="04:00:00",
        queue="short",
        account="polsci",
        prologue=("module load python/3.12",),
        directives=("--qos=normal",),
    )


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[cluster]\njobs = 0\n", ("cluster.toml: cluster.jobs:", "whole number", "got 0")),
        ('[cluster]\nwalltime = "90"\n', ("cluster.walltime:", '"HH:MM:SS"')),
        ('[cluster]\nmemory = "lots"\n', ("cluster.memory:", '"4GB"')),
        ('[cluster]\nkind = "pbs"\n', ("cluster.kind:", '"slurm" or "local"')),
        ("[cluster]\nnodes = 3\n", ("cluster.nodes: unknown key",)),
        ('[cluster]\nprologue = "module load x"\n', ("cluster.prologue:", "list of strings")),
        (
            '[cluster]\nwalltime = "00:10:00"\nlifetime = "10m"\n',
            ("cluster.lifetime:", "end before the walltime (00:10:00, 600 s)"),
        ),
        ("jobs = 3\n", ("cluster.toml: cluster: missing (expected a [cluster] table)",)),
        ("[cluster\n", ("cluster.toml:", "not valid TOML")),
    ],
)
def test_a_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, sweep_file: Path, text: str, fragments: tuple[str, ...]
) -> None:
    config = tmp_path / "cluster.toml"
    config.write_text(text, encoding="utf-8")
    result = invoke("sweep", sweep_file, "--cluster-config", config, "--out", tmp_path / "o")
    assert_one_line_error(result, *fragments)
    assert files_under(tmp_path / "o") == []


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--cluster", "pbs"], ("--cluster:", '"slurm" or "local"', "got 'pbs'")),
        (["--cluster", "slurm", "--walltime", "1h"], ("--walltime:", '"HH:MM:SS"')),
        (["--cluster", "slurm", "--jobs", "0"], ("--jobs:", "got 0")),
        (
            ["--cluster", "slurm", "--walltime", "00:00:30"],
            ("--walltime:", "at least 60 s and end before"),
        ),
        (["--jobs", "3"], ("--jobs: only with --cluster",)),
        (["--cluster", "slurm", "--workers", "2"], ("--workers: not with --cluster",)),
        (["--cluster", "slurm", "--scheduler", "tcp://x:1"], ("--scheduler: not with",)),
        (["--cluster-config", "nowhere.toml"], ("nowhere.toml: no such file",)),
    ],
)
def test_bad_cluster_options_are_one_line_errors(
    tmp_path: Path, sweep_file: Path, options: list[str], fragments: tuple[str, ...]
) -> None:
    result = invoke("sweep", sweep_file, *options, "--out", tmp_path / "o", "--quiet")
    assert_one_line_error(result, *fragments)
    assert files_under(tmp_path / "o") == []


def test_settings_name_the_option_they_came_from() -> None:
    with pytest.raises(SweepError, match=r"^--memory: expected an amount of memory"):
        settings("slurm", memory="-1GB")


def test_the_job_script_asks_for_what_was_set(tmp_path: Path) -> None:
    chosen = ClusterSettings(
        jobs=3,
        cores=2,
        memory="4GB",
        walltime="02:00:00",
        queue="short",
        account="polsci",
        prologue=("module load python/3.12",),
        directives=("--qos=normal",),
    )
    backend = ClusterBackend(chosen, tmp_path / "sweep")
    try:
        script = backend.job_script()
    finally:
        backend.close(cancel=True)
    lines = script.splitlines()
    for line in (
        f"#SBATCH -J {JOB_NAME}",
        "#SBATCH -p short",
        "#SBATCH -A polsci",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH -t 02:00:00",
        "#SBATCH --qos=normal",
        "module load python/3.12",
        f"#SBATCH -o {tmp_path / 'sweep' / 'logs'}/{JOB_NAME}-%J.out",
    ):
        assert line in lines, (line, script)
    worker = lines[-1]
    assert worker.startswith(f"{sys.executable} -m distributed.cli.dask_worker tcp://")
    lifetime, stagger = chosen.lifetimes()
    assert f"--lifetime {lifetime:.0f}s --lifetime-stagger {stagger:.0f}s" in worker
    assert "--nthreads 1" in worker  # one single-threaded worker process per core


# --- the same path on dask-jobqueue's local job queue ----------------------------------------


@pytest.mark.slow
def test_local_job_queue_gives_the_rows_of_a_local_run(
    tmp_path: Path, sweep_file: Path, reference: Path
) -> None:
    if slurm_state() is None:
        pytest.skip("a SLURM is up: the SLURM test runs this path on real batch jobs")
    out = tmp_path / "jobqueue"
    summary = run_sweep(
        load_sweep(sweep_file),
        out,
        cluster=ClusterSettings(kind="local", jobs=2, memory="1GB", walltime="00:10:00"),
    )
    assert summary.complete and summary.backend.startswith("local job queue: up to 2 jobs")
    assert summary.workers and all(not w.endswith(f":{os.getpid()}") for w in summary.workers)
    assert_same_rows(out, reference)


# --- a real SLURM ----------------------------------------------------------------------------


def slurm_state() -> str | None:
    """Why no SLURM can be used here, or None if a node takes jobs."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "no SLURM commands (sinfo, sbatch) on PATH; .ci/slurm starts a one-node SLURM"
    try:
        found = subprocess.run(
            ["sinfo", "--noheader", "--format=%T"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 10 s"
    states = set(found.stdout.split())
    if found.returncode != 0 or not states & {"idle", "mixed", "allocated"}:
        return f"no SLURM node takes jobs (sinfo: {(found.stdout + found.stderr).strip()!r})"
    return None


@pytest.fixture
def slurm() -> None:
    reason = slurm_state()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must test --cluster slurm on a real SLURM, but {reason}")
    pytest.skip(reason)


#: Job states of jobs that hold or wait for a node (squeue keeps ended ones for a while).
ACTIVE = "PENDING,CONFIGURING,RUNNING,COMPLETING"


def worker_jobs(state: str = "R") -> list[str]:
    found = subprocess.run(
        ["squeue", "--noheader", f"--name={JOB_NAME}", f"--states={state}", "--format=%i"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return found.stdout.split()


def chunk_count(folder: Path) -> int:
    return len(list((folder / "runs").glob("chunk-*.parquet"))) if (folder / "runs").is_dir() else 0


def wait_for(process: subprocess.Popen[str], folder: Path, chunks: int, jobs: int = 1) -> None:
    """Until ``chunks`` chunks are on disk and ``jobs`` worker jobs run."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the sweep ended early: {process.communicate()[1][-500:]}")
        if chunk_count(folder) >= chunks and len(worker_jobs()) >= jobs:
            return
        time.sleep(0.05)
    pytest.fail(f"no progress: {chunk_count(folder)} chunks, jobs {worker_jobs('all')}")


@pytest.mark.slow
def test_slurm_sweep_survives_cancelled_jobs_and_equals_a_local_run(
    slurm: None, tmp_path: Path, sweep_file: Path, reference: Path
) -> None:
    out = tmp_path / "slurm"
    command = [sys.executable, "-m", "sim", "sweep", str(sweep_file), "--cluster", "slurm"]
    command += ["--jobs", "2", "--cores", "1", "--memory", "1GB", "--walltime", "00:05:00"]
    command += ["--out", str(out), "--quiet"]
    # A job that is gone is replaced after a second, not dask's default 15.
    env = {**os.environ, "DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "1s"}
    seen: set[str] = set()
    try:
        # 1. A worker job cancelled mid-sweep: its chunk is run again by the other.
        first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        wait_for(first, out, 2, jobs=2)
        jobs = worker_jobs()
        seen.update(jobs)
        subprocess.run(["scancel", jobs[0]], check=True, timeout=10)
        wait_for(first, out, 12)
        # 2. Ctrl-C: the coordinator cancels its jobs and says how to resume.
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=60)
        assert first.returncode == 130, err
        assert "rerun the same command to resume" in err and "Traceback" not in err
        assert worker_jobs(ACTIVE) == []
        stopped = chunk_count(out)
        assert 12 <= stopped < CHUNKS - 20

        # 3. The same command resumes; every job cancelled at once: new ones take over.
        second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        wait_for(second, out, stopped + 2)
        jobs = worker_jobs()
        seen.update(jobs)
        subprocess.run(["scancel", *jobs], check=True, timeout=10)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert err == "", err  # dask's log goes to logs/coordinator.log, not the terminal
    finally:
        for process in (locals().get("first"), locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
        left = worker_jobs(ACTIVE)
        if left:
            subprocess.run(["scancel", *left], check=False, timeout=10)
    assert not left, f"worker jobs outlived the sweep: {left}"
    manifest = read_manifest(out)
    assert manifest["complete"] is True
    assert [s["status"] for s in manifest["sessions"]] == ["interrupted", "complete"]
    assert manifest["sessions"][1]["chunks_run"] == CHUNKS - stopped
    assert manifest["sessions"][1]["backend"].startswith("SLURM: up to 2 jobs x 1 cores")
    assert_same_rows(out, reference)
    logs = sorted(path.name for path in (out / "logs").iterdir())
    assert "coordinator.log" in logs and any(name.endswith(".err") for name in logs), logs
