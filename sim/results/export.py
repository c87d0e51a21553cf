"""``csto export``: any results folder's tables for a spreadsheet, and its figures as SVG.

:func:`folder_tables` reads a folder of any kind (:func:`sim.results.folder.read`) and names its
tables — a run's or comparison's time series, events and summary (and a comparison's
differences and drivers), a threshold's curve and evaluations, a sweep's design and runs (every
shard in one table) — and the manifest as a two-column table of settings. :func:`export`
writes them as CSV files (one per table, numbers to :data:`SIGNIFICANT` significant digits) or
as one Excel workbook (one sheet per table), and the report's figures as SVG, into a new folder
written atomically (:func:`sim.results.folder.write_folder`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sim.results.drivers import DRIVERS_FILE
from sim.results.folder import FolderError, check_writable, read, write_folder

#: The formats ``csto export`` writes.
FORMATS: Final = ("csv", "xlsx")

#: Significant digits of the numbers in exported CSV files (enough for any value of the
#: model, without binary noise such as 0.43999999999999995).
SIGNIFICANT: Final = 6

#: Most rows an Excel worksheet holds, its header row aside.
XLSX_ROWS: Final = 1_048_575


class ExportError(Exception):
    """A folder that cannot be exported as asked, with a one-line explanation."""


def folder_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """A results folder's tables by name, in the order a reader wants them, and ``manifest``
    (the settings as ``key``/``value`` rows, nested values as JSON)."""
    from sim.results.forecast import ForecastFolder
    from sim.results.sensitivity import SensitivityFolder
    from sim.results.sweep import SweepFolder
    from sim.results.threshold import ThresholdFolder

    path = Path(folder)
    data = read(path)
    tables: dict[str, pd.DataFrame]
    if isinstance(data, SweepFolder):
        tables = {"design": data.design, "runs": data.runs}
    elif isinstance(data, ThresholdFolder):
        tables = {"curve": data.curve, "evaluations": data.evaluations}
    elif isinstance(data, ForecastFolder):
        tables = {"forecast": data.table}
    elif isinstance(data, SensitivityFolder):
        tables = {
            "indices": data.indices,
            "outcomes": data.outcomes,
            "correlations": data.correlations,
        }
    else:
        tables = {"summary": data.summary, "events": data.events, "timeseries": data.timeseries}
        differences = path / "differences.csv"
        if data.kind == "compare" and differences.is_file():
            tables["differences"] = pd.read_csv(differences)
        if data.kind == "compare" and (path / DRIVERS_FILE).is_file():
            tables["drivers"] = pd.read_csv(path / DRIVERS_FILE)
    tables["manifest"] = manifest_table(data.manifest)
    return tables


def manifest_table(manifest: dict[str, Any]) -> pd.DataFrame:
    """The manifest as rows of ``key`` and ``value``: nested objects flattened to dotted keys
    (``parameters.russia.capacity.initial.value``), so no cell outgrows a spreadsheet's (Excel
    holds 32,767 characters), and lists as compact JSON."""
    rows: list[dict[str, Any]] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for name, inner in value.items():
                add(f"{key}.{name}", inner)
        elif isinstance(value, str | int | float | bool) or value is None:
            rows.append({"key": key, "value": value})
        else:
            rows.append({"key": key, "value": json.dumps(value, ensure_ascii=False)})

    for key, value in manifest.items():
        add(key, value)
    return pd.DataFrame(rows, columns=["key", "value"]).astype({"value": "string"})


def export_folder(folder: Path, fmt: str, out: Path | None = None) -> Path:
    """Where an export goes: ``out`` if given, else ``<folder>/export-<fmt>``."""
    return out if out is not None else folder / f"export-{fmt}"


def export(
    folder: str | Path,
    fmt: str,
    out: Path | None = None,
    figures: bool = True,
    force: bool = False,
) -> Path:
    """Write a results folder's tables as ``fmt`` (``csv``: one file per table; ``xlsx``: one
    workbook, a sheet per table) and, with ``figures``, its report's figures as SVG, into
    :func:`export_folder`; return that folder."""
    if fmt not in FORMATS:
        raise ExportError(
            f"--format: unknown format '{fmt}' (expected one of {', '.join(FORMATS)})"
        )
    path = Path(folder)
    target = export_folder(path, fmt, out)
    try:
        tables = folder_tables(path)
    except FolderError as error:
        raise ExportError(str(error)) from None
    check_writable(target, force)  # before any drawing: a refusal comes at once
    files: dict[str, Any] = {}
    if fmt == "csv":
        for name, table in tables.items():
            files[f"{name}.csv"] = _csv_writer(table)
    else:
        for name, table in tables.items():
            if len(table) > XLSX_ROWS:
                raise ExportError(
                    f"{path}: table {name} has {len(table):,} rows, more than an Excel sheet "
                    f"holds ({XLSX_ROWS:,}); use --format csv"
                )
        files[f"{path.resolve().name}.xlsx"] = lambda target: _write_xlsx(tables, target)
    if figures:
        for number, item in enumerate(report_figures(path), start=1):
            assert item.svg is not None
            files[f"figures/{number:02d}-{item.key}.svg"] = item.svg
    return write_folder(target, files, force=force)


def report_figures(folder: Path) -> list[Any]:
    """The figures of the folder's report, kept as SVG."""
    from sim.report import ReportError, build
    from sim.report.document import keeping_svg

    try:
        with keeping_svg():
            return build(folder).figures
    except ReportError as error:
        raise ExportError(str(error)) from None


def _csv_writer(table: pd.DataFrame) -> Any:
    def write(target: Path) -> None:
        table.to_csv(
            target,
            index=False,
            lineterminator="\n",
            encoding="utf-8",
            float_format=f"%.{SIGNIFICANT}g",
        )

    return write


def _write_xlsx(tables: dict[str, pd.DataFrame], target: Path) -> None:
    # xlsxwriter: a default run's workbook (its 300 detailed runs' time series and events, 3.4
    # million cells) takes 17 s to write, against 47 s with openpyxl
    with pd.ExcelWriter(target, engine="xlsxwriter") as workbook:
        for name, table in tables.items():
            sheet = _plain(table)
            sheet.to_excel(workbook, sheet_name=name[:31], index=False)
            workbook.sheets[name[:31]].freeze_panes(1, 0)


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A table Excel can hold: unsigned 64-bit seeds as text (Excel keeps 15 digits), nullable
    columns as plain objects."""
    plain = table.copy()
    for column in plain.columns:
        kind = plain[column].dtype
        if str(kind) == "uint64" or (column == "seed"):
            plain[column] = plain[column].astype(str)
        elif isinstance(kind, pd.api.extensions.ExtensionDtype):
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
    return plain
