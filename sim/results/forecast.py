"""A forecast that can be scored: half-yearly probabilities from the calibrated posterior
(``csto forecast``), with a persistence baseline beside them.

Every run draws its parameter set from the scenario's posterior
(:meth:`sim.calibrate.posterior.Posterior.draw`): ``draws`` parameter sets, each run under
``replicates`` seeds of its own, all derived from one master seed before any run starts. The
batch engine records four series (voice acts, cohesion, drills held, and each member's exit
through ``freeze_step``), and :func:`period_outcomes` reads from them, for every half-year
(October–March, April–September: :func:`half_years`):

- ``voice``: the member took at least one voice action in the half-year (public criticism,
  refusing a drill, declining to sign or staying away from a summit);
- ``exit``: the member had exited (frozen its participation) by the half-year's end;
- ``cohesion``: the alliance's cohesion at the half-year's end (mean and 5/25/50/75/95%);
- ``drills_held``: the joint drills held in the half-year (the chance of at least one, and the
  mean number).

**Persistence** ("nothing changes") carries each run's state at the end of the *origin month*
— the month the first half-year starts in, October 2022 for the baseline, the end of what the
calibration knows — forward unchanged: what the run did in that month it does in every later
month, and what had not happened does not happen. So a member that spoke out in the origin
month speaks out in every half-year, one that had not exited never exits, cohesion stays where
it was, and every later drill meets the fate of the last drill scheduled up to the origin
month. Its probabilities are shares of the same runs, so model and persistence differ by the
model's dynamics alone.

:func:`forecast_table` turns these into the tidy ``forecast.csv`` (one row per quantity,
subject, half-year and statistic; ``docs/forecast.md`` documents it and how to score it);
:func:`write_forecast` and :func:`read_forecast` write and read the results folder.

>>> [(p.start, p.end) for p in half_years("2022-09", 19)]
[('2022-10', '2023-03'), ('2023-04', '2023-09'), ('2023-10', '2024-03')]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.results import provenance
from sim.results.folder import FolderError, read_table, results_folder, write_folder
from sim.scenario import Scenario, month_label, schema

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior
    from sim.engine import BatchResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MEMBERS: Final = schema.MEMBERS
#: The series a forecast records (exit comes from ``freeze_step``, which needs no series).
RECORDED: Final = ("voice_acts", "cohesion", "drills_held")
#: Quantities of ``forecast.csv``, in the order its rows come.
QUANTITIES: Final = ("voice", "exit", "cohesion", "drills_held")
#: Levels of the cohesion band.
LEVELS: Final = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_STATISTICS: Final = tuple(f"q{round(level * 100):02d}" for level in LEVELS)
#: The columns of ``forecast.csv``, in order (``docs/forecast.md`` describes each).
COLUMNS: Final = (
    "scenario",
    "issued",
    "quantity",
    "subject",
    "period_start",
    "period_end",
    "months",
    "statistic",
    "event",
    "model",
    "model_se",
    "persistence",
    "runs",
    "observed",
)
#: Most runs the engine holds at once (memory grows with runs x months).
BATCH_RUNS: Final = 20_000
#: The months half-years start in: October and April.
HALF_YEAR_STARTS: Final = (4, 10)
#: The subject of the alliance's rows.
ALLIANCE: Final = "alliance"


class ForecastError(ValueError):
    """A forecast that cannot be made as asked (a horizon too short for a half-year, ...)."""


# --- half-years -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-year of a run: its first and last month as steps (step ``s`` is the end of the
    ``s``-th simulated month) and as ``YYYY-MM``."""

    first: int
    last: int
    start: str
    end: str

    @property
    def months(self) -> int:
        return self.last - self.first + 1


def half_years(start: str, steps: int) -> tuple[Period, ...]:
    """The whole half-years (October–March, April–September) in ``steps`` months from ``start``:
    from the first October or April simulated, to the last half-year that ends by ``steps``.

    A trailing part of a half-year is left out (it could not be scored as a half-year)."""
    first = next(
        (
            step
            for step in range(1, steps + 1)
            if int(month_label(start, step - 1)[5:]) in HALF_YEAR_STARTS
        ),
        None,
    )
    periods: list[Period] = []
    if first is None:
        return ()
    for begin in range(first, steps - 4, 6):
        periods.append(
            Period(begin, begin + 5, month_label(start, begin - 1), month_label(start, begin + 4))
        )
    return tuple(periods)


def periods_for(start: str, steps: int) -> tuple[Period, ...]:
    """:func:`half_years`, or a :class:`ForecastError` if not one fits in ``steps`` months."""
    periods = half_years(start, steps)
    if not periods:
        raise ForecastError(
            f"--steps {steps}: no whole half-year (October-March or April-September) fits in "
            f"{steps} months from {start}"
        )
    return periods


# --- what each run did in each half-year ---------------------------------------------------------


@dataclass(frozen=True)
class PeriodOutcomes:
    """What every run did in every half-year, and in the origin month (persistence's state)."""

    voice: BoolArray
    """At least one voice act in the half-year: shape (runs, periods, members)."""
    exited: BoolArray
    """Exited by the half-year's end: shape (runs, periods, members)."""
    cohesion: FloatArray
    """Cohesion at the half-year's end: shape (runs, periods)."""
    drills_held: IntArray
    """Drills held in the half-year: shape (runs, periods)."""
    origin_voice: BoolArray
    """A voice act in the origin month: shape (runs, members)."""
    origin_exited: BoolArray
    """Exited by the end of the origin month: shape (runs, members)."""
    origin_cohesion: FloatArray
    """Cohesion at the end of the origin month: shape (runs,)."""
    origin_drill_held: FloatArray
    """Whether the last drill scheduled up to the origin month was held (1.0 or 0.0; NaN if no
    drill was scheduled by then): shape (runs,)."""


def drill_steps(scenario: Scenario, steps: int) -> IntArray:
    """The steps (months) in which a joint drill is scheduled."""
    from sim.scenario.inputs import build_plan

    plan = build_plan(scenario, steps)
    result: IntArray = np.flatnonzero(plan.drill_host >= 0).astype(np.int64) + 1
    return result


def scheduled_drills(scenario: Scenario, steps: int, periods: Sequence[Period]) -> IntArray:
    """How many joint drills are scheduled in each half-year."""
    scheduled = drill_steps(scenario, steps)
    return np.array(
        [int(((scheduled >= p.first) & (scheduled <= p.last)).sum()) for p in periods],
        dtype=np.int64,
    )


def period_outcomes(
    series: Mapping[str, FloatArray],
    freeze_step: IntArray,
    periods: Sequence[Period],
    drills: IntArray,
) -> PeriodOutcomes:
    """Read every run's half-years from its recorded series (``voice_acts``, ``cohesion`` and
    ``drills_held``, each with step 0 the starting state) and its exit step; ``drills`` are the
    steps with a scheduled drill. The origin month is the first half-year's first month."""
    first = np.array([p.first for p in periods])
    last = np.array([p.last for p in periods])
    voice_acts = series["voice_acts"]
    voice = (voice_acts[:, last, :] - voice_acts[:, first - 1, :]) > 0
    exited = (freeze_step[:, np.newaxis, :] >= 1) & (
        freeze_step[:, np.newaxis, :] <= last[np.newaxis, :, np.newaxis]
    )
    held_counter = series["drills_held"]
    drills_held = np.rint(held_counter[:, last] - held_counter[:, first - 1]).astype(np.int64)
    origin = int(first[0])
    before = drills[drills <= origin]
    if len(before):
        step = int(before[-1])
        origin_drill: FloatArray = (held_counter[:, step] - held_counter[:, step - 1] > 0).astype(
            np.float64
        )
    else:
        origin_drill = np.full(held_counter.shape[0], np.nan)
    return PeriodOutcomes(
        voice=voice,
        exited=exited,
        cohesion=np.asarray(series["cohesion"][:, last], dtype=np.float64),
        drills_held=drills_held,
        origin_voice=(voice_acts[:, origin, :] - voice_acts[:, origin - 1, :]) > 0,
        origin_exited=(freeze_step >= 1) & (freeze_step <= origin),
        origin_cohesion=np.asarray(series["cohesion"][:, origin], dtype=np.float64),
        origin_drill_held=origin_drill,
    )


def concatenate(parts: Sequence[PeriodOutcomes]) -> PeriodOutcomes:
    """The outcomes of consecutive batches of runs, as one."""
    return PeriodOutcomes(
        *(np.concatenate([getattr(part, name) for part in parts]) for name in _FIELDS)
    )


_FIELDS: Final = (
    "voice",
    "exited",
    "cohesion",
    "drills_held",
    "origin_voice",
    "origin_exited",
    "origin_cohesion",
    "origin_drill_held",
)


# --- running it ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """A forecast's runs and what they did, with how they were made."""

    scenario: Scenario
    periods: tuple[Period, ...]
    scheduled: IntArray
    """Drills scheduled in each half-year."""
    outcomes: PeriodOutcomes
    draws: int
    replicates: int
    seed: int
    seeds: npt.NDArray[np.uint64]
    """Each run's seed, draw-major (run ``k`` is draw ``k // replicates``)."""
    steps: int
    drawn: tuple[str, ...]
    """Scenario values and variants drawn from the posterior (empty without one)."""
    kept: tuple[str, ...]
    """Calibrated values kept as the scenario sets them (a child's own values)."""
    posterior: Mapping[str, Any] | None
    """What the posterior was (scenario, digest, method, size), None without one."""

    @property
    def runs(self) -> int:
        return self.draws * self.replicates

    @property
    def origin(self) -> str:
        return self.periods[0].start

    @property
    def draw_of_run(self) -> IntArray:
        result: IntArray = np.repeat(np.arange(self.draws, dtype=np.int64), self.replicates)
        return result


def run_overrides(drawn: Mapping[str, npt.NDArray[Any]], replicates: int) -> dict[str, Any]:
    """Per-run overrides from per-draw ones: each draw repeated for its replicates."""
    return {path: np.repeat(values, replicates) for path, values in drawn.items()}


def run_forecast(
    scenario: Scenario,
    posterior: Posterior | None,
    *,
    draws: int,
    replicates: int,
    seed: int,
    steps: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Run ``draws`` x ``replicates`` runs and read their half-years.

    With a posterior, draw ``d`` is ``posterior.draw(draws, seed)[d]``; without one every draw
    is the scenario's own values. Run seeds are ``derive_seeds(seed, draws * replicates)``,
    draw-major. ``progress(done, total)`` is called after every batch of runs.
    """
    from sim.engine import simulate
    from sim.model.draws import derive_seeds

    horizon = scenario.horizon if steps is None else steps
    periods = periods_for(scenario.start, horizon)
    drills = drill_steps(scenario, horizon)
    drawn = posterior.draw(draws, seed) if posterior is not None else {}
    overrides = run_overrides(drawn, replicates)
    runs = draws * replicates
    seeds = np.asarray(derive_seeds(seed, runs), dtype=np.uint64)
    parts: list[PeriodOutcomes] = []
    for begin in range(0, runs, BATCH_RUNS):
        end = min(begin + BATCH_RUNS, runs)
        batch: BatchResult = simulate(
            scenario,
            seeds[begin:end],
            {path: values[begin:end] for path, values in overrides.items()},
            steps=horizon,
            record=RECORDED,
        )
        assert batch.series is not None
        parts.append(period_outcomes(batch.series, batch.freeze_step, periods, drills))
        if progress is not None:
            progress(end, runs)
    described = None
    if posterior is not None:
        described = {
            "scenario": posterior.scenario,
            "digest": posterior.digest,
            "method": posterior.manifest.get("method"),
            "particles": posterior.size,
            "variant_probabilities": posterior.variant_probabilities(),
        }
    return Forecast(
        scenario=scenario,
        periods=periods,
        scheduled=scheduled_drills(scenario, horizon, periods),
        outcomes=concatenate(parts),
        draws=draws,
        replicates=replicates,
        seed=seed,
        seeds=seeds,
        steps=horizon,
        drawn=tuple(drawn),
        kept=tuple(posterior.kept) if posterior is not None else (),
        posterior=described,
    )


# --- the tidy table --------------------------------------------------------------------------


def _share(values: npt.NDArray[Any], draw: IntArray, draws: int) -> tuple[float, float]:
    """The mean over runs and its Monte-Carlo standard error, runs clustered by draw (the
    replicates of one draw share its parameters, so they are not independent)."""
    numbers = np.asarray(values, dtype=np.float64)
    mean = float(numbers.mean())
    if draws < 2:
        count = len(numbers)
        return mean, float(numbers.std(ddof=1) / np.sqrt(count)) if count > 1 else float("nan")
    per_draw = np.bincount(draw, weights=numbers, minlength=draws) / np.bincount(
        draw, minlength=draws
    )
    return mean, float(per_draw.std(ddof=1) / np.sqrt(draws))


def forecast_table(forecast: Forecast) -> pd.DataFrame:
    """The tidy table of ``forecast.csv``: one row per quantity, subject (a member or
    ``"alliance"``), half-year and statistic, with the model's number, its Monte-Carlo standard
    error, persistence's number and an empty ``observed`` column for a scorer to fill."""
    outcomes = forecast.outcomes
    draw = forecast.draw_of_run
    rows: list[dict[str, Any]] = []

    def add(
        quantity: str,
        subject: str,
        period: Period,
        statistic: str,
        event: str,
        model: float,
        model_se: float,
        persistence: float,
    ) -> None:
        rows.append(
            {
                "scenario": forecast.scenario.name,
                "issued": forecast.origin,
                "quantity": quantity,
                "subject": subject,
                "period_start": period.start,
                "period_end": period.end,
                "months": period.months,
                "statistic": statistic,
                "event": event,
                "model": model,
                "model_se": model_se,
                "persistence": persistence,
                "runs": forecast.runs,
                "observed": np.nan,
            }
        )

    for index, member in enumerate(MEMBERS):
        persistence = float(outcomes.origin_voice[:, index].mean())
        for number, period in enumerate(forecast.periods):
            model, se = _share(outcomes.voice[:, number, index], draw, forecast.draws)
            event = (
                f"{member} takes at least one voice action (public criticism of the alliance, "
                f"refusing a drill, declining to sign or staying away from a summit) between "
                f"{period.start} and {period.end}"
            )
            add("voice", member, period, "probability", event, model, se, persistence)
    for index, member in enumerate(MEMBERS):
        persistence = float(outcomes.origin_exited[:, index].mean())
        for number, period in enumerate(forecast.periods):
            model, se = _share(outcomes.exited[:, number, index], draw, forecast.draws)
            event = f"{member} has exited the alliance (frozen its participation) by {period.end}"
            add("exit", member, period, "probability", event, model, se, persistence)
    origin_band = np.quantile(outcomes.origin_cohesion, LEVELS)
    origin_mean = float(outcomes.origin_cohesion.mean())
    for number, period in enumerate(forecast.periods):
        values = outcomes.cohesion[:, number]
        event = f"the alliance's cohesion (0-1) at the end of {period.end}"
        model, se = _share(values, draw, forecast.draws)
        add("cohesion", ALLIANCE, period, "mean", event, model, se, origin_mean)
        band = np.quantile(values, LEVELS)
        for statistic, level, value, carried in zip(
            QUANTILE_STATISTICS, LEVELS, band, origin_band, strict=True
        ):
            add(
                "cohesion",
                ALLIANCE,
                period,
                statistic,
                f"{event}: the {level:.0%} quantile",
                float(value),
                float("nan"),
                float(carried),
            )
    held_before = outcomes.origin_drill_held
    carried_share = float(held_before.mean()) if not np.isnan(held_before).all() else float("nan")
    for number, period in enumerate(forecast.periods):
        scheduled = int(forecast.scheduled[number])
        held = outcomes.drills_held[:, number]
        model, se = _share(held > 0, draw, forecast.draws)
        event = (
            f"at least one of the {scheduled} joint drill(s) scheduled between {period.start} "
            f"and {period.end} is held"
        )
        persistence = carried_share if scheduled else 0.0
        add("drills_held", ALLIANCE, period, "probability", event, model, se, persistence)
        model, se = _share(held, draw, forecast.draws)
        event = (
            f"the number of joint drills held between {period.start} and {period.end} "
            f"({scheduled} scheduled)"
        )
        add("drills_held", ALLIANCE, period, "mean", event, model, se, scheduled * carried_share)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def ensemble_table(forecast: Forecast) -> pd.DataFrame:
    """Every run's half-years (and its origin month, ``period`` 0), for scores that need the
    whole ensemble (the CRPS of cohesion, say): ``run``, ``draw``, ``replicate``, ``seed``,
    ``period`` (0 the origin month, then 1, 2, ...), ``period_start``, ``period_end``,
    ``cohesion``, ``drills_held`` and ``voice_<Member>``, ``exit_<Member>``."""
    outcomes = forecast.outcomes
    runs = forecast.runs
    count = len(forecast.periods)
    run = np.arange(runs, dtype=np.int64)
    # the origin row's drills_held: whether the last drill scheduled up to the origin month was
    # held (persistence's drill state; missing if none was scheduled by then)
    origin_drills = pd.array(
        [None if np.isnan(v) else int(v) for v in outcomes.origin_drill_held], dtype="Int64"
    )
    frames = []
    for number in range(count + 1):
        if number == 0:
            label_start = label_end = forecast.origin
            cohesion = outcomes.origin_cohesion
            held = origin_drills
            voice = outcomes.origin_voice
            exited = outcomes.origin_exited
        else:
            period = forecast.periods[number - 1]
            label_start, label_end = period.start, period.end
            cohesion = outcomes.cohesion[:, number - 1]
            held = pd.array(outcomes.drills_held[:, number - 1], dtype="Int64")
            voice = outcomes.voice[:, number - 1, :]
            exited = outcomes.exited[:, number - 1, :]
        table: dict[str, Any] = {
            "run": run,
            "draw": forecast.draw_of_run,
            "replicate": run % forecast.replicates,
            "seed": forecast.seeds,
            "period": np.full(runs, number, dtype=np.int64),
            "period_start": label_start,
            "period_end": label_end,
            "cohesion": cohesion,
            "drills_held": held,
        }
        for index, member in enumerate(MEMBERS):
            table[f"voice_{member}"] = voice[:, index]
        for index, member in enumerate(MEMBERS):
            table[f"exit_{member}"] = exited[:, index]
        frames.append(pd.DataFrame(table))
    return pd.concat(frames, ignore_index=True)


# --- the results folder ------------------------------------------------------------------------

#: What persistence means, recorded in every forecast's manifest.
PERSISTENCE: Final = (
    "nothing changes: each run's state at the end of the origin month (the month the first "
    "half-year starts in) is carried forward: a member that took a voice action in that month "
    "takes one in every half-year, and one that did not never does; a member exits in a "
    "half-year only if it had exited by the origin month's end; cohesion stays at its value at "
    "the origin month's end; every scheduled drill meets the fate of the last drill scheduled "
    "up to the origin month. Persistence's probabilities are shares of the same runs as the "
    "model's."
)


def forecast_folder(
    out: Path,
    scenario: str,
    seed: int,
    draws: int,
    replicates: int,
    steps: int | None = None,
    posterior: bool = True,
) -> Path:
    """``out/forecasts/<scenario>/seed<N>-d<D>-r<R>`` (``-t<T>`` when ``steps`` is given and
    differs from the default, ``-fixed`` without the posterior)."""
    name = f"seed{seed}-d{draws}-r{replicates}"
    if steps is not None:
        name += f"-t{steps}"
    if not posterior:
        name += "-fixed"
    return results_folder(out / "forecasts", scenario, name)


def forecast_record(forecast: Forecast) -> dict[str, Any]:
    """The manifest fields of a forecast folder."""
    return {
        "kind": "forecast",
        "forecast": {
            "draws": forecast.draws,
            "replicates": forecast.replicates,
            "runs": forecast.runs,
            "origin": forecast.origin,
            "periods": [
                {"start": p.start, "end": p.end, "first_step": p.first, "last_step": p.last}
                for p in forecast.periods
            ],
            "drills_scheduled": [int(count) for count in forecast.scheduled],
            "posterior": dict(forecast.posterior) if forecast.posterior is not None else None,
            "drawn": list(forecast.drawn),
            "kept": list(forecast.kept),
            "seeds": "run k has draw k // replicates and seed derive_seeds(master_seed, "
            "draws * replicates)[k]; draws are Posterior.draw(draws, master_seed)",
            "persistence": PERSISTENCE,
            "columns": list(COLUMNS),
        },
    }


def write_forecast(
    forecast: Forecast,
    folder: Path,
    *,
    command: Sequence[str],
    started: str,
    force: bool = False,
) -> Path:
    """Write a forecast's results folder atomically: ``forecast.csv``, ``ensemble.parquet`` and,
    last, ``manifest.json``."""

    def manifest(hashes: dict[str, str]) -> dict[str, Any]:
        record = provenance.manifest(
            scenario=forecast.scenario,
            command=command,
            seed=forecast.seed,
            seeds=[],
            steps=forecast.steps,
            times=provenance.Timestamps(started, provenance.now()),
            run_id=folder.name,
            files=hashes,
            extra=forecast_record(forecast),
        )
        # thousands of run seeds would swamp the manifest: they are derived, and listed in
        # ensemble.parquet
        record.pop("replicate_seeds", None)
        record["replicates"] = forecast.replicates
        return record

    files = {
        "forecast.csv": forecast_table(forecast),
        "ensemble.parquet": ensemble_table(forecast),
    }
    return write_folder(folder, files, force=force, manifest=manifest)


@dataclass(frozen=True)
class ForecastFolder:
    """A ``csto forecast`` results folder read back."""

    path: Path
    manifest: dict[str, Any]
    table: pd.DataFrame
    kind: str = "forecast"


def read_forecast(path: Path, manifest: dict[str, Any]) -> ForecastFolder:
    """A forecast folder: its tidy table (the ensemble is read only by those who need it)."""
    table = read_table(path / "forecast.csv", COLUMNS)
    if not isinstance(manifest.get("forecast"), dict):
        raise FolderError(path / "manifest.json", "forecast: missing (a forecast manifest)")
    unknown = sorted(set(table["quantity"]) - set(QUANTITIES))
    if unknown:
        raise FolderError(
            path / "forecast.csv",
            f"quantity: unknown {', '.join(map(str, unknown))} (expected {', '.join(QUANTITIES)})",
        )
    return ForecastFolder(path, manifest, table)
