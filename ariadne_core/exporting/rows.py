"""Catalog content as import rows: the columns of `importing.spec`, read in batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ariadne_core.db.models import (
    DataSource,
    FieldLineage,
    LineageStatus,
    MetadataField,
    MetadataTable,
    TableLineage,
)

BATCH = 2_000
LIVE = (LineageStatus.ACTIVE, LineageStatus.PENDING_REVIEW)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value) if value else None
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _tables(source_ids: Sequence[uuid.UUID] | None, tags: Sequence[str] | None) -> Select[Any]:
    stmt = select(MetadataTable.id).where(~MetadataTable.is_deleted)
    if source_ids:
        stmt = stmt.where(MetadataTable.source_id.in_(source_ids))
    if tags:
        stmt = stmt.where(MetadataTable.tags.overlap(list(tags)))
    return stmt


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    yield from session.execute(stmt.execution_options(yield_per=BATCH))


def export_rows(
    session: Session,
    import_type: str,
    source_ids: Sequence[uuid.UUID] | None = None,
    tags: Sequence[str] | None = None,
) -> Iterator[dict[str, str | None]]:
    """Rows of one import type for the selected tables (by source and tags)."""
    selected = _tables(source_ids, tags).scalar_subquery()
    stmt: Any
    if import_type == "sources":
        stmt = select(DataSource).order_by(DataSource.name)
        if source_ids or tags:
            stmt = stmt.where(
                DataSource.id.in_(
                    select(MetadataTable.source_id).where(MetadataTable.id.in_(selected))
                )
                | DataSource.id.in_(list(source_ids or []))
            )
        for (source,) in _stream(session, stmt):
            yield {
                "name": source.name,
                "type": source.type.value,
                "description": source.description,
                "is_active": _text(source.is_active),
            }
    elif import_type == "tables":
        stmt = (
            select(MetadataTable, DataSource.name)
            .join(DataSource, DataSource.id == MetadataTable.source_id)
            .where(MetadataTable.id.in_(selected))
            .order_by(MetadataTable.qualified_name)
        )
        for table, source_name in _stream(session, stmt):
            yield {
                "source": source_name,
                "schema": table.schema_name,
                "name": table.name,
                "type": table.table_type,
                "description": table.description,
                "owner": table.owner,
                "tags": _text(table.tags),
                "row_count": _text(table.row_count_estimate),
            }
    elif import_type == "fields":
        stmt = (
            select(MetadataField, MetadataTable.qualified_name)
            .join(MetadataTable, MetadataTable.id == MetadataField.table_id)
            .where(~MetadataField.is_deleted, MetadataTable.id.in_(selected))
            .order_by(
                MetadataTable.qualified_name, MetadataField.ordinal_position, MetadataField.name
            )
        )
        for column, table_name in _stream(session, stmt):
            yield {
                "table": table_name,
                "name": column.name,
                "data_type": column.data_type,
                "nullable": _text(column.is_nullable),
                "primary_key": _text(column.is_primary_key),
                "position": _text(column.ordinal_position),
                "description": column.description,
                "tags": _text(column.tags),
            }
    else:
        yield from _lineage_rows(session, import_type, selected)


def _lineage_rows(
    session: Session, import_type: str, selected: Any
) -> Iterator[dict[str, str | None]]:
    """Live edges (active or pending review) touching a selected table."""
    if import_type == "table_lineage":
        model: Any = TableLineage
        node: Any = MetadataTable
        source_col, target_col = TableLineage.source_table_id, TableLineage.target_table_id
        touches: Any = source_col.in_(selected) | target_col.in_(selected)
        columns = ("source_table", "target_table")
    else:
        model, node = FieldLineage, MetadataField
        source_col, target_col = FieldLineage.source_field_id, FieldLineage.target_field_id
        touches = MetadataField.table_id.in_(selected)
        columns = ("source_field", "target_field")
    src, tgt = aliased(node), aliased(node)
    stmt = (
        select(model, src.qualified_name, tgt.qualified_name)
        .join(src, src.id == source_col)
        .join(tgt, tgt.id == target_col)
        .where(model.status.in_(LIVE), ~src.is_deleted, ~tgt.is_deleted)
        .order_by(src.qualified_name, tgt.qualified_name)
    )
    if import_type == "table_lineage":
        stmt = stmt.where(touches)
    else:
        stmt = stmt.where(src.table_id.in_(selected) | tgt.table_id.in_(selected))
    for edge, source_name, target_name in _stream(session, stmt):
        yield {
            columns[0]: source_name,
            columns[1]: target_name,
            "transformation_type": edge.transformation_type,
            "transformation_logic": edge.transformation_logic,
            "lineage_source": edge.lineage_source.value,
            "confidence": _text(edge.confidence),
        }
