"""Counts that describe the state of the catalog and its lineage graph."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    DataSource,
    FieldLineage,
    LineageSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    TableLineage,
)


@dataclass
class CatalogSummary:
    sources: int
    active_sources: int
    tables: int
    deleted_tables: int
    fields: int
    table_edges_by_source: dict[str, int] = field(default_factory=dict)
    field_edges_by_source: dict[str, int] = field(default_factory=dict)
    edges_pending_review: int = 0

    @property
    def table_edges(self) -> int:
        return sum(self.table_edges_by_source.values())

    @property
    def field_edges(self) -> int:
        return sum(self.field_edges_by_source.values())


def _count(session: Session, stmt: object) -> int:
    return int(session.scalar(stmt) or 0)  # type: ignore[call-overload]


def _edges_by_source(
    session: Session, model: type[TableLineage] | type[FieldLineage]
) -> dict[str, int]:
    counts = {source.value: 0 for source in LineageSource}
    rows = session.execute(
        select(model.lineage_source, func.count()).group_by(model.lineage_source)
    ).all()
    for lineage_source, n in rows:
        counts[lineage_source.value] = int(n)
    return counts


def summarize_catalog(session: Session) -> CatalogSummary:
    pending = 0
    for model in (TableLineage, FieldLineage):
        pending += _count(
            session,
            select(func.count())
            .select_from(model)
            .where(model.status == LineageStatus.PENDING_REVIEW),
        )
    return CatalogSummary(
        sources=_count(session, select(func.count()).select_from(DataSource)),
        active_sources=_count(
            session,
            select(func.count()).select_from(DataSource).where(DataSource.is_active.is_(True)),
        ),
        tables=_count(
            session,
            select(func.count()).select_from(MetadataTable).where(~MetadataTable.is_deleted),
        ),
        deleted_tables=_count(
            session,
            select(func.count())
            .select_from(MetadataTable)
            .where(MetadataTable.is_deleted.is_(True)),
        ),
        fields=_count(
            session,
            select(func.count()).select_from(MetadataField).where(~MetadataField.is_deleted),
        ),
        table_edges_by_source=_edges_by_source(session, TableLineage),
        field_edges_by_source=_edges_by_source(session, FieldLineage),
        edges_pending_review=pending,
    )
