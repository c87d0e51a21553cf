"""The README is executed: a new user's sequence runs, in order, and shows real output.

The set-up command ``make run`` (its ``csto`` command, from the Makefile) and then every
``$ csto ...`` line run in-process, in order and as written, in a fresh folder holding this
project's ``scenarios/`` and ``sweeps/``, so results land in the temporary folder and no step
finds the folder of an earlier one. The README's way to type ``csto`` after the set-up
(activating ``.venv``) is run in a real shell. The scenario example in the README's ```toml
block must validate.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from csto_cli import ROOT, invoke
from test_docs_examples import _flat, examples

README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = [example for example in examples(README) if example.command.startswith("csto ")]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def make_target(name: str) -> list[str]:
    """The commands of a Makefile target's recipe."""
    recipe = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M)
    assert recipe is not None, name
    return [line.strip() for line in recipe.group(1).splitlines()]


def setup_csto_command() -> list[str]:
    """``make run``'s csto command line, as the README's set-up runs it."""
    (command,) = make_target("run")
    words = shlex.split(command)
    assert words[:2] == ["scripts/uvrun", "csto"], command
    return words[2:]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sweeps"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    return folder


def test_the_readme_shows_every_subcommand() -> None:
    shown = {shlex.split(example.command)[1] for example in EXAMPLES}
    assert shown == {
        "scenarios",
        "show",
        "validate",
        "run",
        "report",
        "compare",
        "threshold",
        "sweep",
        "export",
    }


@pytest.mark.slow
def test_readme_examples_run_in_order_and_show_real_output(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    setup = invoke(*setup_csto_command())
    assert setup.exit_code == 0, setup.stderr
    for example in EXAMPLES:
        result = invoke(*shlex.split(example.command)[1:])
        assert result.exit_code == example.status, (example.command, result.stderr)
        actual = _flat(result.stdout + "\n" + result.stderr)
        for line in example.shown:
            for fragment in (part.strip() for part in line.split("...")):
                assert _flat(fragment) in actual, f"{fragment!r} not in output of {example.command}"


def test_the_readme_scenario_example_is_valid(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)```", README, flags=re.S)
    assert block is not None
    text = block.group(1)
    name = re.search(r'^name = "([^"]+)"', text, flags=re.M)
    assert name is not None
    path = tmp_path / f"{name.group(1)}.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 0, result.stderr


def test_the_set_up_commands_are_make_targets() -> None:
    shown = [example.command for example in examples(README)]
    for command in shown:
        if command.startswith("make "):
            assert make_target(command.split()[1])


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "activate").exists(), reason="no .venv")
def test_after_the_set_up_csto_is_typed_as_the_readme_says() -> None:
    (activate,) = [
        example.command for example in examples(README) if example.command.startswith(". ")
    ]
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # csto is not on PATH before
    done = subprocess.run(
        ["bash", "-c", f"! command -v csto >/dev/null && {activate} && csto scenarios"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "baseline-2022" in done.stdout
