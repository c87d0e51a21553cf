"""Benchmark: validating a scenario file takes time linear in its number of events.

    scripts/uvrun python benchmarks/validate.py

Writes child scenarios of ``baseline-2022`` with 1,000 to 8,000 ``[[events]]`` and one as large
as a scenario file may be (``sim.scenario.tomlfile.MAX_FILE_BYTES``), and times, side by side
in interleaved rounds (minimum of 3), ``sim.scenario.load`` (reading, validating and resolving
the file) against ``tomllib.loads`` of the same text (parsing alone, linear by nature). A
constant ratio means validation is linear in the file's size; before the key lines were
indexed once per file, 6,000 events took 29.5 s. Target: the file at the size limit validates
in under 2 s. Not a test: it prints its figures.
"""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from sim.scenario import load
from sim.scenario.tomlfile import MAX_FILE_BYTES

MEMBERS = ("Armenia", "Belarus", "Kazakhstan", "Kyrgyzstan", "Tajikistan")
TARGET_SECONDS = 2.0


def event(index: int) -> str:
    year, month = 2023 + index % 10, 1 + index % 12
    member = MEMBERS[index % len(MEMBERS)]
    return (
        f'[[events]]\nid = "e{index}"\nat = "{year}-{month:02d}"\nkind = "appeal"\n'
        f'member = "{member}"\nnote = "generated event {index}"\n'
    )


def scenario_text(events: int | None) -> str:
    """A child of the baseline with ``events`` events (None: as many as fit the size limit)."""
    head = 'extends = "baseline-2022"\ntitle = "many events"\n'
    if events is not None:
        return head + "".join(event(index) for index in range(events))
    parts, size, index = [head], len(head), 0
    while size + len(event(index).encode()) <= MAX_FILE_BYTES:
        parts.append(event(index))
        size += len(parts[-1].encode())
        index += 1
    return "".join(parts)


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    header = ("events", 8), ("bytes", 10), ("parse s", 10), ("validate s", 12), ("ratio", 8)
    print("".join(f"{name:>{width}}" for name, width in header) + f"{'us/event':>10}")
    with tempfile.TemporaryDirectory(prefix="csto-validate-bench-") as folder:
        for count in (1_000, 2_000, 4_000, 8_000, None):
            text = scenario_text(count)
            path = Path(folder) / f"events-{count or 'limit'}.toml"
            path.write_text(text, encoding="utf-8")
            events = text.count("[[events]]")
            parse = validate = float("inf")
            for _ in range(3):  # interleaved rounds
                parse = min(parse, seconds(lambda text=text: tomllib.loads(text)))
                validate = min(validate, seconds(lambda path=path: load(path)))
            print(
                f"{events:>8,}{len(text.encode()):>10,}{parse:>10.3f}{validate:>12.3f}"
                f"{validate / parse:>8.1f}{validate / events * 1e6:>10.1f}"
            )
    met = "met" if validate < TARGET_SECONDS else "NOT met"
    print(
        f"target: the file at the size limit validates in under {TARGET_SECONDS:g} s: "
        f"{validate:.2f} s, {met}"
    )


if __name__ == "__main__":
    main()
