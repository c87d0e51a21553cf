"""Sweep definitions: a base scenario, parameters to vary, a design, replicates, outcomes.

A sweep is one TOML file (``sweeps/*.toml``) or the same given on the command line
(``--param PATH=LOW:HIGH:N``, ``--design``, ``--replicates``). Both are read into a
:class:`SweepSpec`, validated up front: every problem is a :class:`SweepError` whose message is
one line naming the file (or the command-line option), the key and what was expected, and
nothing is run or written.

>>> spec = from_options("baseline-2022", ["russia.capacity.initial=0.2:0.8:4"], replicates=3)
>>> spec.points(), spec.runs()
(4, 12)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sim.results.outcomes import REGISTRY, SWEEP, UnknownOutcome, member_families, sweep_names
from sim.scenario import Scenario, ScenarioError, load, locate, schema, tomlfile
from sim.scenario.resolve import MAX_NAME_LENGTH, NUMERIC_RULES
from sim.scenario.tomlfile import TomlFile, did_you_mean

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior

#: The designs a sweep may use.
DESIGNS: Final = ("grid", "lhs", "sobol", "morris")
#: Keys a sweep file may hold at its top level.
TOP_KEYS: Final = (
    "name",
    "title",
    "scenario",
    "seed",
    "replicates",
    "steps",
    "outcomes",
    "chunk_size",
    "posterior",
    "design",
    "fixed",
    "parameters",
)
DESIGN_KEYS: Final = ("method", "samples", "second_order", "levels")
PARAMETER_KEYS: Final = ("low", "high", "levels")

#: Outcome columns a sweep can keep, one value per run, in the order they are written (the
#: registry's ``sweep`` group; all of them unless a sweep file chooses).
OUTCOME_COLUMNS: Final = sweep_names()
#: Names that stand for several outcome columns in a sweep file's ``outcomes`` list: a member
#: outcome's name without the member (``final_alignment``) stands for every member's.
OUTCOME_FAMILIES: Final = member_families(REGISTRY.group(SWEEP))

MAX_SEED: Final = 2**63 - 1
MAX_STEPS: Final = int(schema.TOP_FIELDS["horizon_months"].high)
MAX_REPLICATES: Final = 1_000_000
#: Largest design a sweep may hold in memory (points); a bigger one is refused up front.
MAX_POINTS: Final = 20_000_000
#: Largest sweep (runs).
MAX_RUNS: Final = 10_000_000_000
DEFAULT_SEED: Final = 1
#: Where named sweeps live (``csto sweep capacity`` reads ``sweeps/capacity.toml``).
SWEEP_DIR: Final = Path(__file__).resolve().parent.parent.parent / "sweeps"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class SweepError(ScenarioError):
    """A sweep that cannot be run, with a one-line explanation (file, key, what was expected)."""


@dataclass(frozen=True)
class Parameter:
    """One swept value: a dotted scenario path, its range and (for a grid) its levels."""

    path: str
    low: float
    high: float
    levels: int | None = None
    integer: bool = False
    """A whole-number value (e.g. ``mechanisms.voice_before_exit``): samples are rounded."""

    def record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "low": self.low, "high": self.high}
        entry["levels"] = self.levels
        entry["integer"] = self.integer
        return entry


@dataclass(frozen=True)
class Design:
    """How design points are chosen.

    ``samples`` is the number of points for ``lhs``, SALib's base sample ``N`` for ``sobol``
    (points = N x (2D + 2), or N x (D + 2) without second-order indices) and the number of
    trajectories for ``morris`` (points = N x (D + 1)); ``levels`` is Morris's grid levels.
    """

    method: str = "grid"
    samples: int | None = None
    second_order: bool = False
    levels: int = 4

    def settings(self) -> dict[str, Any]:
        """The design's settings as the manifest records them (SALib's names included)."""
        match self.method:
            case "lhs":
                return {"samples": self.samples}
            case "sobol":
                return {
                    "samples": self.samples,
                    "N": self.samples,
                    "second_order": self.second_order,
                    "calc_second_order": self.second_order,
                }
            case "morris":
                return {
                    "samples": self.samples,
                    "trajectories": self.samples,
                    "N": self.samples,
                    "levels": self.levels,
                    "num_levels": self.levels,
                }
        return {}


@dataclass(frozen=True)
class SweepSpec:
    """A resolved, validated sweep."""

    name: str
    scenario: Scenario
    parameters: tuple[Parameter, ...]
    design: Design = field(default_factory=Design)
    replicates: int = 1
    seed: int = DEFAULT_SEED
    steps: int | None = None
    outcomes: tuple[str, ...] = OUTCOME_COLUMNS
    chunk_size: int | None = None
    title: str = ""
    file: str | None = None
    file_sha256: str | None = None
    fixed: tuple[tuple[str, Any], ...] = ()
    """Values held fixed in every run (already applied to ``scenario``)."""
    posterior: bool = True
    """Draw the values the sweep does not vary from the scenario's calibrated posterior (if it
    has one, its own or inherited): replicate ``r`` runs under parameter set ``r`` at every
    design point. False: every run has the scenario's own values."""

    @cached_property
    def draws_from(self) -> Posterior | None:
        """The posterior the sweep draws from: the scenario's (or the one it inherits), unless
        ``posterior`` is false, the scenario has none, or every value it calibrates is swept or
        set by the scenario itself. A stale or corrupt posterior is a :class:`SweepError`."""
        if not self.posterior:
            return None
        from sim.calibrate.posterior import PosteriorError, posterior_for

        try:
            found = posterior_for(self.scenario)
        except PosteriorError as error:
            raise SweepError(
                self.file or "command line",
                "posterior",
                f"{error} (or run the scenario's own values: posterior = false in a sweep "
                "file, --no-posterior on the command line)",
            ) from None
        if found is None or not drawn_paths(found, self.paths):
            return None
        return found

    def drawn(self) -> tuple[str, ...]:
        """The values a run draws from the posterior (none without one)."""
        posterior = self.draws_from
        return () if posterior is None else drawn_paths(posterior, self.paths)

    @property
    def horizon(self) -> int:
        """Months each run simulates."""
        return self.steps if self.steps is not None else self.scenario.horizon

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(parameter.path for parameter in self.parameters)

    def points(self) -> int:
        """Number of design points."""
        count = len(self.parameters)
        match self.design.method:
            case "grid":
                return math.prod(parameter.levels or 1 for parameter in self.parameters)
            case "lhs":
                return int(self.design.samples or 0)
            case "sobol":
                per = 2 * count + 2 if self.design.second_order else count + 2
                return int(self.design.samples or 0) * per
            case "morris":
                return int(self.design.samples or 0) * (count + 1)
        raise AssertionError(self.design.method)  # pragma: no cover

    def runs(self) -> int:
        """Number of runs: design points x replicates."""
        return self.points() * self.replicates

    def problem(self) -> dict[str, Any]:
        """SALib's problem dict: names (the dotted paths) and bounds."""
        return {
            "num_vars": len(self.parameters),
            "names": list(self.paths),
            "bounds": [[p.low, p.high] for p in self.parameters],
        }

    def definition(self, chunk_size: int, timeseries: bool) -> dict[str, Any]:
        """Everything that fixes a sweep's results and the layout of its folder.

        Two invocations with equal definitions write identical folders; a results folder
        refuses to resume a sweep whose definition differs from its own. A sweep that draws
        from a posterior has a ``posterior`` entry (:func:`posterior_identity`); one that runs
        the scenario's own values has none, so its definition is what it was before sweeps
        could draw.
        """
        definition = {
            "scenario": {
                "name": self.scenario.name,
                "sha256": self.scenario.digest,
                "values_sha256": scenario_values_digest(self.scenario),
            },
            "fixed": {path: value for path, value in self.fixed},
            "parameters": [parameter.record() for parameter in self.parameters],
            "design": self.design.method,
            "settings": self.design.settings(),
            "replicates": self.replicates,
            "master_seed": self.seed,
            "steps": self.horizon,
            "outcomes": list(self.outcomes),
            "chunk_size": chunk_size,
            "timeseries": timeseries,
        }
        if self.draws_from is not None:
            definition["posterior"] = posterior_identity(self.draws_from)
        return definition


def drawn_paths(posterior: Posterior, swept: Sequence[str]) -> tuple[str, ...]:
    """The values of a posterior a sweep of ``swept`` draws: all it calibrates (structural
    variants included) but the swept ones and those the scenario sets itself."""
    skipped = {*posterior.kept, *swept}
    return tuple(path for path in (*posterior.values, *posterior.variants) if path not in skipped)


def posterior_identity(posterior: Posterior) -> dict[str, Any]:
    """What decides the parameter sets a sweep draws: the calibrated scenario and the digest of
    its files, the hash of the particles (a recalibration changes it) and the values the
    scenario keeps as it sets them."""
    hashes = posterior.manifest.get("file_hashes") or {}
    return {
        "scenario": posterior.scenario,
        "digest": posterior.digest,
        "particles_sha256": hashes.get("particles.parquet"),
        "kept": sorted(posterior.kept),
    }


def definition_digest(definition: Mapping[str, Any]) -> str:
    """SHA-256 of a definition's canonical JSON."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def scenario_values_digest(scenario: Scenario) -> str:
    """SHA-256 of a scenario's resolved values and events (what a run actually reads)."""
    digest = hashlib.sha256()
    for path in sorted(scenario.values):
        digest.update(f"{path}={scenario.values[path].value!r};".encode())
    for event in scenario.events:
        digest.update(repr(event).encode())
    return digest.hexdigest()


# --- reading a sweep file ------------------------------------------------------------------


def named_sweeps() -> dict[str, Path]:
    """Sweep files in ``sweeps/``: stem -> path."""
    if not SWEEP_DIR.is_dir():
        return {}
    return {path.stem: path for path in sorted(SWEEP_DIR.glob("*.toml"))}


def is_sweep_file(name_or_path: str) -> bool:
    """True if ``name_or_path`` names a sweep (in ``sweeps/``) or is a TOML file with a
    top-level ``scenario`` key; False for a scenario name or scenario file."""
    if name_or_path in named_sweeps():
        return True
    path = Path(name_or_path)
    try:
        if not path.is_file():
            return False
    except OSError:  # a name too long for a file, say
        return False
    try:
        data = tomlfile.read(path, "sweep").data
    except tomlfile.TomlFileError:  # read it as a sweep if it looks like one, to say why not
        try:
            with path.open("rb") as handle:
                head = handle.read(tomlfile.MAX_FILE_BYTES)
        except OSError:
            return path.parent.name == "sweeps"
        return path.parent.name == "sweeps" or bool(re.search(rb"(?m)^\s*scenario\s*=", head))
    return "scenario" in data and isinstance(data.get("scenario"), str)


def load_sweep(name_or_path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (by name from ``sweeps/`` or by path)."""
    text = str(name_or_path)
    path = named_sweeps().get(text, Path(text))
    try:
        file = tomlfile.read(path, "sweep")
    except tomlfile.TomlFileError as error:
        if error.reason == "missing":
            hint = did_you_mean(text, named_sweeps())
            raise SweepError(
                text, "", f"no such sweep file (expected a name from sweeps/ or a .toml path){hint}"
            ) from None
        raise SweepError(path, "", error.expected, error.line) from None
    return _from_file(file)


def _from_file(file: TomlFile) -> SweepSpec:
    path, data = file.path, file.data
    where = str(path)
    line = file.lines.line

    for key in data:
        if key not in TOP_KEYS:
            raise SweepError(where, key, _unknown(key, TOP_KEYS, "key"), line(key))
    if "scenario" not in data:
        raise SweepError(where, "scenario", "missing (expected a scenario name or path)")
    scenario = _scenario(where, data["scenario"], path, line("scenario"))
    fixed = _fixed(where, data.get("fixed", {}), line("fixed"))
    scenario = apply_fixed(where, scenario, fixed)
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SweepError(
            where, "name", "expected a name of letters, digits, '.', '_' or '-'", line("name")
        )
    if len(name) > MAX_NAME_LENGTH:
        raise SweepError(
            where,
            "name",
            f"expected a name of at most {MAX_NAME_LENGTH} characters, got {len(name)}",
            line("name"),
        )
    title = data.get("title", "")
    if not isinstance(title, str):
        raise SweepError(where, "title", "expected a string", line("title"))
    design = _design(where, data.get("design", "grid"), line("design"))
    parameters_table = data.get("parameters")
    if not isinstance(parameters_table, Mapping) or not parameters_table:
        raise SweepError(
            where,
            "parameters",
            "missing (expected a [parameters] table, e.g. "
            '"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 7 })',
            line("parameters"),
        )
    parameters = []
    for parameter_path, item in _flatten_parameters(parameters_table):
        parameters.append(
            _parameter(where, scenario, parameter_path, item, line(f"parameters.{parameter_path}"))
        )
    spec = SweepSpec(
        name=name,
        title=title,
        scenario=scenario,
        parameters=tuple(parameters),
        design=design,
        replicates=_whole(where, "replicates", data.get("replicates", 1), 1, MAX_REPLICATES),
        seed=_whole(where, "seed", data.get("seed", DEFAULT_SEED), 0, MAX_SEED),
        steps=(
            None
            if data.get("steps") is None
            else _whole(where, "steps", data["steps"], 1, MAX_STEPS)
        ),
        outcomes=_outcomes(where, data.get("outcomes"), line("outcomes")),
        chunk_size=(
            None
            if data.get("chunk_size") is None
            else _whole(where, "chunk_size", data["chunk_size"], 1, 1_000_000)
        ),
        file=str(path),
        file_sha256=hashlib.sha256(file.raw).hexdigest(),
        fixed=fixed,
        posterior=_posterior_choice(where, data.get("posterior", True), line("posterior")),
    )
    return check(spec, where)


def _posterior_choice(where: str, value: Any, line: int | None) -> bool:
    if not isinstance(value, bool):
        raise SweepError(
            where,
            "posterior",
            "expected true (draw the values not swept from the scenario's calibrated "
            f"posterior) or false (the scenario's own values), got {value!r}",
            line,
        )
    return value


def _fixed(where: str, table: Any, line: int | None) -> tuple[tuple[str, Any], ...]:
    if not isinstance(table, Mapping):
        raise SweepError(where, "fixed", "expected a [fixed] table of scenario values", line)
    found: list[tuple[str, Any]] = []
    for path, item in _flatten_parameters(table):
        if schema.leaf(path) is None or path in schema.TOP_FIELDS:
            hint = did_you_mean(path, schema.all_leaves())
            raise SweepError(
                where, f"fixed.{path}", f"unknown scenario value (expected a dotted path){hint}"
            )
        if any(path == seen for seen, _ in found):  # '"a.b" = 1' and 'a.b = 2' alike
            raise SweepError(where, f"fixed.{path}", "set twice (expected each value once)", line)
        found.append((path, list(item) if isinstance(item, list) else item))
    return tuple(found)


def apply_fixed(where: str, scenario: Scenario, fixed: Sequence[tuple[str, Any]]) -> Scenario:
    """The scenario with a sweep's fixed values (validated like a child scenario's)."""
    if not fixed:
        return scenario
    from sim.scenario.inputs import build_inputs, build_plan

    try:
        changed = scenario.with_values(dict(fixed), origin=f"{where} [fixed]")
    except ScenarioError as error:
        raise SweepError(where, f"fixed.{error.key}", error.expected) from None
    try:
        build_plan(changed, 1)
        build_inputs(changed, 1)
    except (KeyError, ValueError, TypeError) as error:
        raise SweepError(
            where, "fixed", f"the scenario cannot run with these values (missing {error})"
        ) from None
    return changed


def _flatten_parameters(table: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``[parameters]`` entries as (dotted path, value): quoted keys (``"a.b" = {...}``) and
    TOML dotted keys (``a.b = {...}``, which TOML reads as nested tables) both work."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, item: Any) -> None:
        is_leaf = schema.leaf(prefix) is not None
        if is_leaf or not isinstance(item, Mapping) or not item or _looks_like_range(item):
            found.append((prefix, item))
            return
        for key, value in item.items():
            walk(f"{prefix}.{key}" if prefix else key, value)

    for key, value in table.items():
        walk(key, value)
    return found


def _looks_like_range(item: Mapping[str, Any]) -> bool:
    return bool(item) and all(key in PARAMETER_KEYS for key in item)


def _scenario(where: str, value: Any, sweep_path: Path, line: int | None) -> Scenario:
    if not isinstance(value, str) or not value:
        raise SweepError(where, "scenario", "expected a scenario name or path (a string)", line)
    try:
        located = locate(value, relative_to=sweep_path)
    except ScenarioError as error:
        raise SweepError(where, "scenario", error.expected, line) from None
    if not located.exists():
        raise SweepError(
            where, "scenario", f"scenario '{value}' not found (expected a name or a path)", line
        )
    return load(located)


def _design(where: str, value: Any, line: int | None) -> Design:
    if isinstance(value, str):
        value = {"method": value}
    if not isinstance(value, Mapping):
        raise SweepError(
            where, "design", f"expected one of {', '.join(DESIGNS)} or a [design] table", line
        )
    for key in value:
        if key not in DESIGN_KEYS:
            raise SweepError(where, f"design.{key}", _unknown(key, DESIGN_KEYS, "key"), line)
    method = value.get("method", "grid")
    samples = value.get("samples")
    second = value.get("second_order", False)
    levels = value.get("levels", 4)
    if not isinstance(second, bool):
        raise SweepError(where, "design.second_order", "expected true or false", line)
    design = Design(
        method=_design_name(where, "design.method", method, line),
        samples=None if samples is None else _whole(where, "design.samples", samples, 1, None),
        second_order=second,
        levels=_whole(where, "design.levels", levels, 2, 100),
    )
    return design


def _design_name(where: str, key: str, value: Any, line: int | None = None) -> str:
    if not isinstance(value, str) or value not in DESIGNS:
        hint = did_you_mean(str(value), DESIGNS)
        raise SweepError(
            where,
            key,
            f"unknown design {value!r} (expected one of {', '.join(DESIGNS)}){hint}",
            line,
        )
    return value


def _parameter(where: str, scenario: Scenario, path: str, item: Any, line: int | None) -> Parameter:
    spec = check_path(where, path, scenario, line)
    if not isinstance(item, Mapping):
        raise SweepError(
            where,
            f"parameters.{path}",
            "expected a table { low = ..., high = ..., levels = ... } "
            "(low and high default to the scenario's range)",
            line,
        )
    for key in item:
        if key not in PARAMETER_KEYS:
            raise SweepError(
                where, f"parameters.{path}.{key}", _unknown(key, PARAMETER_KEYS, "key"), line
            )
    low, high = _bounds(where, scenario, path, item.get("low"), item.get("high"), spec, line)
    levels = item.get("levels")
    if levels is not None:
        levels = _whole(where, f"parameters.{path}.levels", levels, 1, 1_000_000)
    return Parameter(path, low, high, levels, spec.kind == "int")


def check_path(where: str, path: str, scenario: Scenario, line: int | None = None) -> schema.Field:
    """The schema field of a swept path, or a SweepError saying why it cannot be swept."""
    sweepable = schema.sweepable_paths()
    spec = schema.leaf(path)
    if spec is None:
        hint = did_you_mean(path, sweepable)
        raise SweepError(
            where,
            path,
            "unknown scenario value (expected a dotted path such as russia.capacity.initial "
            f"or members.Kazakhstan.energy_transit){hint}",
            line,
        )
    if not spec.sweepable:
        raise SweepError(
            where,
            path,
            f"not a value a sweep can vary (it is {spec.expected()}; expected a numeric "
            "scenario value such as russia.capacity.initial)",
            line,
        )
    _check_has_effect(where, path, scenario, line)
    return spec


def _check_has_effect(where: str, path: str, scenario: Scenario, line: int | None) -> None:
    """Refuse capacity values that the base scenario's capacity shape does not use."""
    if not path.startswith("russia.capacity."):
        return
    key = path.rsplit(".", 1)[1]
    shape = scenario["russia.capacity.shape"]
    unused = {
        "constant": ("drain_per_month",),
        "explicit": ("initial", "drain_per_month", "shock_size", "recovery_per_month"),
    }.get(shape, ())
    if key in unused:
        raise SweepError(
            where,
            path,
            f"has no effect: the scenario's capacity shape is '{shape}' "
            "(expected a value its capacity path uses)",
            line,
        )
    needs = {"shock_size": "shock_at", "recovery_per_month": "recovery_at"}
    if key in needs and f"russia.capacity.{needs[key]}" not in scenario.values:
        raise SweepError(
            where,
            path,
            f"has no effect: the scenario sets no russia.capacity.{needs[key]} "
            "(expected a value its capacity path uses)",
            line,
        )


def _bounds(
    where: str,
    scenario: Scenario,
    path: str,
    low: Any,
    high: Any,
    spec: schema.Field,
    line: int | None,
) -> tuple[float, float]:
    key = f"parameters.{path}"
    if (low is None) != (high is None):
        raise SweepError(where, key, "expected both low and high, or neither", line)
    if low is None:
        value = scenario.values.get(path)
        if value is None or not value.has_range:
            raise SweepError(
                where,
                key,
                "no range in the scenario to default to (expected low and high)",
                line,
            )
        assert value.low is not None and value.high is not None
        low, high = value.low, value.high
    for name, number in (("low", low), ("high", high)):
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) >= 10**15:
            # float() and math.isnan() would overflow
            raise SweepError(
                where,
                f"{key}.{name}",
                f"expected {spec.expected()}, got a very large integer",
                line,
            )
        if isinstance(number, bool) or not isinstance(number, int | float) or math.isnan(number):
            raise SweepError(where, f"{key}.{name}", f"expected a number, got {number!r}", line)
        if spec.kind == "int" and not float(number).is_integer():
            raise SweepError(
                where, f"{key}.{name}", f"expected a whole number, got {number:g}", line
            )
    low_f, high_f = float(low), float(high)
    if low_f > high_f:
        raise SweepError(where, key, f"expected low <= high, got {low_f:g} > {high_f:g}", line)
    if not (spec.admits(low_f) and spec.admits(high_f)):
        raise SweepError(
            where,
            key,
            f"range [{low_f:g}, {high_f:g}] outside the allowed [{spec.low:g}, {spec.high:g}] "
            f"(expected {spec.expected()})",
            line,
        )
    return low_f, high_f


def _outcomes(where: str, value: Any, line: int | None) -> tuple[str, ...]:
    if value is None:
        return OUTCOME_COLUMNS
    if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
        raise SweepError(where, "outcomes", "expected a list of outcome names", line)
    chosen: set[str] = set()
    for name in value:
        if name in OUTCOME_FAMILIES:
            chosen.update(OUTCOME_FAMILIES[name])
            continue
        try:
            chosen.add(REGISTRY.get(name, SWEEP).name)
        except UnknownOutcome as error:
            raise SweepError(where, "outcomes", str(error), line) from None
    return tuple(column for column in OUTCOME_COLUMNS if column in chosen)


def _whole(where: str, key: str, value: Any, low: int, high: int | None) -> int:
    expected = f"a whole number >= {low}" if high is None else f"a whole number in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SweepError(where, key, f"expected {expected}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise SweepError(where, key, f"expected {expected}, got {value}")
    return value


def _unknown(key: str, options: Sequence[str], kind: str) -> str:
    hint = did_you_mean(key, options)
    return f"unknown {kind} '{key}' (expected one of {', '.join(options)}){hint}"


# --- the command line ------------------------------------------------------------------------


def parse_param(text: str, scenario: Scenario) -> Parameter:
    """``PATH=LOW:HIGH[:N]`` (or ``PATH`` / ``PATH=::N`` for the scenario's range)."""
    where = "--param"
    path, _, spec_text = text.partition("=")
    path = path.strip()
    if not path:
        raise SweepError(
            where, text, "expected PATH=LOW:HIGH:N, e.g. russia.capacity.initial=0.2:0.8:7"
        )
    field_spec = check_path(where, path, scenario)
    parts = spec_text.split(":") if spec_text else ["", ""]
    if len(parts) not in (2, 3):
        raise SweepError(where, path, f"expected PATH=LOW:HIGH or PATH=LOW:HIGH:N, got '{text}'")
    low_text, high_text = parts[0].strip(), parts[1].strip()
    levels_text = parts[2].strip() if len(parts) == 3 else ""

    def number(label: str, item: str) -> float:
        try:
            if not item.isascii():  # float() reads digits of every script: "٠.٢" is 0.2
                raise ValueError(item)
            value = float(item)
        except ValueError:
            raise SweepError(where, path, f"{label}: expected a number, got '{item}'") from None
        return value

    low = None if low_text == "" else number("LOW", low_text)
    high = None if high_text == "" else number("HIGH", high_text)
    item: dict[str, Any] = {}
    if low is not None:
        item["low"] = int(low) if field_spec.kind == "int" and low.is_integer() else low
    if high is not None:
        item["high"] = int(high) if field_spec.kind == "int" and high.is_integer() else high
    if levels_text:
        try:
            if not levels_text.isascii():  # int() reads digits of every script: "٣" is 3
                raise ValueError(levels_text)
            item["levels"] = int(levels_text)
        except ValueError:
            raise SweepError(
                where, path, f"N: expected a whole number of levels, got '{levels_text}'"
            ) from None
    return _parameter(where, scenario, path, item, None)


def from_options(
    scenario: str | Scenario,
    params: Sequence[str],
    *,
    design: str | None = None,
    samples: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    steps: int | None = None,
    name: str | None = None,
    posterior: bool = True,
) -> SweepSpec:
    """A sweep given entirely on the command line: a base scenario and ``--param`` options
    (``posterior=False``: ``--no-posterior``)."""
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    if not params:
        raise SweepError(
            "--param", "", "missing: give at least one --param PATH=LOW:HIGH:N (or a sweep file)"
        )
    method = _design_name("--design", "", design or "grid")
    spec = SweepSpec(
        name=name or f"{resolved.name}-{method}",
        scenario=resolved,
        parameters=tuple(parse_param(text, resolved) for text in params),
        design=Design(method=method, samples=samples),
        replicates=1 if replicates is None else replicates,
        seed=DEFAULT_SEED if seed is None else seed,
        steps=steps,
        posterior=posterior,
    )
    return check(spec, "command line")


def with_options(
    spec: SweepSpec,
    params: Sequence[str] = (),
    *,
    design: str | None = None,
    samples: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    steps: int | None = None,
    posterior: bool | None = None,
) -> SweepSpec:
    """A sweep file's definition with command-line options applied: ``--param`` replaces the
    file's entry for the same path or adds one; the others replace the file's setting."""
    parameters = list(spec.parameters)
    for text in params:
        parameter = parse_param(text, spec.scenario)
        for index, old in enumerate(parameters):
            if old.path == parameter.path:
                parameters[index] = parameter
                break
        else:
            parameters.append(parameter)
    chosen = spec.design
    if design is not None:
        chosen = replace(chosen, method=_design_name("--design", "", design))
    if samples is not None:
        chosen = replace(chosen, samples=samples)
    updated = replace(
        spec,
        parameters=tuple(parameters),
        design=chosen,
        replicates=spec.replicates if replicates is None else replicates,
        seed=spec.seed if seed is None else seed,
        steps=spec.steps if steps is None else steps,
        posterior=spec.posterior if posterior is None else posterior,
    )
    return check(updated, spec.file or "command line")


def check(spec: SweepSpec, where: str) -> SweepSpec:
    """Cross-checks of a whole sweep: design versus parameters, sizes."""
    design = spec.design
    where = spec.file or where
    _whole(where, "replicates", spec.replicates, 1, MAX_REPLICATES)
    _whole(where, "seed", spec.seed, 0, MAX_SEED)
    if spec.steps is not None:
        _whole(where, "steps", spec.steps, 1, MAX_STEPS)
    if not spec.parameters:
        raise SweepError(where, "parameters", "missing (expected at least one parameter)")
    seen: set[str] = set()
    fixed = dict(spec.fixed)
    for parameter in spec.parameters:
        if parameter.path in fixed:
            raise SweepError(
                where, parameter.path, "both fixed and swept (expected one or the other)"
            )
        if parameter.path in seen:
            raise SweepError(where, parameter.path, "swept twice (expected each path once)")
        seen.add(parameter.path)
    if design.method == "grid":
        for parameter in spec.parameters:
            _check_grid_levels(where, parameter)
    else:
        if design.samples is None:
            what = {"lhs": "points", "sobol": "base sample N", "morris": "trajectories"}
            raise SweepError(
                where,
                "design.samples",
                f"missing: the {design.method} design needs samples "
                f"(the number of {what[design.method]}; --samples on the command line)",
            )
        if design.method == "sobol" and design.samples & (design.samples - 1):
            raise SweepError(
                where,
                "design.samples",
                f"expected a power of 2 for a Sobol design (e.g. 256, 1024), got {design.samples}",
            )
        if design.method == "morris" and design.levels % 2:
            raise SweepError(
                where, "design.levels", f"expected an even number of levels, got {design.levels}"
            )
        if design.method in ("sobol", "morris"):
            for parameter in spec.parameters:
                if parameter.low >= parameter.high:
                    raise SweepError(
                        where,
                        parameter.path,
                        f"expected low < high for a {design.method} design "
                        f"(got [{parameter.low:g}, {parameter.high:g}])",
                    )
                if design.method == "morris" and parameter.integer:
                    span = parameter.high - parameter.low
                    if span % (design.levels - 1):
                        raise SweepError(
                            where,
                            parameter.path,
                            f"a whole-number value needs high - low divisible by levels - 1 = "
                            f"{design.levels - 1} in a Morris design (got {span:g})",
                        )
    if spec.points() > MAX_POINTS:
        raise SweepError(
            where,
            "design",
            f"{spec.points():,} design points is too many (expected at most {MAX_POINTS:,}; "
            "use fewer levels or a sampling design)",
        )
    if spec.runs() > MAX_RUNS:
        raise SweepError(where, "replicates", f"{spec.runs():,} runs is too many")
    return spec


def check_points(
    spec: SweepSpec,
    matrix: Any,
    sets: Mapping[str, Any] | None = None,
    replicates: Any = None,
) -> None:
    """Every design point against the scenario's own cross-field rules (floor <= ceiling, ...),
    before any run: a SweepError names the swept value, the point and the values it breaks.

    ``matrix`` is the design (one row per point, one column per swept path, as
    :func:`sim.sweep.design.points` makes it); the rules are evaluated on whole columns.
    ``sets`` are the parameter sets drawn from a posterior (each drawn path to one value per
    set) and ``replicates`` the first replicate that runs each set: every design point runs
    under every set, so a rule between a swept and a drawn value is checked on every pair.
    """
    import numpy as np

    where = spec.file or "command line"
    columns = {path: matrix[:, index] for index, path in enumerate(spec.paths)}
    drawn = {} if sets is None else {p: v for p, v in sets.items() if p not in columns}
    for rule in NUMERIC_RULES:
        swept = [path for path in rule.inputs if path in columns]
        if not swept:
            continue
        if any(path in drawn for path in rule.inputs):
            _check_pairs(spec, where, rule, columns, drawn, replicates)
            continue
        inputs = [columns.get(path, spec.scenario[path]) for path in rule.inputs]
        holds = np.broadcast_to(rule.holds(*inputs), (len(matrix),))
        if holds.all():
            continue
        row = int(np.argmin(holds))
        named = rule.path if rule.path in swept else swept[0]
        ordered = [named, *(path for path in rule.inputs if path != named)]
        values = ", ".join(
            f"{path} = {float(columns[path][row] if path in columns else spec.scenario[path]):g}"
            for path in ordered
        )
        raise SweepError(
            where,
            named,
            f"design point {row} has {values}: {rule.expected}",
        )


#: Most (design point, parameter set) pairs a rule is evaluated on at once.
_PAIRS_AT_ONCE: Final = 1_000_000


def _check_pairs(
    spec: SweepSpec,
    where: str,
    rule: Any,
    columns: Mapping[str, Any],
    drawn: Mapping[str, Any],
    replicates: Any,
) -> None:
    """A rule between swept and drawn values on every (design point, parameter set) pair: on
    the distinct combinations of its swept values (in point order) against the sets, a block
    at a time."""
    import numpy as np

    swept = [path for path in rule.inputs if path in columns]
    table = np.column_stack([np.asarray(columns[path], dtype=np.float64) for path in swept])
    _, first = np.unique(table, axis=0, return_index=True)
    first = np.sort(first)  # each distinct combination at its first design point
    count = len(np.asarray(next(iter(drawn.values()))))
    block = max(1, _PAIRS_AT_ONCE // max(count, 1))
    for start in range(0, len(first), block):
        rows = first[start : start + block]
        inputs = []
        for path in rule.inputs:
            if path in columns:
                inputs.append(np.asarray(columns[path])[rows][:, None])
            elif path in drawn:
                inputs.append(np.asarray(drawn[path], dtype=np.float64)[None, :])
            else:
                inputs.append(spec.scenario[path])
        holds = np.broadcast_to(rule.holds(*inputs), (len(rows), count))
        if holds.all():
            continue
        at, which = np.unravel_index(int(np.argmin(holds)), holds.shape)
        row = int(rows[at])
        replicate = int(which if replicates is None else replicates[which])
        named = rule.path if rule.path in swept else swept[0]
        ordered = [named, *(path for path in rule.inputs if path != named)]
        values = []
        for path in ordered:
            if path in columns:
                values.append(f"{path} = {float(columns[path][row]):g}")
            elif path in drawn:
                values.append(
                    f"{path} = {float(drawn[path][which]):g} (drawn from the posterior for "
                    f"replicate {replicate})"
                )
            else:
                values.append(f"{path} = {float(spec.scenario[path]):g}")
        raise SweepError(
            where,
            named,
            f"design point {row} has {', '.join(values)}: {rule.expected} (narrow the swept "
            "range, hold the drawn value in [fixed], or set posterior = false / --no-posterior)",
        )


def _check_grid_levels(where: str, parameter: Parameter) -> None:
    key = f"parameters.{parameter.path}.levels"
    if parameter.levels is None:
        raise SweepError(
            where, key, "missing: a grid design needs levels for each parameter (PATH=LOW:HIGH:N)"
        )
    if parameter.levels == 1 and parameter.low != parameter.high:
        raise SweepError(where, key, "levels = 1 needs low = high (expected 2 or more levels)")
    if parameter.integer:
        span = int(parameter.high - parameter.low) + 1
        if parameter.levels > span:
            raise SweepError(
                where,
                key,
                f"a whole-number value in [{parameter.low:g}, {parameter.high:g}] has at most "
                f"{span} levels, got {parameter.levels}",
            )
