"""`ariadne import FILE`: the import path of the API, with a progress bar in the terminal."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from ariadne_core.config import Settings
from ariadne_core.db.engine import engine_for, session_scope
from ariadne_core.db.models import User, UserRole
from ariadne_core.errors import ValidationFailed
from ariadne_core.importing.formats import detect_format
from ariadne_core.importing.report import write_error_report
from ariadne_core.importing.service import ImportReport, run_import
from ariadne_core.importing.spec import (
    DATAHUB,
    DBT,
    OPENLINEAGE,
    OTHER_TYPES,
    SQL,
    WORKBOOK,
    normalize_type_name,
)
from ariadne_core.lineage.edges import Actor
from ariadne_core.security.secrets import keyring_for

SHOWN = 50


def _sniff(path: Path) -> str | None:
    """dbt or datahub_lineage, from the start of a .json or .yaml file (or a .zip that
    holds a dbt manifest)."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = {Path(n).name for n in archive.namelist()}
        except zipfile.BadZipFile:
            return None
        return DBT if "manifest.json" in names else None
    if path.suffix.lower() not in (".json", ".yml", ".yaml"):
        return None
    with path.open("rb") as handle:
        head = handle.read(65536).decode("utf-8", "replace")
    if path.suffix.lower() == ".json" and "/manifest/" in head and "dbt_schema_version" in head:
        return DBT
    if re.search(r"^lineage\s*:", head, re.MULTILINE) or re.search(r'"lineage"\s*:\s*\[', head):
        return DATAHUB
    return None


def guess_type(path: Path) -> str:
    kind = normalize_type_name(path.stem)
    if kind:
        return kind
    sniffed = _sniff(path)
    if sniffed is not None:
        return sniffed
    if path.suffix.lower() in (".sql", ".zip"):
        return SQL  # scripts, read by lineage inference
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return OPENLINEAGE  # events, one per line
    try:
        if detect_format(path.name) != "csv":
            return WORKBOOK
    except Exception:
        pass
    raise ValidationFailed(
        f"Cannot tell what '{path.name}' holds. Give --type: sources, tables, fields, "
        "table_lineage, field_lineage, workbook, sql, openlineage, datahub_lineage or dbt.",
        details={"field": "type"},
    )


def _print(console: Console, report: ImportReport, preview: bool) -> None:
    counts = report.counts()
    console.print(
        f"[bold]{report.file_name}[/bold] ({report.import_type}): {counts['rows']} rows — "
        f"{counts['create']} create, {counts['update']} update, {counts['unchanged']} "
        f"unchanged, {counts['error']} with errors, {counts['warnings']} warnings"
    )
    problems = report.all_problems()
    for found in problems[:SHOWN]:
        colour = "red" if found.severity == "error" else "yellow"
        named = report.import_type in OTHER_TYPES  # several sheets, scripts or kinds of row
        sheet = f"[{found.sheet}] " if found.sheet and named else ""
        # sheet names, file names and values are text, never rich markup
        console.print(f"  [{colour}]{found.severity}[/{colour}] {escape(sheet + found.message)}")
        console.print(f"      → {escape(found.hint)}", style="dim")
    if len(problems) > SHOWN:
        console.print(f"  … and {len(problems) - SHOWN} more (see --error-report)")
    graph = report.graph
    if graph.table_edges_added or graph.field_edges_added or graph.edges_updated:
        console.print(
            f"lineage: {graph.table_edges_added} table and {graph.field_edges_added} field "
            f"edges added, {graph.attribution_changes} change attribution, "
            f"{graph.edges_deprecated} deprecated, {graph.cycles_created} loops closed"
        )
    if preview:
        console.print("preview: nothing was written")
    elif report.committed:
        console.print("[green]imported[/green]")
    else:
        console.print(
            "[red]nothing was written[/red]: fix the errors, or use --mode skip_errors to "
            "import the valid rows"
        )


def run_cli_import(
    url: str,
    settings: Settings,
    path: Path,
    *,
    import_type: str | None,
    mode: str,
    preview: bool,
    replace: bool,
    actor_email: str,
    error_report: Path | None,
) -> int:
    if not path.is_file():
        raise ValidationFailed(f"There is no file at {path}.", details={"file": str(path)})
    kind = import_type or guess_type(path)
    engine = engine_for(url)
    console = Console(stderr=False)
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.email == actor_email))
        # The command line has the database's own rights, so an unknown login acts as admin.
        actor = Actor(actor_email, user.role if user else UserRole.ADMIN)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("reading", total=100)
            report = run_import(
                session,
                path,
                file_name=path.name,
                import_type=kind,
                actor=actor,
                keyring=keyring_for(settings),
                commit=not preview,
                mode=mode,
                replace=replace,
                progress=lambda stage, pct: bar.update(task, description=stage, completed=pct),
            )
    _print(console, report, preview)
    if error_report is not None and report.format:
        error_report = write_error_report(
            path,
            error_report,
            report.format,
            report.all_problems(),
            {s.name: s.header_row for s in report.sheets},
        )
        console.print(f"error report written to {error_report}")
    ok = report.valid if preview else report.committed
    return 0 if ok else 1
