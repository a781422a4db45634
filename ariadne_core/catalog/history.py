"""Change history: every write to a source, table or field goes through record_change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db.models import ChangeHistory


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return value.value  # enums
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Field-by-field ``{"field": {"before": x, "after": y}}`` of what changed."""
    before, after = before or {}, after or {}
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(key)), _jsonable(after.get(key))
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
