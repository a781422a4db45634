"""Fields of a table: list, manual create/update/delete, each write recorded in history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.catalog.history import record_change
from ariadne_core.catalog.naming import check_name, field_qualified_name, normalize_tags
from ariadne_core.catalog.tables import FIELD_TRACKED, get_table
from ariadne_core.db.models import MetadataField
from ariadne_core.errors import Conflict, NotFound


@dataclass
class FieldInput:
    table_id: uuid.UUID
    name: str
    data_type: str | None = None
    is_nullable: bool = True
    is_primary_key: bool = False
    ordinal_position: int | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)


def snapshot(column: MetadataField) -> dict[str, Any]:
    return {name: getattr(column, name) for name in FIELD_TRACKED}


def get_field(session: Session, field_id: uuid.UUID, *, for_update: bool = False) -> MetadataField:
    stmt = select(MetadataField).where(MetadataField.id == field_id, ~MetadataField.is_deleted)
    if for_update:
        stmt = stmt.with_for_update()
    column = session.scalar(stmt)
    if column is None:
        raise NotFound(f"Field {field_id} does not exist.", details={"field_id": str(field_id)})
    return column


def list_fields(
    session: Session, table_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[MetadataField], int]:
    get_table(session, table_id)
    base = select(MetadataField).where(
        MetadataField.table_id == table_id, ~MetadataField.is_deleted
    )
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.scalars(
        base.order_by(MetadataField.ordinal_position.asc().nulls_last(), MetadataField.name)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def _namesake(
    session: Session, table_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> MetadataField | None:
    stmt = select(MetadataField).where(
        MetadataField.table_id == table_id, MetadataField.name == name
    )
    if exclude is not None:
        stmt = stmt.where(MetadataField.id != exclude)
    existing = session.scalar(stmt)
    if existing is not None and not existing.is_deleted:
        raise Conflict(
            f"Field '{existing.qualified_name}' already exists.",
            details={"qualified_name": existing.qualified_name, "existing_id": str(existing.id)},
        )
    return existing


def create_field(session: Session, data: FieldInput, actor: str | None) -> MetadataField:
    table = get_table(session, data.table_id)
    name = check_name(data.name, "name")
    values = {
        "table_id": table.id,
        "name": name,
        "qualified_name": field_qualified_name(table.qualified_name, name),
        "data_type": data.data_type,
        "is_nullable": data.is_nullable,
        "is_primary_key": data.is_primary_key,
        "ordinal_position": data.ordinal_position,
        "description": data.description,
        "tags": normalize_tags(data.tags),
        "properties": data.properties or {},
    }
    deleted = _namesake(session, table.id, name)
    if deleted is not None:  # revive a deleted field: it keeps its id and its lineage
        before = snapshot(deleted)
        for key, value in values.items():
            setattr(deleted, key, value)
        deleted.is_deleted = False
        session.flush()
        record_change(
            session,
            entity_type="field",
            entity_id=deleted.id,
            table_id=table.id,
            action="restore",
            actor=actor,
            before=before,
            after=snapshot(deleted),
        )
        return deleted
    column = MetadataField(**values)
    session.add(column)
    session.flush()
    record_change(
        session,
        entity_type="field",
        entity_id=column.id,
        table_id=table.id,
        action="create",
        actor=actor,
        before=None,
        after=snapshot(column),
    )
    return column


def update_field(
    session: Session, field_id: uuid.UUID, changes: dict[str, Any], actor: str | None
) -> MetadataField:
    column = get_field(session, field_id, for_update=True)
    before = snapshot(column)
    if changes.get("name") is not None and changes["name"] != column.name:
        name = check_name(changes["name"], "name")
        if _namesake(session, column.table_id, name, exclude=column.id) is not None:
            raise Conflict(
                f"A deleted field named '{name}' still holds that name and its "
                "lineage. Re-create it instead of renaming this one.",
                details={"name": name},
            )
        table = get_table(session, column.table_id)
        column.name = name
        column.qualified_name = field_qualified_name(table.qualified_name, name)
    for key in ("data_type", "ordinal_position", "description"):
        if key in changes:
            setattr(column, key, changes[key])
    for key in ("is_nullable", "is_primary_key"):
        if changes.get(key) is not None:
            setattr(column, key, bool(changes[key]))
    if "tags" in changes:
        column.tags = normalize_tags(changes["tags"])
    if "properties" in changes:
        column.properties = changes["properties"] or {}
    session.flush()
    if record_change(
        session,
        entity_type="field",
        entity_id=column.id,
        table_id=column.table_id,
        action="update",
        actor=actor,
        before=before,
        after=snapshot(column),
    ):
        column.updated_at = datetime.now(UTC)
    return column
