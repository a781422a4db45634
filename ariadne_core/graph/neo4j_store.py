"""Neo4j graph backend: a projection of the PostgreSQL lineage tables.

Nodes are `:Table` and `:Field` with a unique `id`; edges are `:FEEDS` relationships that
carry the filterable attributes. A walk expands one level per query from the frontier of
distinct nodes (like the PostgreSQL CTE), so hubs and cycles never multiply paths.
PostgreSQL stays the source of truth: `rebuild` reloads the projection from it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import FieldLineage, LineageSource, LineageStatus, TableLineage
from ariadne_core.graph.store import Direction, EdgeFilter, GraphEdge, Kind, Walk

LABEL = {"table": "Table", "field": "Field"}
BATCH = 5_000


def _filter(edge_filter: EdgeFilter) -> tuple[str, dict[str, Any]]:
    """The Cypher conditions on `e` and their parameters. A condition every edge passes
    (all three lineage sources, confidence at least 0) is left out: each one costs a
    property read per relationship expanded."""
    conditions = ["e.status IN $statuses"]
    params: dict[str, Any] = {"statuses": [s.value for s in edge_filter.statuses]}
    if set(edge_filter.lineage_sources) != set(LineageSource):
        conditions.append("e.lineage_source IN $sources")
        params["sources"] = [s.value for s in edge_filter.lineage_sources]
    if edge_filter.min_confidence > 0:
        conditions.append("e.confidence >= $min_confidence")
        params["min_confidence"] = edge_filter.min_confidence
    return " AND ".join(conditions), params


class Neo4jGraphStore:
    def __init__(self, driver: Any, database: str | None = None) -> None:
        self.driver = driver
        self.database = database

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
    def _step_query(kind: Kind, direction: Direction, conditions: str) -> str:
        """One level of a walk. The edges come back as one record holding a list: records
        cost the server and the driver far more each than list items do."""
        label = LABEL[kind]
        pattern = (
            f"(n:{label})<-[e:FEEDS]-(m:{label})"
            if direction == "upstream"
            else f"(n:{label})-[e:FEEDS]->(m:{label})"
        )
        source, target = ("m", "n") if direction == "upstream" else ("n", "m")
        return (
            f"MATCH {pattern} WHERE n.id IN $frontier AND {conditions} "
            f"RETURN collect([e.id, {source}.id, {target}.id, e.lineage_source, e.confidence, "
            "e.status, e.transformation_type]) AS edges"
        )

    @staticmethod
    def _edges(rows: Any) -> list[GraphEdge]:
        return [
            GraphEdge(
                id=uuid.UUID(r[0]),
                source=uuid.UUID(r[1]),
                target=uuid.UUID(r[2]),
                lineage_source=LineageSource(r[3]),
                confidence=float(r[4]),
                status=LineageStatus(r[5]),
                transformation_type=r[6],
            )
            for r in rows
        ]

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
        conditions, params = _filter(edge_filter)
        records = self._run(
            self._step_query(kind, direction, conditions),
            frontier=[str(n) for n in frontier],
            **params,
        )
        return self._edges(records[0]["edges"] if records else [])

    def walk(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        """Breadth first, one query per level, on one connection.

        Each level is an auto-commit query: one round trip (RUN and PULL together), where
        an explicit transaction adds a BEGIN and a COMMIT. It gives up nothing: a Neo4j
        transaction reads committed data statement by statement anyway.
        """
        conditions, params = _filter(edge_filter)
        query = self._step_query(kind, direction, conditions)
        result = Walk(depths={root: 0})
        frontier = [root]
        with self.driver.session(database=self.database, default_access_mode="READ") as session:
            for level in range(1, depth + 1):
                record = session.run(query, frontier=[str(n) for n in frontier], **params).single()
                edges = self._edges(record["edges"] if record else [])
                frontier = []
                for edge in edges:
                    nxt = edge.source if direction == "upstream" else edge.target
                    if nxt not in result.depths:
                        result.depths[nxt] = level
                        frontier.append(nxt)
                result.edges.extend(edges)
                if not frontier:
                    break
        # The edges among the nodes found, as the PostgreSQL backend reports them.
        seen: dict[uuid.UUID, GraphEdge] = {e.id: e for e in result.edges}
        result.edges = [
            e for e in seen.values() if e.source in result.depths and e.target in result.depths
        ]
        return result

    def rebuild(self, session: Session) -> dict[str, int]:
        """Replace the projection with what PostgreSQL holds; returns the counts loaded.

        The outbox cursor is set to the newest audit event seen before reading, so the
        relay applies whatever commits after that.
        """
        from ariadne_core.graph import sync

        newest, _ = sync.outbox_position(session, 0)
        self.ensure_schema()
        self.clear()
        counts = {}
        for kind, label in LABEL.items():
            batch = edge_rows(session, kind)
            for start in range(0, len(batch), BATCH):
                self._run(
                    f"UNWIND $rows AS r MERGE (a:{label} {{id: r.src}}) "
                    f"MERGE (b:{label} {{id: r.dst}}) "
                    "CREATE (a)-[:FEEDS {id: r.id, lineage_source: r.lineage_source, "
                    "confidence: r.confidence, status: r.status, "
                    "transformation_type: r.transformation_type}]->(b)",
                    rows=batch[start : start + BATCH],
                )
            counts[f"{kind}_edges"] = len(batch)
        sync.write_cursor(self, newest, sync.outbox_position(session, newest)[1])
        return counts


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


def edge_counts(store: Neo4jGraphStore) -> dict[str, int]:
    """How many table and field edges the projection holds."""
    counts = {}
    for kind, label in LABEL.items():
        rows = store._run(f"MATCH (:{label})-[e:FEEDS]->(:{label}) RETURN count(e) AS n")
        counts[f"{kind}_edges"] = int(rows[0]["n"])
    return counts
