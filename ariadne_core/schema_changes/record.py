"""Record what one sync changed, in the sync's own transaction (``record_changes`` is
called by ``harvest.sync.apply_harvest``): each breaking or risky change becomes an
open event, and a change that undoes an open, unacknowledged event closes that event
instead of raising a new one (a type changed back, a dropped field or table restored, a
rename reverted). Safe changes raise nothing; a first harvest compares nothing, and an
unchanged re-sync compares nothing either, so neither raises anything."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import SchemaChangeEvent
from ariadne_core.schema_changes.classify import (
    SAFE,
    Change,
    TableState,
    classify,
    normalize_type,
)

OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
# A change of the first kind is undone by one of the second (with before and after swapped).
_UNDONE_BY = {
    "type_changed": "type_changed",
    "nullability_tightened": "nullability_relaxed",
    "nullability_relaxed": "nullability_tightened",
    "primary_key_changed": "primary_key_changed",
    "table_type_changed": "table_type_changed",
    "field_renamed": "field_renamed",
}

_TABLE_WIDE = ("field_renamed", "primary_key_changed", "table_type_changed")


@dataclass
class SchemaDiffs:
    """What a sync compared: tables before and after, tables gone, things back."""

    compared: list[tuple[TableState, TableState]] = field(default_factory=list)
    dropped: list[TableState] = field(default_factory=list)
    restored_tables: list[uuid.UUID] = field(default_factory=list)
    restored_fields: list[uuid.UUID] = field(default_factory=list)

    def changes(self) -> list[Change]:
        out = [c for before, after in self.compared for c in classify(before, after)]
        out.extend(c for table in self.dropped for c in classify(table, None))
        return out


def record_changes(
    session: Session, source_id: uuid.UUID, diffs: SchemaDiffs, sync_id: uuid.UUID | None = None
) -> int:
    """Store the breaking and risky changes as open events of the sync ``sync_id`` (its
    sync job, when there is one: GET /api/v1/sources/sync-jobs/{id}); returns how many."""
    changes = [c for c in diffs.changes() if c.severity != SAFE]
    if not changes and not diffs.restored_tables and not diffs.restored_fields:
        return 0
    now = datetime.now(UTC)
    tables = {c.table_id for c in changes} | set(diffs.restored_tables)
    open_events: list[SchemaChangeEvent] = []
    for column, wanted in (
        (SchemaChangeEvent.table_id, tables),
        (SchemaChangeEvent.field_id, set(diffs.restored_fields)),
    ):
        if wanted:
            open_events.extend(
                e
                for e in session.scalars(
                    select(SchemaChangeEvent).where(
                        SchemaChangeEvent.source_id == source_id,
                        SchemaChangeEvent.status == OPEN,
                        column.in_(wanted),
                    )
                )
                if e not in open_events
            )

    def close(event: SchemaChangeEvent, reason: str) -> None:
        event.status, event.closed_at, event.closed_reason = CLOSED, now, reason

    restored_tables, restored_fields = set(diffs.restored_tables), set(diffs.restored_fields)
    for event in open_events:
        if event.status != OPEN:
            continue
        if event.change_type == "table_dropped" and event.table_id in restored_tables:
            close(event, "reverted: the table is back")
        elif event.change_type == "field_dropped" and event.field_id in restored_fields:
            close(event, "reverted: the field is back")
    sync_id = sync_id or uuid.uuid4()
    recorded = 0
    for change in changes:
        undone = next((e for e in open_events if e.status == OPEN and _undoes(change, e)), None)
        if undone is not None:
            close(undone, f"reverted by a later sync ({_said(change)})")
            continue
        session.add(
            SchemaChangeEvent(
                id=uuid.uuid4(),
                source_id=source_id,
                sync_id=sync_id,
                table_id=change.table_id,
                field_id=change.field_id,
                table_name=change.table_name,
                field_name=change.field_name,
                change_type=change.kind,
                severity=change.severity,
                details=change.details,
                status=OPEN,
                detected_at=now,
            )
        )
        recorded += 1
    session.flush()
    return recorded


def _same(a: Any, b: Any, kind: str) -> bool:
    if kind == "type_changed":
        return normalize_type(a) == normalize_type(b)
    return bool(a == b)


def _undoes(change: Change, event: SchemaChangeEvent) -> bool:
    """Does ``change`` put back what ``event`` changed?"""
    if _UNDONE_BY.get(event.change_type) != change.kind or event.table_id != change.table_id:
        return False
    # a rename's names, and a table's key or type, say themselves which they are
    same_field = change.kind in _TABLE_WIDE or event.field_id == change.field_id
    before, after = event.details.get("before"), event.details.get("after")
    return (
        same_field
        and _same(before, change.details.get("after"), change.kind)
        and _same(after, change.details.get("before"), change.kind)
    )


def _said(change: Change) -> str:
    where = f"{change.table_name}.{change.field_name}" if change.field_name else change.table_name
    return f"{change.kind} of {where}"
