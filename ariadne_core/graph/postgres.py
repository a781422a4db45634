"""PostgreSQL graph backend: recursive CTEs over the lineage tables.

The walk's recursive term joins the frontier to its edges and the UNION drops repeated
(node, depth) pairs, so each level holds distinct nodes and no path is ever enumerated:
the work is bounded by nodes x depth, cycles included.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from ariadne_core.db.models import LineageSource, LineageStatus
from ariadne_core.graph.store import Direction, EdgeFilter, GraphEdge, Kind, Walk

_TABLES = {
    "table": ("table_lineage", "source_table_id", "target_table_id"),
    "field": ("field_lineage", "source_field_id", "target_field_id"),
}


def _ends(kind: Kind, direction: Direction) -> tuple[str, str, str]:
    """(edge table, the column we arrive from, the column we move to)."""
    table, source, target = _TABLES[kind]
    return (table, target, source) if direction == "upstream" else (table, source, target)


_FILTER = (
    "e.status::text = ANY(:statuses) AND e.lineage_source::text = ANY(:sources) "
    "AND e.confidence >= :min_confidence"
)


def _params(edge_filter: EdgeFilter) -> dict[str, Any]:
    return {
        "statuses": [s.value for s in edge_filter.statuses],
        "sources": [s.value for s in edge_filter.lineage_sources],
        "min_confidence": edge_filter.min_confidence,
    }


def _edge(row: Any) -> GraphEdge:
    return GraphEdge(
        id=row.id,
        source=row.src,
        target=row.dst,
        lineage_source=LineageSource(row.lineage_source),
        confidence=float(row.confidence),
        status=LineageStatus(row.status),
        transformation_type=row.transformation_type,
    )


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
        table, here, there = _ends(kind, direction)
        _, source, target = _TABLES[kind]
        sql = text(f"""
            WITH RECURSIVE walk(node, depth) AS (
                SELECT CAST(:root AS uuid), 0
              UNION
                SELECT e.{there}, w.depth + 1
                FROM walk w JOIN {table} e ON e.{here} = w.node
                WHERE w.depth < :depth AND {_FILTER}
            ),
            nodes AS (SELECT node, min(depth) AS depth FROM walk GROUP BY node)
            SELECT n.node, n.depth, NULL::uuid AS id, NULL::uuid AS src, NULL::uuid AS dst,
                   NULL AS lineage_source, NULL::float AS confidence, NULL AS status,
                   NULL AS transformation_type
            FROM nodes n
            UNION ALL
            SELECT NULL, NULL, e.id, e.{source}, e.{target}, e.lineage_source::text,
                   e.confidence, e.status::text, e.transformation_type
            FROM nodes n JOIN {table} e ON e.{here} = n.node
            WHERE n.depth < :depth AND {_FILTER}
              AND e.{there} IN (SELECT node FROM nodes)
        """)
        rows = self.session.execute(sql, {"root": root, "depth": depth, **_params(edge_filter)})
        result = Walk()
        for row in rows:
            if row.node is not None:
                result.depths[row.node] = row.depth
            else:
                result.edges.append(_edge(row))
        return result

    def step(
        self,
        frontier: list[uuid.UUID],
        *,
        kind: Kind,
        direction: Direction,
        edge_filter: EdgeFilter,
    ) -> list[GraphEdge]:
        if not frontier:
            return []
        table, here, _there = _ends(kind, direction)
        _, source, target = _TABLES[kind]
        sql = text(f"""
            SELECT e.id, e.{source} AS src, e.{target} AS dst, e.lineage_source::text
                   AS lineage_source, e.confidence, e.status::text AS status,
                   e.transformation_type
            FROM {table} e WHERE e.{here} = ANY(:frontier) AND {_FILTER}
        """).bindparams(bindparam("frontier", type_=ARRAY(UUID(as_uuid=True))))
        rows = self.session.execute(sql, {"frontier": frontier, **_params(edge_filter)})
        return [_edge(row) for row in rows]
