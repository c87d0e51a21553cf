"""The outcomes registry: one entry per outcome, found by any spelling, laid out in tables."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.engine import BatchResult, simulate
from sim.model.events import VOICE_KINDS
from sim.results import outcomes
from sim.results.outcomes import (
    GROUPS,
    REGISTRY,
    Outcome,
    UnknownOutcome,
    outcome_table,
    summary_table,
)
from sim.results.run import run_result
from sim.scenario import load, schema
from sim.sweep.spec import OUTCOME_COLUMNS
from sim.sweep.worker import ChunkTask, run_chunk

FRAGILE = Path(__file__).resolve().parent / "data" / "reports" / "fragile.toml"


@pytest.fixture(scope="module")
def batch() -> BatchResult:
    """Runs in which members freeze, with everything recorded."""
    return simulate(load(FRAGILE), [3, 5, 8, 13], steps=30, timeseries=True, events=True)


def test_the_registry_doctests_pass() -> None:
    result = doctest.testmod(outcomes)
    assert result.attempted > 0 and result.failed == 0


def test_every_group_has_outcomes_and_every_entry_says_what_it_is() -> None:
    for group in GROUPS:
        assert REGISTRY.group(group), group
    for entry in REGISTRY:
        assert entry.label and entry.type in ("float", "int", "bool", "str"), entry.name
        assert entry.groups, f"{entry.name} is used nowhere"
        if entry.member is not None:
            assert entry.member in schema.MEMBERS
            assert entry.name.endswith(f"_{entry.member}")


def test_every_outcome_gives_one_value_of_its_type_per_run(batch: BatchResult) -> None:
    kinds = {"float": "f", "int": "i", "bool": "b", "str": "O"}
    for entry in REGISTRY:
        values = entry.values(batch)
        assert values.shape == (len(batch.seeds),), entry.name
        assert values.dtype.kind == kinds[entry.type], entry.name
        if entry.type == "str":
            assert all(value is None or isinstance(value, str) for value in values)
        if entry.type == "float":
            assert np.isfinite(values).all(), entry.name


def test_an_outcome_that_needs_events_says_so() -> None:
    bare = simulate(load("baseline-2022"), [1, 2], steps=3)
    logged = Outcome(
        "events_logged",
        "int",
        "events logged",
        outcomes.COUNT,
        lambda batch: np.bincount(batch.events["run"], minlength=len(batch.seeds)),
        frozenset({outcomes.SUMMARY}),
        needs=frozenset({outcomes.EVENTS}),
    )
    with pytest.raises(ValueError, match=r"events_logged needs simulate\(\.\.\., events=True\)"):
        logged.values(bare)
    with pytest.raises(ValueError, match="events=True"):
        summary_table(bare, REGISTRY.with_entries(logged))
    # every outcome of the registry comes from a run's own counters: a bare batch has them all
    assert len(summary_table(bare)) == 2
    assert len(outcome_table(bare)) == 2


def test_names_are_found_in_any_case_and_by_alias_with_a_hint_when_unknown() -> None:
    assert REGISTRY.get("FINAL_COHESION").name == "final_cohesion"
    assert REGISTRY.get("cohesion").name == "final_cohesion"
    assert REGISTRY.get("freeze_kazakhstan").name == "froze_Kazakhstan"
    with pytest.raises(UnknownOutcome, match=r"unknown outcome 'final_coheson'.*did you mean"):
        REGISTRY.get("final_coheson")
    with pytest.raises(UnknownOutcome, match="is not one of the threshold outcomes"):
        REGISTRY.get("first_freeze_member", outcomes.THRESHOLD)
    with pytest.raises(UnknownOutcome) as error:
        REGISTRY.get("nothing", outcomes.THRESHOLD)
    assert "final_alignment_<member> (or alignment_<member>)" in str(error.value)
    assert "<member>: Belarus, Kazakhstan" in str(error.value)


def test_a_name_or_alias_cannot_be_used_twice() -> None:
    twin = Outcome("Cohesion", "float", "x", "", lambda b: b.final_cohesion, frozenset({"sweep"}))
    with pytest.raises(ValueError, match="used twice"):
        REGISTRY.with_entries(twin)


def test_a_sweep_table_lists_member_outcomes_last_and_a_summary_member_by_member() -> None:
    assert OUTCOME_COLUMNS[:6] == (
        "initial_cohesion",
        "final_cohesion",
        "min_cohesion",
        "first_freeze_step",
        "first_freeze_member",
        "drills_cancelled",
    )
    assert OUTCOME_COLUMNS[6:] == (
        *(f"final_alignment_{name}" for name in schema.MEMBERS),
        *(f"freeze_step_{name}" for name in schema.MEMBERS),
        *(f"voice_acts_{name}" for name in schema.MEMBERS),
    )
    summary = [entry.name for entry in outcomes.summary_layout(REGISTRY.group("summary"))]
    first = schema.MEMBERS[0]
    start = summary.index(f"final_alignment_{first}")
    assert summary[start : start + 5] == [
        f"final_alignment_{first}",
        f"final_trust_{first}",
        f"freeze_step_{first}",
        f"voice_acts_{first}",
        f"final_alignment_{schema.MEMBERS[1]}",
    ]


def test_tables_hold_the_registry_outcomes_in_their_layouts(batch: BatchResult) -> None:
    table = outcome_table(batch)
    assert list(table.columns) == ["seed", *OUTCOME_COLUMNS]
    summary = summary_table(batch)
    layout = outcomes.summary_layout(REGISTRY.group("summary"))
    assert list(summary.columns) == ["run", "seed", *(entry.name for entry in layout)]
    # the same outcome in both tables: -1 in a sweep's, empty (NA) in a summary's
    for name in ("first_freeze_step", *(f"freeze_step_{m}" for m in schema.MEMBERS)):
        steps = table[name].to_numpy()
        assert (steps >= 0).any() or name != "first_freeze_step"
        assert summary[name].isna().to_numpy().tolist() == (steps < 0).tolist()
    np.testing.assert_array_equal(table["final_cohesion"], summary["final_cohesion"])


def test_the_mesa_path_summary_has_the_registry_summary_names(batch: BatchResult) -> None:
    layout = outcomes.summary_layout(REGISTRY.group("summary"))
    summary = run_result(batch, 0).summary
    assert list(summary) == [entry.name for entry in layout]


def test_derived_outcomes_come_from_a_stored_table(batch: BatchResult) -> None:
    stored = summary_table(batch)
    derived = REGISTRY.derived(stored)
    froze = derived["froze"].to_numpy()
    np.testing.assert_array_equal(froze, REGISTRY.get("froze").values(batch).astype(float))
    assert froze.sum() > 0, "the fixture should exercise freezes"
    for name in schema.MEMBERS:
        expected = REGISTRY.get(f"froze_{name}").values(batch).astype(float)
        np.testing.assert_array_equal(derived[f"froze_{name}"].to_numpy(), expected)
    assert REGISTRY.derived(derived) is derived  # nothing left to add


def test_voice_acts_count_the_logged_voice_events(batch: BatchResult) -> None:
    assert batch.events is not None
    voice = batch.events[batch.events["kind"].isin(VOICE_KINDS)]
    counts = voice.groupby(["run", "member"]).size()
    assert counts.sum() > 0, "the fixture should exercise voice"
    for index, name in enumerate(schema.MEMBERS):
        expected = [int(counts.get((run, name), 0)) for run in range(len(batch.seeds))]
        assert REGISTRY.get(f"voice_acts_{name}").values(batch).tolist() == expected, name
        assert batch.voice_acts[:, index].tolist() == expected, name


FINAL_STRAIN = Outcome(
    "final_strain",
    "float",
    "strain between members at the end",
    outcomes.INDEX,
    lambda batch: batch.series["strain"][:, -1] if batch.series is not None else None,
    frozenset({outcomes.SWEEP, outcomes.SUMMARY}),
    needs=frozenset({outcomes.SERIES}),
)


def test_adding_an_outcome_is_one_entry(
    batch: BatchResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extended = REGISTRY.with_entries(FINAL_STRAIN)
    assert batch.series is not None
    expected = batch.series["strain"][:, -1]
    assert "final_strain" in outcomes.sweep_names(extended)
    np.testing.assert_array_equal(
        outcome_table(batch, registry=extended)["final_strain"].to_numpy(), expected
    )
    summary = summary_table(batch, registry=extended)
    assert summary.columns[-1] == "final_strain"
    np.testing.assert_array_equal(summary["final_strain"].to_numpy(), expected)
    # a sweep's worker keeps it too, recording the time series it needs
    monkeypatch.setattr(outcomes, "REGISTRY", extended)
    task = ChunkTask(
        index=0,
        scenario=batch.scenario,
        steps=batch.steps,
        paths=(),
        point=np.zeros(4, dtype=np.int64),
        replicate=np.arange(4, dtype=np.int64),
        seed=batch.seeds,
        values=np.zeros((4, 0)),
        outcomes=("final_cohesion", "final_strain"),
    )
    shard = tmp_path / "chunk.parquet"
    shard.write_bytes(run_chunk(task).runs)
    runs: pd.DataFrame = pq.read_table(shard).to_pandas()
    assert list(runs.columns[-2:]) == ["final_cohesion", "final_strain"]
    np.testing.assert_array_equal(runs["final_strain"].to_numpy(), expected)
    assert pq.read_schema(shard).field("final_strain").type == pa.float64()
