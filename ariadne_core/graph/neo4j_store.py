"""Neo4j graph backend: a projection of the PostgreSQL lineage tables.

Nodes are `:Table` and `:Field` with a unique `id`; edges are `:FEEDS` relationships that
carry the filterable attributes. A walk is one query that expands level by level from the
distinct nodes the level before reached (like the PostgreSQL CTE), so hubs and cycles
never multiply paths.
PostgreSQL stays the source of truth: `rebuild` reloads the projection from it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import FieldLineage, LineageSource, TableLineage
from ariadne_core.graph.store import Direction, EdgeFilter, EdgeRow, Kind, Walk

LABEL = {"table": "Table", "field": "Field"}


def _filter(edge_filter: EdgeFilter) -> tuple[str, dict[str, Any]]:
    """The Cypher conditions on `e` and their parameters. A condition every edge passes
    (all three lineage sources, confidence at least 0) is left out: each one costs a
    property read per relationship expanded."""
    if edge_filter.observed_within_days is not None:
        raise ValueError("observed_within_days is PostgreSQL's (LineageReads routes it there)")
    conditions = ["e.status IN $statuses"]
    params: dict[str, Any] = {"statuses": [s.value for s in edge_filter.statuses]}
    if set(edge_filter.lineage_sources) != set(LineageSource):
        conditions.append("e.lineage_source IN $sources")
        params["sources"] = [s.value for s in edge_filter.lineage_sources]
    if edge_filter.min_confidence > 0:
        conditions.append("e.confidence >= $min_confidence")
        params["min_confidence"] = edge_filter.min_confidence
    return " AND ".join(conditions), params


def _hop(direction: Direction, near: str, label: str) -> str:
    """One hop from `n` (written ``near``) to `m` over the relationship `e`."""
    if direction == "upstream":
        return f"({near})<-[e:FEEDS]-(m:{label})"
    return f"({near})-[e:FEEDS]->(m:{label})"


def _edge_list(direction: Direction) -> str:
    """The hops' edges as one list (records cost the server and the driver far more each
    than list items do), in the column order `_edges` reads."""
    source, target = ("m", "n") if direction == "upstream" else ("n", "m")
    return (
        f"collect([e.id, {source}.id, {target}.id, e.lineage_source, e.confidence, e.status, "
        "e.transformation_type])"
    )


class Neo4jGraphStore:
    def __init__(
        self, driver: Any, database: str | None = None, read_timeout: float | None = None
    ) -> None:
        self.driver = driver
        self.database = database
        # Seconds a walk may take, sent to Neo4j as its transaction timeout (None: the
        # server's own setting); `walk_async` also stops waiting for it then.
        self.read_timeout = read_timeout

    def _run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)

    def ensure_schema(self) -> None:
        for label in (*LABEL.values(), "SyncCursor"):
            self._run(
                f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            )

    def clear(self) -> None:
        """Remove the projection in batches (one transaction for a million
        relationships would not fit the heap)."""
        while True:
            rows = self._run(
                "MATCH (n) WHERE n:Table OR n:Field WITH n LIMIT $batch "
                "DETACH DELETE n RETURN count(*) AS removed",
                batch=2_000,
            )
            if not rows or int(rows[0]["removed"]) == 0:
                return

    @staticmethod
    def _walk_query(kind: Kind, direction: Direction, depth: int, conditions: str) -> str:
        """The whole walk in one query: level by level, each level expanding the distinct
        nodes the one before reached (like the PostgreSQL CTE), and every level's edges
        returned as one list each. One round trip, where a query per level took one each."""
        label = LABEL[kind]
        query = f"MATCH (root:{label} {{id: $root}}) WITH [root] AS f0, [root] AS s0 "
        for level in range(1, depth + 1):
            before = level - 1
            query += (
                f"CALL (f{before}) {{ UNWIND f{before} AS n "
                f"MATCH {_hop(direction, 'n', label)} WHERE {conditions} "
                f"RETURN {_edge_list(direction)} AS e{level}, collect(DISTINCT m) AS r{level} }} "
            )
            if level < depth:
                # Only nodes first reached at this level go on: a node reached again (a
                # cycle, or a shorter and a longer path) has had its edges read already.
                # Without this, a walk through a hub re-read its thousands of edges at
                # every later level. (`IN` on the same list is checked through a set.)
                query += (
                    f"WITH *, [x IN r{level} WHERE NOT x IN s{before}] AS f{level} "
                    f"WITH *, s{before} + f{level} AS s{level} "
                )
        return query + "RETURN [" + ", ".join(f"e{i}" for i in range(1, depth + 1)) + "] AS levels"

    def walk(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        """Breadth first in one auto-commit query (no BEGIN and COMMIT round trips; a
        Neo4j transaction reads committed data statement by statement anyway)."""
        query, params = self._walk(root, kind, direction, depth, edge_filter)
        with self.driver.session(database=self.database, default_access_mode="READ") as session:
            record = session.run(self._bounded(query), params).single()
        return self._assemble(root, direction, record)

    async def walk_async(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        """`walk` for the API's event loop, on a store built over the asyncio driver
        (`neo4j.AsyncDriver`)."""
        query, params = self._walk(root, kind, direction, depth, edge_filter)
        # A Neo4j that has stopped answering (a long pause) cannot end the transaction
        # itself: the read stops waiting after the same time (TimeoutError).
        async with (
            asyncio.timeout(self.read_timeout),
            self.driver.session(database=self.database, default_access_mode="READ") as session,
        ):
            result = await session.run(self._bounded(query), params)
            record = await result.single()
        return self._assemble(root, direction, record)

    def _bounded(self, query: str) -> Any:
        from neo4j import Query

        return Query(query, timeout=self.read_timeout)

    def _walk(
        self, root: uuid.UUID, kind: Kind, direction: Direction, depth: int, edge_filter: EdgeFilter
    ) -> tuple[str, dict[str, Any]]:
        conditions, params = _filter(edge_filter)
        return self._walk_query(kind, direction, depth, conditions), {"root": str(root), **params}

    def _assemble(self, root: uuid.UUID, direction: Direction, record: Any) -> Walk:
        """Each node at the first level that reached it, and the edges: all of them
        between nodes found (as the PostgreSQL backend reports them), each once since the
        walk expands each node once, kept as text until a page asks for them
        (`Walk.edges_within`)."""
        end = 1 if direction == "upstream" else 2
        levels: dict[str, int] = {}
        rows: list[EdgeRow] = []
        for level, found in enumerate(record["levels"] if record else [], start=1):
            for row in found:
                levels.setdefault(row[end], level)
            rows.extend(found)
        depths = {root: 0}
        for node, level in levels.items():
            depths.setdefault(uuid.UUID(node), level)
        return Walk(depths=depths, rows=rows)


def edge_rows(
    session: Session, kind: str, ids: list[uuid.UUID] | None = None
) -> list[dict[str, Any]]:
    """Table or field edges (all, or those in ``ids``) as the projection stores them."""
    model: Any = TableLineage if kind == "table" else FieldLineage
    src, dst = (
        (model.source_table_id, model.target_table_id)
        if kind == "table"
        else (model.source_field_id, model.target_field_id)
    )
    stmt = select(
        model.id,
        src,
        dst,
        model.lineage_source,
        model.confidence,
        model.status,
        model.transformation_type,
    )
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
    return [
        {
            "id": str(r[0]),
            "src": str(r[1]),
            "dst": str(r[2]),
            "lineage_source": r[3].value,
            "confidence": float(r[4]),
            "status": r[5].value,
            "transformation_type": r[6],
        }
        for r in session.execute(stmt)
    ]
