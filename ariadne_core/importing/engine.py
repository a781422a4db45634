"""The layers after parsing: headers, row values, references, duplicates, business rules.

Sheets are processed in dependency order inside one transaction, and each sheet's valid
rows are written before the next sheet is checked, so a table created in the `tables`
sheet is found by the `table_lineage` sheet. Preview runs exactly the same path and
rolls back; that is why a preview and the import it previews cannot disagree.

Catalog entities go through the same services as the API (one implementation, with
history). Lineage rows are many, so they are written in bulk, but every decision comes
from `lineage.edges.declaration_outcome` and `lineage.edges.initial_state`, the rules
the API uses, and every write appends its audit event.
"""

from __future__ import annotations

import enum
import itertools
import json
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field, update_field
from ariadne_core.catalog.naming import table_qualified_name
from ariadne_core.catalog.resolve import did_you_mean, similar_qualified_names
from ariadne_core.catalog.sources import SourceInput, create_source, update_source
from ariadne_core.catalog.tables import TableInput, create_table, update_table
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import (
    DataSource,
    FieldLineage,
    LineageAction,
    LineageAuditEvent,
    LineageSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    SourceType,
    TableLineage,
    UserRole,
)
from ariadne_core.importing.formats import Sheet
from ariadne_core.importing.graph_effect import GraphEffect
from ariadne_core.importing.messages import ERROR, WARNING, Problem, problem
from ariadne_core.importing.rowcheck import check_rows
from ariadne_core.importing.spec import ImportSpec, normalize_confidence, normalize_header
from ariadne_core.lineage.audit import SNAPSHOT_COLUMNS, append_created_events_sql, snapshot_of
from ariadne_core.lineage.deprecation import deprecate_edges
from ariadne_core.lineage.edges import (
    RETIRED,
    Actor,
    EdgeInput,
    Endpoint,
    declaration_outcome,
    initial_state,
)
from ariadne_core.security.roles import has_role
from ariadne_core.security.secrets import Keyring

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
STATUS_ERROR = "error"
CHUNK_ROWS = 20_000  # rows read, checked and written at a time: memory stays bounded
SUGGESTION_LIMIT = 25  # did-you-mean lookups per sheet; more missing names get none
LOWERCASE = {"type", "is_active", "nullable", "primary_key", "lineage_source"}
TRUE = {"true", "yes", "y", "1"}
Progress = Callable[[str, float], None]


@dataclass
class Context:
    session: Session
    actor: Actor
    keyring: Keyring
    file_name: str
    replace: bool = False
    # A preview decides every lineage row exactly as an import does but writes no
    # lineage (nothing after it depends on those writes, and the graph effect adds the
    # planned edges itself); sources, tables and fields are written and rolled back,
    # because later sheets refer to them.
    write_lineage: bool = True
    # Table edges a replace=true would retire, (source id, target id) as text.
    retired_table_pairs: set[tuple[str, str]] = field(default_factory=set)
    graph: GraphEffect = field(default_factory=GraphEffect)
    # Table edges created or brought back, (source id, target id) -> (sheet, row).
    new_table_pairs: dict[tuple[str, str], tuple[str | None, int | None]] = field(
        default_factory=dict
    )

    @property
    def comment(self) -> str:
        return f"imported from {self.file_name}"


@dataclass
class SheetResult:
    name: str
    import_type: str
    row_word: str = "Row"
    header_row: int = 0
    statuses: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # State kept across the chunks of one sheet (rows are read CHUNK_ROWS at a time).
    bad: dict[int, set[str]] = field(default_factory=dict)  # this chunk's rejected cells
    seen: dict[Any, int] = field(default_factory=dict)  # key -> first row, for duplicates
    suggesters: dict[str, Any] = field(default_factory=dict)
    created_table_edges: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = field(default_factory=dict)
    replace_pairs: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    replace_targets: set[uuid.UUID] = field(default_factory=set)

    def suggester(self, name: str, lookup: Callable[[str], list[str]]) -> _Suggester:
        if name not in self.suggesters:
            self.suggesters[name] = _Suggester(lookup)
        found: _Suggester = self.suggesters[name]
        return found

    def add(self, code: str, row: int | None = None, **params: Any) -> None:
        found = problem(code, sheet=self.name, row=row, row_word=self.row_word, **params)
        self.problems.append(found)
        if row is not None and found.severity == ERROR:
            self.statuses[row] = STATUS_ERROR

    def counts(self) -> dict[str, int]:
        out = {"rows": len(self.statuses), CREATE: 0, UPDATE: 0, UNCHANGED: 0, STATUS_ERROR: 0}
        for status in self.statuses.values():
            out[status] += 1
        out["warnings"] = sum(1 for p in self.problems if p.severity == WARNING)
        return out

    @property
    def sheet_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR and p.row is None]


class Record:
    """One row: its number as the user sees it, and its values by column."""

    __slots__ = ("get", "row", "values")

    def __init__(self, row: int, values: dict[str, str | None]) -> None:
        self.row = row
        self.values = values
        self.get = values.get  # the hottest call of an import


# --- headers and row values ---------------------------------------------------------------


def batched(items: Any, size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _column_label(position: int, row_word: str) -> str:
    if row_word == "Item":
        return str(position + 1)
    label = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(65 + rem) + label
    return label


def map_headers(spec: ImportSpec, sheet: Sheet, result: SheetResult) -> dict[str, int] | None:
    """Canonical column -> position; None when required columns are missing."""
    known = spec.header_map()
    positions: dict[str, int] = {}
    raw: dict[str, str] = {}
    headers = sheet.headers
    last = max((i for i, h in enumerate(headers) if h), default=-1)
    for i, header in enumerate(headers):
        if not header:
            if i < last:
                result.add("EMPTY_HEADER", position=_column_label(i, sheet.row_word))
            continue
        column = known.get(normalize_header(header))
        if column is None:
            result.add(
                "UNKNOWN_COLUMN", value=header, title=spec.title, expected=", ".join(spec.names)
            )
        elif column in positions:
            result.add("DUPLICATE_HEADER", value=raw[column], other=header, column=column)
        else:
            positions[column] = i
            raw[column] = header
    missing = [c for c in spec.required if c not in positions]
    if missing:
        result.add(
            "MISSING_COLUMNS",
            missing=", ".join(missing),
            expected=", ".join(spec.names),
            title=spec.title,
        )
        return None
    return positions


def read_chunks(spec: ImportSpec, sheet: Sheet, result: SheetResult) -> Iterator[list[Record]]:
    """The sheet's rows, CHUNK_ROWS at a time, each chunk checked by the GX suite.

    Only one chunk is in memory at once; what must span the whole sheet (duplicates,
    statuses, replace) lives on ``result``. Sets ``result.bad`` for each chunk.
    """
    positions = map_headers(spec, sheet, result)
    columns = list(positions or {})
    count = 0
    for chunk in batched(sheet.rows, CHUNK_ROWS):
        count += len(chunk)
        if positions is None:  # the file-level error explains; the rows cannot be read
            for number, _ in chunk:
                result.statuses[number] = STATUS_ERROR
            continue
        projected: list[tuple[int, list[str | None]]] = []
        wanted = [positions[c] for c in columns]
        width = max(wanted) + 1
        pick = operator.itemgetter(*wanted)
        for number, values in chunk:
            if len(values) < width:
                values = [*values, *([None] * (width - len(values)))]
            picked = list(pick(values)) if len(wanted) > 1 else [pick(values)]
            for i, column in enumerate(columns):
                if picked[i] is None:
                    continue
                if column in LOWERCASE:
                    picked[i] = picked[i].lower()
                elif column == "confidence":
                    picked[i] = normalize_confidence(picked[i])
            projected.append((number, picked))
            result.statuses.setdefault(number, UNCHANGED)
        result.bad = {}
        for found in check_rows(
            spec.type, columns, projected, sheet=sheet.name, row_word=sheet.row_word
        ):
            result.problems.append(found)
            assert found.row is not None
            result.statuses[found.row] = STATUS_ERROR
            if found.column:
                result.bad.setdefault(found.row, set()).add(found.column)
        yield [Record(n, dict(zip(columns, values, strict=True))) for n, values in projected]
    for found in sheet.problems:  # items of a JSON list that were not rows
        result.problems.append(found)
        if found.row is not None:
            result.statuses[found.row] = STATUS_ERROR
    if not count and not sheet.problems:
        result.add("HEADER_ONLY", title=spec.title)


FALSE = {"false", "no", "n", "0"}


def _bool(value: str | None) -> bool | None:
    """A valid boolean cell; anything else is None (the row check has reported it)."""
    return True if value in TRUE else (False if value in FALSE else None)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _tags(value: str | None) -> list[str] | None:
    if value is None:
        return None
    out: list[str] = []
    for tag in re.split(r"\s*[,;]\s*", value):
        if tag and tag not in out:
            out.append(tag)
    return out


def _role_word(role: str) -> str:
    return f"{role} " if role else ""


def _writable(result: SheetResult, record: Record) -> bool:
    return result.statuses.get(record.row) in (CREATE, UPDATE)


def _duplicate(
    result: SheetResult, seen: dict[Any, int], key: Any, record: Record, what: Any
) -> bool:
    """Has an earlier row the same key? ``what`` (text, or a function giving it) names it."""
    first = seen.setdefault(key, record.row)
    if first != record.row:
        named = what() if callable(what) else what
        result.add("DUPLICATE_ROW", record.row, first_row=first, what=named)
        return True
    return False


def _plan_entity(
    result: SheetResult, record: Record, current: Any, wanted: dict[str, Any]
) -> dict[str, Any] | None:
    """create (no live row), update or unchanged for a table or field row; returns what to
    write, or None when the row already has an error."""
    if current is None or current.is_deleted:
        status, changes = CREATE, wanted
    else:
        changes = _changes({k: getattr(current, k) for k in wanted}, wanted)
        status = UPDATE if changes else UNCHANGED
    if result.statuses[record.row] == STATUS_ERROR:
        return None
    result.statuses[record.row] = status
    return changes


def _changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Values the file gives (empty cells leave the catalog as it is) that differ."""
    return {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}


# --- sources, tables, fields: through the catalog services ---------------------------------


def import_sources(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    bad = result.bad
    names = {r.get("name").lower() for r in records if r.get("name")}  # type: ignore[union-attr]
    existing = {
        s.name.lower(): s
        for s in session.scalars(select(DataSource).where(func.lower(DataSource.name).in_(names)))
    }
    seen = result.seen
    plans: dict[int, tuple[DataSource | None, dict[str, Any]]] = {}
    for record in records:
        name, kind = record.get("name"), record.get("type")
        if not name or {"name", "type"} & bad.get(record.row, set()):
            continue
        if _duplicate(result, seen, name.lower(), record, f"the data source '{name}'"):
            continue
        wanted: dict[str, Any] = {
            "description": record.get("description"),
            "is_active": _bool(record.get("is_active")),
        }
        current = existing.get(name.lower())
        if current is None:
            if kind != SourceType.MANUAL.value:
                result.add("SOURCE_NEEDS_CONNECTION", record.row, value=name, given=kind)
                continue
            status, changes = CREATE, wanted
        else:
            if kind != current.type.value:
                result.add(
                    "SOURCE_TYPE_CHANGE",
                    record.row,
                    value=name,
                    existing=current.type.value,
                    given=kind,
                )
                continue
            state = {"description": current.description, "is_active": current.is_active}
            changes = _changes(state, wanted)
            status = UPDATE if changes else UNCHANGED
        if status != UNCHANGED and not has_role(ctx.actor.role, UserRole.ADMIN):
            result.add("SOURCE_NEEDS_ADMIN", record.row, value=name, role=ctx.actor.role.value)
            continue
        if result.statuses[record.row] != STATUS_ERROR:
            result.statuses[record.row] = status
        plans[record.row] = (current, changes)
    for record in records:
        if not _writable(result, record):
            continue
        current, changes = plans[record.row]
        if current is None:
            create_source(
                session,
                ctx.keyring,
                SourceInput(
                    name=str(record.get("name")),
                    type=SourceType.MANUAL,
                    description=changes.get("description"),
                    is_active=changes.get("is_active") is not False,
                ),
                ctx.actor.email,
            )
        else:
            update_source(session, ctx.keyring, current.id, changes, ctx.actor.email)


def _find_sources(session: Session, names: set[str]) -> dict[str, DataSource]:
    lowered = {n.lower() for n in names}
    rows = session.scalars(select(DataSource).where(func.lower(DataSource.name).in_(lowered)))
    return {s.name.lower(): s for s in rows}


def _similar_sources(session: Session, name: str) -> list[str]:
    similarity = func.similarity(DataSource.name, name)
    return list(
        session.scalars(
            select(DataSource.name).where(similarity > 0.3).order_by(similarity.desc()).limit(3)
        )
    )


class _Suggester:
    """Did-you-mean lookups, at most SUGGESTION_LIMIT per sheet, cached by name."""

    def __init__(self, lookup: Callable[[str], list[str]]) -> None:
        self.lookup = lookup
        self.cache: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self.cache:
            self.cache[name] = (
                did_you_mean(self.lookup(name)) if len(self.cache) < SUGGESTION_LIMIT else ""
            )
        return self.cache[name]


def import_tables(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    bad = result.bad
    sources = _find_sources(session, {r.get("source") for r in records if r.get("source")})  # type: ignore[misc]
    suggest = result.suggester("source", lambda n: _similar_sources(session, n))
    planned: list[tuple[Record, DataSource, str]] = []
    for record in records:
        source_name = record.get("source")
        if not source_name or {"source", "schema", "name"} & bad.get(record.row, set()):
            continue
        source = sources.get(source_name.lower())
        if source is None:
            result.add(
                "SOURCE_NOT_FOUND",
                record.row,
                column="source",
                value=source_name,
                suggestion=suggest(source_name),
            )
            continue
        qualified = table_qualified_name(source.name, record.get("schema"), str(record.get("name")))
        planned.append((record, source, qualified))
    existing = {
        (t.source_id, t.qualified_name): t
        for t in session.scalars(
            select(MetadataTable).where(
                MetadataTable.qualified_name.in_({q for _, _, q in planned})
            )
        )
    }
    seen = result.seen
    writes: list[tuple[Record, DataSource, MetadataTable | None, dict[str, Any]]] = []
    for record, source, qualified in planned:
        if _duplicate(result, seen, (source.id, qualified), record, f"the table '{qualified}'"):
            continue
        wanted: dict[str, Any] = {
            "table_type": record.get("type"),
            "description": record.get("description"),
            "owner": record.get("owner"),
            "tags": _tags(record.get("tags")),
            "row_count_estimate": _int(record.get("row_count")),
        }
        current = existing.get((source.id, qualified))
        changes = _plan_entity(result, record, current, wanted)
        if changes is not None:
            writes.append((record, source, current, changes))
    for record, source, current, changes in writes:
        if not _writable(result, record):
            continue
        if current is None or current.is_deleted:
            create_table(
                session,
                TableInput(
                    source_id=source.id,
                    name=str(record.get("name")),
                    schema_name=record.get("schema"),
                    table_type=changes.get("table_type") or "table",
                    description=changes.get("description"),
                    owner=changes.get("owner"),
                    tags=changes.get("tags") or [],
                    row_count_estimate=changes.get("row_count_estimate"),
                ),
                ctx.actor.email,
            )
        else:
            update_table(session, current.id, changes, ctx.actor.email)


def _find_tables(session: Session, names: set[str]) -> dict[str, uuid.UUID]:
    rows = session.execute(
        text(
            "SELECT qualified_name, id FROM metadata_tables WHERE NOT is_deleted "
            "AND qualified_name = ANY(CAST(:names AS text[]))"
        ),
        {"names": list(names)},
    )
    return {name: table_id for name, table_id in rows.all()}


def import_fields(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    bad = result.bad
    tables = _find_tables(session, {str(r.get("table")) for r in records if r.get("table")})
    suggest = result.suggester(
        "table", lambda n: similar_qualified_names(session, MetadataTable, n)
    )
    planned: list[tuple[Record, uuid.UUID]] = []
    for record in records:
        table_name = record.get("table")
        if not table_name or {"table", "name"} & bad.get(record.row, set()):
            continue
        table_id = tables.get(table_name)
        if table_id is None:
            result.add(
                "TABLE_NOT_FOUND",
                record.row,
                column="table",
                value=table_name,
                role=_role_word(""),
                suggestion=suggest(table_name),
            )
            continue
        planned.append((record, table_id))
    existing = {
        (f.table_id, f.name): f
        for f in session.scalars(
            select(MetadataField).where(MetadataField.table_id.in_({t for _, t in planned}))
        )
    }
    seen = result.seen
    writes: list[tuple[Record, uuid.UUID, MetadataField | None, dict[str, Any]]] = []
    for record, table_id in planned:
        name = str(record.get("name"))
        what = f"the field '{record.get('table')}.{name}'"
        if _duplicate(result, seen, (table_id, name), record, what):
            continue
        wanted: dict[str, Any] = {
            "data_type": record.get("data_type"),
            "is_nullable": _bool(record.get("nullable")),
            "is_primary_key": _bool(record.get("primary_key")),
            "ordinal_position": _int(record.get("position")),
            "description": record.get("description"),
            "tags": _tags(record.get("tags")),
        }
        current = existing.get((table_id, name))
        changes = _plan_entity(result, record, current, wanted)
        if changes is not None:
            writes.append((record, table_id, current, changes))
    for record, table_id, current, changes in writes:
        if not _writable(result, record):
            continue
        if current is None or current.is_deleted:
            create_field(
                session,
                FieldInput(
                    table_id=table_id,
                    name=str(record.get("name")),
                    data_type=changes.get("data_type"),
                    is_nullable=changes.get("is_nullable") is not False,
                    is_primary_key=bool(changes.get("is_primary_key")),
                    ordinal_position=changes.get("ordinal_position"),
                    description=changes.get("description"),
                    tags=changes.get("tags") or [],
                ),
                ctx.actor.email,
            )
        else:
            update_field(session, current.id, changes, ctx.actor.email)


# --- lineage: decided by the shared rules, written in bulk ----------------------------------


@dataclass
class EdgeKind:
    model: Any
    kind: str  # audit edge_kind
    source_col: str
    target_col: str
    entity: str  # "table" | "field"
    source_column: str  # import columns
    target_column: str


TABLE_EDGES = EdgeKind(
    TableLineage,
    "table",
    "source_table_id",
    "target_table_id",
    "table",
    "source_table",
    "target_table",
)
FIELD_EDGES = EdgeKind(
    FieldLineage,
    "field",
    "source_field_id",
    "target_field_id",
    "field",
    "source_field",
    "target_field",
)


def existing_edges(
    session: Session,
    kind: EdgeKind,
    pairs: Sequence[tuple[uuid.UUID, uuid.UUID]] | Any,
    *,
    lock: bool = True,
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]:
    """The edges of ``kind`` between the given (source, target) pairs, by pair, each as
    its snapshot columns plus id, ``s``, ``t`` and metadata; locked unless ``lock`` is
    False (a preview that only looks)."""
    pairs = list(pairs)
    if not pairs:
        return {}
    table = kind.model.__tablename__
    columns = ", ".join(f"e.{c}" for c in SNAPSHOT_COLUMNS)
    rows = session.execute(
        text(
            f"SELECT e.id, e.{kind.source_col} AS s, e.{kind.target_col} AS t, {columns}, "
            f"e.metadata FROM {table} e JOIN unnest(CAST(:s AS uuid[]), CAST(:t AS uuid[])) "
            f"AS p(s, t) ON e.{kind.source_col} = p.s AND e.{kind.target_col} = p.t"
            + (" FOR UPDATE OF e" if lock else "")
        ),
        {"s": [p[0] for p in pairs], "t": [p[1] for p in pairs]},
    ).mappings()
    return {(r["s"], r["t"]): dict(r) for r in rows}


def _edge_input(record: Record, kind: EdgeKind) -> EdgeInput:
    confidence = record.get("confidence")
    return EdgeInput(
        source=Endpoint(name=record.get(kind.source_column)),
        target=Endpoint(name=record.get(kind.target_column)),
        transformation_type=record.get("transformation_type"),
        transformation_logic=record.get("transformation_logic"),
        lineage_source=LineageSource(record.get("lineage_source") or "manual"),
        confidence=None if confidence is None else float(confidence),
    )


@dataclass
class EdgePlan:
    record: Record | None  # None for a table edge created for field edges
    source_id: uuid.UUID
    target_id: uuid.UUID
    data: EdgeInput
    existing: dict[str, Any] | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    upgrade: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is uuid.UUID or kind is float or kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if kind is datetime:
        return str(value.isoformat())
    text = json.dumps(value) if kind is dict or kind is list else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_lines(session: Session, table: str, columns: list[str], lines: Iterable[str]) -> None:
    """The one COPY writer: ``lines`` (rows in COPY's text format, see `_copy_text`) into
    ``table``'s ``columns``, inside the session's transaction, 5,000 rows a write."""
    session.flush()
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver_connection(session).cursor() as cursor, cursor.copy(statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 5_000:
                copy.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            copy.write("\n".join(batch) + "\n")


def copy_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (keyed by model attribute) with COPY, inside the session's
    transaction: about ten times faster than INSERT for the thousands of rows an
    import writes. Columns a row leaves out get NULL; columns no row names get their
    defaults."""
    if not rows:
        return
    attributes: list[str] = []
    for row in rows:
        for key in row:
            if key not in attributes:
                attributes.append(key)
    mapper = model.__mapper__
    columns = [mapper.attrs[a].columns[0].name for a in attributes]
    copy_lines(
        session,
        model.__tablename__,
        columns,
        ("\t".join([_copy_text(row.get(a)) for a in attributes]) for row in rows),
    )


class EdgeWriter:
    """Bulk inserts and updates of one edge kind, each with its audit event (bulk import
    and inference both write lineage through it). ``write=False`` plans only."""

    def __init__(
        self, session: Session, actor: Actor, comment: str, kind: EdgeKind, write: bool = True
    ) -> None:
        self.session, self.actor, self.comment, self.write = session, actor, comment, write
        self.kind = kind
        self.new_ids: list[uuid.UUID] = []
        self.lines: list[str] = []  # the new edges in COPY text format
        self.updates: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (existing, changes)

    def add(self, plan: EdgePlan) -> uuid.UUID | None:
        """Queue the plan's write; returns the id of a new edge (None for an update)."""
        if plan.existing is not None:
            self.change(plan.existing, plan.changes)
            return None
        edge_id = uuid.uuid4()
        self.new_ids.append(edge_id)
        if not self.write:
            return edge_id  # a preview: the id is enough
        state = initial_state(plan.data, self.actor)
        approved_at = state["approved_at"]
        values = [
            str(edge_id),
            str(plan.source_id),
            str(plan.target_id),
            _copy_text(state["transformation_type"]),
            _copy_text(state["transformation_logic"]),
            state["lineage_source"].value,
            state["origin"].value,
            repr(float(state["confidence"])),
            state["status"].value,
            _copy_text(state["edge_metadata"] or {}),
            _copy_text(state["created_by"]),
            _copy_text(state["approved_by"]),
            "\\N" if approved_at is None else approved_at.isoformat(),
        ]
        if self.kind is FIELD_EDGES:
            values.append(_copy_text(plan.extra.get("table_lineage_id")))
        self.lines.append("\t".join(values))
        return edge_id

    def change(self, existing: dict[str, Any], changes: dict[str, Any]) -> None:
        """Queue ``changes`` to an edge read by `existing_edges` (model attribute names)."""
        self.updates.append((existing, changes))

    def _copy_inserts(self) -> None:
        kind = self.kind
        columns = [
            "id",
            kind.source_col,
            kind.target_col,
            "transformation_type",
            "transformation_logic",
            "lineage_source",
            "origin",
            "confidence",
            "status",
            "metadata",
            "created_by",
            "approved_by",
            "approved_at",
        ]
        if kind is FIELD_EDGES:
            columns.append("table_lineage_id")
        copy_lines(self.session, kind.model.__tablename__, columns, self.lines)

    def flush(self) -> None:
        session, kind = self.session, self.kind
        events: list[dict[str, Any]] = []
        if not self.write:
            self.new_ids, self.lines, self.updates = [], [], []
            return
        if self.new_ids:
            self._copy_inserts()
            append_created_events_sql(
                session,
                kind.model,
                self.new_ids,
                self.actor.email,
                self.comment,
            )
        if self.updates:
            now = datetime.now(UTC)
            rows = []
            for existing, changes in self.updates:
                rows.append(
                    {
                        "id": existing["id"],
                        **changes,
                        "version": existing["version"] + 1,
                        "updated_at": now,
                    }
                )
                before_state = {**existing}
                after_state = {**existing, **changes, "version": existing["version"] + 1}
                metadata_after = changes.get("edge_metadata", existing["metadata"])
                if "lineage_source" in changes:
                    action = LineageAction.UPGRADE
                elif changes.get("status") is LineageStatus.DEPRECATED:
                    action = LineageAction.DEPRECATE
                else:
                    action = LineageAction.UPDATE
                events.append(
                    self._event(
                        existing["id"],
                        action,
                        snapshot_of(
                            existing["s"], existing["t"], before_state, existing["metadata"]
                        ),
                        snapshot_of(existing["s"], existing["t"], after_state, metadata_after),
                    )
                )
            by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                by_keys.setdefault(tuple(sorted(row)), []).append(row)
            for group in by_keys.values():
                session.execute(update(kind.model), group)
        if events:
            copy_rows(session, LineageAuditEvent, events)
        self.new_ids, self.lines, self.updates = [], [], []

    def _event(
        self, edge_id: uuid.UUID, action: LineageAction, before: Any, after: Any
    ) -> dict[str, Any]:
        return {
            "edge_kind": self.kind.kind,
            "edge_id": edge_id,
            "action": action,
            "actor": self.actor.email,
            "before": before,
            "after": after,
            "comment": self.comment,
        }


def _decide(
    ctx: Context,
    result: SheetResult,
    plans: list[EdgePlan],
    existing: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]],
    names: Callable[[EdgePlan], tuple[str, str]],
) -> None:
    """Status of each lineage row from the shared declaration rule
    (`lineage.edges.declaration_outcome`), roles included: the API and the import refuse
    the same changes for the same reasons."""
    steward = has_role(ctx.actor.role, UserRole.STEWARD)
    for plan in plans:
        record = plan.record
        assert record is not None
        current = existing.get((plan.source_id, plan.target_id))
        if current is None:
            if plan.data.lineage_source is LineageSource.APPROVED and not steward:
                _refused(ctx, result, plan, "APPROVED_NEEDS_STEWARD", names)
                continue
            status = CREATE
        else:
            outcome = declaration_outcome(current, plan.data, ctx.actor)
            if outcome.refusal is not None:
                _refused(ctx, result, plan, outcome.refusal, names)
                continue
            plan.existing, plan.changes = current, outcome.changes
            plan.upgrade = outcome.kind == "upgrade"
            if outcome.kind == "kept":
                result.add(
                    "KEPT_STRONGER_ATTRIBUTION",
                    record.row,
                    existing=LineageSource(current["lineage_source"]).value,
                )
                status = UNCHANGED
            else:
                status = UNCHANGED if outcome.kind == "unchanged" else UPDATE
        if result.statuses[record.row] != STATUS_ERROR:
            result.statuses[record.row] = status


def _refused(
    ctx: Context,
    result: SheetResult,
    plan: EdgePlan,
    code: str,
    names: Callable[[EdgePlan], tuple[str, str]],
) -> None:
    assert plan.record is not None
    source, target = names(plan)
    params: dict[str, Any] = {"source": source, "target": target, "role": ctx.actor.role.value}
    if code == "APPROVED_NEEDS_STEWARD":
        params.update(column="lineage_source", value="approved")
    result.add(code, plan.record.row, **params)


def _lineage_rows(
    ctx: Context,
    result: SheetResult,
    records: list[Record],
    kind: EdgeKind,
    resolved: dict[str, Any],
    suggest: _Suggester,
    id_of: Callable[[Any], uuid.UUID],
) -> list[EdgePlan]:
    """References, self-loops, duplicates and attribution rights, row by row."""
    bad = result.bad
    seen = result.seen
    plans = []
    for record in records:
        broken = bad.get(record.row, set())
        ends = []
        for column, role in ((kind.source_column, "source"), (kind.target_column, "target")):
            name = record.get(column)
            if not name or column in broken:
                continue
            found = resolved.get(name)
            if found is None:
                code = "TABLE_NOT_FOUND" if kind.entity == "table" else "FIELD_NOT_FOUND"
                result.add(
                    code,
                    record.row,
                    column=column,
                    value=name,
                    role=_role_word(role),
                    suggestion=suggest(name),
                )
            else:
                ends.append(found)
        if len(ends) != 2:
            continue
        source_id, target_id = id_of(ends[0]), id_of(ends[1])
        if source_id == target_id:
            result.add(
                "SELF_LINEAGE",
                record.row,
                column=kind.target_column,
                value=record.get(kind.source_column),
            )
            continue

        def what(record: Record = record) -> str:
            source, target = record.get(kind.source_column), record.get(kind.target_column)
            return f"the lineage {source} → {target}"

        if _duplicate(result, seen, (source_id, target_id), record, what):
            continue
        if "lineage_source" in broken or "confidence" in broken:
            continue
        plans.append(EdgePlan(record, source_id, target_id, _edge_input(record, kind)))
    return plans


def _count(ctx: Context, plans: list[EdgePlan], result: SheetResult, kind: EdgeKind) -> None:
    for plan in plans:
        if plan.record is None or not _writable(result, plan.record):
            continue
        if plan.existing is None:
            if kind.entity == "table":
                ctx.graph.table_edges_added += 1
            else:
                ctx.graph.field_edges_added += 1
        else:
            ctx.graph.edges_updated += 1
            ctx.graph.attribution_changes += int(plan.upgrade)


def _note_table_pair(ctx: Context, plan: EdgePlan, sheet: str, row: int | None) -> None:
    status = (plan.existing or {}).get("status")
    comes_alive = plan.existing is None or (
        status in RETIRED and plan.changes.get("status") not in (None, *RETIRED)
    )
    if comes_alive:
        ctx.new_table_pairs.setdefault((str(plan.source_id), str(plan.target_id)), (sheet, row))


def import_table_lineage(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    names = {str(r.get(c)) for r in records for c in ("source_table", "target_table") if r.get(c)}
    resolved = _find_tables(session, names)
    suggest = result.suggester(
        "table", lambda n: similar_qualified_names(session, MetadataTable, n)
    )
    plans = _lineage_rows(ctx, result, records, TABLE_EDGES, resolved, suggest, lambda x: x)
    existing = existing_edges(session, TABLE_EDGES, [(p.source_id, p.target_id) for p in plans])

    def edge_names(plan: EdgePlan) -> tuple[str, str]:
        assert plan.record is not None
        return str(plan.record.get("source_table")), str(plan.record.get("target_table"))

    _decide(ctx, result, plans, existing, edge_names)
    writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, TABLE_EDGES, ctx.write_lineage)
    for plan in plans:
        assert plan.record is not None
        if _writable(result, plan.record):
            writer.add(plan)
            _note_table_pair(ctx, plan, result.name, plan.record.row)
    _count(ctx, plans, result, TABLE_EDGES)
    writer.flush()
    if ctx.replace:
        _remember_for_replace(plans, result)


def import_field_lineage(ctx: Context, result: SheetResult, records: list[Record]) -> None:
    session = ctx.session
    names = {str(r.get(c)) for r in records for c in ("source_field", "target_field") if r.get(c)}
    rows = session.execute(
        text(
            "SELECT qualified_name, id, table_id FROM metadata_fields WHERE NOT is_deleted "
            "AND qualified_name = ANY(CAST(:names AS text[]))"
        ),
        {"names": list(names)},
    )
    resolved = {name: (fid, tid) for name, fid, tid in rows}
    suggest = result.suggester(
        "field", lambda n: similar_qualified_names(session, MetadataField, n)
    )
    plans = _lineage_rows(ctx, result, records, FIELD_EDGES, resolved, suggest, lambda x: x[0])
    table_of = {fid: tid for fid, tid in resolved.values()}
    # The optional table columns must agree with the fields' own tables.
    kept = []
    for plan in plans:
        record = plan.record
        assert record is not None
        ok = True
        for column, table_column in (
            ("source_field", "source_table"),
            ("target_field", "target_table"),
        ):
            given = record.get(table_column)
            actual = str(record.get(column)).rsplit(".", 1)[0]
            if given and given != actual:
                result.add(
                    "FIELD_TABLE_MISMATCH",
                    record.row,
                    column=table_column,
                    value=record.get(column),
                    actual=actual,
                    given=given,
                )
                ok = False
        if ok:
            kept.append(plan)
    plans = kept
    # Field edges between different tables hang under a table edge, created if missing.
    table_pairs = {
        (table_of[p.source_id], table_of[p.target_id])
        for p in plans
        if table_of[p.source_id] != table_of[p.target_id]
    }
    table_edges = existing_edges(session, TABLE_EDGES, sorted(table_pairs))
    for plan in plans:
        assert plan.record is not None
        pair = (table_of[plan.source_id], table_of[plan.target_id])
        edge = table_edges.get(pair)
        if edge is not None and edge["status"] == LineageStatus.REJECTED:
            source, target = (
                str(plan.record.get(c)).rsplit(".", 1)[0] for c in ("source_field", "target_field")
            )
            result.add("TABLE_EDGE_REJECTED", plan.record.row, source=source, target=target)
    existing = existing_edges(session, FIELD_EDGES, [(p.source_id, p.target_id) for p in plans])

    def edge_names(plan: EdgePlan) -> tuple[str, str]:
        assert plan.record is not None
        return str(plan.record.get("source_field")), str(plan.record.get("target_field"))

    _decide(ctx, result, plans, existing, edge_names)
    table_writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, TABLE_EDGES, ctx.write_lineage)
    created_pairs = result.created_table_edges
    writer = EdgeWriter(ctx.session, ctx.actor, ctx.comment, FIELD_EDGES, ctx.write_lineage)
    for plan in plans:
        assert plan.record is not None
        if not _writable(result, plan.record):
            continue
        pair = (table_of[plan.source_id], table_of[plan.target_id])
        if pair[0] != pair[1]:
            edge = table_edges.get(pair)
            if edge is not None:
                plan.extra["table_lineage_id"] = edge["id"]
            elif not ctx.write_lineage and (str(pair[0]), str(pair[1])) in ctx.new_table_pairs:
                pass  # a preview: an earlier sheet plans this table edge but did not write it
            elif pair in created_pairs:
                plan.extra["table_lineage_id"] = created_pairs[pair]
            else:
                table_plan = EdgePlan(
                    None,
                    pair[0],
                    pair[1],
                    EdgeInput(
                        source=Endpoint(id=pair[0]),
                        target=Endpoint(id=pair[1]),
                        transformation_type=plan.data.transformation_type,
                        lineage_source=plan.data.lineage_source,
                        confidence=plan.data.confidence,
                        metadata={"created_for_field_edge": True},
                    ),
                )
                new_id = table_writer.add(table_plan)
                assert new_id is not None  # the pair has no edge yet
                created_pairs[pair] = new_id
                plan.extra["table_lineage_id"] = new_id
                ctx.graph.table_edges_added_for_field_edges += 1
                _note_table_pair(ctx, table_plan, result.name, plan.record.row)
        if plan.existing is not None:
            plan.changes.pop("table_lineage_id", None)
        writer.add(plan)
    _count(ctx, plans, result, FIELD_EDGES)
    table_writer.flush()
    writer.flush()
    if ctx.replace:
        _remember_for_replace(plans, result)


def _remember_for_replace(plans: list[EdgePlan], result: SheetResult) -> None:
    result.replace_targets.update(p.target_id for p in plans)
    result.replace_pairs.update((p.source_id, p.target_id) for p in plans)


def finish_sheet(ctx: Context, result: SheetResult) -> None:
    """After the last chunk: replace=true retires the manual edges into the file's
    targets that the file no longer has (never approved or inferred ones)."""
    if not ctx.replace or result.import_type not in ("table_lineage", "field_lineage"):
        return
    kind = TABLE_EDGES if result.import_type == "table_lineage" else FIELD_EDGES
    targets, in_file = result.replace_targets, result.replace_pairs
    if not targets:
        return
    model = kind.model
    stale = [
        edge
        for edge in ctx.session.scalars(
            select(model)
            .where(
                getattr(model, kind.target_col).in_(targets),
                model.lineage_source == LineageSource.MANUAL,
                model.status.not_in(RETIRED),
            )
            .with_for_update()
        )
        if (getattr(edge, kind.source_col), getattr(edge, kind.target_col)) not in in_file
    ]
    if kind is TABLE_EDGES:
        ctx.retired_table_pairs.update(
            (str(e.source_table_id), str(e.target_table_id)) for e in stale
        )
    if not ctx.write_lineage:
        ctx.graph.edges_deprecated += len(stale)
        return
    ctx.graph.edges_deprecated += deprecate_edges(
        ctx.session, stale, ctx.actor.email, f"no longer in {ctx.file_name} (import with replace)"
    )


HANDLERS: dict[str, Callable[[Context, SheetResult, list[Record]], None]] = {
    "sources": import_sources,
    "tables": import_tables,
    "fields": import_fields,
    "table_lineage": import_table_lineage,
    "field_lineage": import_field_lineage,
}
