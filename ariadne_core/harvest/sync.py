"""Incremental metadata sync: apply what a connector harvested to the catalog.

The rules, in one place:

- A harvest is read whole before anything is written, then applied in one
  transaction. A source that fails mid-harvest leaves its previous metadata as it was.
- Each object carries a fingerprint of its harvested definition. An object whose
  fingerprint did not change is skipped (``full_sync`` compares every attribute
  anyway). Only real differences write history rows, as field-by-field diffs.
- Objects that vanished from the source are marked deleted, never erased, and come
  back with their ids (and so their lineage) if they reappear. Only what a harvest
  created can vanish: tables and fields declared by hand are never touched.
- What people edit is never overwritten: tags and owners are not harvested, a
  description changes only while it still equals the last harvested comment, and
  harvested properties live under ``properties["harvest"]``. Lineage edges are not
  touched at all, so manual and approved lineage survives a dropped table.
- The row-count estimate is a statistic: it is refreshed on every sync without a
  history row and is not part of the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from ariadne_core.catalog.history import diff
from ariadne_core.catalog.naming import field_qualified_name, table_qualified_name
from ariadne_core.connectors.base import HarvestedField, HarvestedObject
from ariadne_core.db.engine import allow_bulk_statements
from ariadne_core.db.models import ChangeHistory, DataSource, MetadataField, MetadataTable
from ariadne_core.schema_changes.classify import FieldState, TableState
from ariadne_core.schema_changes.record import SchemaDiffs, record_changes

HARVESTER = "harvester"
CHUNK = 5000

TABLE_ATTRS = ("table_type", "description", "view_definition", "properties")
FIELD_ATTRS = (
    "data_type",
    "is_nullable",
    "is_primary_key",
    "ordinal_position",
    "description",
    "properties",
)


@dataclass
class SyncCounts:
    added: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    restored: int = 0
    fields_added: int = 0
    fields_changed: int = 0
    fields_deleted: int = 0
    history_rows: int = 0
    schema_changes: int = 0  # breaking or risky changes recorded as events

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class SyncResult:
    source_id: uuid.UUID
    source_name: str
    full_sync: bool
    objects: int
    counts: SyncCounts
    duration_s: float
    server_version: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def kept_description(
    current: str | None, last_harvested: str | None, harvested: str | None
) -> str | None:
    """The description after a harvest: the source's comment, unless a person edited it.

    A description that still equals what the previous harvest wrote (or is empty) was not
    edited by hand, so it follows the source. Anything else is a person's and is kept.
    """
    if current is None or current == last_harvested:
        return harvested
    return current


def field_fingerprint(column: HarvestedField) -> str:
    payload = json.dumps(asdict(column), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _harvest_properties(obj: HarvestedObject) -> dict[str, Any]:
    return json.loads(
        json.dumps(
            {
                **obj.properties,
                "description": obj.description,
                "foreign_keys": [asdict(fk) for fk in obj.foreign_keys],
            },
            default=str,
        )
    )


def _field_harvest_properties(column: HarvestedField) -> dict[str, Any]:
    return json.loads(
        json.dumps({**column.properties, "description": column.description}, default=str)
    )


def _with_harvest(properties: dict[str, Any] | None, harvest: dict[str, Any]) -> dict[str, Any]:
    merged = dict(properties or {})
    merged["harvest"] = harvest
    return merged


def _last_harvested_description(properties: dict[str, Any] | None) -> str | None:
    value = (properties or {}).get("harvest", {}).get("description")
    return value if isinstance(value, str) else None


class _History:
    """History rows collected during a sync and written in batches."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        entity_type: str,
        entity_id: uuid.UUID,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        table_id: uuid.UUID | None,
    ) -> None:
        changes = diff(before, after)
        if action == "update" and not changes:
            return
        self.rows.append(
            {
                "entity_type": entity_type,
                "entity_id": entity_id,
                "table_id": table_id,
                "action": action,
                "changed_by": self.actor,
                "changes": changes,
            }
        )

    def flush(self, session: Session) -> int:
        for start in range(0, len(self.rows), CHUNK):
            session.execute(insert(ChangeHistory), self.rows[start : start + CHUNK])
        written = len(self.rows)
        self.rows.clear()
        return written


def _insert_many(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def _update_many(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(update(model), rows[start : start + CHUNK])


def _new_field_row(table_id: uuid.UUID, table_qname: str, column: HarvestedField) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "table_id": table_id,
        "name": column.name,
        "qualified_name": field_qualified_name(table_qname, column.name),
        "data_type": column.data_type,
        "is_nullable": column.is_nullable,
        "is_primary_key": column.is_primary_key,
        "ordinal_position": column.ordinal_position,
        "description": column.description,
        "tags": [],
        "properties": {"harvest": _field_harvest_properties(column)},
        "fingerprint": field_fingerprint(column),
        "is_deleted": False,
    }


def _field_history_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "qualified_name": row["qualified_name"],
        **{attr: row[attr] for attr in FIELD_ATTRS},
    }


def apply_harvest(
    session: Session,
    source: DataSource,
    objects: Sequence[HarvestedObject],
    *,
    full_sync: bool = False,
    actor: str = HARVESTER,
    sync_id: uuid.UUID | None = None,
) -> SyncCounts:
    """Apply a complete harvest of ``source`` inside the caller's transaction; the schema
    changes it sees are recorded as events of ``sync_id`` (the sync job)."""
    allow_bulk_statements(session)
    # One sync of a source at a time; a second one waits and then applies its own harvest.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"ariadne-sync:{source.id}"}
    )
    counts = SyncCounts()
    history = _History(actor)
    seen_changes = SchemaDiffs()
    now = datetime.now(UTC)

    existing = {
        row.qualified_name: row
        for row in session.execute(
            select(
                MetadataTable.id,
                MetadataTable.qualified_name,
                MetadataTable.fingerprint,
                MetadataTable.is_deleted,
                MetadataTable.table_type,
                MetadataTable.description,
                MetadataTable.view_definition,
                MetadataTable.properties,
                MetadataTable.row_count_estimate,
            ).where(MetadataTable.source_id == source.id)
        )
    }

    new_tables: list[dict[str, Any]] = []
    new_fields: list[dict[str, Any]] = []
    stats: list[dict[str, Any]] = []
    to_compare: list[tuple[Any, HarvestedObject, str, str]] = []
    seen: set[str] = set()
    for obj in objects:
        qname = table_qualified_name(source.name, obj.schema_name, obj.name)
        if qname in seen:
            continue
        seen.add(qname)
        fingerprint = obj.fingerprint()
        row = existing.get(qname)
        if row is None:
            table_id = uuid.uuid4()
            values: dict[str, Any] = {
                "id": table_id,
                "source_id": source.id,
                "schema_name": obj.schema_name,
                "name": obj.name,
                "qualified_name": qname,
                "table_type": obj.table_type,
                "description": obj.description,
                "row_count_estimate": obj.row_count_estimate,
                "view_definition": obj.view_definition,
                "tags": [],
                "properties": {"harvest": _harvest_properties(obj)},
                "fingerprint": fingerprint,
                "is_deleted": False,
            }
            new_tables.append(values)
            history.add(
                "table",
                table_id,
                "create",
                None,
                {k: values[k] for k in ("qualified_name", "row_count_estimate", *TABLE_ATTRS)},
                table_id,
            )
            for column in obj.fields:
                field_row = _new_field_row(table_id, qname, column)
                new_fields.append(field_row)
                history.add(
                    "field",
                    field_row["id"],
                    "create",
                    None,
                    _field_history_view(field_row),
                    table_id,
                )
            counts.added += 1
            counts.fields_added += len(obj.fields)
        elif not full_sync and not row.is_deleted and row.fingerprint == fingerprint:
            counts.unchanged += 1
            if row.row_count_estimate != obj.row_count_estimate:
                stats.append({"id": row.id, "row_count_estimate": obj.row_count_estimate})
        else:
            to_compare.append((row, obj, fingerprint, qname))

    _insert_many(session, MetadataTable, new_tables)
    _insert_many(session, MetadataField, new_fields)
    _update_many(session, MetadataTable, stats)

    if to_compare:
        _apply_changes(session, to_compare, counts, history, seen_changes)

    vanished = [
        row
        for qname, row in existing.items()
        if qname not in seen and not row.is_deleted and row.fingerprint is not None
    ]
    if vanished:
        _mark_vanished(session, vanished, counts, history, now)
        seen_changes.dropped.extend(
            TableState(r.id, r.qualified_name, r.table_type) for r in vanished
        )

    counts.history_rows = history.flush(session)
    counts.schema_changes = record_changes(session, source.id, seen_changes, sync_id)
    return counts


def _fields_of(session: Session, table_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    out: dict[uuid.UUID, list[Any]] = {}
    ids = list(table_ids)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(
                MetadataField.id,
                MetadataField.table_id,
                MetadataField.name,
                MetadataField.qualified_name,
                MetadataField.fingerprint,
                MetadataField.is_deleted,
                *(getattr(MetadataField, attr) for attr in FIELD_ATTRS),
            ).where(MetadataField.table_id.in_(ids[start : start + CHUNK]))
        )
        for row in rows:
            out.setdefault(row.table_id, []).append(row)
    return out


def _apply_changes(
    session: Session,
    items: list[tuple[Any, HarvestedObject, str, str]],
    counts: SyncCounts,
    history: _History,
    seen_changes: SchemaDiffs,
) -> None:
    fields_by_table = _fields_of(session, (row.id for row, *_ in items))
    table_updates: list[dict[str, Any]] = []
    field_updates: list[dict[str, Any]] = []
    new_fields: list[dict[str, Any]] = []
    for row, obj, fingerprint, qname in items:
        before: dict[str, Any] = {attr: getattr(row, attr) for attr in TABLE_ATTRS}
        after: dict[str, Any] = {
            "table_type": obj.table_type,
            "description": kept_description(
                row.description, _last_harvested_description(row.properties), obj.description
            ),
            "view_definition": obj.view_definition,
            "properties": _with_harvest(row.properties, _harvest_properties(obj)),
        }
        restored = bool(row.is_deleted)
        if restored:
            before["is_deleted"], after["is_deleted"] = True, False
        table_changed = bool(diff(before, after))
        history.add("table", row.id, "update", before, after, row.id)
        table_updates.append(
            {
                "id": row.id,
                **{attr: after[attr] for attr in TABLE_ATTRS},
                "row_count_estimate": obj.row_count_estimate,
                "fingerprint": fingerprint,
                "is_deleted": False,
                "deleted_at": None,
            }
        )

        current = {f.name: f for f in fields_by_table.get(row.id, [])}
        harvested_names = set()
        fields_changed = False
        if restored:
            seen_changes.restored_tables.append(row.id)
        else:
            state_before = TableState(row.id, qname, row.table_type)
            state_before.fields = {
                f.name: _field_state(f.id, f)
                for f in current.values()
                if not f.is_deleted and f.fingerprint is not None
            }
            state_after = TableState(row.id, qname, obj.table_type)
            seen_changes.compared.append((state_before, state_after))
        for column in obj.fields:
            harvested_names.add(column.name)
            old = current.get(column.name)
            if old is None:
                field_row = _new_field_row(row.id, qname, column)
                if not restored:
                    state_after.fields[column.name] = _field_state(field_row["id"], column)
                new_fields.append(field_row)
                history.add(
                    "field", field_row["id"], "create", None, _field_history_view(field_row), row.id
                )
                counts.fields_added += 1
                fields_changed = True
                continue
            f_before: dict[str, Any] = {attr: getattr(old, attr) for attr in FIELD_ATTRS}
            f_after: dict[str, Any] = {
                "data_type": column.data_type,
                "is_nullable": column.is_nullable,
                "is_primary_key": column.is_primary_key,
                "ordinal_position": column.ordinal_position,
                "description": kept_description(
                    old.description, _last_harvested_description(old.properties), column.description
                ),
                "properties": _with_harvest(old.properties, _field_harvest_properties(column)),
            }
            if not restored:
                state_after.fields[column.name] = _field_state(old.id, column)
            if old.is_deleted:
                seen_changes.restored_fields.append(old.id)
                f_before["is_deleted"], f_after["is_deleted"] = True, False
            if diff(f_before, f_after):
                history.add("field", old.id, "update", f_before, f_after, row.id)
                counts.fields_changed += 1
                fields_changed = True
            field_updates.append(
                {
                    "id": old.id,
                    **{attr: f_after[attr] for attr in FIELD_ATTRS},
                    "fingerprint": field_fingerprint(column),
                    "is_deleted": False,
                }
            )
        for name, old in current.items():
            if name in harvested_names or old.is_deleted or old.fingerprint is None:
                continue  # fields declared by hand are never removed by a harvest
            history.add(
                "field",
                old.id,
                "delete",
                {"is_deleted": False},
                {"is_deleted": True, "reason": "no longer in the source"},
                row.id,
            )
            field_updates.append(
                {
                    "id": old.id,
                    **{attr: getattr(old, attr) for attr in FIELD_ATTRS},
                    "fingerprint": old.fingerprint,
                    "is_deleted": True,
                }
            )
            counts.fields_deleted += 1
            fields_changed = True
        if restored:
            counts.restored += 1
        elif table_changed or fields_changed:
            counts.changed += 1
        else:
            counts.unchanged += 1
    _update_many(session, MetadataTable, table_updates)
    _update_many(session, MetadataField, field_updates)
    _insert_many(session, MetadataField, new_fields)


def _field_state(field_id: uuid.UUID, column: Any) -> FieldState:
    """A field as the schema-change rule compares it (a harvested column or a row)."""
    return FieldState(
        field_id,
        column.name,
        column.data_type,
        column.is_nullable,
        column.is_primary_key,
        column.ordinal_position,
    )


def _mark_vanished(
    session: Session, rows: list[Any], counts: SyncCounts, history: _History, now: datetime
) -> None:
    ids = [row.id for row in rows]
    for start in range(0, len(ids), CHUNK):
        live_fields = session.execute(
            select(MetadataField.id, MetadataField.table_id).where(
                MetadataField.table_id.in_(ids[start : start + CHUNK]), ~MetadataField.is_deleted
            )
        )
        for field_id, table_id in live_fields:
            history.add(
                "field",
                field_id,
                "delete",
                {"is_deleted": False},
                {"is_deleted": True, "reason": "its table is no longer in the source"},
                table_id,
            )
    for row in rows:
        history.add(
            "table",
            row.id,
            "delete",
            {"is_deleted": False},
            {"is_deleted": True, "reason": "no longer in the source"},
            row.id,
        )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(
            update(MetadataTable)
            .where(MetadataTable.id.in_(chunk))
            .values(is_deleted=True, deleted_at=now, updated_at=func.now())
        )
        session.execute(
            update(MetadataField)
            .where(MetadataField.table_id.in_(chunk), ~MetadataField.is_deleted)
            .values(is_deleted=True, updated_at=func.now())
        )
    counts.deleted += len(rows)
