"""Tables: list, detail, manual create/update/delete, each write recorded in history."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, true, update
from sqlalchemy.orm import Session

from ariadne_core.catalog.history import record_change
from ariadne_core.catalog.naming import check_name, normalize_tags, table_qualified_name
from ariadne_core.db.models import (
    ChangeHistory,
    DataSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    TableLineage,
)
from ariadne_core.errors import Conflict, NotFound, ValidationFailed
from ariadne_core.lineage.deprecation import deprecate_table_edges

TABLE_TYPES = (
    "table",
    "view",
    "materialized_view",
    "collection",
    "index",
    "data_stream",
    "alias",
    "external",
    "file",
)
SORTS = {
    "name": MetadataTable.name,
    "qualified_name": MetadataTable.qualified_name,
    "created_at": MetadataTable.created_at,
    "updated_at": MetadataTable.updated_at,
}
_LIVE_EDGE = TableLineage.status.not_in((LineageStatus.REJECTED, LineageStatus.DEPRECATED))
_TRACKED = (
    "source_id",
    "schema_name",
    "name",
    "qualified_name",
    "table_type",
    "description",
    "owner",
    "tags",
    "row_count_estimate",
    "properties",
)


@dataclass
class TableInput:
    source_id: uuid.UUID
    name: str
    schema_name: str | None = None
    table_type: str = "table"
    description: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    row_count_estimate: int | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class TableDetail:
    """A table's columns plus source_name, counts and last change, as plain mappings."""

    table: dict[str, Any]
    fields: list[dict[str, Any]]


# What reads return: plain rows rather than ORM objects, which cost more to build.
TABLE_COLUMNS = (
    MetadataTable.id,
    MetadataTable.source_id,
    MetadataTable.schema_name,
    MetadataTable.name,
    MetadataTable.qualified_name,
    MetadataTable.table_type,
    MetadataTable.description,
    MetadataTable.owner,
    MetadataTable.tags,
    MetadataTable.row_count_estimate,
    MetadataTable.properties,
    MetadataTable.created_at,
    MetadataTable.updated_at,
    DataSource.name.label("source_name"),
)
FIELD_COLUMNS = (
    MetadataField.id,
    MetadataField.table_id,
    MetadataField.name,
    MetadataField.qualified_name,
    MetadataField.data_type,
    MetadataField.is_nullable,
    MetadataField.is_primary_key,
    MetadataField.ordinal_position,
    MetadataField.description,
    MetadataField.tags,
    MetadataField.properties,
    MetadataField.created_at,
    MetadataField.updated_at,
)


def snapshot(table: MetadataTable) -> dict[str, Any]:
    return {name: getattr(table, name) for name in _TRACKED}


def check_table_type(value: str) -> str:
    if value not in TABLE_TYPES:
        raise ValidationFailed(
            f"type '{value}' is not a table type; use one of: {', '.join(TABLE_TYPES)}.",
            details={"field": "table_type", "value": value, "allowed": list(TABLE_TYPES)},
        )
    return value


def parse_sort(sort: str | None) -> tuple[Any, Any]:
    """The ORDER BY of a list: the column, then id in the same direction (one index serves both)."""
    if not sort:
        return MetadataTable.qualified_name.asc(), MetadataTable.id.asc()
    key = sort.lstrip("-")
    column = SORTS.get(key)
    if column is None:
        raise ValidationFailed(
            f"Cannot sort by '{sort}'. Sort by one of {', '.join(SORTS)}; "
            "put '-' in front for descending order.",
            details={"field": "sort", "value": sort, "allowed": list(SORTS)},
        )
    if sort.startswith("-"):
        return column.desc(), MetadataTable.id.desc()
    return column.asc(), MetadataTable.id.asc()


def _source(session: Session, source_id: uuid.UUID) -> DataSource:
    source = session.get(DataSource, source_id)
    if source is None:
        raise NotFound(
            f"Data source {source_id} does not exist.", details={"source_id": str(source_id)}
        )
    return source


def source_name(session: Session, source_id: uuid.UUID) -> str:
    return str(session.scalar(select(DataSource.name).where(DataSource.id == source_id)))


def get_table(session: Session, table_id: uuid.UUID, *, for_update: bool = False) -> MetadataTable:
    stmt = select(MetadataTable).where(MetadataTable.id == table_id, ~MetadataTable.is_deleted)
    if for_update:
        stmt = stmt.with_for_update()
    table = session.scalar(stmt)
    if table is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    return table


def check_tags_exist(session: Session, tags: list[str]) -> None:
    """Filtering by a tag nobody uses is almost always a typo: say so, with suggestions."""
    if not tags:
        return
    known = set(
        session.scalars(
            select(func.unnest(MetadataTable.tags))
            .where(MetadataTable.tags.overlap(tags))
            .distinct()
        )
    )
    missing = [t for t in tags if t not in known]
    if not missing:
        return
    all_tags = list(session.scalars(select(func.unnest(MetadataTable.tags)).distinct().limit(5000)))
    suggestions = {t: difflib.get_close_matches(t, all_tags, n=3) for t in missing}
    hint = "; ".join(
        f"did you mean {', '.join(map(repr, s))} for '{t}'?" for t, s in suggestions.items() if s
    )
    raise ValidationFailed(
        f"No table is tagged {', '.join(map(repr, missing))}." + (f" {hint}" if hint else ""),
        details={"field": "tags", "unknown": missing, "suggestions": suggestions},
    )


def list_tables(
    session: Session,
    *,
    source_id: uuid.UUID | None = None,
    search: str | None = None,
    tags: list[str] | None = None,
    table_type: str | None = None,
    sort: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    order = parse_sort(sort)
    tags = normalize_tags(tags)
    stmt: Select[Any] = select(MetadataTable.id).where(~MetadataTable.is_deleted)
    if source_id is not None:
        stmt = stmt.where(MetadataTable.source_id == source_id)
    if table_type is not None:
        stmt = stmt.where(MetadataTable.table_type == check_table_type(table_type))
    if tags:
        stmt = stmt.where(MetadataTable.tags.contains(tags))
    if search and search.strip():
        term = search.strip()
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                MetadataTable.name.ilike(pattern),
                MetadataTable.qualified_name.ilike(pattern),
                MetadataTable.description.ilike(pattern),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    if total == 0:
        check_tags_exist(session, tags)  # no match at all: was a tag misspelled?
    ids = stmt.order_by(*order).offset(offset).limit(limit).subquery()
    rows = session.execute(
        select(*TABLE_COLUMNS)
        .join(ids, ids.c.id == MetadataTable.id)
        .join(DataSource, DataSource.id == MetadataTable.source_id)
        .order_by(*order)
    ).mappings()
    return [dict(row) for row in rows], total


def _live_edges(column: Any) -> Any:
    return select(func.count()).where(column == MetadataTable.id, _LIVE_EDGE).scalar_subquery()


_LAST_CHANGE = (
    select(ChangeHistory.action, ChangeHistory.changed_by, ChangeHistory.changed_at)
    .where(ChangeHistory.table_id == MetadataTable.id)
    .order_by(ChangeHistory.changed_at.desc(), ChangeHistory.id.desc())
    .limit(1)
    .lateral("last_change")
)
_DETAIL = (
    select(
        *TABLE_COLUMNS,
        _live_edges(TableLineage.target_table_id).label("upstream_count"),
        _live_edges(TableLineage.source_table_id).label("downstream_count"),
        _LAST_CHANGE.c.action.label("last_action"),
        _LAST_CHANGE.c.changed_by.label("last_changed_by"),
        _LAST_CHANGE.c.changed_at.label("last_changed_at"),
    )
    .join(DataSource, DataSource.id == MetadataTable.source_id)
    .outerjoin(_LAST_CHANGE, true())
    .where(MetadataTable.id == bindparam("table_id"), ~MetadataTable.is_deleted)
)
_FIELDS_OF_TABLE = (
    select(*FIELD_COLUMNS)
    .where(MetadataField.table_id == bindparam("table_id"), ~MetadataField.is_deleted)
    .order_by(MetadataField.ordinal_position.asc().nulls_last(), MetadataField.name)
)


def table_detail(session: Session, table_id: uuid.UUID) -> TableDetail:
    """Two queries: the table with its counts and last change, then its fields."""
    row = session.execute(_DETAIL, {"table_id": table_id}).mappings().first()
    if row is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    table = dict(row)
    action = table.pop("last_action")
    by, at = table.pop("last_changed_by"), table.pop("last_changed_at")
    table["last_change"] = (
        {"action": action, "changed_by": by, "changed_at": at} if action is not None else None
    )
    fields = [dict(r) for r in session.execute(_FIELDS_OF_TABLE, {"table_id": table_id}).mappings()]
    return TableDetail(table=table, fields=fields)


def _ensure_unique(
    session: Session, source_id: uuid.UUID, qualified_name: str, exclude: uuid.UUID | None = None
) -> MetadataTable | None:
    """Raise 409 for a live duplicate; return a deleted namesake that may be revived."""
    stmt = select(MetadataTable).where(
        MetadataTable.source_id == source_id, MetadataTable.qualified_name == qualified_name
    )
    if exclude is not None:
        stmt = stmt.where(MetadataTable.id != exclude)
    existing = session.scalar(stmt)
    if existing is not None and not existing.is_deleted:
        raise Conflict(
            f"Table '{qualified_name}' already exists in this source.",
            details={"qualified_name": qualified_name, "existing_id": str(existing.id)},
        )
    return existing


def create_table(session: Session, data: TableInput, actor: str | None) -> MetadataTable:
    source = _source(session, data.source_id)
    name = check_name(data.name, "name")
    schema_name = check_name(data.schema_name, "schema_name") if data.schema_name else None
    qualified = table_qualified_name(source.name, schema_name, name)
    values = {
        "source_id": source.id,
        "schema_name": schema_name,
        "name": name,
        "qualified_name": qualified,
        "table_type": check_table_type(data.table_type),
        "description": data.description,
        "owner": data.owner,
        "tags": normalize_tags(data.tags),
        "row_count_estimate": data.row_count_estimate,
        "properties": data.properties or {},
    }
    deleted = _ensure_unique(session, source.id, qualified)
    if deleted is not None:  # a table deleted earlier comes back with its id and lineage
        before = snapshot(deleted)
        for key, value in values.items():
            setattr(deleted, key, value)
        deleted.is_deleted, deleted.deleted_at = False, None
        table = deleted
        session.flush()
        record_change(
            session,
            entity_type="table",
            entity_id=table.id,
            table_id=table.id,
            action="restore",
            actor=actor,
            before=before,
            after=snapshot(table),
        )
        return table
    table = MetadataTable(**values)
    session.add(table)
    session.flush()
    record_change(
        session,
        entity_type="table",
        entity_id=table.id,
        table_id=table.id,
        action="create",
        actor=actor,
        before=None,
        after=snapshot(table),
    )
    return table


def update_table(
    session: Session, table_id: uuid.UUID, changes: dict[str, Any], actor: str | None
) -> MetadataTable:
    table = get_table(session, table_id, for_update=True)
    before = snapshot(table)
    if "name" in changes or "schema_name" in changes:
        name = check_name(changes.get("name") or table.name, "name")
        schema_value = changes.get("schema_name", table.schema_name)
        schema_name = check_name(schema_value, "schema_name") if schema_value else None
        source = _source(session, table.source_id)
        qualified = table_qualified_name(source.name, schema_name, name)
        if qualified != table.qualified_name:
            namesake = _ensure_unique(session, table.source_id, qualified, exclude=table.id)
            if namesake is not None:
                raise Conflict(
                    f"A deleted table named '{qualified}' still holds that name and its lineage. "
                    "Re-create it instead of renaming this one.",
                    details={"qualified_name": qualified, "existing_id": str(namesake.id)},
                )
            _rename_fields(session, table, qualified)
        table.name, table.schema_name, table.qualified_name = name, schema_name, qualified
    if "table_type" in changes and changes["table_type"] is not None:
        table.table_type = check_table_type(changes["table_type"])
    if "tags" in changes:
        table.tags = normalize_tags(changes["tags"])
    for key in ("description", "owner", "row_count_estimate"):
        if key in changes:
            setattr(table, key, changes[key])
    if "properties" in changes:
        table.properties = changes["properties"] or {}
    session.flush()
    if record_change(
        session,
        entity_type="table",
        entity_id=table.id,
        table_id=table.id,
        action="update",
        actor=actor,
        before=before,
        after=snapshot(table),
    ):
        table.updated_at = datetime.now(UTC)
    return table


def _rename_fields(session: Session, table: MetadataTable, new_qualified: str) -> None:
    session.execute(
        update(MetadataField)
        .where(MetadataField.table_id == table.id)
        .values(qualified_name=new_qualified + "." + MetadataField.name)
    )


def delete_table(session: Session, table_id: uuid.UUID, actor: str | None) -> int:
    """Soft-delete the table and its fields; deprecate their lineage. Returns edges affected."""
    table = get_table(session, table_id, for_update=True)
    before = snapshot(table)
    fields = list(
        session.scalars(
            select(MetadataField).where(
                MetadataField.table_id == table.id, ~MetadataField.is_deleted
            )
        )
    )
    affected = deprecate_table_edges(
        session,
        table.id,
        [f.id for f in fields],
        actor=actor,
        comment=f"table {table.qualified_name} was deleted",
    )
    now = datetime.now(UTC)
    table.is_deleted, table.deleted_at = True, now
    for column in fields:
        column.is_deleted = True
        record_change(
            session,
            entity_type="field",
            entity_id=column.id,
            table_id=table.id,
            action="delete",
            actor=actor,
            before={"is_deleted": False},
            after={"is_deleted": True, "reason": "its table was deleted"},
        )
    session.flush()
    record_change(
        session,
        entity_type="table",
        entity_id=table.id,
        table_id=table.id,
        action="delete",
        actor=actor,
        before=before,
        after={"deprecated_lineage_edges": affected, "deleted_fields": len(fields)},
    )
    return affected


def table_history(
    session: Session, table_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[ChangeHistory], int]:
    exists = session.scalar(select(MetadataTable.id).where(MetadataTable.id == table_id))
    if exists is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    base = select(ChangeHistory).where(ChangeHistory.table_id == table_id)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.scalars(
        base.order_by(ChangeHistory.changed_at.desc(), ChangeHistory.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total
