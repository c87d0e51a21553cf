"""The shared reader of scenario and sweep files: reading, key lines, hints.

Key lines are indexed once per file; the lookups must give exactly the lines the earlier
per-key rescans gave (``rescan_line`` below is that algorithm, kept as the reference).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import ScenarioError, load
from sim.scenario.tomlfile import MAX_FILE_BYTES, KeyLines, TomlFileError, did_you_mean, read
from sim.sweep.spec import SweepError, load_sweep

# --- the reference: one rescan of the file per lookup ----------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")
_ASSIGNMENT = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _dotted(key: str) -> str:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return ".".join(part.strip("\"'") for part in parts)


def rescan_path(text: str, path: str) -> int | None:
    exact: int | None = None
    inside: int | None = None
    holder: tuple[int, int] | None = None
    table = ""
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        full = None
        if header := _HEADER.match(line):
            table = _dotted(header.group(1))
            full = table
        elif _ARRAY_HEADER.match(line):
            table = "\0"
        elif assignment := _ASSIGNMENT.match(line):
            key = _dotted(assignment.group(1))
            full = f"{table}.{key}" if table else key
            rest = line[assignment.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
        if full is None or full.startswith("\0"):
            continue
        if full == path:
            exact = exact or number
        elif full.startswith(path + "."):
            inside = inside or number
        elif path.startswith(full + "."):
            depth = full.count(".")
            if holder is None or depth > holder[0]:
                holder = (depth, number)
    if exact is not None:
        return exact
    if inside is not None:
        return inside
    return holder[1] if holder is not None else None


def rescan_line(text: str, key: str) -> int | None:
    located = rescan_path(text, key)
    if located is not None:
        return located
    pattern = re.compile(rf'(^|[\s."\[]){re.escape(key)}("?\s*[=\].]|"\s*$)')
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line.split("#", 1)[0]):
            return number
    return None


# --- key lines -------------------------------------------------------------------------------

SAMPLE = '''name = "x"
narrative = """
[members.Belarus]
alignment = 0.1
"""
[members.Kazakhstan]
alignment = 0.5
energy_transit = { value = 0.8, source = "s" }
"security_ties".value = 0.3
[members.Belarus]   # a comment
alignment = 0.9
[[events]]
at = "2023-01"
[[events]]
at = "2023-02"
[russia.capacity]
shape = "drain"
'''


def test_a_key_is_found_under_its_own_table() -> None:
    lines = KeyLines(SAMPLE)
    assert lines.path("members.Kazakhstan.alignment") == 7
    assert lines.path("members.Belarus.alignment") == 11  # not the one in the string
    assert lines.path("members.Kazakhstan.security_ties") == 9
    assert lines.path("members.Kazakhstan") == 6
    assert lines.path("members") == 6  # the first line setting something under it
    assert lines.path("members.Kazakhstan.energy_transit.range") == 8  # the holding table
    assert lines.path("russia.capacity.shape") == 17
    assert lines.path("at") is None  # keys of [[events]] are not paths
    assert lines.line("at") == 13  # but are mentioned
    assert (lines.nth("[[events]]", 0), lines.nth("[[events]]", 1)) == (12, 14)
    assert lines.nth("[[events]]", 2) is None


_segment = st.sampled_from(["a", "b", "members", "Kazakhstan", '"a.b"', "'c'", "x-y"])
_key = st.lists(_segment, min_size=1, max_size=3).map(".".join)
_line = st.one_of(
    _key.map(lambda key: f"[{key}]"),
    _key.map(lambda key: f"{key} = 1"),
    _key.map(lambda key: f'{key} = """'),
    st.just('"""'),
    st.just("[[events]]"),
    st.just("# [a] comment"),
    _key.map(lambda key: f"{key} = {{ value = 1 }}  # b.c = 2"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, max_size=25), st.lists(_key, min_size=1, max_size=6))
def test_lookups_equal_the_rescan_of_the_file(lines: list[str], keys: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    index = KeyLines(text)
    for key in [*keys, *(_dotted(key) for key in keys)]:
        assert index.path(key) == rescan_path(text, key), (text, key)
        assert index.line(key) == rescan_line(text, key), (text, key)


def test_every_key_of_every_scenario_is_found_where_the_rescan_finds_it() -> None:
    for path in sorted(Path("scenarios").glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        index = KeyLines(text)
        for value in load(path).values:
            assert index.line(value) == rescan_line(text, value), (path, value)


# --- reading ---------------------------------------------------------------------------------


def test_read_gives_text_data_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text("[members.Belarus]\nalignment = 0.9\n", encoding="utf-8")
    file = read(path, "scenario")
    assert file.data == {"members": {"Belarus": {"alignment": 0.9}}}
    assert file.raw == path.read_bytes() and file.text == path.read_text(encoding="utf-8")
    assert file.lines.path("members.Belarus.alignment") == 2


@pytest.mark.parametrize(
    ("content", "reason", "expected", "line"),
    [
        (b"a = 1\nb = \n", "toml", "invalid TOML: Invalid value", 2),
        (b"a = '\xff'\n", "encoding", "not UTF-8 text (expected a TOML file)", None),
        (b"# x\n" * (MAX_FILE_BYTES // 4 + 1), "too-large", "file too large", None),
    ],
)
def test_unreadable_files_are_one_reason_and_line(
    tmp_path: Path, content: bytes, reason: str, expected: str, line: int | None
) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(TomlFileError) as caught:
        read(path, "sweep")
    assert caught.value.reason == reason and caught.value.line == line
    assert caught.value.expected.startswith(expected)


def test_sweep_and_scenario_files_fail_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('scenario = "baseline-2022"\nseed = \n', encoding="utf-8")
    with pytest.raises(SweepError) as sweep_error:
        load_sweep(path)
    with pytest.raises(ScenarioError) as scenario_error:
        load(path)
    assert str(sweep_error.value) == str(scenario_error.value)
    assert str(sweep_error.value).startswith(f"{path}:2: invalid TOML: ")


def test_a_sweep_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text('scenario = "baseline-2022"\n' + "# padding\n" * 110_000, encoding="utf-8")
    with pytest.raises(SweepError, match="file too large"):
        load_sweep(path)


def test_did_you_mean() -> None:
    assert did_you_mean("sede", ["seed", "steps"]) == "; did you mean 'seed'?"
    assert did_you_mean("zzz", ["seed", "steps"]) == ""
