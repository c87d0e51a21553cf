"""Sweeps draw the values they do not vary from the scenario's calibrated posterior (issue 10).

Replicate ``r`` of a sweep runs under seed ``r`` and posterior parameter set ``r`` (the ``r``-th
of ``replicates`` sets drawn with the master seed, as ``csto run`` draws them) at every design
point; swept values and those the scenario (or the sweep's ``[fixed]``) sets are never drawn.
``posterior = false`` and ``--no-posterior`` run the scenario's own values, exactly as sweeps
did before they could draw. A folder refuses to resume with another choice or another
posterior, and its manifest and report say what the intervals cover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from csto_cli import assert_one_line_error, files_under, invoke
from posterior_fixture import calibrated_copy

from sim import engine as batch
from sim.model.draws import derive_seeds
from sim.report.sweep import replicates_sentence, sweep_covers
from sim.results.outcomes import outcome_table
from sim.scenario import load
from sim.sweep import SweepError, from_options, load_sweep, read_manifest, read_runs, run_sweep
from sim.sweep.design import points
from sim.sweep.execute import InlineBackend
from sim.sweep.spec import OUTCOME_COLUMNS, SweepSpec

CAPACITY = "russia.capacity.initial"
LOSS = "mechanisms.trust_loss_ignored"
FIXED = "members.Armenia.outside_options"  # calibrated by the posterior, held by [fixed] here

SWEEP = f"""
name = "drawn"
scenario = "baseline-2022"
seed = 11
replicates = 6
steps = 10

[fixed]
"{FIXED}" = 0.3

[parameters]
"{CAPACITY}" = {{ low = 0.2, high = 0.8, levels = 3 }}
"{LOSS}" = {{ low = 0.3, high = 0.8, levels = 2 }}
"""


def sweep_file(folder: Path, text: str = SWEEP, name: str = "drawn.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def shards(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((folder / "runs").glob("chunk-*.parquet"))]


def same(mine: Any, theirs: Any) -> bool:
    return bool((pd.isna(mine) and pd.isna(theirs)) or mine == theirs)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[SweepSpec, Path]:
    """The sweep file above run in this process, in chunks of 5 runs."""
    root = tmp_path_factory.mktemp("drawn")
    spec = load_sweep(sweep_file(root))
    run_sweep(spec, root / "out", chunk_size=5, backend=InlineBackend())
    return spec, root / "out"


# --- the runs ---------------------------------------------------------------------------------


def test_each_run_is_its_design_point_under_its_replicates_seed_and_parameter_set(
    drawn: tuple[SweepSpec, Path],
) -> None:
    spec, folder = drawn
    posterior = spec.draws_from
    assert posterior is not None
    runs = read_runs(folder)
    design = points(spec)
    seeds = derive_seeds(11, 6)
    sets = posterior.draw(6, 11)  # the sets csto run would draw with the same seed
    assert len(runs) == 6 * 6
    for _, row in runs.iterrows():
        point, replicate = int(row["point"]), int(row["replicate"])
        overrides: dict[str, Any] = {
            path: values[replicate : replicate + 1]
            for path, values in sets.items()
            if path not in spec.paths
        }
        overrides.update({path: design[point, j : j + 1] for j, path in enumerate(spec.paths)})
        alone = outcome_table(
            batch.simulate(spec.scenario, [seeds[replicate]], overrides, steps=10)
        ).iloc[0]
        assert int(row["seed"]) == seeds[replicate]
        for column in OUTCOME_COLUMNS:
            assert same(row[column], alone[column]), (point, replicate, column)


def test_swept_and_kept_values_are_never_drawn(drawn: tuple[SweepSpec, Path]) -> None:
    spec, folder = drawn
    record = read_manifest(folder)["posterior"]
    assert record["scenario"] == "baseline-2022" and record["files"] == ["baseline-2022.toml"]
    assert FIXED in record["kept"]  # the sweep's [fixed] value stays as fixed
    assert not {CAPACITY, LOSS, FIXED, *record["kept"]} & set(record["drawn"])
    assert "variants.threat_response" in record["drawn"]
    assert "members.Kazakhstan.trust" in record["drawn"]
    assert spec.definition(5, False)["posterior"]["kept"] == record["kept"]
    runs = read_runs(folder)
    np.testing.assert_array_equal(runs[CAPACITY].to_numpy(), points(spec)[runs["point"], 0])
    # the values the runs actually met: swept as designed, kept as fixed
    direct = batch.simulate(
        spec.scenario,
        runs["seed"].to_numpy(np.uint64),
        {
            **{
                path: values[runs["replicate"].to_numpy()]
                for path, values in spec.draws_from.draw(6, 11).items()  # type: ignore[union-attr]
                if path not in spec.paths
            },
            CAPACITY: runs[CAPACITY].to_numpy(),
            LOSS: runs[LOSS].to_numpy(),
            FIXED: np.full(len(runs), 0.3),
        },
        steps=10,
    )
    np.testing.assert_array_equal(
        runs["final_cohesion"].to_numpy(), outcome_table(direct)["final_cohesion"].to_numpy()
    )


def test_replicate_r_meets_one_parameter_set_at_every_point(
    drawn: tuple[SweepSpec, Path],
) -> None:
    spec, folder = drawn
    runs = read_runs(folder)
    manifest = read_manifest(folder)
    chosen = spec.draws_from.choose(6, 11)  # type: ignore[union-attr]
    assert manifest["posterior"]["replicate_particles"] == chosen.tolist()
    assert (runs["particle"].to_numpy() == chosen[runs["replicate"].to_numpy()]).all()
    assert runs.groupby("replicate")["particle"].nunique().eq(1).all()
    assert manifest["covers"] == "draws and parameters"


def test_chunks_are_pure_functions_of_their_runs(
    drawn: tuple[SweepSpec, Path], tmp_path: Path
) -> None:
    spec, folder = drawn
    run_sweep(spec, tmp_path / "big", chunk_size=36, workers=1)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "big"), read_runs(folder))


# --- without the posterior: the scenario's own values, as before ----------------------------


def test_posterior_false_and_no_posterior_run_the_scenarios_own_values_byte_for_byte(
    tmp_path: Path,
) -> None:
    own = sweep_file(
        tmp_path, SWEEP.replace('name = "drawn"', 'name = "own"\nposterior = false'), "own.toml"
    )
    plain = sweep_file(tmp_path, SWEEP, "plain.toml")
    # the same scenario without a posterior beside it: what a sweep was before it could draw
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "base.toml").write_text(
        (Path(__file__).resolve().parent.parent / "scenarios" / "baseline-2022.toml").read_text(),
        encoding="utf-8",
    )
    bare = sweep_file(
        tmp_path, SWEEP.replace('"baseline-2022"', f'"{alone / "base.toml"}"'), "bare.toml"
    )
    spec = load_sweep(own)
    assert spec.posterior is False and spec.draws_from is None and spec.drawn() == ()
    assert load_sweep(bare).posterior is True and load_sweep(bare).draws_from is None
    run_sweep(spec, tmp_path / "file", chunk_size=5, workers=1)
    run_sweep(load_sweep(bare), tmp_path / "bare", chunk_size=5, workers=1)
    inline = [
        "baseline-2022",
        *("--param", f"{CAPACITY}=0.2:0.8:3", "--param", f"{LOSS}=0.3:0.8:2"),
        *("--replicates", "6", "--seed", "11", "--steps", "10"),
    ]
    for name, arguments in (("cli-file", [plain]), ("cli-inline", inline)):
        out = tmp_path / name
        result = invoke(
            "sweep", *arguments, "--no-posterior", "--out", out, "--chunk-size", "5", "-w", "1"
        )
        assert result.exit_code == 0, result.stderr
        assert "values not swept" in result.stdout and "the scenario's own" in result.stdout
        manifest = read_manifest(out)
        assert manifest["posterior"] is None and manifest["covers"] == "draws"
        assert "posterior" not in manifest["definition"]
        assert manifest["command"].endswith("--no-posterior")
    assert shards(tmp_path / "file") == shards(tmp_path / "bare") == shards(tmp_path / "cli-file")
    first = sorted((tmp_path / "file" / "runs").iterdir())[0]
    assert pq.read_schema(first).names[:5] == ["point", "replicate", "seed", CAPACITY, LOSS]
    # the inline sweep (no [fixed] value) is the baseline's own values, seeds and design alone
    runs = read_runs(tmp_path / "cli-inline")
    seeds = np.asarray(derive_seeds(11, 6), dtype=np.uint64)
    direct = outcome_table(
        batch.simulate(
            load("baseline-2022"),
            seeds[runs["replicate"].to_numpy()],
            {CAPACITY: runs[CAPACITY].to_numpy(), LOSS: runs[LOSS].to_numpy()},
            steps=10,
        )
    )
    for column in OUTCOME_COLUMNS:
        for mine, theirs in zip(runs[column], direct[column], strict=True):
            assert same(mine, theirs), column


def test_the_command_line_overrides_the_files_choice(tmp_path: Path) -> None:
    from sim.cli.sweep import resolve

    text = SWEEP.replace("seed = 11", "seed = 11\nposterior = false")
    own = sweep_file(tmp_path, text, "own.toml")
    options: dict[str, Any] = dict.fromkeys(("design", "samples", "replicates", "seed", "steps"))
    assert resolve(str(own), [], **options).posterior is False
    assert resolve(str(own), [], **options, posterior=True).posterior is True
    assert resolve(str(sweep_file(tmp_path)), [], **options, posterior=False).posterior is False
    inline = resolve("baseline-2022", [f"{CAPACITY}=0.2:0.8:3"], **options)
    assert inline.posterior is True and inline.draws_from is not None


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"), [('"no"', "'no'"), ("0", "0"), ("1", "1"), ('"false"', "'false'")]
)
def test_a_bad_posterior_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, value: str, shown: str
) -> None:
    path = sweep_file(tmp_path, SWEEP.replace("seed = 11", f"seed = 11\nposterior = {value}"))
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    assert caught.value.key == "posterior" and caught.value.line == 5
    message = assert_one_line_error(
        invoke("sweep", path, "--out", tmp_path / "out", "--quiet"),
        f"{path}:5: posterior: expected true (draw the values not swept from the scenario's "
        "calibrated posterior) or false (the scenario's own values), got",
    )
    assert message.endswith(f"got {shown}")
    assert files_under(tmp_path / "out") == []


def test_a_rule_between_a_swept_and_a_drawn_value_is_checked_on_every_pair(
    tmp_path: Path,
) -> None:
    spec = from_options("baseline-2022", ["russia.capacity.ceiling=0.12:1:3"], replicates=40)
    posterior = spec.draws_from
    assert posterior is not None
    floors = posterior.at(posterior.choose(40, 1))["russia.capacity.floor"]
    first = int(np.argmax(floors > 0.12))  # the first replicate whose drawn floor is too high
    assert floors[first] > 0.12 and (floors[:first] <= 0.12).all()
    message = assert_one_line_error(
        invoke(
            "sweep",
            "baseline-2022",
            "--param",
            "russia.capacity.ceiling=0.12:1:3",
            "--replicates",
            "40",
            "--out",
            tmp_path / "out",
            "--quiet",
        ),
        "command line: russia.capacity.ceiling: design point 0 has russia.capacity.ceiling = "
        f"0.12, russia.capacity.floor = {floors[first]:g} (drawn from the posterior for "
        f"replicate {first}): expected floor <= ceiling",
    )
    assert "--no-posterior" in message
    assert files_under(tmp_path / "out") == []
    # the same design runs with the scenario's own floor (0.1), and with a floor held fixed
    result = invoke(
        "sweep",
        "baseline-2022",
        "--param",
        "russia.capacity.ceiling=0.12:1:3",
        "--steps",
        "2",
        "--no-posterior",
        "--out",
        tmp_path / "own",
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr


# --- resuming -------------------------------------------------------------------------------


def test_resuming_with_another_choice_is_refused_and_nothing_is_touched(tmp_path: Path) -> None:
    path = sweep_file(tmp_path)
    drawn_out, own_out = tmp_path / "drawn", tmp_path / "own"
    assert invoke("sweep", path, "--out", drawn_out, "--quiet").exit_code == 0
    assert invoke("sweep", path, "--out", own_out, "--quiet", "--no-posterior").exit_code == 0
    before = {out: (out / "manifest.json").read_text() for out in (drawn_out, own_out)}
    assert_one_line_error(
        invoke("sweep", path, "--out", drawn_out, "--quiet", "--no-posterior"),
        f"{drawn_out / 'manifest.json'}: posterior: this folder holds a sweep that drew from the "
        "posterior of baseline-2022, and this one runs the scenario's own values",
    )
    assert_one_line_error(
        invoke("sweep", path, "--out", own_out, "--quiet"),
        f"{own_out / 'manifest.json'}: posterior: this folder holds a sweep of the scenario's "
        "own values, and this one draws from the posterior of baseline-2022; add "
        "--no-posterior (or posterior = false) to resume it",
    )
    assert_one_line_error(  # another change besides is named too
        invoke("sweep", path, "--out", own_out, "--quiet", "--replicates", "7"),
        "(also changed: replicates)",
    )
    for out, text in before.items():
        assert (out / "manifest.json").read_text() == text
    # the same choice resumes (here: finds the sweep complete)
    again = invoke("sweep", path, "--out", own_out, "--quiet", "--no-posterior")
    assert again.exit_code == 0, again.stderr
    assert len(read_manifest(own_out)["sessions"]) == 2


def test_resuming_after_the_posterior_changed_is_refused(tmp_path: Path) -> None:
    scenario = calibrated_copy(tmp_path / "scenario", particles=50)
    path = sweep_file(tmp_path, SWEEP.replace('"baseline-2022"', f'"{scenario}"'))
    out = tmp_path / "out"
    assert invoke("sweep", path, "--out", out, "--quiet").exit_code == 0
    old = read_manifest(out)["definition"]["posterior"]
    assert old["scenario"] == "baseline-2022" and len(old["particles_sha256"]) == 64
    calibrated_copy(tmp_path / "scenario", particles=60)  # calibrated again
    message = assert_one_line_error(
        invoke("sweep", path, "--out", out, "--quiet"),
        f"{out / 'manifest.json'}: posterior: this folder holds a sweep that drew from the "
        "posterior of baseline-2022 as it was then "
        f"(particles sha256 {old['particles_sha256'][:12]})",
        "would mix parameter sets; choose another --out",
    )
    assert "has changed since" in message
    # a posterior gone stale (its scenario edited since it was calibrated) is refused up front
    scenario.write_text(scenario.read_text() + "\n# edited\n", encoding="utf-8")
    assert_one_line_error(
        invoke("sweep", path, "--out", tmp_path / "new", "--quiet"),
        f"{path}: posterior: ",
        "stale",
        "posterior = false in a sweep file, --no-posterior on the command line",
    )
    assert files_under(tmp_path / "new") == []


# --- what the intervals cover ---------------------------------------------------------------


def test_what_intervals_cover_comes_from_the_manifest() -> None:
    drawn = {"posterior": {"scenario": "baseline-2022"}, "covers": "draws and parameters"}
    own = {"posterior": None, "covers": "draws"}
    assert sweep_covers(drawn) == "draws and parameters" and sweep_covers(own) == "draws"
    # folders written before sweeps could draw have neither key: their runs had own values
    assert sweep_covers({}) == "draws"
    assert sweep_covers({"posterior": {"scenario": "x"}}) == "draws and parameters"
    assert "over the random draws and the uncertainty of the parameters" in (
        replicates_sentence(drawn)
    )
    assert "over the random draws (seeds) of the replicates" in replicates_sentence(own)


@pytest.mark.slow
def test_the_report_of_a_drawn_sweep_says_its_intervals_cover_the_parameters(
    drawn: tuple[SweepSpec, Path],
) -> None:
    from sim import report

    _, folder = drawn
    made = report.build(folder)
    covers = "over the random draws and the uncertainty of the parameters"
    assert any("drawn from the calibrated posterior of baseline-2022" in s for s in made.summary)
    response = next(f for f in made.figures if f.key == "response-final_cohesion")
    assert f"the 95% interval of the mean over the runs, {covers} (shaded)" in response.caption
    crossing = [s for s in made.summary if s.startswith("Critical capacity")]
    assert all(f"95% band, {covers}, crosses" in s for s in crossing)
