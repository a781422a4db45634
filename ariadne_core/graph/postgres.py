"""PostgreSQL graph backend: recursive CTEs over the lineage tables.

A walk is breadth first, one row per level: each level holds the nodes first reached
there (the frontier) and the nodes reached so far, so every node is expanded once, at
its shortest distance, cycles included; the work is bounded by the edges out of the
nodes found, whatever the depth.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import LineageSource, LineageStatus
from ariadne_core.db.plans import Plan, run
from ariadne_core.graph.store import Direction, EdgeFilter, GraphEdge, Kind, Walk

_TABLES = {
    "table": ("table_lineage", "source_table_id", "target_table_id"),
    "field": ("field_lineage", "source_field_id", "target_field_id"),
}
# Where the nodes of each kind are, with their qualified names.
NODE_TABLES = {"table": "metadata_tables", "field": "metadata_fields"}


def _ends(kind: Kind, direction: Direction) -> tuple[str, str, str]:
    """(edge table, the column we arrive from, the column we move to)."""
    table, source, target = _TABLES[kind]
    return (table, target, source) if direction == "upstream" else (table, source, target)


EDGE_FILTER = (
    "e.status::text = ANY(%(statuses)s) AND e.lineage_source::text = ANY(%(sources)s) "
    "AND e.confidence >= %(min_confidence)s AND (%(observed_since)s::timestamptz IS NULL "
    "OR EXISTS (SELECT 1 FROM lineage_observations o WHERE o.edge_kind IN ('table', "
    "'field') AND o.edge_id = e.id AND o.last_observed_at >= %(observed_since)s))"
)


def filter_params(edge_filter: EdgeFilter) -> dict[str, Any]:
    days = edge_filter.observed_within_days
    return {
        "statuses": [s.value for s in edge_filter.statuses],
        "sources": [s.value for s in edge_filter.lineage_sources],
        "min_confidence": edge_filter.min_confidence,
        "observed_since": None if days is None else datetime.now(UTC) - timedelta(days=days),
    }


_EDGE_COLUMNS = (
    "e.id",
    "e.{source}",
    "e.{target}",
    "e.lineage_source::text",
    "e.confidence",
    "e.status::text",
    "e.transformation_type",
)


def edge_arrays(source: str, target: str) -> str:
    """The select list that packs edges column by column into arrays (one row)."""
    return ", ".join(f"array_agg({c.format(source=source, target=target)})" for c in _EDGE_COLUMNS)


_SOURCE = {s.value: s for s in LineageSource}
_STATUS = {s.value: s for s in LineageStatus}


def unpack_edges(columns: Sequence[list[Any] | None]) -> list[GraphEdge]:
    """Edges from the arrays `edge_arrays` selected (None when there were no edges)."""
    ids, sources, targets, lineage_sources, confidences, statuses, transformations = columns
    if not ids:
        return []
    assert sources and targets and lineage_sources and confidences and statuses
    assert transformations is not None
    source_of, status_of = _SOURCE, _STATUS  # a dict lookup, not an Enum() call per edge
    return [
        GraphEdge(i, s, t, source_of[ls], float(c), status_of[st], tt)
        for i, s, t, ls, c, st, tt in zip(
            ids,
            sources,
            targets,
            lineage_sources,
            confidences,
            statuses,
            transformations,
            strict=True,
        )
    ]


# What an expansion says of each node it keeps: its qualified name, its table (a table is
# its own) with that table's qualified name and owner. Read by a join on the kept rows
# (at most the node budget), not by a statement of their own.
Described = tuple[str, uuid.UUID, str, str | None]

# Per kind: the join past the node itself (`n`, in NODE_TABLES) and the columns read.
_DESCRIBE = {
    "table": ("", ("n.qualified_name", "n.id", "n.qualified_name", "n.owner")),
    "field": (
        " JOIN metadata_tables nt ON nt.id = n.table_id",
        ("n.qualified_name", "n.table_id", "nt.qualified_name", "nt.owner"),
    ),
}


def expand_plan(
    frontier: list[uuid.UUID],
    *,
    kind: Kind,
    edge_filter: EdgeFilter,
    untrusted: list[uuid.UUID],
    seen: list[uuid.UUID],
    limit: int,
) -> Plan[tuple[list[GraphEdge], dict[uuid.UUID, Described]]]:
    """`GraphStore.expand` as a read plan: each new node once, by its best edge (DISTINCT
    ON), then the best nodes first, so a hub's thousands of edges cost the client only the
    ``limit`` it keeps; the answer is one row of arrays in that order. Each kept node comes
    described (`Described`), so whoever expands needs no statement to name what it found."""
    if not frontier or limit <= 0:
        return [], {}
    table, source, target = _TABLES[kind]
    table_join, described = _DESCRIBE[kind]
    join = f"JOIN {NODE_TABLES[kind]} n ON n.id = kept.dst{table_join}"
    order = "kept.via, kept.inferred, kept.id"  # the same order in every array: they line up
    edge_columns = ("id", "src", "dst", "lineage_source", "confidence", "status", "tt")
    columns = ", ".join(
        f"array_agg({c} ORDER BY {order})"
        for c in (*(f"kept.{c}" for c in edge_columns), *described)
    )
    row = yield (
        f"SELECT {columns} FROM (SELECT * FROM (SELECT DISTINCT ON (e.{target}) e.id, "
        f"e.{source} AS src, e.{target} AS dst, e.lineage_source::text AS lineage_source, "
        "e.confidence, e.status::text AS status, e.transformation_type AS tt, "
        f"e.{source} = ANY(%(untrusted)s) AS via, e.lineage_source = 'inferred' AS inferred "
        f"FROM {table} e WHERE e.{source} = ANY(%(frontier)s) AND {EDGE_FILTER} "
        f"AND NOT e.{target} = ANY(%(seen)s) "
        f"ORDER BY e.{target}, via, inferred, e.id) best "
        f"ORDER BY via, inferred, id LIMIT %(limit)s) kept {join}",
        {
            "frontier": frontier,
            "untrusted": untrusted,
            "seen": seen,
            "limit": limit,
            **filter_params(edge_filter),
        },
    )
    assert row is not None
    edges = unpack_edges(row[: len(edge_columns)])
    if not edges:
        return [], {}
    return edges, {
        edge.target: (name, table_id, table_name, owner)
        for edge, name, table_id, table_name, owner in zip(
            edges, *row[len(edge_columns) :], strict=True
        )
    }


def walk_plan(
    root: uuid.UUID,
    *,
    kind: Kind,
    direction: Direction,
    depth: int,
    edge_filter: EdgeFilter,
    name_up_to: int = 0,
) -> Plan[Walk]:
    """The walk in one statement, its answer in one row of arrays (nodes and depths, then
    the edges column by column): the row costs the client a fraction of one per item.

    Each level's frontier is what its edges reach less what earlier levels reached
    (EXCEPT), so a node is expanded once, at its depth. Until 2026-12-04 the recursion
    kept (node, depth) pairs instead, and a node reached at several depths was expanded
    at each: five hops down from a table fed by hubs (12,340 tables reached) took 2 s,
    now 70-120 ms.

    With ``name_up_to``, a walk that finds at most that many nodes also names them all
    (`Walk.names`), so a traversal needs no second statement to name its page.

    The edges between the nodes found are read node by node from the side the walk came
    from (the LATERAL subquery, kept apart by `OFFSET 0`). Left to itself the planner,
    which cannot know how many nodes the walk finds or how skewed the graph is, may read
    them from the other side instead: upstream of a table fed by hubs, that is every
    edge out of every hub (142,000 rows for 30 edges, 20 ms instead of 1)."""
    table, here, there = _ends(kind, direction)
    _, source, target = _TABLES[kind]
    named, names = "", ""
    if name_up_to > 0:
        named = (
            f", named AS (SELECT n.node, q.qualified_name FROM nodes n "
            f"JOIN {NODE_TABLES[kind]} q ON q.id = n.node "
            "WHERE (SELECT count(*) FROM nodes) <= %(name_up_to)s)"
        )
        names = (
            "(SELECT array_agg(node) FROM named), (SELECT array_agg(qualified_name) FROM named), "
        )
    row = yield (
        f"""
        WITH RECURSIVE level(depth, frontier, seen) AS (
            SELECT 0, ARRAY[%(root)s::uuid], ARRAY[%(root)s::uuid]
          UNION ALL
            SELECT l.depth + 1, next.fresh, l.seen || next.fresh
            FROM level l CROSS JOIN LATERAL (
                SELECT array_agg(reached) AS fresh FROM (
                    SELECT e.{there} AS reached FROM {table} e
                    WHERE e.{here} = ANY(l.frontier) AND {EDGE_FILTER}
                    EXCEPT SELECT unnest(l.seen)
                ) new
            ) next
            WHERE l.depth < %(depth)s AND next.fresh IS NOT NULL
        ),
        nodes AS (SELECT unnest(frontier) AS node, depth FROM level){named}
        SELECT (SELECT array_agg(node) FROM nodes), (SELECT array_agg(depth) FROM nodes),
               {names}{edge_arrays(source, target)}
        FROM nodes n CROSS JOIN LATERAL (
            SELECT e.id, e.{source}, e.{target}, e.lineage_source, e.confidence, e.status,
                   e.transformation_type
            FROM {table} e WHERE e.{here} = n.node AND {EDGE_FILTER}
            OFFSET 0
        ) e
        WHERE n.depth < %(depth)s AND e.{there} IN (SELECT node FROM nodes)
        """,
        {
            "root": root,
            "depth": depth,
            "name_up_to": name_up_to,
            **filter_params(edge_filter),
        },
    )
    assert row is not None  # aggregates always give a row
    nodes, depths = row[0] or [], row[1] or []
    edges_from = 4 if name_up_to > 0 else 2  # the names' two arrays come before the edges
    walk = Walk(depths=dict(zip(nodes, depths, strict=True)), edges=unpack_edges(row[edges_from:]))
    if name_up_to > 0 and len(nodes) <= name_up_to:
        # all named (none, if the root is not in the catalog)
        walk.names = dict(zip(row[2] or [], row[3] or [], strict=True))
    return walk


class PostgresGraphStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def walk(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        return run(
            driver_connection(self.session),
            walk_plan(root, kind=kind, direction=direction, depth=depth, edge_filter=edge_filter),
        )
