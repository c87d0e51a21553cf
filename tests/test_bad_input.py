"""Bad input: every broken scenario file gets one line naming the file, the key and what was
expected, exit status 2, nothing written, no traceback; and mutated valid files either run or
fail that way (a hypothesis property test).

Each file in ``tests/data/broken/`` states its expected error in header comments:
``# expect-key:`` (the key path), ``# expect:`` (a fragment of the message) and, where the
position is known, ``# expect-line:``.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import string
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from csto_cli import ROOT, SCENARIOS, assert_one_line_error, files_under, invoke
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.scenario import schema

BROKEN = ROOT / "tests" / "data" / "broken"
RUN_SMALL = ("--steps", "2", "--replicates", "1", "--no-figures", "--quiet")


@dataclass(frozen=True)
class Expected:
    key: str | None
    fragment: str
    line: int | None


def expected(path: Path) -> Expected:
    header = path.read_bytes().decode("utf-8", errors="replace")
    fields = dict(re.findall(r"^# expect(-key|-line|):\s*(.*)$", header, flags=re.M))
    line = fields.get("-line")
    return Expected(fields.get("-key"), fields[""].strip(), int(line) if line else None)


BROKEN_FILES = sorted(BROKEN.glob("*.toml"))


def test_the_corpus_covers_every_kind_of_bad_input() -> None:
    names = {path.stem for path in BROKEN_FILES}
    kinds = {
        "unknown key": {"unknown-key", "unknown-top-key", "unknown-section-key"},
        "unknown member or power": {"unknown-member", "unknown-power", "event-unknown-power"},
        "wrong type": {"wrong-type-string", "wrong-type-bool", "wrong-type-date"},
        "out of range": {"out-of-range", "out-of-range-negative", "out-of-range-nan"},
        "no source": {"no-source"},
        "extends": {"cycle-a", "self-extends", "missing-parent"},
        "invalid TOML": {"invalid-toml", "duplicate-key", "not-utf8"},
    }
    for kind, cases in kinds.items():
        assert cases <= names, kind
    assert len(BROKEN_FILES) >= 40


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda path: path.stem)
def test_broken_file_fails_with_one_line_and_writes_nothing(path: Path, tmp_path: Path) -> None:
    expect = expected(path)
    out = tmp_path / "results"
    result = invoke("run", path, "--out", out, *RUN_SMALL)
    message = assert_one_line_error(result, expect.fragment)
    if expect.key is not None:
        assert f": {expect.key}:" in message, message
    where = re.match(r"csto: error: (.+?\.toml)(?::(\d+))?: ", message)
    assert where, message
    assert Path(where.group(1)).parent == BROKEN, "the error names a file of the corpus"
    if expect.line is not None:
        assert where.group(2) == str(expect.line), message
    assert files_under(out) == [], "nothing may be written for a bad scenario"
    validated = invoke("validate", path)
    assert validated.exit_code == 2
    assert validated.stderr.strip() == message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = invoke("run", missing, "--out", tmp_path / "out")
    assert_one_line_error(result, f"{missing}: file not found")
    assert files_under(tmp_path) == []


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert_one_line_error(invoke("validate", folder), f"{folder}: is a directory")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_is_refused_without_reading_it(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    assert_one_line_error(invoke("validate", pipe), f"{pipe}: not a regular file")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.toml"
    shutil.copy(SCENARIOS / "ceasefire-2023.toml", locked)
    locked.chmod(0)
    try:
        assert_one_line_error(invoke("validate", locked), f"{locked}: cannot read file")
    finally:
        locked.chmod(0o600)


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text('extends = "baseline-2022"\n' + "# padding\n" * 200_000, encoding="utf-8")
    assert_one_line_error(invoke("validate", big), "file too large")


def test_empty_file_is_an_incomplete_root_scenario(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert_one_line_error(invoke("validate", empty), f"{empty}: ", "missing (expected")


def test_scenario_files_are_data_nothing_in_them_runs_or_escapes(tmp_path: Path) -> None:
    """Text that looks like code or paths is only text, and results stay under --out."""
    canary = tmp_path / "canary"
    hostile = tmp_path / "hostile.toml"
    hostile.write_text(
        'extends = "baseline-2022"\n'
        f"title = \"__import__('os').system('touch {canary}') $(touch {canary}) ../../x\"\n"
        f'narrative = "{{{{7*7}}}} `touch {canary}` /etc/passwd"\n'
        "[[events]]\n"
        'at = "2023-01"\nkind = "appeal"\nmember = "Armenia"\n'
        f'id = "../../{canary.name}"\nnote = "; rm -rf / #"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = invoke("run", hostile, "--out", out, *RUN_SMALL)
    assert result.exit_code == 0, result.stderr
    assert not canary.exists()
    written = files_under(out)
    assert written and all(path.is_relative_to(out / "hostile") for path in written)
    assert {path.name for path in tmp_path.iterdir()} == {"hostile.toml", "out"}


def test_no_schema_field_names_a_place_to_write() -> None:
    """Only the command line chooses where results go: no key of a scenario is a path to
    write to (``extends`` names a file to read, and a scenario's name is a plain word)."""
    text_keys = [path for path in schema.all_leaves() if schema.leaf(path).kind == "text"]  # type: ignore[union-attr]
    assert set(text_keys) <= {"name", "title", "narrative", "extends", "drop_events"}


# --- property test: mutate valid files --------------------------------------------------------

VALID = {
    "root": tomllib.loads((SCENARIOS / "baseline-2022.toml").read_text(encoding="utf-8")),
    "child": tomllib.loads((SCENARIOS / "frozen-conflicts-flare.toml").read_text(encoding="utf-8")),
    "explicit": tomllib.loads((SCENARIOS / "stop-go-war.toml").read_text(encoding="utf-8")),
    "events": tomllib.loads((SCENARIOS / "coercive-moscow.toml").read_text(encoding="utf-8")),
}

scalars = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2.0, max_value=3.0),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "2023-05",
            "1800-01",
            "2023-13",
            "Kazakhstan",
            "Russia",
            "EU",
            "explicit",
            "shock",
            "../escape",
            "",
            "baseline-2022",
            "clash",
            "security_pledge",
        ]
    ),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=2)
    ),
    max_leaves=4,
)


def _slots(document: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every (container, key) path in a parsed TOML document."""
    found: list[tuple[Any, ...]] = []
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, item in items:
        found.append((*trail, key))
        if isinstance(item, dict | list):
            found.extend(_slots(item, (*trail, key)))
    return found


def _container(document: Any, trail: tuple[Any, ...]) -> Any:
    for key in trail[:-1]:
        document = document[key]
    return document


def _misspell(key: str, rng: random.Random) -> str:
    if not key:
        return "x"
    i = rng.randrange(len(key))
    match rng.randrange(3):
        case 0:
            return key[:i] + key[i + 1 :] or "x"
        case 1:
            return key[:i] + rng.choice(string.ascii_lowercase) + key[i:]
        case _:
            return key[:i] + key[i + 1 : i + 2] + key[i : i + 1] + key[i + 2 :]


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(VALID)))
    document = _deepcopy(VALID[kind])
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(document)
        trail = rng.choice(slots)
        holder = _container(document, trail)
        key = trail[-1]
        operation = draw(st.sampled_from(["delete", "replace", "misspell", "add", "scale"]))
        if operation == "delete":
            if isinstance(holder, dict):
                del holder[key]
            else:
                holder.pop(key)
        elif operation == "replace":
            holder[key] = draw(values)
        elif operation == "misspell" and isinstance(holder, dict):
            holder[_misspell(key, rng)] = holder.pop(key)
        elif operation == "add" and isinstance(holder, dict):
            holder[draw(st.text(min_size=1, max_size=10))] = draw(values)
        elif operation == "scale":
            item = holder[key]
            if isinstance(item, int | float) and not isinstance(item, bool):
                holder[key] = item * draw(st.sampled_from([-1, 10, 1000, 0.5, 1e300]))
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):
        text = tomli_w.dumps(VALID[kind]) + "\x00"
    data = text.encode("utf-8")
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:  # damage the text itself
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=4)) + data[cut:]
    return kind, data


def _deepcopy(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: _deepcopy(item) for key, item in document.items()}
    if isinstance(document, list):
        return [_deepcopy(item) for item in document]
    return document


@settings(
    max_examples=int(os.environ.get("CSTO_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated_files())
@pytest.mark.slow
def test_mutated_files_run_or_fail_with_one_clear_line(case: tuple[str, bytes]) -> None:
    kind, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutated-{kind}.toml"
        path.write_bytes(data)
        out = Path(folder) / "out"
        result = invoke("run", path, "--out", out, *RUN_SMALL)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception),
            data[:2000],
        )
        event(f"{kind}: exit {result.exit_code}")
        if result.exit_code == 0:
            (folder_written,) = (out / child.name for child in out.iterdir())
            (run,) = folder_written.iterdir()
            assert (run / "manifest.json").is_file()
        else:
            assert_one_line_error(result)
            assert files_under(out) == []
