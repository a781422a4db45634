"""The lineage audit trail: append-only events (the database refuses updates and deletes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.catalog.history import jsonable
from ariadne_core.db.models import (
    FieldLineage,
    LineageAction,
    LineageAuditEvent,
    LineageStatus,
    TableLineage,
)

Edge = TableLineage | FieldLineage

SNAPSHOT_COLUMNS = (
    "transformation_type",
    "transformation_logic",
    "lineage_source",
    "origin",
    "origin_detail",
    "confidence",
    "status",
    "created_by",
    "approved_by",
    "approved_at",
    "version",
)


_PLAIN = (str, int, float, bool)


def append_created_events_sql(
    session: Session, model: type[Edge], edge_ids: list[Any], actor: str | None, comment: str
) -> None:
    """One CREATE event per edge in ``edge_ids``, built by the database in one statement.

    Bulk import writes thousands of edges at once; the snapshot is the same document
    `edge_snapshot` makes (same keys, ids as text, enums as their values).
    """
    if not edge_ids:
        return
    from sqlalchemy import text

    is_table = model is TableLineage
    source, target = (
        ("source_table_id", "target_table_id")
        if is_table
        else ("source_field_id", "target_field_id")
    )
    pairs = ", ".join(f"'{c}', e.{c}" for c in SNAPSHOT_COLUMNS)
    session.execute(
        text(
            "INSERT INTO lineage_audit_events (edge_kind, edge_id, action, actor, before, after, "
            f"comment) SELECT :kind, e.id, 'create', :actor, NULL, jsonb_build_object("
            f"'source_id', e.{source}::text, 'target_id', e.{target}::text, {pairs}, "
            f"'metadata', e.metadata), :comment FROM {model.__tablename__} e "
            "WHERE e.id = ANY(CAST(:ids AS uuid[]))"
        ),
        {
            "kind": "table" if is_table else "field",
            "actor": actor,
            "comment": comment,
            "ids": edge_ids,
        },
    )


def edge_kind(edge: Edge) -> str:
    return "table" if isinstance(edge, TableLineage) else "field"


def edge_snapshot(edge: Edge) -> dict[str, Any]:
    if isinstance(edge, TableLineage):
        ends = {"source_id": edge.source_table_id, "target_id": edge.target_table_id}
    else:
        ends = {"source_id": edge.source_field_id, "target_id": edge.target_field_id}
    values = {name: getattr(edge, name) for name in SNAPSHOT_COLUMNS}
    return snapshot_of(ends["source_id"], ends["target_id"], values, edge.edge_metadata)


def snapshot_of(
    source_id: Any, target_id: Any, values: dict[str, Any], metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """The audit snapshot of an edge given as plain values (bulk writes use this directly)."""
    data: dict[str, Any] = {"source_id": str(source_id), "target_id": str(target_id)}
    for name in SNAPSHOT_COLUMNS:
        value = values.get(name)
        data[name] = value if value is None or type(value) in _PLAIN else jsonable(value)
    data["metadata"] = jsonable(metadata or {})
    return data


def append_event(
    session: Session,
    edge: Edge,
    action: LineageAction,
    *,
    actor: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    comment: str | None = None,
) -> None:
    session.add(
        LineageAuditEvent(
            edge_kind=edge_kind(edge),
            edge_id=edge.id,
            action=action,
            actor=actor,
            before=before,
            after=after,
            comment=comment,
        )
    )


def set_status(
    session: Session,
    edge: Edge,
    status: LineageStatus,
    action: LineageAction,
    *,
    actor: str | None,
    comment: str | None,
) -> None:
    """Move an edge to ``status``, bump its version and audit the change."""
    before = edge_snapshot(edge)
    edge.status = status
    edge.version += 1
    session.flush()
    append_event(
        session,
        edge,
        action,
        actor=actor,
        before=before,
        after=edge_snapshot(edge),
        comment=comment,
    )
