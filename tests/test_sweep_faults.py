"""Faults around a sweep's folder: a start killed at any moment, write errors, two sweeps into
one folder, Ctrl-C and ``kill -9`` while worker processes start, too many ``--workers``.

Each case must end the way docs/sweeps.md promises: nothing or a resumable folder, a one-line
error with exit status 2 (130 after Ctrl-C), no traceback, and after the fault is gone the same
command finishes the sweep with exactly the rows of an undisturbed run.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from csto_cli import assert_one_line_error, invoke

from sim.sweep import load_sweep, read_manifest, read_runs, run_sweep, store
from sim.sweep.execute import InlineBackend

SMALL = """
name = "fault-test"
scenario = "baseline-2022"
seed = 3
replicates = 3
steps = 6
chunk_size = 4

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 2 }
"mechanisms.trust_loss_ignored" = { low = 0.3, high = 0.8, levels = 2 }
"""
SMALL_CHUNKS = 3


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "fault-test.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(small: Path) -> Path:
    folder = small.parent / "reference"
    run_sweep(load_sweep(small), folder, backend=InlineBackend())
    return folder


def shards(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "runs").glob("chunk-*"))}


def assert_finishes_like(folder: Path, small: Path, reference: Path) -> None:
    """The same command finishes the sweep in ``folder`` with the reference's rows."""
    result = invoke("sweep", small, "--out", folder, "--workers", "1", "--quiet")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert read_manifest(folder)["complete"] is True
    assert shards(folder) == shards(reference)
    pd.testing.assert_frame_equal(read_runs(folder), read_runs(reference))
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}")]
    assert leftovers == [], leftovers
    assert not list(folder.rglob(".*tmp-*"))


# --- 1. a start killed at any moment ----------------------------------------------------------

#: Runs a sweep in forked children that die (``os._exit``, as after ``kill -9``: no clean-up
#: code runs) just before their k-th change to the file system under ROOT, for k = 0, 1, ...
#: until a child gets through its start; prints one JSON line per child.
DRIVER = r"""
import io, json, os, sys
from pathlib import Path
from sim.sweep import load_sweep, run_sweep
from sim.sweep.execute import InlineBackend

root, sweep = Path(sys.argv[1]), load_sweep(sys.argv[2])
def under(path):
    return str(os.fspath(path)).startswith(str(root))
for k in range(60):
    folder = root / f"k{k:02d}" / "out"
    pid = os.fork()
    if pid == 0:
        count = [0]
        def step(path):
            if under(path):
                if count[0] == k:
                    os._exit(137)
                count[0] += 1
        def wrap(function):
            def changed(path, *args, **kwargs):
                step(path)
                return function(path, *args, **kwargs)
            return changed
        for name in ("mkdir", "rename", "replace", "rmdir", "unlink", "ftruncate"):
            if name != "ftruncate":
                setattr(os, name, wrap(getattr(os, name)))
        real_open, real_os_open = io.open, os.open
        def opened(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                step(file)
            return real_open(file, mode, *args, **kwargs)
        def os_opened(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                step(path)
            return real_os_open(path, flags, *args, **kwargs)
        io.open, os.open = opened, os_opened
        def first_chunk(*args, **kwargs):
            os._exit(0)  # the start is over: a shard is about to be written
        import sim.sweep.store as store
        store.write_chunk = first_chunk
        run_sweep(sweep, folder, backend=InlineBackend())
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"k": k, "folder": str(folder), "code": code}), flush=True)
    if code == 0:
        break
"""


def test_a_start_killed_at_any_moment_leaves_nothing_or_a_resumable_folder(
    tmp_path: Path, small: Path, reference: Path
) -> None:
    found = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path), str(small)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    children = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(children) >= 4 and children[-1]["code"] == 0, children
    for child in children[:-1]:
        assert child["code"] == 137, child
        folder = Path(child["folder"])
        if folder.exists():  # then it must be a sweep folder, whole enough to resume
            assert (folder / "manifest.json").is_file(), sorted(folder.rglob("*"))
        assert_finishes_like(folder, small, reference)


@pytest.mark.slow
def test_kill_9_in_the_first_moments_of_a_sweep(
    tmp_path: Path, small: Path, reference: Path
) -> None:
    """A real ``kill -9`` as soon as anything appears beside the folder, and a little later."""
    for delay in (0.0, 0.02):
        root = tmp_path / f"after-{delay}"
        root.mkdir()
        folder = root / "out"
        command = [sys.executable, "-m", "sim", "sweep", str(small), "--out", str(folder)]
        process = subprocess.Popen([*command, "--quiet"], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not any(root.iterdir()) and process.poll() is None:
            assert time.monotonic() < deadline, "the sweep never started"
            time.sleep(0.0005)
        time.sleep(delay)
        process.kill()
        process.wait(timeout=30)
        if folder.exists():
            assert (folder / "manifest.json").is_file(), sorted(folder.rglob("*"))
        assert_finishes_like(folder, small, reference)


# --- 2. write errors --------------------------------------------------------------------------


def failing_writes(monkeypatch: pytest.MonkeyPatch, code: int, after: int) -> list[int]:
    """Make every file write after the first ``after`` fail with ``code``."""
    calls = [0]
    real = store.write_atomic

    def write(path: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] > after:
            raise OSError(code, os.strerror(code), str(path))
        real(path, data)

    monkeypatch.setattr(store, "write_atomic", write)
    return calls


@pytest.mark.parametrize(
    ("code", "after", "fragments"),
    [
        (errno.EROFS, 0, ("Read-only file system", "nothing was written")),
        (errno.ENOSPC, 0, ("No space left on device", "nothing was written")),
        (errno.EACCES, 3, ("Permission denied", "1 of 3 chunks are on disk")),
        (errno.ENOSPC, 4, ("No space left on device", "2 of 3 chunks are on disk")),
    ],
)
def test_a_write_error_is_one_line_and_what_was_written_resumes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small: Path,
    reference: Path,
    code: int,
    after: int,
    fragments: tuple[str, ...],
) -> None:
    folder = tmp_path / "out"
    with monkeypatch.context() as patch:
        failing_writes(patch, code, after)
        result = invoke("sweep", small, "--out", folder, "--workers", "1", "--quiet")
    message = assert_one_line_error(result, *fragments)
    assert "rerun the same command" in message or "nothing was written" in message
    if "nothing was written" in message:
        assert not folder.exists() and list(tmp_path.iterdir()) == []
    else:
        assert read_manifest(folder)["complete"] is False
    assert_finishes_like(folder, small, reference)


def test_a_read_only_out_is_one_line(tmp_path: Path, small: Path) -> None:
    """``--out`` inside a read-only file system (``/proc`` is one, even for root)."""
    result = invoke("sweep", small, "--out", "/proc/csto-sweep", "--quiet")
    assert_one_line_error(result, "/proc/csto-sweep", "cannot write", "nothing was written")


# --- 9. two sweeps, Ctrl-C, kill -9, --workers ------------------------------------------------


def test_a_second_sweep_into_a_folder_in_use_is_refused(
    tmp_path: Path, small: Path, reference: Path
) -> None:
    folder = tmp_path / "out"
    first = invoke("sweep", small, "--out", folder, "--workers", "1", "--quiet")
    assert first.exit_code == 0
    for path in (folder / "runs").glob("chunk-00000[12]*"):
        path.unlink()  # as if the first sweep were still running
    holder = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(holder, b"somewhere:4242\n")
        before = (folder / "manifest.json").read_bytes()
        second = invoke("sweep", small, "--out", folder, "--workers", "1", "--quiet")
        assert_one_line_error(
            second, str(folder), "another csto sweep (process somewhere:4242) is writing"
        )
        assert (folder / "manifest.json").read_bytes() == before
        assert len(shards(folder)) == 1
    finally:
        os.close(holder)
    assert_finishes_like(folder, small, reference)


def test_more_workers_than_cores_is_a_warning(tmp_path: Path, small: Path) -> None:
    result = invoke("sweep", small, "--out", tmp_path / "out", "--workers", "4096", "--quiet")
    assert result.exit_code == 0, result.stderr
    warning = result.stderr.strip()
    assert warning.startswith("csto: warning: --workers 4096 is more than the ")
    assert len(warning.splitlines()) == 1


#: Long enough that worker processes start and are still at work a second later, even on an
#: idle machine (160,000 runs of 36 months: several seconds for two processes; the tests stop
#: it long before it ends).
LARGER = (
    SMALL.replace("replicates = 3", "replicates = 40000")
    .replace("chunk_size = 4", "chunk_size = 1000")
    .replace("steps = 6", "steps = 36")
)


def sweep_process(tmp_path: Path, name: str) -> tuple[subprocess.Popen[str], Path, Path]:
    """``csto sweep`` with two workers in a session of its own (as a shell starts it), with
    its own temporary folder (where multiprocessing keeps its ``pymp-*`` folders)."""
    sweep = tmp_path / "larger.toml"
    sweep.write_text(LARGER, encoding="utf-8")
    # A short folder: the forkserver's socket lives there (at most 108 bytes of path).
    temporary = Path(tempfile.mkdtemp(prefix="csto-", dir="/tmp"))
    folder = tmp_path / name
    command = [sys.executable, "-m", "sim", "sweep", str(sweep), "--workers", "2"]
    process = subprocess.Popen(
        [*command, "--out", str(folder), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    return process, folder, temporary


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def forkserver(pid: int) -> bool:
    for child in descendants(pid):
        try:
            if "forkserver" in " ".join(child.cmdline()):
                return True
        except psutil.Error:
            continue
    return False


def wait_for_workers_starting(
    process: subprocess.Popen[str], temporary: Path, server: bool = False
) -> None:
    """Until multiprocessing's folder appears (and, if asked, the forkserver runs)."""
    deadline = time.monotonic() + 60
    while process.poll() is None:
        if list(temporary.glob("pymp-*")) and (not server or forkserver(process.pid)):
            return
        assert time.monotonic() < deadline, "no worker processes started"
        time.sleep(0.001)


@pytest.mark.slow
def test_ctrl_c_while_workers_start_is_a_clean_stop(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole foreground process group (the forkserver too)."""
    for delay in (0.0, 0.3, 1.0):
        process, _, temporary = sweep_process(tmp_path, f"ctrl-c-{delay}")
        wait_for_workers_starting(process, temporary)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 130, (delay, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        assert err.strip().startswith("csto: "), err
        assert len(err.strip().splitlines()) == 1, err
        shutil.rmtree(temporary, ignore_errors=True)


@pytest.mark.slow
def test_kill_9_while_workers_start_leaves_no_process_and_no_temporary_folder(
    tmp_path: Path,
) -> None:
    for delay in (0.0, 0.5):
        process, _, temporary = sweep_process(tmp_path, f"kill-{delay}")
        # From the moment the forkserver exists (the folder is made a moment before it, and
        # a kill in that fraction of a millisecond leaves the empty folder behind).
        wait_for_workers_starting(process, temporary, server=True)
        time.sleep(delay)
        children = descendants(process.pid)
        assert children, "no worker processes to watch"
        process.kill()
        process.communicate(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=3)
        for child in alive:
            child.kill()
        assert not alive, f"{alive} outlived the killed coordinator by 3 s"
        deadline = time.monotonic() + 3
        while list(temporary.glob("pymp-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(temporary.glob("pymp-*")) == []
        temporary.rmdir()
