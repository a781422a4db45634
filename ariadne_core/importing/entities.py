"""Import handlers for sources, tables and fields: each row through the catalog services
(the API's own, with history), planned a chunk at a time."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field, update_field
from ariadne_core.catalog.naming import table_qualified_name
from ariadne_core.catalog.resolve import similar_qualified_names
from ariadne_core.catalog.sources import SourceInput, create_source, update_source
from ariadne_core.catalog.tables import TableInput, create_table, update_table
from ariadne_core.db.models import (
    DataSource,
    MetadataField,
    MetadataTable,
    SourceType,
    UserRole,
)
from ariadne_core.importing.engine import (
    STATUS_ERROR,
    Context,
    Record,
    SheetResult,
    as_bool,
    as_int,
    as_tags,
    changed_values,
    duplicate,
    plan_entity,
    role_word,
    writable,
)
from ariadne_core.security.roles import has_role

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


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
        if duplicate(result, seen, name.lower(), record, f"the data source '{name}'"):
            continue
        wanted: dict[str, Any] = {
            "description": record.get("description"),
            "is_active": as_bool(record.get("is_active")),
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
            changes = changed_values(state, wanted)
            status = UPDATE if changes else UNCHANGED
        if status != UNCHANGED and not has_role(ctx.actor.role, UserRole.ADMIN):
            result.add("SOURCE_NEEDS_ADMIN", record.row, value=name, role=ctx.actor.role.value)
            continue
        if result.statuses[record.row] != STATUS_ERROR:
            result.statuses[record.row] = status
        plans[record.row] = (current, changes)
    for record in records:
        if not writable(result, record):
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
        if duplicate(result, seen, (source.id, qualified), record, f"the table '{qualified}'"):
            continue
        wanted: dict[str, Any] = {
            "table_type": record.get("type"),
            "description": record.get("description"),
            "owner": record.get("owner"),
            "tags": as_tags(record.get("tags")),
            "row_count_estimate": as_int(record.get("row_count")),
        }
        current = existing.get((source.id, qualified))
        changes = plan_entity(result, record, current, wanted)
        if changes is not None:
            writes.append((record, source, current, changes))
    for record, source, current, changes in writes:
        if not writable(result, record):
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


def find_tables(session: Session, names: set[str]) -> dict[str, uuid.UUID]:
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
    tables = find_tables(session, {str(r.get("table")) for r in records if r.get("table")})
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
                role=role_word(""),
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
        if duplicate(result, seen, (table_id, name), record, what):
            continue
        wanted: dict[str, Any] = {
            "data_type": record.get("data_type"),
            "is_nullable": as_bool(record.get("nullable")),
            "is_primary_key": as_bool(record.get("primary_key")),
            "ordinal_position": as_int(record.get("position")),
            "description": record.get("description"),
            "tags": as_tags(record.get("tags")),
        }
        current = existing.get((table_id, name))
        changes = plan_entity(result, record, current, wanted)
        if changes is not None:
            writes.append((record, table_id, current, changes))
    for record, table_id, current, changes in writes:
        if not writable(result, record):
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
