"""Lineage written in bulk: the edges between many (source, target) pairs read at once,
and new or changed edges written with COPY, each with its audit event. Bulk import and
inference both write lineage through `EdgeWriter`; every decision comes from
`lineage.edges` (`declaration_outcome`, `initial_state`), the rules the API uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from ariadne_core.db.bulk import copy_lines, copy_rows, copy_text
from ariadne_core.db.models import (
    FieldLineage,
    LineageAction,
    LineageAuditEvent,
    LineageStatus,
    TableLineage,
)
from ariadne_core.lineage.audit import SNAPSHOT_COLUMNS, append_created_events_sql, snapshot_of
from ariadne_core.lineage.edges import Actor, EdgeInput, initial_state


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


@dataclass
class EdgePlan:
    record: Any  # the import's row (None for a table edge created for field edges)
    source_id: uuid.UUID
    target_id: uuid.UUID
    data: EdgeInput
    existing: dict[str, Any] | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    upgrade: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


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
            copy_text(state["transformation_type"]),
            copy_text(state["transformation_logic"]),
            state["lineage_source"].value,
            state["origin"].value,
            repr(float(state["confidence"])),
            state["status"].value,
            copy_text(state["edge_metadata"] or {}),
            copy_text(state["created_by"]),
            copy_text(state["approved_by"]),
            "\\N" if approved_at is None else approved_at.isoformat(),
        ]
        if self.kind is FIELD_EDGES:
            values.append(copy_text(plan.extra.get("table_lineage_id")))
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
