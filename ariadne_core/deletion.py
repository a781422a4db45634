"""Deleting tables and fields: the catalog's soft delete, and their lineage deprecated,
never erased, in the same transaction.

This sits above `catalog` and `lineage` (it needs both); neither package imports the
other's write side, so `lineage` depends on `catalog` and never the reverse.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import get_field
from ariadne_core.catalog.fields import snapshot as field_snapshot
from ariadne_core.catalog.history import record_change
from ariadne_core.catalog.tables import get_table, snapshot
from ariadne_core.db.models import MetadataField
from ariadne_core.lineage.deprecation import deprecate_field_edges, deprecate_table_edges


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


def delete_field(session: Session, field_id: uuid.UUID, actor: str | None) -> int:
    """Soft-delete the field and deprecate its lineage; returns the edges affected."""
    column = get_field(session, field_id, for_update=True)
    affected = deprecate_field_edges(
        session, [column.id], actor=actor, comment=f"field {column.qualified_name} was deleted"
    )
    column.is_deleted = True
    session.flush()
    record_change(
        session,
        entity_type="field",
        entity_id=column.id,
        table_id=column.table_id,
        action="delete",
        actor=actor,
        before=field_snapshot(column),
        after={"deprecated_lineage_edges": affected},
    )
    return affected
