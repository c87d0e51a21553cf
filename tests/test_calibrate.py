"""The calibration: targets read with clear errors, a posterior reproducible from its seed on any
number of workers, a resumed calibration equal to an uninterrupted one, a posterior checked
when read, and parameters recovered from data the model made itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.calibrate.evaluate import Problem, evaluate_chunk
from sim.calibrate.posterior import (
    PosteriorError,
    folder_of,
    posterior_for,
    read_posterior,
)
from sim.calibrate.run import CalibrationError, run_calibration
from sim.calibrate.smc import Settings
from sim.calibrate.space import space_of
from sim.calibrate.targets import TargetsError, default_path, read_targets
from sim.model.draws import derive_seeds
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
#: A small calibration: three values of the baseline, few particles, a small budget.
ONLY = ["mechanisms.weight_lockin", "mechanisms.weight_entrapment", "mechanisms.inertia"]
SMALL = Settings(particles=40, replicates=2, budget=40_000, batch=200, seed=3)


def small_run(tmp_path: Path, name: str, workers: int = 1, **changes: object) -> Path:
    settings = Settings(**{**SMALL.__dict__, **changes})  # type: ignore[arg-type]
    out = tmp_path / f"{name}.posterior"
    run_calibration(
        "baseline-2022",
        settings,
        workers=workers,
        work=tmp_path / f"{name}-work",
        out=out,
        only=ONLY,
    )
    return out


def particles(folder: Path) -> bytes:
    return (folder / "particles.parquet").read_bytes()


# --- targets -------------------------------------------------------------------------------------


def test_the_baselines_targets_are_read_with_their_sources() -> None:
    targets = read_targets(default_path("baseline-2022"))
    assert len(targets) >= 12
    assert {target.kind for target in targets} == {"state", "event", "expectation"}
    assert all(target.source.startswith("article:") for target in targets)
    # the information rule: no target looks past October 2022 except the article's expectations
    assert all(target.month <= "2022-10" for target in targets if target.kind != "expectation")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "expected one or more [[targets]]"),
        ("[[targets]]\nname = 'a'\n", "missing"),
        (
            "[[targets]]\nname='a'\nseries='alignment'\nmember='Uzbekistan'\nat='2022-10'\n"
            "value=0.5\nsd=0.1\nkind='state'\nsource='x'\n",
            "member: expected one of",
        ),
        (
            "[[targets]]\nname='a'\nseries='alignment'\nmember='Armenia'\nat='2022-10'\n"
            "during='2022-10'\nvalue=0.5\nsd=0.1\nkind='state'\nsource='x'\n",
            "exactly one of",
        ),
        (
            "[[targets]]\nname='a'\nseries='alignment'\nmember='Armenia'\nat='2022-10'\n"
            "value=0.5\nsd=0\nkind='state'\nsource='x'\n",
            "sd: expected a positive number",
        ),
        (
            "[[targets]]\nname='a'\nseries='alignmnt'\nmember='Armenia'\nat='2022-10'\n"
            "value=0.5\nsd=0.1\nkind='state'\nsource='x'\n",
            "expected a member series",
        ),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_a_bad_targets_file_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetsError) as caught:
        read_targets(path)
    message = str(caught.value)
    assert str(path) in message and expected in message and "\n" not in message


def test_a_target_outside_the_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "late.toml"
    path.write_text(
        "[[targets]]\nname='late'\nseries='alignment'\nmember='Armenia'\nat='2031-01'\n"
        "value=0.5\nsd=0.1\nkind='expectation'\nsource='x'\n",
        encoding="utf-8",
    )
    with pytest.raises(TargetsError, match="lies outside the run"):
        run_calibration(
            "baseline-2022", SMALL, targets=path, work=tmp_path / "w", out=tmp_path / "o"
        )


# --- reproducible and resumable ------------------------------------------------------------------


def test_a_calibration_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    first = small_run(tmp_path, "first")
    second = small_run(tmp_path, "second")
    assert particles(first) == particles(second)
    other = small_run(tmp_path, "other", seed=4)
    assert particles(other) != particles(first)
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["kind"] == "posterior" and manifest["scenario"] == "baseline-2022"
    assert set(manifest["variant_probabilities"]) == {
        "balance, affinity",
        "balance, uniform",
        "bandwagon, affinity",
        "bandwagon, uniform",
    }
    assert len(manifest["predictive"]) == len(read_targets(default_path("baseline-2022")))


@pytest.mark.slow
def test_workers_do_not_change_the_posterior(tmp_path: Path) -> None:
    assert particles(small_run(tmp_path, "one")) == particles(small_run(tmp_path, "two", workers=2))


def test_an_interrupted_calibration_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    reference = small_run(tmp_path, "reference", particles=60, target_epsilon=0.3)
    calls = 0

    def stop_after_two(stage: int, found: int, needed: int, runs: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    settings = Settings(**{**SMALL.__dict__, "particles": 60, "target_epsilon": 0.3})
    work = tmp_path / "interrupted-work"
    out = tmp_path / "interrupted.posterior"
    with pytest.raises(KeyboardInterrupt):
        run_calibration(
            "baseline-2022", settings, work=work, out=out, only=ONLY, progress=stop_after_two
        )
    assert not out.exists()
    assert len(list(work.glob("stage-*/batch-*.npz"))) == 2
    result = run_calibration("baseline-2022", settings, work=work, out=out, only=ONLY)
    assert result.resumed
    assert particles(out) == particles(reference)


def test_a_work_folder_of_another_calibration_is_refused(tmp_path: Path) -> None:
    small_run(tmp_path, "mine")
    with pytest.raises(CalibrationError, match="other settings"):
        run_calibration(
            "baseline-2022",
            Settings(**{**SMALL.__dict__, "particles": 41}),
            work=tmp_path / "mine-work",
            out=tmp_path / "x",
            only=ONLY,
        )


@pytest.mark.slow
def test_a_calibration_killed_midway_resumes_with_the_same_command(tmp_path: Path) -> None:
    """kill -9 of a real `csto calibrate`: finished batches stay, a rerun ends as one that ran
    through."""
    command = [
        sys.executable, "-m", "sim", "calibrate", "baseline-2022", "--budget", "40000",
        "--particles", "60", "--replicates", "2", "--seed", "5", "--quiet",
        *(argument for pattern in ONLY for argument in ("--only", pattern)),
    ]  # fmt: skip
    reference = tmp_path / "reference"
    subprocess.run(
        [*command, "--work", str(reference / "work"), "--out", str(reference / "post")],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    work, out = tmp_path / "killed" / "work", tmp_path / "killed" / "post"
    process = subprocess.Popen(
        [*command, "--work", str(work), "--out", str(out)], cwd=ROOT, stderr=subprocess.PIPE
    )
    import time

    deadline = time.monotonic() + 60
    while not list(work.glob("stage-*/batch-*.npz")) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.kill()
    process.wait()
    rerun = subprocess.run(
        [*command, "--work", str(work), "--out", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert particles(out) == particles(reference / "post")


# --- the posterior on disk -----------------------------------------------------------------------


@pytest.fixture()
def calibrated_copy(tmp_path: Path) -> Path:
    """A copy of the baseline scenario with a small posterior of its own."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline-2022.toml", scenarios / "copy.toml")
    (tmp_path / "copy-targets.toml").write_bytes(default_path("baseline-2022").read_bytes())
    run_calibration(
        str(scenarios / "copy.toml"),
        SMALL,
        targets=tmp_path / "copy-targets.toml",
        work=tmp_path / "work",
        only=ONLY,
    )
    return scenarios / "copy.toml"


def test_the_posterior_lies_beside_its_scenario_and_reads_back(calibrated_copy: Path) -> None:
    folder = folder_of(calibrated_copy)
    assert folder == calibrated_copy.with_name("copy.posterior")
    posterior = read_posterior(folder)
    assert posterior.size == SMALL.particles
    assert set(posterior.paths) == set(ONLY)
    assert np.isclose(posterior.weights.sum(), 1.0)
    found = posterior_for(load(str(calibrated_copy)))
    assert found is not None and found.kept == ()
    drawn = found.draw(500, seed=1)
    assert set(drawn) == {*ONLY, "variants.threat_response", "variants.peer_influence"}
    assert np.array_equal(drawn[ONLY[0]], found.draw(500, seed=1)[ONLY[0]])


def test_a_child_inherits_the_posterior_except_its_own_values(calibrated_copy: Path) -> None:
    child = calibrated_copy.with_name("child.toml")
    child.write_text(
        'extends = "copy.toml"\n[mechanisms]\ninertia = { value = 0.95, source = "test" }\n',
        encoding="utf-8",
    )
    posterior = posterior_for(load(str(child)))
    assert posterior is not None
    assert posterior.kept == ("mechanisms.inertia",)
    assert "mechanisms.inertia" not in posterior.draw(10, seed=0)


def test_a_stale_posterior_is_refused(calibrated_copy: Path) -> None:
    text = calibrated_copy.read_text(encoding="utf-8")
    calibrated_copy.write_text(
        text.replace("horizon_months", "# changed\nhorizon_months"), encoding="utf-8"
    )
    with pytest.raises(PosteriorError, match="stale"):
        posterior_for(load(str(calibrated_copy)))


@pytest.mark.parametrize("damage", ["missing manifest", "corrupt particles", "bad manifest"])
def test_a_damaged_posterior_is_refused_in_one_line(calibrated_copy: Path, damage: str) -> None:
    folder = folder_of(calibrated_copy)
    if damage == "missing manifest":
        (folder / "manifest.json").unlink()
    elif damage == "corrupt particles":
        data = bytearray((folder / "particles.parquet").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / "particles.parquet").write_bytes(bytes(data))
    else:
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PosteriorError) as caught:
        posterior_for(load(str(calibrated_copy)))
    assert "\n" not in str(caught.value) and str(folder) in str(caught.value)


# --- recovery ------------------------------------------------------------------------------------


def synthetic_targets(path: Path, truth: dict[str, float], seed: int) -> None:
    """Targets made by the model itself at known values (other seeds than the calibration's)."""
    scenario = load("baseline-2022").with_values(truth, origin="truth")
    targets = read_targets(default_path("baseline-2022"))
    space = space_of(load("baseline-2022"), only=ONLY)
    problem = Problem(scenario, space, targets, tuple(derive_seeds(seed, 50)), scenario.horizon)
    unit = space.unit(np.array([[truth[path] for path in space.paths]]))
    from sim.calibrate.space import scenario_model

    observed = evaluate_chunk(problem, unit, np.array([scenario_model(scenario)])).mean[0]
    blocks = []
    for target, value in zip(targets, observed, strict=True):
        where = f'during = "{target.month}"' if target.change else f'at = "{target.month}"'
        member = f'member = "{target.member}"\n' if target.member else ""
        blocks.append(
            f'[[targets]]\nname = "{target.name}"\nseries = "{target.series}"\n{member}{where}\n'
            f'value = {float(value)!r}\nsd = 0.03\nkind = "{target.kind}"\nsource = "synthetic"\n'
        )
    path.write_text("\n".join(blocks), encoding="utf-8")


@pytest.mark.slow
def test_known_values_are_recovered_at_about_the_stated_coverage(tmp_path: Path) -> None:
    """Data made by the model at known values, calibrated back: the known values fall inside
    their 80% posterior intervals at about 80% (over 12 truths x 3 values)."""
    rng = np.random.default_rng(7)
    space = space_of(load("baseline-2022"), only=ONLY)
    inside = []
    for index in range(12):
        truth = dict(zip(space.paths, space.values(rng.random((1, space.size)))[0], strict=True))
        targets = tmp_path / f"truth-{index}.toml"
        synthetic_targets(targets, truth, seed=1000 + index)
        settings = Settings(particles=150, replicates=4, budget=400_000, batch=500, seed=index,
                            discrepancy=0.0, target_epsilon=1.0)  # fmt: skip
        result = run_calibration(
            "baseline-2022",
            settings,
            targets=targets,
            work=tmp_path / f"work-{index}",
            out=tmp_path / f"post-{index}",
            only=ONLY,
        )
        posterior = read_posterior(result.folder)
        for path, value in truth.items():
            low, high = posterior.interval(path, 0.8)
            inside.append(low <= value <= high)
    coverage = float(np.mean(inside))
    assert 0.6 <= coverage <= 1.0, coverage


def test_module_doctests_pass() -> None:
    import doctest

    import sim.calibrate.targets

    result = doctest.testmod(sim.calibrate.targets)
    assert result.attempted > 0 and result.failed == 0


def test_calibrate_command_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    from tests.csto_cli import invoke

    result = invoke("calibrate", "baseline-2022", "--targets", tmp_path / "none.toml")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("csto: error:") and "no targets file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
