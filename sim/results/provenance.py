"""Where results came from: times, package versions, the git commit, the command line, and the
manifest that records them with the scenario and the seeds.

Every results folder has a ``manifest.json``. Those of ``csto run``, ``csto compare`` and
``csto threshold`` are built by :func:`manifest`; a sweep's (written and updated as it runs, by
:mod:`sim.sweep.execute`) takes its versions, commit and times from here too.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sim.results.folder import sha256_file
from sim.scenario import Scenario

#: Distributions whose versions every manifest records.
PACKAGES: Final = (
    "csto-sim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "typer",
    "rich",
)


@dataclass(frozen=True)
class Timestamps:
    """When a run started and ended (ISO 8601, UTC)."""

    started: str
    finished: str


def now() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` where missing), and Python's."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def project_root() -> Path:
    """The folder that holds the ``sim`` package (the git checkout in development)."""
    return Path(__file__).resolve().parents[2]


def git_commit(where: Path | None = None) -> dict[str, Any]:
    """The project's git commit and whether the work tree differs from it, when git knows
    (asked once per process and folder).

    Returns ``{"commit": "<sha>" or "unknown", "dirty": bool or None}``.
    """
    return dict(_git_commit((where or project_root()).resolve()))


@functools.cache
def _git_commit(folder: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": "unknown", "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    """The scenario's identity: name, title, files (root first) with their hashes."""
    return {
        "name": scenario.name,
        "title": scenario.title,
        "sha256": scenario.digest,
        "files": [
            {"path": display_path(Path(file)), "sha256": _file_hash(Path(file))}
            for file in scenario.files
        ],
    }


def parameters_record(scenario: Scenario) -> dict[str, Any]:
    """Every resolved value with its source, file and range, and the scenario-given events."""
    values: dict[str, Any] = {}
    shown: dict[str, str] = {"": ""}  # the values come from a few files: resolve each once
    for path in sorted(scenario.values):
        value = scenario.values[path]
        if value.file not in shown:
            shown[value.file] = display_path(Path(value.file))
        entry: dict[str, Any] = {
            "value": value.value,
            "source": value.source,
            "file": shown[value.file],
        }
        if value.has_range:
            entry["range"] = [value.low, value.high]
        values[path] = entry
    events = [
        {key: item for key, item in vars(event).items() if item not in ("", None, ())}
        for event in scenario.events
    ]
    return {"values": values, "events": events}


def manifest(
    *,
    scenario: Scenario,
    command: Sequence[str],
    seed: int,
    seeds: Sequence[int],
    steps: int,
    times: Timestamps,
    run_id: str,
    files: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a results folder.

    ``command`` is the command line that reproduces the folder (``argv``, the one typed, is
    recorded beside it); ``files`` maps the folder's data files to their SHA-256; ``extra``
    adds fields (e.g. a comparison's scenarios).
    """
    record: dict[str, Any] = {
        "manifest_version": 1,
        "run_id": run_id,
        "scenario": scenario_record(scenario),
        "parameters": parameters_record(scenario),
        "master_seed": seed,
        "replicates": len(seeds),
        "replicate_seeds": [int(value) for value in seeds],
        "steps": steps,
        "start": scenario.start,
        "command": list(command),
        "argv": list(sys.argv),
        "packages": package_versions(),
        "git": git_commit(),
        "started": times.started,
        "finished": times.finished,
    }
    if files is not None:
        record["files"] = dict(files)
    if extra:
        record.update(extra)
    return record


def _file_hash(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return "unreadable"


def display_path(path: Path) -> str:
    """A path relative to the project or the working directory when it lies inside one."""
    resolved = path.resolve()
    for base in (project_root(), Path.cwd().resolve()):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(resolved)
