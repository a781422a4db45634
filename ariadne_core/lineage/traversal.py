"""Upstream and downstream lineage of a table or field: nodes at their shortest depth."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import LineageSource
from ariadne_core.db.plans import Plan, run
from ariadne_core.errors import NotFound, ValidationFailed
from ariadne_core.graph.postgres import (
    EDGE_FILTER,
    NODE_TABLES,
    edge_arrays,
    filter_params,
    unpack_edges,
    walk_plan,
)
from ariadne_core.graph.store import (
    Currency,
    Direction,
    EdgeFilter,
    GraphEdge,
    GraphStore,
    Kind,
    StaleWalk,
    Walk,
)


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


def _names_plan(
    kind: Kind, ids: list[uuid.UUID], currency: Currency | None = None
) -> Plan[dict[uuid.UUID, str]]:
    """Qualified names by id, in one statement and one row whatever the number of ids;
    with ``currency``, the same statement checks the walk was current (`StaleWalk`)."""
    params: dict[str, Any] = {"ids": ids}
    extra = ""
    if currency is not None:
        extra = ", " + currency.columns
        params.update(currency.params)
    row = yield (
        f"SELECT array_agg(id), array_agg(qualified_name){extra} FROM {NODE_TABLES[kind]} "
        "WHERE id = ANY(%(ids)s)",
        params,
    )
    if currency is not None and (row is None or tuple(row[2:]) != currency.expected):
        raise StaleWalk(f"the walk of {kind} {ids[0]} came from a projection behind PostgreSQL")
    if row is None or not row[0]:
        return {}
    return dict(zip(row[0], row[1], strict=True))


def _not_found(kind: Kind, root: uuid.UUID) -> NotFound:
    return NotFound(f"The {kind} {root} is not in the catalog.", details={f"{kind}_id": str(root)})


@dataclass(frozen=True)
class TraversalQuery:
    """What a client asked for: the walk, plus how the answer is shaped."""

    root: uuid.UUID
    kind: Kind
    direction: Direction
    depth: int
    edge_filter: EdgeFilter
    include_fields: bool = False
    cursor: str | None = None

    def check(self, settings: Settings) -> int:
        """Refuse a depth over the cap or a cursor this API never gave, before any
        walking; returns the cursor's offset."""
        check_depth(self.depth, settings)
        return _cursor_offset(self.cursor)

    def walk_on(self, store: GraphStore) -> Walk:
        return store.walk(
            self.root,
            kind=self.kind,
            direction=self.direction,
            depth=self.depth,
            edge_filter=self.edge_filter,
        )


def traverse(
    session: Session, store: GraphStore, settings: Settings, query: TraversalQuery
) -> Traversal:
    """The traversal on ``store`` (PostgreSQL or Neo4j), named from ``session``."""
    query.check(settings)
    walk = query.walk_on(store)
    return run(driver_connection(session), traversal_plan(settings, query, walk))


def _levels(walk: Walk) -> list[list[uuid.UUID]]:
    """The walk's nodes by depth (index 0 holds the root)."""
    levels: list[list[uuid.UUID]] = [[] for _ in range(max(walk.depths.values(), default=0) + 1)]
    for node, depth in walk.depths.items():
        levels[depth].append(node)
    return levels


def _overlapping(levels: list[list[uuid.UUID]], start: int, end: int) -> list[bool]:
    """For each level, whether the page [start, end) of the order (depth, name) takes
    nodes from it."""
    overlaps, at = [], 0
    for level in levels:
        overlaps.append(at < end and at + len(level) > start)
        at += len(level)
    return overlaps


def _to_name(levels: list[list[uuid.UUID]], overlaps: list[bool]) -> list[uuid.UUID]:
    """The nodes whose names place the page in the order (depth, name): those of the
    levels it overlaps. A level wholly before the page only counts; one after it is never
    read. A walk into 12,000 tables then names about a thousand, not all of them."""
    return [node for level, take in zip(levels, overlaps, strict=True) if take for node in level]


def _ordered(
    levels: list[list[uuid.UUID]], overlaps: list[bool], names: dict[uuid.UUID, str], end: int
) -> list[tuple[uuid.UUID, int]]:
    """The first ``end`` nodes (or all) as (node, depth), by depth then name within the
    levels the page overlaps; a level wholly before the page keeps any order, as only its
    size and its members matter (they are `shown`, not on the page)."""
    ordered: list[tuple[uuid.UUID, int]] = []
    for depth, (level, take) in enumerate(zip(levels, overlaps, strict=True)):
        if len(ordered) >= end:
            break
        ranked = sorted(level, key=lambda node: names.get(node, "")) if take else level
        ordered.extend((node, depth) for node in ranked)
    return ordered


def traversal_plan(
    settings: Settings,
    query: TraversalQuery,
    walk: Walk | None = None,
    currency: Currency | None = None,
) -> Plan[Traversal]:
    """The traversal as a read plan. Without ``walk`` the walk is PostgreSQL's, in the same
    plan: the API then answers with no thread and no ORM (see ariadne_core.db.plans). A
    ``walk`` from a projection comes with its ``currency``, checked when its nodes are
    named: `StaleWalk` if the projection has fallen behind."""
    offset = query.check(settings)
    root, kind, direction, depth = query.root, query.kind, query.direction, query.depth
    edge_filter = query.edge_filter
    budget = settings.lineage_node_budget
    if walk is None:
        walk = yield from walk_plan(
            root,
            kind=kind,
            direction=direction,
            depth=depth,
            edge_filter=edge_filter,
            name_up_to=budget,
        )
    levels = _levels(walk)
    overlaps = _overlapping(levels, offset, offset + budget)
    # The walk always holds the root (depth 0), so its names also tell whether the root
    # exists: one round trip fewer than checking it first. A PostgreSQL walk within the
    # budget has named its nodes already; others are named here.
    names = walk.names
    if names is None:
        names = yield from _names_plan(kind, [root, *_to_name(levels, overlaps)], currency)
    if root not in names:
        raise _not_found(kind, root)
    ordered = _ordered(levels, overlaps, names, offset + budget)
    page = ordered[offset : offset + budget]
    shown = {node for node, _ in ordered[: offset + budget]}
    total = len(walk.depths)
    result = Traversal(root_id=root, direction=direction, depth=depth, total_nodes=total)
    result.nodes = [
        Node(id=n, qualified_name=names.get(n, "?"), type=kind, depth=d) for n, d in page
    ]
    page_ids = {n for n, _ in page}
    result.edges = walk.edges_within(shown, page_ids)
    if offset + budget < total:
        result.truncated, result.next_cursor = True, _cursor(offset + budget)
    if query.include_fields and kind == "table":
        yield from _field_level_plan(result, edge_filter)
    return result


def _field_level_plan(result: Traversal, edge_filter: EdgeFilter) -> Plan[None]:
    """Field edges between the tables shown, with their fields at their table's depth."""
    depth_of = {n.id: n.depth for n in result.nodes}
    if not depth_of:
        return
    row = yield (
        "SELECT array_agg(src.table_id), array_agg(src.qualified_name), "
        "array_agg(dst.table_id), array_agg(dst.qualified_name), "
        f"{edge_arrays('source_field_id', 'target_field_id')} "
        "FROM field_lineage e "
        "JOIN metadata_fields src ON src.id = e.source_field_id "
        "JOIN metadata_fields dst ON dst.id = e.target_field_id "
        "WHERE src.table_id = ANY(%(tables)s) AND dst.table_id = ANY(%(tables)s) "
        f"AND {EDGE_FILTER}",
        {"tables": list(depth_of), **filter_params(edge_filter)},
    )
    if row is None or not row[0]:
        return
    src_tables, src_names, dst_tables, dst_names = row[:4]
    seen: set[uuid.UUID] = set()
    for i, edge in enumerate(unpack_edges(row[4:])):
        for field_id, table_id, name in (
            (edge.source, src_tables[i], src_names[i]),
            (edge.target, dst_tables[i], dst_names[i]),
        ):
            if field_id not in seen:
                seen.add(field_id)
                result.nodes.append(
                    Node(id=field_id, qualified_name=name, type="field", depth=depth_of[table_id])
                )
        result.edges.append(edge)
