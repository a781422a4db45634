"""Upstream and downstream lineage of a table or field: nodes at their shortest depth."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.models import FieldLineage, LineageSource, MetadataField
from ariadne_core.errors import NotFound, ValidationFailed
from ariadne_core.graph.store import Direction, EdgeFilter, GraphEdge, GraphStore, Kind


@dataclass
class Node:
    id: uuid.UUID
    qualified_name: str
    type: Kind
    depth: int


@dataclass
class Traversal:
    root_id: uuid.UUID
    direction: Direction
    depth: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    truncated: bool = False
    next_cursor: str | None = None
    total_nodes: int = 0


def parse_lineage_sources(values: list[str] | None) -> tuple[LineageSource, ...]:
    if not values:
        return tuple(LineageSource)
    out = []
    for raw in values:
        for part in filter(None, (p.strip() for p in raw.split(","))):
            try:
                out.append(LineageSource(part))
            except ValueError:
                raise ValidationFailed(
                    f"'{part}' is not a lineage source; use inferred, manual or approved.",
                    details={
                        "field": "source_filter",
                        "value": part,
                        "allowed": [s.value for s in LineageSource],
                    },
                ) from None
    return tuple(dict.fromkeys(out))


def check_depth(depth: int, settings: Settings) -> None:
    if depth < 1 or depth > settings.lineage_max_depth:
        raise ValidationFailed(
            f"depth {depth} is outside 1..{settings.lineage_max_depth}. Ask for fewer hops "
            "(the cap is ARIADNE_LINEAGE_MAX_DEPTH).",
            details={"field": "depth", "value": depth, "max": settings.lineage_max_depth},
        )


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        value = -1
    if value < 0:
        raise ValidationFailed(
            "The cursor is not one this API gave out.", details={"field": "cursor", "value": cursor}
        )
    return value


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


_NAMES = {
    kind: text(f"SELECT id, qualified_name FROM {table} WHERE id = ANY(:ids)").bindparams(
        bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
    )
    for kind, table in (("table", "metadata_tables"), ("field", "metadata_fields"))
}


def _names(session: Session, kind: Kind, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Qualified names by id, in one statement whatever the number of ids (one array
    parameter, so the SQL text and its compiled form never change)."""
    rows = session.execute(_NAMES[kind], {"ids": ids})
    return {row[0]: row[1] for row in rows}


def _not_found(kind: Kind, root: uuid.UUID) -> NotFound:
    return NotFound(f"The {kind} {root} is not in the catalog.", details={f"{kind}_id": str(root)})


def traverse(
    session: Session,
    store: GraphStore,
    settings: Settings,
    *,
    root: uuid.UUID,
    kind: Kind,
    direction: Direction,
    depth: int,
    edge_filter: EdgeFilter,
    include_fields: bool = False,
    cursor: str | None = None,
) -> Traversal:
    check_depth(depth, settings)
    offset = _cursor_offset(cursor)
    walk = store.walk(root, kind=kind, direction=direction, depth=depth, edge_filter=edge_filter)
    # The walk always holds the root (depth 0), so the names query also tells whether the
    # root exists: one round trip fewer than checking it first.
    names = _names(session, kind, list(walk.depths.keys() | {root}))
    if root not in names:
        raise _not_found(kind, root)
    ordered = sorted(walk.depths.items(), key=lambda item: (item[1], names.get(item[0], "")))
    budget = settings.lineage_node_budget
    page = ordered[offset : offset + budget]
    shown = {node for node, _ in ordered[: offset + budget]}
    result = Traversal(root_id=root, direction=direction, depth=depth, total_nodes=len(ordered))
    result.nodes = [
        Node(id=n, qualified_name=names.get(n, "?"), type=kind, depth=d) for n, d in page
    ]
    page_ids = {n for n, _ in page}
    result.edges = [
        e
        for e in walk.edges
        if e.source in shown
        and e.target in shown
        and (e.source in page_ids or e.target in page_ids)
    ]
    if offset + budget < len(ordered):
        result.truncated, result.next_cursor = True, _cursor(offset + budget)
    if include_fields and kind == "table":
        _add_field_level(session, result, edge_filter)
    return result


def _add_field_level(session: Session, result: Traversal, edge_filter: EdgeFilter) -> None:
    """Field edges between the tables shown, with their fields at their table's depth."""
    depth_of = {n.id: n.depth for n in result.nodes}
    if not depth_of:
        return
    src, dst = MetadataField.__table__.alias("src"), MetadataField.__table__.alias("dst")
    rows = session.execute(
        select(
            FieldLineage, src.c.table_id, src.c.qualified_name, dst.c.table_id, dst.c.qualified_name
        )
        .join(src, src.c.id == FieldLineage.source_field_id)
        .join(dst, dst.c.id == FieldLineage.target_field_id)
        .where(
            src.c.table_id.in_(depth_of),
            dst.c.table_id.in_(depth_of),
            FieldLineage.status.in_(edge_filter.statuses),
            FieldLineage.lineage_source.in_(edge_filter.lineage_sources),
            FieldLineage.confidence >= edge_filter.min_confidence,
        )
    ).all()
    seen: set[uuid.UUID] = set()
    for edge, src_table, src_name, dst_table, dst_name in rows:
        for field_id, table_id, name in (
            (edge.source_field_id, src_table, src_name),
            (edge.target_field_id, dst_table, dst_name),
        ):
            if field_id not in seen:
                seen.add(field_id)
                result.nodes.append(
                    Node(id=field_id, qualified_name=name, type="field", depth=depth_of[table_id])
                )
        result.edges.append(
            GraphEdge(
                id=edge.id,
                source=edge.source_field_id,
                target=edge.target_field_id,
                lineage_source=edge.lineage_source,
                confidence=edge.confidence,
                status=edge.status,
                transformation_type=edge.transformation_type,
            )
        )
