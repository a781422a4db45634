"""The `sql` import type: a .sql file, or a .zip of them (a folder of ETL scripts, dbt's
compiled models), read by the lineage inference engine through the import's preview and
execute path.

Each file is a "sheet" of the report and each statement a "line": a statement the
engine cannot read is an error on its line (all_or_nothing then writes nothing;
skip_errors writes what the other statements imply); a table the catalog does not know
is a warning. Executing writes the proposals as ``inferred`` / ``pending_review`` edges
with the file and line as evidence (`ariadne_core.inference.service.apply`).

Options may open a file, in its first comment lines:

    -- dialect: snowflake
    -- source: warehouse
    -- schema: analytics

(the dialect defaults to ansi; source and schema say where unqualified names live).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.importing.engine import CREATE, UNCHANGED, Progress, SheetResult
from ariadne_core.importing.formats import FileRejected
from ariadne_core.importing.messages import problem
from ariadne_core.inference.service import (
    CatalogIndex,
    OriginResult,
    apply,
    measure_proposals,
    proposals_from_sql,
)
from ariadne_core.inference.sql import Lineage, analyze, dialect_name, fingerprint
from ariadne_core.lineage.edges import Actor

SQL_SUFFIXES = (".sql",)
MAX_SQL_BYTES = 16 * 1024**2  # one .sql file, or all files of a zip once unpacked
MAX_ARCHIVE_FILES = 5_000
_OPTION = re.compile(r"^\s*--\s*(dialect|source|schema)\s*:\s*([\w.\-]+)\s*$", re.IGNORECASE)


@dataclass
class SqlFile:
    name: str
    text: str


class SqlFileRejected(FileRejected):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(problem(code, **params))


def read_sql_files(path: Path, file_name: str) -> list[SqlFile]:
    """The .sql files of an upload, bounded in count and size; raises SqlFileRejected."""
    suffix = Path(file_name).suffix.lower()
    if suffix in SQL_SUFFIXES:
        if path.stat().st_size > MAX_SQL_BYTES:
            raise SqlFileRejected(
                "SQL_TOO_LARGE", limit=MAX_SQL_BYTES // 1024**2, size=path.stat().st_size // 1024**2
            )
        return [SqlFile(Path(file_name).name, _decode(path.read_bytes(), file_name))]
    if suffix != ".zip":
        raise SqlFileRejected("SQL_WRONG_FILE", value=file_name)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and m.filename.lower().endswith(SQL_SUFFIXES)
                and not Path(m.filename).name.startswith(".")
            ]
            if len(members) > MAX_ARCHIVE_FILES:
                raise SqlFileRejected(
                    "SQL_TOO_MANY_FILES", limit=MAX_ARCHIVE_FILES, count=len(members)
                )
            inflated = sum(m.file_size for m in members)
            if inflated > MAX_SQL_BYTES:
                raise SqlFileRejected(
                    "SQL_TOO_LARGE", limit=MAX_SQL_BYTES // 1024**2, size=inflated // 1024**2
                )
            files = []
            for member in sorted(members, key=lambda m: m.filename):
                with archive.open(member) as handle:
                    data = handle.read(MAX_SQL_BYTES + 1)  # the header could lie about sizes
                if len(data) > MAX_SQL_BYTES:
                    raise SqlFileRejected(
                        "SQL_TOO_LARGE", limit=MAX_SQL_BYTES // 1024**2, size=len(data) // 1024**2
                    )
                files.append(SqlFile(member.filename, _decode(data, member.filename)))
    except zipfile.BadZipFile:
        raise SqlFileRejected(
            "FILE_UNREADABLE", format="zip", reason="it is not a zip archive"
        ) from None
    if not files:
        raise SqlFileRejected("SQL_NO_FILES", value=file_name)
    return files


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SqlFileRejected("FILE_ENCODING")


def _options(sql: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in sql.splitlines()[:20]:
        if not line.strip():
            continue
        match = _OPTION.match(line)
        if match is None:
            if not line.lstrip().startswith("--"):
                break
            continue
        found[match.group(1).lower()] = match.group(2)
    return found


def import_sql(
    session: Session,
    files: list[SqlFile],
    *,
    upload_name: str,
    actor: Actor,
    say: Progress,
) -> tuple[list[SheetResult], list[OriginResult]]:
    """Analyze every file; returns the report sheets and the proposals per file. Nothing
    is written here."""
    sheets: list[SheetResult] = []
    results: list[OriginResult] = []
    indexes: dict[tuple[str | None, str | None], CatalogIndex] = {}
    for number, sql_file in enumerate(files):
        say(f"reading {sql_file.name}", 5 + 80 * number / max(len(files), 1))
        sheet = SheetResult(sql_file.name, "sql", row_word="Line")
        sheets.append(sheet)
        options = _options(sql_file.text)
        dialect = options.get("dialect", "ansi")
        try:
            dialect_name(dialect)
        except ValueError:
            sheet.add("SQL_UNKNOWN_DIALECT", None, value=dialect)
            continue
        source_id = None
        if "source" in options:
            source_id = session.scalar(
                text("SELECT id FROM data_sources WHERE lower(name) = lower(:n)"),
                {"n": options["source"]},
            )
            if source_id is None:
                sheet.add("SQL_UNKNOWN_SOURCE", None, value=options["source"])
                continue
        schema = options.get("schema")
        key = (str(source_id) if source_id else None, schema)
        if key not in indexes:
            indexes[key] = CatalogIndex(
                session,
                source_id=source_id,
                search_path=[*([schema.lower()] if schema else []), "public"],
                preload=False,
            )
        index = indexes[key]
        lineage = analyze(sql_file.text, dialect, catalog=index)
        if not lineage.statements:
            sheet.add("SQL_NO_STATEMENTS", None)
            continue
        label = (
            f"{Path(upload_name).name}/{sql_file.name}"
            if len(files) > 1 or upload_name != sql_file.name
            else sql_file.name
        )
        result = proposals_from_sql(
            index,
            lineage,
            origin=f"sql:{label}",
            source_id=None,
            where={
                "kind": "sql",
                "object": label,
                "file": sql_file.name,
                "submitted_by": actor.email,
            },
            sql_fingerprint=fingerprint(sql_file.text),
        )
        results.append(result)
        for statement in lineage.statements:
            if statement.error:
                sheet.add(
                    "SQL_STATEMENT_UNREADABLE",
                    statement.line,
                    dialect=dialect,
                    reason=statement.error,
                )
            else:
                sheet.statuses.setdefault(statement.line, CREATE if statement.target else UNCHANGED)
        for name in result.unresolved:
            if not _is_column(name, lineage):
                sheet.add("SQL_TABLE_UNKNOWN", None, value=name)
    return sheets, results


def _is_column(name: str, lineage: Lineage) -> bool:
    """Unresolved names mix tables and table.column; a table name is one the SQL read
    or wrote."""
    tables = {t for s in lineage.statements for t in [*s.sources, s.target] if t}
    return name.lower() not in tables


def finish(
    session: Session,
    sheets: list[SheetResult],
    results: list[OriginResult],
    graph: Any,
    *,
    write: bool,
) -> None:
    """Measure the graph effect; with ``write``, write the proposals of the files (a
    statement that could not be read proposed nothing)."""

    def where(proposal: Any) -> tuple[str | None, int | None]:
        return proposal.evidence.get("file"), proposal.evidence.get("line")

    names = {sheet.name: sheet for sheet in sheets}
    for name, line, path in measure_proposals(session, results, graph, where):
        if name in names:
            names[name].add("CYCLE_CREATED", line, path=" → ".join(path))
    if write:
        apply(session, results, force=True)
