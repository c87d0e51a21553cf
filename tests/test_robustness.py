"""Defects a fault trial found in reading scenario and sweep files (issue 13, robustness).

Each test here failed before its fix: bad input must end in one line naming the file, the key
and what was expected, exit status 2, no traceback and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from csto_cli import assert_one_line_error, files_under, invoke

from sim.scenario import ScenarioError, load
from sim.sweep import SweepError, from_options, load_sweep
from sim.sweep.design import points

SWEEP = """
scenario = "baseline-2022"
replicates = 1
steps = 2

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 2 }
"""


def sweep_file(folder: Path, extra: str = "", name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(SWEEP + extra, encoding="utf-8")
    return path


def assert_sweep_refused(arguments: list[str | Path], out: Path, *fragments: str) -> str:
    message = assert_one_line_error(invoke("sweep", *arguments, "--out", out, "--quiet"))
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert files_under(out) == []
    return message


# --- 3: [fixed] and swept values get the scenario's cross-field checks ----------------------


@pytest.mark.parametrize(
    ("fixed", "key", "expected"),
    [
        (
            '"russia.capacity.floor" = 0.9\n"russia.capacity.ceiling" = 0.5\n',
            "fixed.russia.capacity.floor",
            "expected floor <= ceiling",
        ),
        (
            '"russia.capacity.shape" = "shock"\n',
            "fixed.russia.capacity.shock_at",
            "the 'shock' capacity shape needs shock_at",
        ),
        (
            '"russia.capacity.shape" = "constant"\n"russia.capacity.drain_per_month" = 0.02\n',
            "fixed.russia.capacity.drain_per_month",
            "must have drain_per_month = 0",
        ),
    ],
)
def test_fixed_values_get_the_scenarios_cross_field_checks(
    tmp_path: Path, fixed: str, key: str, expected: str
) -> None:
    path = sweep_file(tmp_path, "\n[fixed]\n" + fixed)
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    assert caught.value.key == key and expected in caught.value.expected
    assert_sweep_refused([path], tmp_path / "out", f"{path}: {key}: ", expected)


def test_every_design_point_is_checked_before_any_run(tmp_path: Path) -> None:
    # the baseline's floor is 0.1: a ceiling of 0 breaks floor <= ceiling at the first point
    # (with the floor drawn from the posterior: tests/test_sweep_posterior.py)
    arguments: list[str | Path] = [
        "baseline-2022",
        "--param",
        "russia.capacity.ceiling=0:1:3",
        "--no-posterior",
    ]
    message = assert_sweep_refused(
        arguments,
        tmp_path / "out",
        "russia.capacity.ceiling",
        "design point 0",
        "russia.capacity.ceiling = 0",
        "russia.capacity.floor = 0.1: expected",
        "expected floor <= ceiling",
    )
    assert message.startswith("csto: error: command line: russia.capacity.ceiling: ")
    spec = from_options("baseline-2022", ["russia.capacity.ceiling=0.5:1:3"])
    assert points(spec).shape == (3, 1)  # a valid sweep of the same value still runs


def test_a_sampled_design_is_checked_point_by_point(tmp_path: Path) -> None:
    spec = from_options(
        "baseline-2022",
        ["russia.capacity.floor=0:0.6", "russia.capacity.ceiling=0.4:1"],
        design="lhs",
        samples=50,
    )
    with pytest.raises(SweepError, match=r"design point \d+ has .*: expected floor <= ceiling"):
        points(spec)


def test_a_child_scenario_with_the_same_values_is_refused_the_same_way(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "baseline-2022"\n[russia.capacity]\nfloor = 0.9\nceiling = 0.5\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="expected floor <= ceiling"):
        load(child)
    with pytest.raises(ScenarioError, match="expected floor <= ceiling"):
        load("baseline-2022").with_values(
            {"russia.capacity.floor": 0.9, "russia.capacity.ceiling": 0.5}
        )


# --- 4: no traceback on pathological input ---------------------------------------------------

DEEP = "{ a = " * 500 + "1" + " }" * 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'extends = "baseline-2022"\nx = {DEEP}\n', "nested more than 32 deep"),
        ('extends = "baseline-2022"\n[' + ".".join(["a"] * 500) + "]\nb = 1\n", "nested"),
        (
            'extends = "baseline-2022"\nmembers.Belarus.alignment = ' + "9" * 5000 + "\n",
            ":2: invalid TOML: a number of more than 4300 digits",
        ),
        ('extends = ""\n', "extends: parent scenario '' not found"),
        ('extends = "."\n', "extends: parent scenario '.' not found"),
        ('extends = "' + "a" * 5000 + '"\n', "extends: parent scenario 'aaaa"),
        ('extends = "baseline-2022"\nname = "' + "a" * 5000 + '"\n', "name: expected a name of"),
    ],
    ids=[
        "inline-tables",
        "table-header",
        "huge-integer",
        "extends-empty",
        "extends-dot",
        "extends-long",
        "name-long",
    ],
)
def test_pathological_scenario_files_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    message = assert_one_line_error(invoke("validate", path), f"{path}", expected)
    assert len(message) < 1000
    out = tmp_path / "out"
    assert_one_line_error(invoke("run", path, "--out", out, "--steps", "1", "-r", "1"), expected)
    assert files_under(out) == []


def test_a_scenario_name_too_long_for_a_file_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_one_line_error(invoke("run", "a" * 5000, "--out", out), "name too long")
    assert_sweep_refused(["a" * 5000], out, "no such sweep")
    assert_sweep_refused(["a" * 5000, "--param", "russia.capacity.initial=0:1:2"], out, "too long")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (f"\n[fixed]\nx = {DEEP}\n", "nested more than 32 deep (expected a sweep file)"),
        ("seed = " + "1" * 5000 + "\n", "a number of more than 4300 digits"),
        ("\nname = '" + "a" * 5000 + "'\n", "name: expected a name of at most 64 characters"),
    ],
    ids=["deep", "huge-seed", "name-long"],
)
def test_pathological_sweep_files_are_one_line(tmp_path: Path, extra: str, expected: str) -> None:
    path = sweep_file(tmp_path, "", "bad.toml")
    path.write_text(SWEEP.replace("replicates = 1", extra + "replicates = 1", 1), encoding="utf-8")
    assert_sweep_refused([path], tmp_path / "out", expected)


@pytest.mark.parametrize("bound", ["1" + "0" * 400, "1" + "0" * 400 + ".0", "-" + "9" * 400])
def test_sweep_bounds_of_400_digits_are_one_line(tmp_path: Path, bound: str) -> None:
    path = sweep_file(tmp_path)
    path.write_text(SWEEP.replace("high = 0.8", f"high = {bound}"), encoding="utf-8")
    assert_sweep_refused([path], tmp_path / "out", "parameters.russia.capacity.initial")
    arguments: list[str | Path] = [
        "baseline-2022",
        "--param",
        f"russia.capacity.initial=0:{bound}:2",
    ]
    assert_sweep_refused(arguments, tmp_path / "out2", "russia.capacity.initial")


# --- 5: text given by a user is never parsed as markup ----------------------------------------


def test_a_file_name_that_is_no_scenario_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m$\\frac{$.toml"
    path.write_text('extends = "baseline-2022"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert_one_line_error(invoke("validate", path), "name: the file name", "not a scenario name")
    assert_one_line_error(invoke("run", path, "--out", out), "not a scenario name")
    assert files_under(out) == []
    named = tmp_path / "m$\\frac{$-named.toml"
    named.write_text('extends = "baseline-2022"\nname = "fine"\n', encoding="utf-8")
    assert invoke("validate", named).exit_code == 0  # a name in the file is used instead


@pytest.mark.slow
def test_figures_draw_tex_markup_as_plain_text(tmp_path: Path) -> None:
    from sim.report import figures
    from sim.report.run import cohesion_band, event_marks, member_bands
    from sim.results.replicates import run_replicates

    runs = run_replicates(load("baseline-2022"), 1, 2, 3)
    title = "m$\\frac{$: $x^$ 2 replicates"
    cohesion = figures.plot_cohesion(cohesion_band(runs.timeseries), title=title)
    cohesion.savefig(tmp_path / "cohesion.png")  # mathtext would raise ValueError here
    assert cohesion.axes[0].get_title() == title
    members = figures.plot_members(
        member_bands(runs.timeseries), event_marks(runs.events, 2), title=title
    )
    members.savefig(tmp_path / "members.png")
    import matplotlib

    assert figures.matplotlib is matplotlib and not matplotlib.rcParams["text.parse_math"]


# --- 7: values that make every run NaN are refused ------------------------------------------

SHARE = "mechanisms.exposure_reference_share"


def test_a_zero_exposure_reference_is_refused_everywhere(tmp_path: Path) -> None:
    child = tmp_path / "nan.toml"
    child.write_text(f'extends = "baseline-2022"\n{SHARE} = 0.0\n', encoding="utf-8")
    out = tmp_path / "out"
    assert_one_line_error(invoke("run", child, "--out", out), SHARE, "expected a number in (0, 1]")
    assert files_under(out) == []
    with pytest.raises(ScenarioError, match=r"\(0, 1\]"):
        load("baseline-2022").with_values({SHARE: 0.0})
    assert_sweep_refused(["baseline-2022", "--param", f"{SHARE}=0:0.5:3"], out, SHARE, "(0, 1]")
    fixed = sweep_file(tmp_path, f'\n[fixed]\n"{SHARE}" = 0.0\n')
    assert_sweep_refused([fixed], out, f"fixed.{SHARE}", "(0, 1]")
    assert load("baseline-2022").with_values({SHARE: 1e-6})[SHARE] == 1e-6  # above 0 is fine


# --- 8: input that was accepted and should not be -------------------------------------------


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ('start = "２０２３-０７"\n', "start", 'expected a month as "YYYY-MM"'),
        ('drills.first_at = "٢٠٢٣-٠٧"\n', "drills.first_at", 'expected a month as "YYYY-MM"'),
        (
            '"members.Belarus.alignment" = 0.6\n[members.Belarus]\nalignment = 0.5\n',
            "members.Belarus.alignment",
            "set twice",
        ),
        (
            '[members]\n"Belarus.alignment" = 0.6\nBelarus.alignment = 0.5\n',
            "members.Belarus.alignment",
            "set twice",
        ),
    ],
    ids=["fullwidth-month", "arabic-indic-month", "quoted-dotted-key", "quoted-member-key"],
)
def test_scenario_input_that_was_accepted_is_refused(
    tmp_path: Path, body: str, key: str, expected: str
) -> None:
    path = tmp_path / "odd.toml"
    path.write_text('extends = "baseline-2022"\n' + body, encoding="utf-8")
    message = assert_one_line_error(invoke("validate", path), expected)
    if key:
        assert f": {key}: " in message, message


def test_a_month_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text('extends = "baseline-2022"\nstart = "2022-10\\n"\n', encoding="utf-8")
    assert_one_line_error(invoke("validate", path), "start", "YYYY-MM")


@pytest.mark.parametrize(
    "fixed",
    [
        '"russia.reserve_share" = 0.2\nrussia.reserve_share = 0.3\n',
        '"russia.capacity.floor" = 0.1\n[fixed.russia.capacity]\nfloor = 0.2\n',
    ],
)
def test_a_sweep_value_set_twice_through_quoting_is_refused(tmp_path: Path, fixed: str) -> None:
    path = sweep_file(tmp_path, "\n[fixed]\n" + fixed)
    assert_sweep_refused([path], tmp_path / "out", "fixed.russia.", "set twice")
    swept = sweep_file(
        tmp_path,
        '"russia.reserve_share" = { low = 0.1, high = 0.2, levels = 2 }\n'
        "russia.reserve_share = { low = 0.1, high = 0.3, levels = 2 }\n",
        "twice.toml",
    )
    assert_sweep_refused([swept], tmp_path / "out", "russia.reserve_share", "swept twice")


def test_a_sweep_name_must_match_the_pattern_in_full(tmp_path: Path) -> None:
    path = sweep_file(tmp_path, "", "odd.toml")
    path.write_text('name = "fz\\n"\n' + SWEEP, encoding="utf-8")
    assert_sweep_refused([path], tmp_path / "out", "name: expected a name of letters")


@pytest.mark.parametrize(
    "param",
    [
        "russia.capacity.initial=0.2:0.8:٣",
        "russia.capacity.initial=٠.٢:0.8:3",
        "russia.capacity.initial=0.2:0.8:３",
    ],
)
def test_numbers_in_other_scripts_are_refused_on_the_command_line(
    tmp_path: Path, param: str
) -> None:
    assert_sweep_refused(["baseline-2022", "--param", param], tmp_path / "out", "expected a")


@pytest.mark.parametrize("command", ["run", "compare", "threshold"])
def test_an_empty_out_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    scenarios = ["baseline-2022", "ceasefire-2023"] if command == "compare" else ["baseline-2022"]
    result = invoke(command, *scenarios, "--out", "", "--replicates", "2", "--steps", "2")
    assert result.exit_code == 2  # a usage error (one line through the csto entry point)
    assert "'--out'" in result.stderr and "empty name" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(tmp_path) == []


def test_an_empty_sweep_out_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "sweep",
        "baseline-2022",
        "--param",
        "russia.capacity.initial=0:1:2",
        "--steps",
        "2",
        "--out",
        "",
        "--quiet",
    )
    assert_one_line_error(result, "--out")
    assert files_under(tmp_path) == []


def test_a_deep_file_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tomllib recurses once per level: at the recursion limit an audit hook (solara's filelock
    # installs one) failed and printed "Exception ignored in audit hook" beside the error
    from sim.scenario import tomlfile

    def no_parsing(text: str) -> None:
        raise AssertionError("parsed a file nested too deep")

    monkeypatch.setattr(tomlfile.tomllib, "loads", no_parsing)
    path = tmp_path / "deep.toml"
    path.write_text(f'extends = "baseline-2022"\nx = {DEEP}\n', encoding="utf-8")
    with pytest.raises(tomlfile.TomlFileError, match="nested more than 32 deep"):
        tomlfile.read(path, "scenario")
