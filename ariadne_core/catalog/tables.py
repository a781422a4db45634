"""Tables: list, detail, manual create/update/delete, each write recorded in history."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.catalog.history import record_change
from ariadne_core.catalog.naming import check_name, normalize_tags, table_qualified_name
from ariadne_core.db.jsonsql import json_array, json_object
from ariadne_core.db.models import (
    RETIRED,
    ChangeHistory,
    DataSource,
    MetadataField,
    MetadataTable,
)
from ariadne_core.db.plans import Plan, run
from ariadne_core.errors import Conflict, NotFound, ValidationFailed

TABLE_TYPES = (
    "table",
    "view",
    "materialized_view",
    "collection",
    "index",
    "data_stream",
    "alias",
    "external",
    "file",
)
SORTS = ("name", "qualified_name", "created_at", "updated_at")
# Lists with at most this many matches keep their ids in order per catalog generation.
ORDERED_IDS_MAX = 50_000
_TRACKED = (
    "source_id",
    "schema_name",
    "name",
    "qualified_name",
    "table_type",
    "description",
    "owner",
    "tags",
    "row_count_estimate",
    "properties",
)


@dataclass
class TableInput:
    source_id: uuid.UUID
    name: str
    schema_name: str | None = None
    table_type: str = "table"
    description: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    row_count_estimate: int | None = None
    properties: dict[str, Any] = field(default_factory=dict)


# The columns reads return, written as JSON by PostgreSQL (see ariadne_core.db.jsonsql).
_TABLE_KEYS = ("id", *_TRACKED)
# What history tracks of a field (ariadne_core.catalog.fields writes it); reads add ids.
FIELD_TRACKED = (
    "name",
    "qualified_name",
    "data_type",
    "is_nullable",
    "is_primary_key",
    "ordinal_position",
    "description",
    "tags",
    "properties",
)
_FIELD_KEYS = ("id", "table_id", *FIELD_TRACKED)
_STAMPS = ("created_at", "updated_at")


def _table_json(alias: str, source_name: str, extra: dict[str, str] | None = None) -> str:
    return json_object(
        alias, _TABLE_KEYS, timestamps=_STAMPS, extra={"source_name": source_name, **(extra or {})}
    )


# A list item, over `t` joined to its source `s`: built once, not on every list request.
_LIST_ITEM = _table_json("t", "s.name")


def snapshot(table: MetadataTable) -> dict[str, Any]:
    return {name: getattr(table, name) for name in _TRACKED}


def check_table_type(value: str) -> str:
    if value not in TABLE_TYPES:
        raise ValidationFailed(
            f"type '{value}' is not a table type; use one of: {', '.join(TABLE_TYPES)}.",
            details={"field": "table_type", "value": value, "allowed": list(TABLE_TYPES)},
        )
    return value


def parse_sort(sort: str | None) -> str:
    """The ORDER BY of a list over `t`: the column, then id in the same direction (one
    index serves both)."""
    if not sort:
        return "t.qualified_name ASC, t.id ASC"
    key = sort.lstrip("-")
    if key not in SORTS:
        raise ValidationFailed(
            f"Cannot sort by '{sort}'. Sort by one of {', '.join(SORTS)}; "
            "put '-' in front for descending order.",
            details={"field": "sort", "value": sort, "allowed": list(SORTS)},
        )
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f"t.{key} {direction}, t.id {direction}"


def _source(session: Session, source_id: uuid.UUID) -> DataSource:
    source = session.get(DataSource, source_id)
    if source is None:
        raise NotFound(
            f"Data source {source_id} does not exist.", details={"source_id": str(source_id)}
        )
    return source


def source_name(session: Session, source_id: uuid.UUID) -> str:
    return str(session.scalar(select(DataSource.name).where(DataSource.id == source_id)))


def get_table(session: Session, table_id: uuid.UUID, *, for_update: bool = False) -> MetadataTable:
    stmt = select(MetadataTable).where(MetadataTable.id == table_id, ~MetadataTable.is_deleted)
    if for_update:
        stmt = stmt.with_for_update()
    table = session.scalar(stmt)
    if table is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    return table


def check_tags_exist(conn: psycopg.Connection[Any], tags: list[str]) -> None:
    """Filtering by a tag nobody uses is almost always a typo: say so, with suggestions."""
    run(conn, check_tags_plan(tags))


def check_tags_plan(tags: list[str]) -> Plan[None]:
    if not tags:
        return
    row = yield (
        "SELECT array_agg(DISTINCT tag) FROM metadata_tables, unnest(tags) AS tag "
        "WHERE tags && %(tags)s::varchar[]",
        {"tags": tags},
    )
    known = set(row[0] or []) if row else set()
    missing = [t for t in tags if t not in known]
    if not missing:
        return
    row = yield (
        "SELECT array_agg(tag) FROM "
        "(SELECT DISTINCT unnest(tags) AS tag FROM metadata_tables LIMIT 5000) used",
        {},
    )
    all_tags = list(row[0] or []) if row else []
    suggestions = {t: difflib.get_close_matches(t, all_tags, n=3) for t in missing}
    hint = "; ".join(
        f"did you mean {', '.join(map(repr, s))} for '{t}'?" for t, s in suggestions.items() if s
    )
    raise ValidationFailed(
        f"No table is tagged {', '.join(map(repr, missing))}." + (f" {hint}" if hint else ""),
        details={"field": "tags", "unknown": missing, "suggestions": suggestions},
    )


def list_tables(
    *,
    source_id: uuid.UUID | None = None,
    search: str | None = None,
    tags: list[str] | None = None,
    table_type: str | None = None,
    sort: str | None = None,
    offset: int = 0,
    limit: int = 20,
    cache: GenerationCache | None = None,
) -> Plan[tuple[str, int]]:
    """One page of live tables as a JSON array (text), and the number of matches.

    The page's ids come from the list-order indexes before the rows are read. With
    ``cache``, the number of matches (for short lists, their ids in order) and the pages
    read are kept until the catalog changes.
    """
    order = parse_sort(sort)
    tags = normalize_tags(tags)
    where = ["NOT t.is_deleted"]
    params: dict[str, Any] = {"offset": offset, "limit": limit}
    if source_id is not None:
        where.append("t.source_id = %(source_id)s")
        params["source_id"] = source_id
    if table_type is not None:
        where.append("t.table_type = %(table_type)s")
        params["table_type"] = check_table_type(table_type)
    if tags:
        where.append("t.tags @> %(tags)s::varchar[]")
        params["tags"] = tags
    if search and search.strip():
        term = search.strip()
        where.append(
            "(t.name ILIKE %(pattern)s OR t.qualified_name ILIKE %(pattern)s "
            "OR t.description ILIKE %(pattern)s)"
        )
        params["pattern"] = (
            "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    matches = "FROM metadata_tables t WHERE " + " AND ".join(where)
    filters = sorted(
        (k, tuple(v) if isinstance(v, list) else v)
        for k, v in params.items()
        if k not in ("offset", "limit")
    )
    key = ("tables", matches, tuple(filters), order)
    # One page of matches by OFFSET over the list-order indexes.
    page = (
        f"SELECT {json_array(_LIST_ITEM, order)}::text FROM "
        f"(SELECT t.id {matches} ORDER BY {order} OFFSET %(offset)s LIMIT %(limit)s) ids "
        "JOIN metadata_tables t ON t.id = ids.id JOIN data_sources s ON s.id = t.source_id"
    )
    generation, known = cache.lookup(key) if cache is not None else (None, None)
    if cache is None or generation is None:
        # Nothing can be kept: the count and the page in one statement, one round trip.
        row = yield (f"SELECT (SELECT count(*) {matches}), ({page})", params)
        total = int(row[0]) if row else 0
        if total == 0:
            yield from check_tags_plan(tags)  # no match at all: was a tag misspelled?
        return (str(row[1]) if row and row[1] is not None else "[]"), total
    if known is None:
        row = yield (f"SELECT count(*) {matches}", params)
        known = int(row[0]) if row else 0
        if 0 < known <= ORDERED_IDS_MAX:
            # Keep every match's id in list order: any page of this list is then read
            # by primary key, with no OFFSET walk and no sort, until the catalog changes.
            row = yield (f"SELECT array_agg(t.id ORDER BY {order}) {matches}", params)
            known = OrderedIds(row[0] if row and row[0] else [])
        size = 16 * len(known) if isinstance(known, OrderedIds) else 64
        cache.store(key, generation, known, size)
    total = len(known) if isinstance(known, OrderedIds) else int(known)
    if total == 0:
        yield from check_tags_plan(tags)  # no match at all: was a tag misspelled?
        return "[]", 0
    if offset >= total:  # past the last page: nothing to read
        return "[]", total
    page_key = (key, offset, limit)
    _, kept = cache.lookup(page_key)
    if kept is not None:
        return kept, total
    if isinstance(known, OrderedIds):
        row = yield (
            f"SELECT {json_array(_LIST_ITEM, 'p.ord')}::text "
            "FROM unnest(%(ids)s::uuid[]) WITH ORDINALITY AS p(id, ord) "
            "JOIN metadata_tables t ON t.id = p.id JOIN data_sources s ON s.id = t.source_id "
            "WHERE NOT t.is_deleted",
            {"ids": known.page(offset, limit)},
        )
    else:
        row = yield (page, params)
    body = str(row[0]) if row else "[]"
    cache.store(page_key, generation, body, len(body))
    return body, total


class OrderedIds:
    """The ids of a list's matches in list order, packed 16 bytes each."""

    def __init__(self, ids: list[uuid.UUID]) -> None:
        self._packed = b"".join(i.bytes for i in ids)

    def __len__(self) -> int:
        return len(self._packed) // 16

    def page(self, offset: int, limit: int) -> list[uuid.UUID]:
        chunk = self._packed[16 * offset : 16 * (offset + limit)]
        return [uuid.UUID(bytes=chunk[i : i + 16]) for i in range(0, len(chunk), 16)]


def _live_edge_count(column: str) -> str:
    dead = ", ".join(f"'{s.value}'" for s in RETIRED)
    return (
        f"(SELECT count(*) FROM table_lineage e WHERE e.{column} = t.id "
        f"AND e.status NOT IN ({dead}))"
    )


RECENT_SCHEMA_CHANGES = 5
_DETAIL_JSON = (
    "SELECT "
    + _table_json(
        "t",
        "s.name",
        {
            "upstream_count": _live_edge_count("target_table_id"),
            "downstream_count": _live_edge_count("source_table_id"),
            "last_change": "(SELECT "
            + json_object("h", ("action", "changed_by"), timestamps=("changed_at",))
            + " FROM change_history h WHERE h.table_id = t.id"
            " ORDER BY h.changed_at DESC, h.id DESC LIMIT 1)",
            # the last schema changes syncs saw in it (docs/schema-changes.md)
            "recent_schema_changes": "(SELECT "
            + json_array(
                json_object(
                    "e",
                    ("id", "change_type", "severity", "field_name", "status"),
                    timestamps=("detected_at",),
                    extra={"affected_count": "coalesce((e.impact->>'affected_count')::int, 0)"},
                ),
                "e.detected_at DESC",
            )
            + " FROM (SELECT * FROM schema_change_events WHERE table_id = t.id"
            f" ORDER BY detected_at DESC LIMIT {RECENT_SCHEMA_CHANGES}) e)",
            "fields": "(SELECT "
            + json_array(
                json_object("f", _FIELD_KEYS, timestamps=_STAMPS),
                "f.ordinal_position NULLS LAST, f.name",
            )
            + " FROM metadata_fields f WHERE f.table_id = t.id AND NOT f.is_deleted)",
        },
    )
    + "::text FROM metadata_tables t JOIN data_sources s ON s.id = t.source_id"
    " WHERE t.id = %(table_id)s AND NOT t.is_deleted"
)


def table_detail(table_id: uuid.UUID, cache: GenerationCache | None = None) -> Plan[str]:
    """The table with its fields, live edge counts and last change, as JSON text; with
    ``cache``, kept until the catalog or its lineage changes."""
    key = ("table", table_id)
    generation, kept = cache.lookup(key) if cache is not None else (None, None)
    if kept is not None:
        return str(kept)
    row = yield (_DETAIL_JSON, {"table_id": table_id})
    body = row[0] if row else None
    if body is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    if cache is not None:
        cache.store(key, generation, str(body), len(body))
    return str(body)


def _ensure_unique(
    session: Session, source_id: uuid.UUID, qualified_name: str, exclude: uuid.UUID | None = None
) -> MetadataTable | None:
    """Raise 409 for a live duplicate; return a deleted namesake that may be revived."""
    stmt = select(MetadataTable).where(
        MetadataTable.source_id == source_id, MetadataTable.qualified_name == qualified_name
    )
    if exclude is not None:
        stmt = stmt.where(MetadataTable.id != exclude)
    existing = session.scalar(stmt)
    if existing is not None and not existing.is_deleted:
        raise Conflict(
            f"Table '{qualified_name}' already exists in this source.",
            details={"qualified_name": qualified_name, "existing_id": str(existing.id)},
        )
    return existing


def create_table(session: Session, data: TableInput, actor: str | None) -> MetadataTable:
    source = _source(session, data.source_id)
    name = check_name(data.name, "name")
    schema_name = check_name(data.schema_name, "schema_name") if data.schema_name else None
    qualified = table_qualified_name(source.name, schema_name, name)
    values = {
        "source_id": source.id,
        "schema_name": schema_name,
        "name": name,
        "qualified_name": qualified,
        "table_type": check_table_type(data.table_type),
        "description": data.description,
        "owner": data.owner,
        "tags": normalize_tags(data.tags),
        "row_count_estimate": data.row_count_estimate,
        "properties": data.properties or {},
    }
    deleted = _ensure_unique(session, source.id, qualified)
    if deleted is not None:  # a table deleted earlier comes back with its id and lineage
        before = snapshot(deleted)
        for key, value in values.items():
            setattr(deleted, key, value)
        deleted.is_deleted, deleted.deleted_at = False, None
        table = deleted
        session.flush()
        record_change(
            session,
            entity_type="table",
            entity_id=table.id,
            table_id=table.id,
            action="restore",
            actor=actor,
            before=before,
            after=snapshot(table),
        )
        return table
    table = MetadataTable(**values)
    session.add(table)
    session.flush()
    record_change(
        session,
        entity_type="table",
        entity_id=table.id,
        table_id=table.id,
        action="create",
        actor=actor,
        before=None,
        after=snapshot(table),
    )
    return table


def update_table(
    session: Session, table_id: uuid.UUID, changes: dict[str, Any], actor: str | None
) -> MetadataTable:
    table = get_table(session, table_id, for_update=True)
    before = snapshot(table)
    if "name" in changes or "schema_name" in changes:
        name = check_name(changes.get("name") or table.name, "name")
        schema_value = changes.get("schema_name", table.schema_name)
        schema_name = check_name(schema_value, "schema_name") if schema_value else None
        source = _source(session, table.source_id)
        qualified = table_qualified_name(source.name, schema_name, name)
        if qualified != table.qualified_name:
            namesake = _ensure_unique(session, table.source_id, qualified, exclude=table.id)
            if namesake is not None:
                raise Conflict(
                    f"A deleted table named '{qualified}' still holds that name and its lineage. "
                    "Re-create it instead of renaming this one.",
                    details={"qualified_name": qualified, "existing_id": str(namesake.id)},
                )
            _rename_fields(session, table, qualified)
        table.name, table.schema_name, table.qualified_name = name, schema_name, qualified
    if "table_type" in changes and changes["table_type"] is not None:
        table.table_type = check_table_type(changes["table_type"])
    if "tags" in changes:
        table.tags = normalize_tags(changes["tags"])
    for key in ("description", "owner", "row_count_estimate"):
        if key in changes:
            setattr(table, key, changes[key])
    if "properties" in changes:
        table.properties = changes["properties"] or {}
    session.flush()
    if record_change(
        session,
        entity_type="table",
        entity_id=table.id,
        table_id=table.id,
        action="update",
        actor=actor,
        before=before,
        after=snapshot(table),
    ):
        table.updated_at = datetime.now(UTC)
    return table


def _rename_fields(session: Session, table: MetadataTable, new_qualified: str) -> None:
    session.execute(
        update(MetadataField)
        .where(MetadataField.table_id == table.id)
        .values(qualified_name=new_qualified + "." + MetadataField.name)
    )


def table_history(
    session: Session, table_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[ChangeHistory], int]:
    exists = session.scalar(select(MetadataTable.id).where(MetadataTable.id == table_id))
    if exists is None:
        raise NotFound(f"Table {table_id} does not exist.", details={"table_id": str(table_id)})
    base = select(ChangeHistory).where(ChangeHistory.table_id == table_id)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.scalars(
        base.order_by(ChangeHistory.changed_at.desc(), ChangeHistory.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total
