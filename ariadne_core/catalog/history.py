"""Change history: every write to a source, table or field goes through record_change."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db.models import ChangeHistory


def jsonable(value: Any) -> Any:
    """Values as they are stored in JSONB history and audit rows."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Field-by-field ``{"field": {"before": x, "after": y}}`` of what changed."""
    before, after = before or {}, after or {}
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def record_change(
    session: Session,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    actor: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    table_id: uuid.UUID | None = None,
) -> bool:
    """Append a history row; returns False (and writes nothing) when nothing changed."""
    changes = diff(before, after)
    if action == "update" and not changes:
        return False
    session.add(
        ChangeHistory(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            changed_by=actor,
            changes=changes,
            table_id=table_id,
        )
    )
    return True
