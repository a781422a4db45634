"""Validate (preview) and execute an import: the one path the API, CLI and Dagster share."""

from __future__ import annotations

import csv
import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db.engine import allow_bulk_statements
from ariadne_core.errors import LimitExceeded, PayloadTooLarge, ValidationFailed
from ariadne_core.importing import engine
from ariadne_core.importing.engine import Context, Progress, SheetResult, Translation
from ariadne_core.importing.formats import (
    SHAPE_LIMITS,
    SIZE_LIMITS,
    FileRejected,
    preflight,
    read_file,
)
from ariadne_core.importing.handlers import HANDLERS
from ariadne_core.importing.lineage_rows import finish_sheet
from ariadne_core.importing.messages import ERROR, WARNING, Problem, problem
from ariadne_core.importing.spec import (
    DATAHUB,
    DBT,
    IMPORT_TYPES,
    OPENLINEAGE,
    OTHER_TYPES,
    SPECS,
    SQL,
    normalize_type_name,
)
from ariadne_core.lineage.edges import Actor
from ariadne_core.lineage.graph_effect import GraphEffect, Pair, load_edges, measure
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.import")

MODES = ("all_or_nothing", "skip_errors")
LINEAGE_TYPES = ("table_lineage", "field_lineage")


@dataclass
class ImportReport:
    import_type: str
    file_name: str
    mode: str
    replace: bool
    format: str | None = None
    sheets: list[SheetResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # about the file as a whole
    graph: GraphEffect = field(default_factory=GraphEffect)
    committed: bool = False

    def all_problems(self) -> list[Problem]:
        out = list(self.problems)
        for sheet in self.sheets:
            out.extend(sorted(sheet.problems, key=lambda p: p.row or 0))
        return out

    def counts(self) -> dict[str, int]:
        total = {"rows": 0, "create": 0, "update": 0, "unchanged": 0, "error": 0, "warnings": 0}
        for sheet in self.sheets:
            for key, value in sheet.counts().items():
                total[key] += value
        total["warnings"] += sum(1 for p in self.problems if p.severity == WARNING)
        total["problems"] = sum(1 for p in self.all_problems() if p.severity == ERROR)
        return total

    @property
    def file_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR] + [
            p for s in self.sheets for p in s.sheet_errors
        ]

    def can_commit(self) -> bool:
        """Nothing is written when the file itself is broken, or in all_or_nothing mode
        when any row has an error."""
        if self.file_errors:
            return False
        return self.mode == "skip_errors" or self.counts()["error"] == 0

    @property
    def valid(self) -> bool:
        return not self.file_errors and self.counts()["error"] == 0

    def as_dict(self, max_rows: int = 10_000, max_problems: int = 1_000) -> dict[str, Any]:
        problems = self.all_problems()
        rows = [
            {"sheet": s.name, "row": row, "status": status}
            for s in self.sheets
            for row, status in sorted(s.statuses.items())
        ]
        return {
            "import_type": self.import_type,
            "file_name": self.file_name,
            "format": self.format,
            "mode": self.mode,
            "replace": self.replace,
            "valid": self.valid,
            "committed": self.committed,
            "counts": self.counts(),
            "sheets": [
                {"name": s.name, "import_type": s.import_type, "counts": s.counts()}
                for s in self.sheets
            ],
            "rows": rows[:max_rows],
            "rows_truncated": len(rows) > max_rows,
            "problems": [p.as_dict() for p in problems[:max_problems]],
            "problems_truncated": len(problems) > max_problems,
            "graph": self.graph.as_dict(),
        }


def check_import_type(value: str) -> str:
    kind = normalize_type_name(value or "")
    if kind is None:
        raise ValidationFailed(
            f"import_type '{value}' is not something Ariadne imports. Use one of: "
            f"{', '.join((*IMPORT_TYPES, *OTHER_TYPES))}.",
            details={
                "field": "import_type",
                "value": value,
                "allowed": [*IMPORT_TYPES, *OTHER_TYPES],
            },
        )
    return kind


def check_mode(value: str) -> str:
    if value not in MODES:
        raise ValidationFailed(
            f"mode '{value}' is not an import mode. Use all_or_nothing (nothing is written if "
            "any row has an error) or skip_errors (the valid rows are written).",
            details={"field": "mode", "value": value, "allowed": list(MODES)},
        )
    return value


def _file_reader(
    kind: str | None,
) -> tuple[tuple[str, ...], str, Callable[[Path, str], Any]] | None:
    """The suffixes, wrong-file code and reader of the types that are not sheets of
    rows; None for those that are (csv, xlsx, json, yaml)."""
    if kind == SQL:
        from ariadne_core.importing import sql_files

        return (".sql", ".zip"), "SQL_WRONG_FILE", sql_files.read_sql_files
    if kind == OPENLINEAGE:
        from ariadne_core.importing import openlineage_files

        return openlineage_files.SUFFIXES, "OL_WRONG_FILE", openlineage_files.read_event_file
    if kind == DATAHUB:
        from ariadne_core.importing import datahub_files

        return datahub_files.SUFFIXES, "DH_WRONG_FILE", datahub_files.read
    if kind == DBT:
        from ariadne_core.importing import dbt_files

        return dbt_files.SUFFIXES, "DBT_WRONG_FILE", dbt_files.read
    return None


def check_file_name(file_name: str, import_type: str) -> None:
    """Is a file of this name something an import of ``import_type`` reads? (.sql or
    .zip for the sql type; .csv, .xlsx, .json, .yaml for the others.)"""
    reader = _file_reader(normalize_type_name(import_type or ""))
    if reader is not None:
        if Path(file_name).suffix.lower() in reader[0]:
            return
        found = problem(reader[1], value=file_name)
    else:
        from ariadne_core.importing.formats import detect_format

        try:
            detect_format(file_name)
            return
        except FileRejected as rejected:
            found = rejected.problem
    raise ValidationFailed(
        f"{found.message} {found.hint}",
        details={"field": "file", "value": file_name, "code": found.code},
    )


def check_upload(path: Path, file_name: str, import_type: str | None = None) -> None:
    """The cheap checks of an uploaded file, before it is stored or queued: its format,
    and the size limits (PayloadTooLarge names the limit)."""
    reader = _file_reader(import_type)
    try:
        if reader is not None:
            reader[2](path, file_name)
        else:
            preflight(path, file_name)
    except FileRejected as rejected:
        _raise_for_limit(rejected.problem)
        raise ValidationFailed(
            f"{rejected.problem.message} {rejected.problem.hint}",
            details={"field": "file", "code": rejected.problem.code},
        ) from None


def _refused(report: ImportReport, rejected: FileRejected, limits_raise: bool) -> ImportReport:
    """The report of a file refused as a whole (with ``limits_raise``, a limit that
    protects the server raises instead)."""
    if limits_raise:
        _raise_for_limit(rejected.problem)
    report.problems.append(rejected.problem)
    return report


def _raise_for_limit(found: Problem) -> None:
    details = {"code": found.code, "hint": found.hint}
    if found.code in SIZE_LIMITS:
        raise PayloadTooLarge(f"{found.message} {found.hint}", details=details)
    if found.code in SHAPE_LIMITS:
        raise LimitExceeded(f"{found.message} {found.hint}", details=details)


def _noop(stage: str, percent: float) -> None:
    return None


def run_import(
    session: Session,
    path: Path,
    *,
    file_name: str,
    import_type: str,
    actor: Actor,
    keyring: Keyring,
    commit: bool,
    mode: str = "all_or_nothing",
    replace: bool = False,
    progress: Progress | None = None,
    limits_raise: bool = False,
) -> ImportReport:
    """Parse, validate and write inside a savepoint; keep it only when committing.

    With ``commit=False`` this is the preview: exactly the same work, rolled back. With
    ``limits_raise`` a file refused by a limit that protects the server (size, nesting,
    width, aliases) raises PayloadTooLarge or LimitExceeded instead of being reported.
    """
    import_type, mode = check_import_type(import_type), check_mode(mode)
    report = ImportReport(import_type, file_name, mode, replace)
    say = progress or _noop
    if import_type == SQL:
        return _run_sql(session, path, report, actor, commit, limits_raise, say)
    if import_type == OPENLINEAGE:
        return _run_openlineage(session, path, report, actor, keyring, commit, limits_raise, say)
    if import_type in (DATAHUB, DBT):
        return _run_translated(
            session, path, report, actor, keyring, commit, replace, limits_raise, say
        )
    say("reading", 2)
    try:
        parsed = read_file(path, file_name, import_type)
    except FileRejected as rejected:
        return _refused(report, rejected, limits_raise)
    report.format = parsed.format
    report.problems.extend(parsed.problems)
    # The import holds many small objects for a while; the cyclic collector would scan
    # them again and again (reference counting still frees everything).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(session, parsed, report, actor, keyring, commit, replace, say)
    finally:
        if collecting:
            gc.enable()


@contextmanager
def _kept_if_committed(session: Session, report: ImportReport, commit: bool) -> Iterator[None]:
    """Run the body in a savepoint; keep it when committing and the report allows it
    (then ``report.committed``), roll it back otherwise or on any error."""
    savepoint = session.begin_nested()
    try:
        yield
        if commit and report.can_commit():
            savepoint.commit()
            report.committed = True
        else:
            savepoint.rollback()
    except BaseException:
        savepoint.rollback()
        raise


def _run_sql(
    session: Session,
    path: Path,
    report: ImportReport,
    actor: Actor,
    commit: bool,
    limits_raise: bool,
    say: Progress,
) -> ImportReport:
    """The `sql` type: scripts read by lineage inference, previewed and written like any
    import (see ariadne_core/importing/sql_files.py)."""
    from ariadne_core.importing import sql_files

    say("reading", 2)
    try:
        files = sql_files.read_sql_files(path, report.file_name)
    except sql_files.SqlFileRejected as rejected:
        return _refused(report, rejected, limits_raise)
    report.format = "sql" if len(files) == 1 and path.suffix.lower() != ".zip" else "zip"
    with _kept_if_committed(session, report, commit):
        sheets, results = sql_files.import_sql(
            session, files, upload_name=report.file_name, actor=actor, say=say
        )
        report.sheets.extend(sheets)
        say("measuring the lineage graph", 90)
        sql_files.finish(
            session, sheets, results, report.graph, write=commit and report.can_commit()
        )
    say("done", 100)
    return report


def _run_openlineage(
    session: Session,
    path: Path,
    report: ImportReport,
    actor: Actor,
    keyring: Keyring,
    commit: bool,
    limits_raise: bool,
    say: Progress,
) -> ImportReport:
    """The `openlineage` type: a file of events, processed like posted ones (see
    ariadne_core/importing/openlineage_files.py)."""
    from ariadne_core.importing import openlineage_files

    say("reading", 2)
    try:
        events = openlineage_files.read_event_file(path, report.file_name)
    except FileRejected as rejected:
        return _refused(report, rejected, limits_raise)
    report.format = events.format
    say("processing the events", 20)
    # the checks first, so all_or_nothing writes nothing when one event is wrong
    checked = openlineage_files.check_events(events, sheet_name=Path(report.file_name).name)
    report.sheets.append(checked.sheet)
    with _kept_if_committed(session, report, commit):
        openlineage_files.process_valid(
            session, keyring, checked, submitted_by=actor.email, graph=report.graph
        )
    say("done", 100)
    return report


def _run_translated(
    session: Session,
    path: Path,
    report: ImportReport,
    actor: Actor,
    keyring: Keyring,
    commit: bool,
    replace: bool,
    limits_raise: bool,
    say: Progress,
) -> ImportReport:
    """The `datahub_lineage` and `dbt` types: the other tool's file as sheets of the
    usual types (see datahub_files.py and dbt_files.py), imported as a workbook is."""
    from ariadne_core.importing import datahub_files, dbt_files

    say("reading", 2)
    try:
        if report.import_type == DATAHUB:
            translation = datahub_files.translate(
                session, keyring, datahub_files.read(path, report.file_name), report.file_name
            )
        else:
            translation = dbt_files.translate(
                session, keyring, dbt_files.read(path, report.file_name), report.file_name
            )
    except FileRejected as rejected:
        return _refused(report, rejected, limits_raise)
    report.format = translation.parsed.format
    report.problems.extend(translation.parsed.problems)
    return _run(
        session, translation.parsed, report, actor, keyring, commit, replace, say, translation
    )


def _run(
    session: Session,
    parsed: Any,
    report: ImportReport,
    actor: Actor,
    keyring: Keyring,
    commit: bool,
    replace: bool,
    say: Progress,
    translation: Translation | None = None,
) -> ImportReport:
    file_name = report.file_name
    ctx = Context(
        session,
        actor,
        keyring,
        file_name,
        replace=replace,
        graph=report.graph,
        write_lineage=commit,
    )
    allow_bulk_statements(session)
    with _kept_if_committed(session, report, commit):
        before: list[Pair] | None = None
        total = max(len(parsed.sheets), 1)
        for number, sheet in enumerate(parsed.sheets):
            base = 5 + 85 * number / total
            say(f"checking {sheet.name}", base)
            result = SheetResult(sheet.name, sheet.import_type, sheet.row_word, sheet.header_row)
            report.sheets.append(result)
            if sheet.import_type in LINEAGE_TYPES and before is None:
                before = load_edges(session)
            handler = HANDLERS[sheet.import_type]
            try:
                done = 0
                for records in engine.read_chunks(SPECS[sheet.import_type], sheet, result):
                    done += len(records)
                    # The row count is known only at the end; the bar creeps towards it.
                    say(
                        f"checking and writing {sheet.name}: {done:,} rows",
                        base + 85 / total * min(0.9, done / (done + 50_000)),
                    )
                    handler(ctx, result, records)
            except FileRejected as rejected:  # a reader found a problem while streaming
                report.problems.append(rejected.problem)
                continue
            except csv.Error as exc:
                report.problems.append(problem("FILE_UNREADABLE", format="CSV", reason=str(exc)))
                continue
            finish_sheet(ctx, result)
        if before is not None:
            say("measuring the lineage graph", 92)
            for sheet_name, row, path_names in measure(
                session, before, ctx.new_table_pairs, report.graph, ctx.retired_table_pairs
            ):
                for result in report.sheets:
                    if result.name == sheet_name:
                        result.add("CYCLE_CREATED", row, path=" → ".join(path_names))
        if translation is not None and translation.after is not None:
            say("reading what the rows imply", 94)
            writes = commit and report.can_commit()
            translation.after(ctx, report.sheets, report.graph, writes)
    say("done", 100)
    log.info(
        "import %s of %s (%s): %s",
        "committed" if report.committed else "checked",
        file_name,
        report.import_type,
        report.counts(),
    )
    return report
