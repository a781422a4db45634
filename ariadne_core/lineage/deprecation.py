"""Deprecate, never erase, the lineage of tables and fields that are deleted."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    RETIRED,
    FieldLineage,
    LineageAction,
    LineageStatus,
    TableLineage,
)
from ariadne_core.lineage.audit import Edge, set_status


def deprecate_edges(
    session: Session, edges: Iterable[Edge], actor: str | None, comment: str
) -> int:
    count = 0
    for edge in edges:
        set_status(
            session,
            edge,
            LineageStatus.DEPRECATED,
            LineageAction.DEPRECATE,
            actor=actor,
            comment=comment,
        )
        count += 1
    return count


def deprecate_field_edges(
    session: Session, field_ids: list[uuid.UUID], *, actor: str | None, comment: str
) -> int:
    if not field_ids:
        return 0
    edges = session.scalars(
        select(FieldLineage)
        .where(
            or_(
                FieldLineage.source_field_id.in_(field_ids),
                FieldLineage.target_field_id.in_(field_ids),
            ),
            FieldLineage.status.not_in(RETIRED),
        )
        .with_for_update()
    )
    return deprecate_edges(session, edges, actor, comment)


def deprecate_table_edges(
    session: Session,
    table_id: uuid.UUID,
    field_ids: list[uuid.UUID],
    *,
    actor: str | None,
    comment: str,
) -> int:
    """Deprecate the table's edges and its fields' edges; returns how many changed."""
    edges = session.scalars(
        select(TableLineage)
        .where(
            or_(TableLineage.source_table_id == table_id, TableLineage.target_table_id == table_id),
            TableLineage.status.not_in(RETIRED),
        )
        .with_for_update()
    )
    count = deprecate_edges(session, edges, actor, comment)
    return count + deprecate_field_edges(session, field_ids, actor=actor, comment=comment)
