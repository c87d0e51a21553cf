"""``csto calibrate``: a posterior over a scenario's uncertain values and structural variants.

History matching rules out what the article's October 2022 picture excludes, then approximate
Bayesian computation gives a posterior (``sim.calibrate``, ``docs/calibration.md``). The
posterior is written beside the scenario (``scenarios/<name>.posterior/``); every finished batch
is kept in a work folder, so rerunning the same command after an interruption goes on where it
stopped and ends as an uninterrupted run would.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.errors import INTERRUPTED, fail, user_errors
from sim.cli.options import ScenarioArgument, SeedOption


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` to the app."""
    app.command("calibrate")(calibrate_command)


def calibrate_command(
    scenario: ScenarioArgument,
    budget: Annotated[
        int,
        typer.Option(
            "--budget",
            min=1,
            help="Runs (candidates x replicates) the calibration may spend in all.",
        ),
    ] = 3_000_000,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=256, help="Worker processes.")
    ] = 1,
    seed: SeedOption = 0,
    particles: Annotated[
        int, typer.Option("--particles", min=10, max=1_000_000, help="Particles in the posterior.")
    ] = 1000,
    replicates: Annotated[
        int,
        typer.Option("--replicates", min=2, max=1000, help="Seeds each candidate runs under."),
    ] = 8,
    targets: Annotated[
        Path | None,
        typer.Option(
            "--targets",
            help="Targets file (default: calibration/<scenario>-targets.toml).",
            show_default=False,
        ),
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option(
            "--work",
            help="Work folder of finished batches (default: results/calibrations/<name>-seed<N>).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Posterior folder (default: scenarios/<name>.posterior beside the scenario).",
            show_default=False,
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Calibrate only the values matching this pattern (repeatable; e.g. "
            "'mechanisms.weight_*'); the others keep the scenario's values.",
            show_default=False,
        ),
    ] = None,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Then validate: leave-one-target-out predictions, the article's patterns "
            "under the posterior, and the mutants calibrated alike (a few minutes more).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Calibrate a scenario: a posterior over its uncertain values and variants.

    Every value the scenario gives a range is uncertain, with a uniform prior over its range;
    the structural variants get a uniform prior over their combinations. Candidates from the
    prior that the targets rule out (history matching) are dropped; those within the targets'
    uncertainty are the posterior (ABC; SMC generations if rejection is too slow). Prints the
    diagnostics and writes the posterior beside the scenario.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.calibrate.run import run_calibration
    from sim.calibrate.smc import Settings

    console = Console(stderr=True, quiet=quiet)
    settings = Settings(particles=particles, replicates=replicates, budget=budget, seed=seed)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} particles"),
        TextColumn("{task.fields[runs]:,} runs"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("calibrating", total=particles, runs=0)

        def progress(stage: int, found: int, needed: int, runs: int) -> None:
            name = "history matching" if stage == 0 else f"generation {stage}"
            bar.update(task, description=name, completed=found, total=needed, runs=runs)

        try:
            with user_errors():
                result = run_calibration(
                    scenario,
                    settings,
                    workers=workers,
                    targets=targets,
                    work=work,
                    out=out,
                    progress=progress,
                    command=["csto", *sys.argv[1:]],
                    only=only,
                )
        except KeyboardInterrupt:
            fail(
                "interrupted: finished batches are kept; rerun the same command to resume",
                INTERRUPTED,
            )
    print_summary(result)
    if validate:
        with user_errors():
            print_validation(result, settings, work)


def print_validation(result: object, settings: object, work: Path | None) -> None:
    """Leave-one-target-out, patterns under the posterior and the mutation table; written to
    ``validation.json`` in the posterior folder too."""
    import json
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from sim.calibrate.evaluate import Problem
    from sim.calibrate.posterior import read_posterior
    from sim.calibrate.run import Calibration, work_folder_for
    from sim.calibrate.smc import Settings
    from sim.calibrate.validate import leave_one_out, mutation_table, patterns_under

    assert isinstance(result, Calibration) and isinstance(settings, Settings)
    console = Console()
    problem = Problem(result.scenario, result.space, result.targets, (), result.scenario.horizon)
    folder = work if work is not None else work_folder_for(result.scenario, settings.seed)
    loo = leave_one_out(problem, settings, folder)
    table = Table(title="Leave one target out: each predicted by the posterior of the others")
    for column in ("target", "value", "predicted", "5-95%", "z", ""):
        table.add_column(column, justify="left" if column == "target" else "right")
    for row in loo:
        if "predicted" not in row:
            table.add_row(row["target"], "", "", "", "", f"{row['verdict']} ({row['accepted']})")
            continue
        table.add_row(
            row["target"],
            f"{row['value']:.2f}",
            f"{row['predicted']:.2f}",
            f"{row['low']:.2f}-{row['high']:.2f}",
            f"{row['z']:+.1f}",
            row["verdict"],
        )
    console.print(table)
    seeds = list(range(100))
    patterns = patterns_under(result.scenario, read_posterior(result.folder), seeds)
    table = Table(title="The article's patterns, every run drawing its values from the posterior")
    for column in ("pattern", "kind", "result", "what failed"):
        table.add_column(column)
    for pattern in patterns:
        table.add_row(
            pattern.name,
            pattern.kind,
            "holds" if pattern.passed else "FAILS",
            "; ".join(pattern.failures()),
        )
    console.print(table)
    small = Settings(particles=200, replicates=4, budget=400_000, batch=500, seed=settings.seed)
    with tempfile.TemporaryDirectory() as scratch:
        model, verdicts = mutation_table(result.scenario.name, small, Path(scratch), seeds)
    table = Table(title="Mutants, each calibrated like the model and held to what it passes")
    for column in ("mutant", "breaks", "verdict", "why"):
        table.add_column(column)
    for verdict in verdicts:
        table.add_row(
            verdict.name,
            verdict.breaks,
            "rejected" if verdict.rejected else "not rejected",
            verdict.why,
        )
    console.print(table)
    rejected = sum(verdict.rejected for verdict in verdicts)
    console.print(
        f"{rejected} of {len(verdicts)} mutants rejected (the explanation check, which restates "
        "inputs, not counted)."
    )
    record = {
        "leave_one_out": loo,
        "patterns": [
            {
                "name": p.name,
                "kind": p.kind,
                "passed": p.passed,
                "checks": [c.__dict__ for c in p.checks],
            }
            for p in patterns
        ],
        "model_acceptance": model.acceptance,
        "mutants": [
            {
                "name": v.name,
                "breaks": v.breaks,
                "rejected": v.rejected,
                "why": v.why,
                "evidence_ratio": v.evidence_ratio,
                "explanation_failures": v.failed_explanations,
            }
            for v in verdicts
        ],
        "rejected": rejected,
    }
    (result.folder / "validation.json").write_text(
        json.dumps(record, indent=1, default=float) + "\n", encoding="utf-8"
    )


def print_summary(result: object) -> None:
    """What a calibration found: method, cost, what the targets rule out, the variants, the
    values the targets move most, and the posterior predictive check."""
    from rich.console import Console
    from rich.table import Table

    from sim.calibrate.run import Calibration, predictive_summary

    assert isinstance(result, Calibration)
    outcome = result.outcome
    console = Console()
    resumed = " (resumed)" if result.resumed else ""
    console.print(
        f"{result.scenario.name}: {outcome.population.size} particles by "
        f"{'rejection' if outcome.method == 'rejection' else 'ABC-SMC'} after "
        f"{outcome.runs:,} runs in {result.seconds:.0f} s{resumed}; "
        f"history matching ruled out {outcome.ruled_out:.0%} of the prior; "
        f"effective sample size {outcome.population.ess:.0f}."
    )
    variants = Table(title="Structural variants: posterior probability (prior 0.25 each)")
    variants.add_column("variants")
    variants.add_column("probability", justify="right")
    for label, probability in sorted(
        result.variant_probabilities.items(), key=lambda item: -item[1]
    ):
        variants.add_row(label, f"{probability:.2f}")
    console.print(variants)
    checks = Table(title="Posterior predictive check (statistic over the posterior, 5-95%)")
    for column in ("target", "value", "posterior", "5-95%", ""):
        checks.add_column(column, justify="left" if column == "target" else "right")
    for row in predictive_summary(
        result.targets, outcome.population.mean, outcome.population.weights
    ):
        inside = row["low"] - row["sd"] <= row["value"] <= row["high"] + row["sd"]
        checks.add_row(
            row["target"],
            f"{row['value']:.2f}",
            f"{row['posterior_mean']:.2f}",
            f"{row['low']:.2f}-{row['high']:.2f}",
            "ok" if inside else "MISSED",
        )
    console.print(checks)
    console.print(f"Posterior: {result.folder}")
