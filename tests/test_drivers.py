"""Driver attribution in the reports: what pulled and pushed each member, what made up cohesion,
and which drivers differ between scenarios — every table computed apart from the drawing and
checked against the results folder's own files; the sentences quote the tables' numbers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csto_cli import invoke

from sim import report
from sim.report import drivers as why
from sim.report import figures, prose
from sim.report.story import driver_words
from sim.results import drivers as results_drivers
from sim.results.compare import run_comparison, write_comparison
from sim.results.drivers import CHANGE, END, START, driver_columns
from sim.results.export import folder_tables
from sim.results.replicates import run_replicates
from sim.results.run import write_replicates
from sim.scenario import load, schema
from sim.stats import CLEAR, NEGLIGIBLE, NO_DIFFERENCE

DATA = Path(__file__).resolve().parent / "data" / "reports"
FRAGILE = DATA / "fragile.toml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = run_replicates(load(FRAGILE), seed=4, replicates=6, steps=15)
    folder = tmp_path_factory.mktemp("run") / "fragile"
    write_replicates(runs, folder, command=["test"], started="now", figures=False)
    return folder


@pytest.fixture(scope="module")
def timeseries(run_folder: Path) -> pd.DataFrame:
    return pd.read_parquet(run_folder / "timeseries.parquet")


def _alignment(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Alignment as a (replicate, member) x step table, straight from the file."""
    return timeseries.pivot_table(index=["replicate", "member"], columns="step", values="alignment")


# --- a run: what pulled and pushed each member ----------------------------------------------------


def test_the_time_series_records_drivers_that_add_up_to_each_month_s_change(
    timeseries: pd.DataFrame,
) -> None:
    drivers = driver_columns(timeseries)
    assert drivers == [f"driver_{name}" for name in results_drivers_names()]
    ordered = timeseries.sort_values(["replicate", "member", "step"])
    moved = ordered.groupby(["replicate", "member"])["alignment"].diff()
    later = ordered["step"] > 0
    assert ordered.loc[~later, drivers].isna().all().all(), "step 0 has no drivers"
    summed = ordered.loc[later, drivers].sum(axis=1)
    assert np.abs(summed - moved[later]).max() < 1e-12


def results_drivers_names() -> list[str]:
    from sim.model.state import DRIVERS

    return list(DRIVERS)


def test_cumulative_drivers_add_up_to_the_alignment_change_since_the_start_in_every_run(
    timeseries: pd.DataFrame,
) -> None:
    drivers = driver_columns(timeseries)
    runs = why.cumulative_by_run(timeseries)
    assert len(runs) == len(timeseries)
    alignment = _alignment(timeseries)
    since_start = alignment.sub(alignment[0], axis=0).stack()
    joined = runs.set_index(["replicate", "member", "step"])
    expected = since_start.reindex(joined.index)
    assert np.abs(joined[drivers].sum(axis=1) - expected).max() < 1e-9
    assert np.abs(joined[CHANGE] - expected).max() < 1e-9
    assert (joined.xs(0, level="step")[drivers] == 0).all().all()
    # each line is the running sum of its monthly driver, read straight from the file
    one = timeseries[(timeseries["replicate"] == 2) & (timeseries["member"] == "Armenia")]
    one = one.sort_values("step")
    mine = runs[(runs["replicate"] == 2) & (runs["member"] == "Armenia")].sort_values("step")
    line = mine["driver_outside_protection"].to_numpy()
    assert line == pytest.approx(one["driver_outside_protection"].fillna(0).cumsum().to_numpy())


def test_mean_cumulative_drivers_add_up_to_the_mean_alignment_change(
    timeseries: pd.DataFrame,
) -> None:
    drivers = driver_columns(timeseries)
    mean = why.cumulative_drivers(timeseries)
    assert list(dict.fromkeys(mean["member"])) == list(schema.MEMBERS)
    assert (mean["n"] == 6).all()
    alignment = timeseries.groupby(["member", "step"])["alignment"].mean().unstack()
    expected = alignment.sub(alignment[0], axis=0).stack()
    indexed = mean.set_index(["member", "step"])
    assert np.abs(indexed[drivers].sum(axis=1) - expected.reindex(indexed.index)).max() < 1e-9
    assert mean["date"].iloc[0] == pd.Timestamp("2022-09-01")


def test_member_totals_and_sentences_come_from_the_file(timeseries: pd.DataFrame) -> None:
    drivers = driver_columns(timeseries)
    totals = why.member_totals(timeseries)
    later = timeseries[timeseries["step"] > 0]
    runs = timeseries["replicate"].nunique()
    sums = later.groupby("member")[drivers].sum() / runs
    alignment = _alignment(timeseries).groupby(level="member").mean()
    sentences = why.driver_sentences(totals, drivers, "2022-09", 15)
    assert sentences[0].startswith(
        "What moved each member's alignment from September 2022 to the end of November 2023:"
    )
    assert "the mean over the 6 runs whose time series the folder keeps" in sentences[0]
    for member, sentence in zip(schema.MEMBERS, sentences[1:], strict=True):
        row = totals.set_index("member").loc[member]
        assert row[drivers].to_numpy() == pytest.approx(sums.loc[member].to_numpy(), abs=1e-12)
        start, end = alignment.loc[member, 0], alignment.loc[member, 15]
        assert row[START] == pytest.approx(start) and row[END] == pytest.approx(end)
        assert row[drivers].sum() == pytest.approx(end - start, abs=1e-9)
        assert sentence.startswith(
            f"{member}: alignment {start:.2f} → {end:.2f} ({end - start:+.2f})"
        )
        ranked = sums.loc[member].sort_values()
        if round(end - start, 2) < 0:
            strongest = ranked.index[0]
            assert f"pulled away most by {driver_words(strongest)} ({ranked.iloc[0]:+.2f})" in (
                sentence
            )
            assert f"held by {driver_words(ranked.index[-1])} ({ranked.iloc[-1]:+.2f})." in (
                sentence
            )
        elif round(end - start, 2) > 0:
            strongest = ranked.index[-1]
            assert f"pushed toward Russia most by {driver_words(strongest)}" in sentence
    table = why.driver_table(totals, drivers)
    assert list(table.columns) == ["", *schema.MEMBERS]
    assert list(table[""]) == [
        "alignment at the start",
        *(driver_words(d) for d in drivers),
        "sum of the drivers: the change",
        "alignment at the end",
    ]


def test_a_member_sentence_names_the_strongest_drivers_each_way() -> None:
    row = pd.Series(
        {
            "member": "Kazakhstan",
            START: 0.55,
            END: 0.33,
            CHANGE: -0.22,
            "driver_markets": -0.21,
            "driver_outside_protection": -0.12,
            "driver_protection": 0.08,
            "driver_peers": 0.03,
        }
    )
    columns = ["driver_markets", "driver_outside_protection", "driver_protection", "driver_peers"]
    assert why.member_driver_sentence(row, columns) == (
        "Kazakhstan: alignment 0.55 → 0.33 (-0.22); pulled away most by outside markets (-0.21) "
        "and outside protection (-0.12); held by Russia's protection (+0.08)."
    )
    rising = row.copy()
    rising[END], rising[CHANGE], rising["driver_protection"] = 0.78, 0.23, 0.56
    assert why.member_driver_sentence(rising, columns) == (
        "Kazakhstan: alignment 0.55 → 0.78 (+0.23); pushed toward Russia most by Russia's "
        "protection (+0.56) and peers (+0.03); held back by outside markets (-0.21)."
    )


# --- a run: what made up cohesion ---------------------------------------------------------------


def test_cohesion_parts_add_up_to_cohesion_in_every_run_and_on_the_mean(
    timeseries: pd.DataFrame,
) -> None:
    parts = list(why.COHESION_PARTS)
    assert np.abs(timeseries[parts].sum(axis=1) - timeseries["cohesion"]).max() < 1e-12
    table = why.cohesion_parts(timeseries)
    assert list(table["step"]) == list(range(16))
    assert (table["n"] == 6).all()
    assert np.abs(table[parts].sum(axis=1) - table["cohesion"]).max() < 1e-12
    alliance = timeseries[timeseries["member"] == "Belarus"]
    expected = alliance.groupby("step")[["cohesion", *parts]].mean()
    assert table[["cohesion", *parts]].to_numpy() == pytest.approx(expected.to_numpy())
    reading = why.cohesion_reading(table, "2022-09")
    first, second, last = expected.loc[0], expected.loc[1], expected.loc[15]
    went = prose.change(first["cohesion"], second["cohesion"])
    assert (
        f"In September 2022 it {went} from {first['cohesion']:.2f} to {second['cohesion']:.2f}"
    ) in reading
    later = prose.change(second["cohesion"], last["cohesion"])
    assert f"to the end of November 2023 it {later} to {last['cohesion']:.2f}:" in reading
    for part in parts:
        assert f"{why.PART_WORDS[part]} {second[part]:+.2f} → {last[part]:+.2f}" in reading


def test_a_time_series_without_parts_or_drivers_gives_empty_tables(
    timeseries: pd.DataFrame,
) -> None:
    bare = timeseries.drop(columns=[*driver_columns(timeseries), *why.COHESION_PARTS])
    assert why.cohesion_parts(bare).empty
    assert driver_columns(bare) == []
    assert results_drivers.driver_differences(
        bare.assign(scenario="a"), pd.DataFrame(), ["a", "b"]
    ).empty


# --- the figures, drawn from those tables ----------------------------------------------------


def test_the_drivers_figure_draws_a_panel_per_member_whose_lines_add_up(
    timeseries: pd.DataFrame,
) -> None:
    drivers = driver_columns(timeseries)
    fig = figures.driver_paths(why.cumulative_drivers(timeseries), drivers, title="t")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == list(schema.MEMBERS)
    for ax in titled:
        lines = [
            line for line in ax.get_lines() if line.get_label() in set(map(driver_words, drivers))
        ]
        assert len(lines) == len(drivers)
        (total,) = [line for line in ax.get_lines() if line.get_color() == "black"]
        summed = np.sum([np.asarray(line.get_ydata(), float) for line in lines], axis=0)
        assert summed == pytest.approx(np.asarray(total.get_ydata(), float), abs=1e-9)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1, "one legend for every panel"
    labels = [text.get_text() for text in legends[0].get_texts()]
    assert "outside protection" in labels and "drift toward hedging" in labels
    assert any("sum of the lines" in label for label in labels)
    colours = {tuple(line.get_color()) for line in titled[0].get_lines()[1:-1]}
    assert colours <= set(figures.COLOURBLIND) and len(colours) == len(drivers)
    assert figures.png(fig)[:4] == b"\x89PNG"


def test_the_cohesion_parts_figure_draws_the_parts_and_their_sum(timeseries: pd.DataFrame) -> None:
    table = why.cohesion_parts(timeseries)
    fig = figures.plot_cohesion_parts(table)
    (ax,) = fig.axes
    drawn = {line.get_label(): np.asarray(line.get_ydata(), float) for line in ax.get_lines()}
    for column, (label, _) in figures.COHESION_PART_STYLES.items():
        assert drawn[label] == pytest.approx(table[column].to_numpy())
    assert drawn["cohesion (the sum of the parts)"] == pytest.approx(table["cohesion"].to_numpy())
    assert ax.get_ylim()[0] < float(table["cohesion_strain"].min())


# --- a comparison: which drivers differ ----------------------------------------------------------


def _paired_totals(timeseries: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Each driver's total per run, scenario minus baseline, straight from the file."""
    later = timeseries[timeseries["step"] > 0]
    drivers = driver_columns(timeseries)
    totals = later.groupby(["scenario", "replicate", "member"])[drivers].sum()
    base = totals.xs(names[0], level="scenario")
    other = totals.xs(names[1], level="scenario")
    return (other - base).dropna()


def test_a_comparison_s_driver_differences_add_up_to_its_alignment_change_difference(
    tmp_path: Path,
) -> None:
    names = ["baseline-2022", "fragile"]
    comparison = run_comparison([load("baseline-2022"), load(FRAGILE)], 2, 6, 12)
    write_comparison(comparison, tmp_path / "compare", command=["test"], started="now")
    table = pd.read_csv(tmp_path / "compare" / "drivers.csv")
    assert list(table.columns) == list(results_drivers.DRIVERS_COLUMNS)
    timeseries = pd.read_parquet(tmp_path / "compare" / "timeseries.parquet")
    drivers = driver_columns(timeseries)
    assert list(dict.fromkeys(table["driver"])) == [*drivers, CHANGE, START]
    assert list(dict.fromkeys(table["member"])) == list(schema.MEMBERS)
    assert set(table["covers"]) == {"draws"} and set(table["n"]) == {6}
    per_run = _paired_totals(timeseries, names)
    alignment = timeseries.pivot_table(
        index=["scenario", "replicate", "member"], columns="step", values="alignment"
    )
    change = (alignment[12] - alignment[0]).unstack("scenario")
    change_difference = change["fragile"] - change["baseline-2022"]
    # run by run: the drivers' differences add up to the alignment change's difference
    assert np.abs(per_run.sum(axis=1) - change_difference.reindex(per_run.index)).max() < 1e-9
    for member, rows in table.groupby("member"):
        indexed = rows.set_index("driver")
        summed = indexed.loc[drivers, "difference"].sum()
        assert summed == pytest.approx(indexed.at[CHANGE, "difference"], abs=1e-9)
        mine = per_run.xs(member, level="member")
        for driver in drivers:
            assert indexed.at[driver, "difference"] == pytest.approx(mine[driver].mean(), abs=1e-12)
    assert set(table["verdict"]) <= {CLEAR, NEGLIGIBLE, NO_DIFFERENCE, "unclear"}
    small = table[table["difference"].abs() < 0.01]
    assert set(small["verdict"]) <= {NEGLIGIBLE, NO_DIFFERENCE, "unclear"}
    # the report's fallback for a folder without drivers.csv computes the same table
    again = results_drivers.driver_differences(
        timeseries, pd.read_csv(tmp_path / "compare" / "summary.csv"), names
    )
    pd.testing.assert_frame_equal(again, table, check_dtype=False, atol=1e-12, rtol=0)
    assert "drivers" in folder_tables(tmp_path / "compare")


def test_paired_runs_keep_as_many_seeds_in_every_parameter_set() -> None:
    totals = pd.DataFrame(
        {
            "scenario": ["a"] * 6 + ["b"] * 5,
            "replicate": [0, 1, 2, 3, 4, 5, 0, 1, 3, 4, 5],
            "member": "Armenia",
        }
    )
    summary = pd.DataFrame(
        {
            "scenario": ["a"] * 6 + ["b"] * 6,
            "replicate": list(range(6)) * 2,
            "draw": [0, 0, 0, 1, 1, 1] * 2,
        }
    )
    kept = results_drivers.paired_runs(totals, summary, ["a", "b"])
    # run 2 is missing from b: every set keeps its first two runs common to both
    assert sorted(set(kept["replicate"])) == [0, 1, 3, 4]
    assert kept.groupby(["scenario", "draw"]).size().tolist() == [2, 2, 2, 2]


def _table(rows: list[tuple[str, float, float, float, str]], member: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": "west",
                "member": member,
                "driver": driver,
                "n": 300,
                "mean": -0.34 if driver == CHANGE else 0.0,
                "baseline_mean": -0.30 if driver == CHANGE else 0.0,
                "difference": difference,
                "ci_low": low,
                "ci_high": high,
                "covers": "draws and parameters",
                "verdict": kind,
            }
            for driver, difference, low, high, kind in rows
        ]
    )


def test_compare_sentences_name_the_drivers_behind_a_clear_difference() -> None:
    armenia = _table(
        [
            ("driver_outside_protection", -0.232, -0.284, -0.186, CLEAR),
            ("driver_lockin", -0.076, -0.096, -0.059, CLEAR),
            ("driver_threat", -0.001, -0.008, 0.007, NEGLIGIBLE),
            ("driver_neutral", 0.160, 0.123, 0.198, CLEAR),
            (CHANGE, -0.040, -0.047, -0.034, CLEAR),
            (START, 0.0, 0.0, 0.0, NO_DIFFERENCE),
        ],
        "Armenia",
    )
    belarus = _table(
        [
            ("driver_peers", -0.03, -0.04, -0.02, CLEAR),
            ("driver_neutral", 0.028, 0.02, 0.035, CLEAR),
            (CHANGE, -0.002, -0.003, -0.001, NEGLIGIBLE),
            (START, 0.0, 0.0, 0.0, NO_DIFFERENCE),
        ],
        "Belarus",
    )
    kazakhstan = _table(
        [(CHANGE, 0.0, 0.0, 0.0, NO_DIFFERENCE), (START, 0.0, 0.0, 0.0, NO_DIFFERENCE)],
        "Kazakhstan",
    )
    sentences = why.compare_driver_sentences(pd.concat([belarus, kazakhstan, armenia]), "base")
    assert sentences[0].startswith("west: what moved each member's alignment, against base")
    assert "over the random draws and the uncertainty of the parameters" in sentences[0]
    assert sentences[1] == (
        "west: Belarus's alignment changes alike (negligible, -0.002), but what moves it "
        "differs, the drivers offsetting each other: peers -0.030 (-0.040 to -0.020) and drift "
        "toward hedging +0.028 (+0.020 to +0.035)."
    )
    assert sentences[2] == (
        "west: Armenia's alignment ends 0.040 lower than under base (paired 95% interval -0.047 "
        "to -0.034). Moved further away from Russia by outside protection -0.232 (-0.284 to "
        "-0.186) and lock-in -0.076 (-0.096 to -0.059); partly offset by drift toward hedging "
        "+0.160 (+0.123 to +0.198)."
    )
    assert sentences[3] == (
        "west: the alignment of Belarus (-0.002) and Kazakhstan changes as under base, or by "
        "less than the 0.01 on a 0–1 scale that matters."
    )
    assert "Russia's threat" not in " ".join(sentences), "a negligible driver is not named"


@pytest.fixture(scope="module")
def posterior_comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """baseline-2022 against west-engages-armenia from the posterior, more runs than the time
    series keeps (20 sets x 20 seeds: it keeps the first 15 seeds of every set)."""
    out = tmp_path_factory.mktemp("compare")
    result = invoke(
        "compare", "baseline-2022", "west-engages-armenia", "--draws", "20",
        "--replicates", "20", "--steps", "24", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (folder,) = (out / "compare").iterdir()
    return folder


@pytest.mark.slow
def test_driver_differences_from_the_posterior_are_paired_run_by_run(
    posterior_comparison: Path,
) -> None:
    folder = posterior_comparison
    names = ["baseline-2022", "west-engages-armenia"]
    table = pd.read_csv(folder / "drivers.csv")
    timeseries = pd.read_parquet(folder / "timeseries.parquet")
    summary = pd.read_csv(folder / "summary.csv")
    drivers = driver_columns(timeseries)
    kept = timeseries.groupby("scenario")["replicate"].nunique()
    assert set(kept) == {300}
    assert set(table["n"]) == {300}
    assert set(table["covers"]) == {"draws and parameters"}
    per_run = _paired_totals(timeseries, names)
    draws = summary[summary["scenario"] == names[0]].set_index("replicate")["draw"]
    assert per_run.reset_index()["replicate"].map(draws).value_counts().nunique() == 1
    for member, rows in table.groupby("member"):
        indexed = rows.set_index("driver")
        assert indexed.loc[drivers, "difference"].sum() == pytest.approx(
            indexed.at[CHANGE, "difference"], abs=1e-9
        )
        mine = per_run.xs(member, level="member")
        assert indexed.at[CHANGE, "difference"] == pytest.approx(mine.sum(axis=1).mean(), abs=1e-9)
    armenia = table[(table["member"] == "Armenia")].set_index("driver")
    assert armenia.at[CHANGE, "verdict"] == CLEAR and armenia.at[CHANGE, "difference"] < 0
    assert armenia.at["driver_outside_protection", "verdict"] == CLEAR


@pytest.mark.slow
def test_the_compare_report_s_driver_sentences_quote_the_table(posterior_comparison: Path) -> None:
    table = pd.read_csv(posterior_comparison / "drivers.csv")
    made = report.build(posterior_comparison)
    assert "compare-drivers" in [figure.key for figure in made.figures]
    assert "drivers" in [t.key for s in made.sections for t in s.tables]
    sentences = [s for s in made.summary if re.match(r"west-engages-armenia: \w+'s alignment", s)]
    assert sentences, "Armenia's alignment differs clearly"
    quoted: set[str] = set()
    for _, row in table.iterrows():
        for column in ("difference", "ci_low", "ci_high"):
            quoted.add(f"{float(row[column]):+.3f}")
        quoted.add(f"{abs(float(row['difference'])):.3f}")
        quoted.add(f"{float(row['mean']):+.3f}")
        quoted.add(f"{float(row['baseline_mean']):+.3f}")
    for sentence in sentences:
        numbers = re.findall(r"[-+]?\d+\.\d{3}", sentence)
        assert numbers and all(number in quoted for number in numbers), sentence
    armenia = table[table["member"] == "Armenia"].set_index("driver")
    change = armenia.loc[CHANGE]
    text = " ".join(made.summary)
    assert (
        f"west-engages-armenia: Armenia's alignment ends {abs(change['difference']):.3f} lower "
        f"than under baseline-2022 (paired 95% interval {change['ci_low']:+.3f} to "
        f"{change['ci_high']:+.3f})"
    ) in text
    outside = armenia.loc["driver_outside_protection"]
    assert (
        f"outside protection {outside['difference']:+.3f} ({outside['ci_low']:+.3f} to "
        f"{outside['ci_high']:+.3f})"
    ) in text


# --- folders written before drivers existed -------------------------------------------------------


@pytest.mark.slow
def test_a_run_folder_without_drivers_or_cohesion_parts_still_reports(
    run_folder: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    shutil.copytree(run_folder, old)
    series = pd.read_parquet(old / "timeseries.parquet")
    series.drop(columns=[*driver_columns(series), *why.COHESION_PARTS]).to_parquet(
        old / "timeseries.parquet"
    )
    made = report.build(old)
    keys = [figure.key for figure in made.figures]
    assert "drivers" not in keys and "cohesion-parts" not in keys
    assert {"cohesion", "members", "timeline"} <= set(keys)
    text = " ".join(p for s in made.sections for p in s.paragraphs)
    assert "This folder's time series records no drivers" in text
    assert "records no parts of cohesion" in text
    assert not any("What moved each member" in s for s in made.summary)
    new = report.build(run_folder)
    assert {"drivers", "cohesion-parts"} <= {figure.key for figure in new.figures}
    summary_tables = new.sections[0].tables
    assert [t.key for t in summary_tables] == ["drivers"]


@pytest.mark.slow
def test_a_comparison_folder_without_drivers_csv_computes_it_and_without_drivers_says_so(
    tmp_path: Path,
) -> None:
    comparison = run_comparison([load("baseline-2022"), load(FRAGILE)], 2, 4, 8)
    folder = tmp_path / "compare"
    write_comparison(comparison, folder, command=["test"], started="now")
    written = pd.read_csv(folder / "drivers.csv")
    (folder / "drivers.csv").unlink()
    made = report.build(folder)
    assert "compare-drivers" in [figure.key for figure in made.figures]
    names = ["baseline-2022", "fragile"]
    again = results_drivers.comparison_drivers(
        folder, comparison.timeseries, comparison.summary, names
    )
    pd.testing.assert_frame_equal(again, written, check_dtype=False, atol=1e-12, rtol=0)
    series = pd.read_parquet(folder / "timeseries.parquet")
    series.drop(columns=driver_columns(series)).to_parquet(folder / "timeseries.parquet")
    made = report.build(folder)
    assert "compare-drivers" not in [figure.key for figure in made.figures]
    assert any("records no drivers" in p for s in made.sections for p in s.paragraphs), (
        "the report says why the drivers are missing"
    )
