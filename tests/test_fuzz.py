"""Fuzzing the readers: 336 mutated copies of the project's scenario and sweep files.

Each mutation breaks its file by construction (an unknown key, a wrong type, a value out of
range, an unterminated string, a byte that is not UTF-8, a key set twice, a month that does not
exist, nesting too deep, a number too long). Every mutant must end ``csto run`` or ``csto sweep``
with exit status 2 and one line on stderr, no traceback and nothing written, in under 5 s.
The corpus is generated from a fixed seed, so a failure names a mutant that can be rebuilt.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from csto_cli import ROOT, assert_one_line_error, files_under, invoke

FILES = sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "sweeps").glob("*.toml"))
PER_FILE = 24
SEED = 13

_ASSIGNMENT = re.compile(
    r"""^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)(\s*=\s*)(.*)$"""
)
_NUMBER = re.compile(r"(?<![\w.\"-])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w\"-])")
_MONTH = re.compile(r'"(\d{4})-(\d{2})"')


@dataclass(frozen=True)
class Line:
    index: int
    indent: str
    key: str
    equals: str
    value: str


def assignments(lines: list[str]) -> list[Line]:
    """Key-value lines outside multi-line strings (their value up to a comment)."""
    found: list[Line] = []
    in_string = False
    for index, line in enumerate(lines):
        if in_string:
            in_string = line.count('"""') % 2 == 0
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            continue
        value = match.group(4)
        if value.count('"""') % 2 == 1:
            in_string = True
            continue
        found.append(Line(index, match.group(1), match.group(2), match.group(3), value))
    return found


def numbers(value: str) -> list[re.Match[str]]:
    """Numbers in a value, outside its quoted strings and before a comment."""
    blanked = re.sub(r'"[^"]*"', lambda m: "_" * len(m.group(0)), value)
    code = blanked.split("#", 1)[0]
    return [match for match in _NUMBER.finditer(code)]


def _replace_number(replacement: str) -> Callable[[list[str], random.Random], bool]:
    def mutate(lines: list[str], rng: random.Random) -> bool:
        candidates = [(line, match) for line in assignments(lines) for match in numbers(line.value)]
        if not candidates:
            return False
        line, match = rng.choice(candidates)
        value = line.value[: match.start()] + replacement + line.value[match.end() :]
        lines[line.index] = f"{line.indent}{line.key}{line.equals}{value}"
        return True

    return mutate


def rename_key(lines: list[str], rng: random.Random) -> bool:
    line = rng.choice(assignments(lines))
    key = line.key[:-1] + 'zz"' if line.key.endswith('"') else line.key + "zz"
    lines[line.index] = f"{line.indent}{key}{line.equals}{line.value}"
    return True


def unterminated(lines: list[str], rng: random.Random) -> bool:
    line = rng.choice(assignments(lines))
    code, hash_, comment = line.value.partition(" #")
    lines[line.index] = f'{line.indent}{line.key}{line.equals}{code}"{hash_}{comment}'
    return True


def not_utf8(lines: list[str], rng: random.Random) -> bool:
    index = rng.randrange(len(lines))
    lines[index] = "\udcff" + lines[index]  # written back as the byte 0xff
    return True


def set_twice(lines: list[str], rng: random.Random) -> bool:
    line = rng.choice(
        [line for line in assignments(lines) if not line.value.rstrip().endswith("[")]
    )
    lines.insert(line.index + 1, lines[line.index])
    return True


def bad_month(lines: list[str], rng: random.Random) -> bool:
    candidates = [
        (line, match)
        for line in assignments(lines)
        for match in _MONTH.finditer(line.value)
        if line.value[: match.start()].count('"') % 2 == 0
    ]
    if not candidates:
        return False
    line, match = rng.choice(candidates)
    value = line.value[: match.start()] + f'"{match.group(1)}-13"' + line.value[match.end() :]
    lines[line.index] = f"{line.indent}{line.key}{line.equals}{value}"
    return True


def too_deep(lines: list[str], rng: random.Random) -> bool:
    depth = rng.randrange(40, 400)
    lines.insert(0, "zz = " + "{ a = " * depth + "1" + " }" * depth)
    return True


MUTATIONS: dict[str, Callable[[list[str], random.Random], bool]] = {
    "unknown-key": rename_key,
    "wrong-type": _replace_number('"zz"'),
    "out-of-range": _replace_number("1e9"),
    "huge-number": _replace_number("9" * 5000),
    "unterminated-string": unterminated,
    "not-utf8": not_utf8,
    "set-twice": set_twice,
    "bad-month": bad_month,
    "too-deep": too_deep,
}


@dataclass(frozen=True)
class Mutant:
    source: Path
    number: int
    kind: str
    text: str

    @property
    def is_sweep(self) -> bool:
        return self.source.parent.name == "sweeps"


def corpus() -> list[Mutant]:
    rng = random.Random(SEED)
    mutants: list[Mutant] = []
    seen: set[str] = set()
    kinds = list(MUTATIONS)
    for source in FILES:
        original = source.read_text(encoding="utf-8").splitlines()
        made = 0
        attempt = 0
        while made < PER_FILE:
            kind = kinds[attempt % len(kinds)]
            attempt += 1
            lines = list(original)
            if MUTATIONS[kind](lines, rng) and (text := "\n".join(lines) + "\n") not in seen:
                seen.add(text)
                mutants.append(Mutant(source, made, kind, text))
                made += 1
    return mutants


CORPUS = corpus()


def test_the_corpus_is_large_and_covers_both_kinds_of_file() -> None:
    assert len(CORPUS) >= 300
    assert {m.is_sweep for m in CORPUS} == {True, False}
    assert {m.kind for m in CORPUS} == set(MUTATIONS)
    assert len({m.text for m in CORPUS}) == len(CORPUS)  # every mutant differs


#: ``make check`` runs every seventh mutant (each kind of breakage on several files); the
#: others are marked slow and run in the full suite.
SAMPLE_EVERY = 7


@pytest.mark.parametrize(
    "mutant",
    [
        pytest.param(
            mutant,
            marks=() if index % SAMPLE_EVERY == 0 else pytest.mark.slow,
            id=f"{mutant.source.parent.name}-{mutant.source.stem}-{mutant.number}-{mutant.kind}",
        )
        for index, mutant in enumerate(CORPUS)
    ],
)
def test_a_mutated_file_fails_in_one_line_writing_nothing(mutant: Mutant, tmp_path: Path) -> None:
    path = tmp_path / mutant.source.name
    path.write_bytes(mutant.text.encode("utf-8", errors="surrogateescape"))
    out = tmp_path / "out"
    started = time.perf_counter()
    if mutant.is_sweep:
        result = invoke("sweep", path, "--out", out, "--quiet")
    else:
        result = invoke("run", path, "--out", out, "--steps", "2", "-r", "1", "--no-figures", "-q")
    seconds = time.perf_counter() - started
    message = assert_one_line_error(result)
    assert str(path) in message or path.name in message, message
    assert files_under(out) == []
    assert seconds < 5, seconds
