"""Lineage reads: one method per question, each owning its cache, backend and fallback.

    traverse  upstream / downstream of a table or field   (cache, Neo4j or PostgreSQL)
    impact    what a change breaks downstream              (cache or PostgreSQL)
    edge, edge_history, review_queue                       (PostgreSQL)

The answer of a cached read is the JSON body the API sends, so a hit costs no model
building at all; the caller says how a result becomes that body (``render``), and
`Answer.backend` says who answered: ``neo4j``, ``postgres`` or ``cache``.

Invalidation lives here: the lineage cache is bumped, and the Neo4j relay woken, on every
catalog generation change (`CatalogGeneration.subscribe`), which PostgreSQL announces
after each committed change to tables, fields or lineage, whoever wrote it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import anyio
from sqlalchemy.orm import Session

from ariadne_core.cache import LineageCache
from ariadne_core.catalog.generation import CatalogGeneration
from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.plans import Plan, PlanRunner, in_read_session, run
from ariadne_core.graph.postgres import PostgresGraphStore
from ariadne_core.graph.routing import GraphRouter, backend_name
from ariadne_core.graph.store import EdgeFilter, GraphStore, StaleWalk
from ariadne_core.lineage import edges as edge_service
from ariadne_core.lineage.audit import Edge, edge_kind
from ariadne_core.lineage.evidence import evidence_of
from ariadne_core.lineage.impact import Impact, impact_plan
from ariadne_core.lineage.observations import observation_summary, observations_of
from ariadne_core.lineage.traversal import Traversal, TraversalQuery, traversal_plan, traverse

T = TypeVar("T")
ChangeType = Literal["drop", "rename", "type_change", "schema_change"]


@dataclass(frozen=True)
class Answer:
    body: bytes  # JSON
    backend: str  # neo4j, postgres or cache


@dataclass(frozen=True)
class ImpactQuery:
    table_id: uuid.UUID
    change_type: ChangeType
    field_id: uuid.UUID | None = None
    depth: int | None = None
    min_confidence: float = 0.0
    observed_within_days: int | None = None


@dataclass(frozen=True)
class EdgeView:
    """An edge with the names of its ends (and, when asked, its evidence)."""

    edge: Edge
    source_name: str
    target_name: str
    evidence: list[dict[str, Any]] | None = None
    observation: dict[str, Any] | None = None  # what running jobs reported of it


class LineageReads:
    def __init__(
        self,
        settings: Settings,
        *,
        reader: PlanRunner,
        read_sessions: Callable[[], AbstractContextManager[Session]],
        graph: GraphRouter,
        generation: CatalogGeneration,
        cache: LineageCache | None,
    ) -> None:
        self.settings, self.reader, self.read_sessions = settings, reader, read_sessions
        self.graph, self.generation, self.cache = graph, generation, cache
        if cache is not None:
            generation.subscribe(cache.bump)
        generation.subscribe(graph.poke)

    # -- traversal and impact -------------------------------------------------------

    async def traverse(self, query: TraversalQuery, render: Callable[[Traversal], bytes]) -> Answer:
        query.check(self.settings)
        if self.cache is None:
            # Nothing is cached: the read runs in the event loop, with no thread and no
            # ORM. PostgreSQL walks in the same plan that names the nodes. Neo4j walks
            # first when it was recently seen current, and the naming statement checks
            # it still was; else (or if it was not) the blocking path below.
            if (
                not self.graph.neo4j_available()
                or query.edge_filter.observed_within_days is not None
            ):
                result = await self.reader.run(lambda: traversal_plan(self.settings, query))
                return Answer(render(result), "postgres")
            if (current := await self.graph.current_walk(query)) is not None:
                try:
                    result = await self.reader.run(
                        lambda: traversal_plan(self.settings, query, *current)
                    )
                    return Answer(render(result), "neo4j")
                except StaleWalk:
                    pass
        params = {
            "root": query.root,
            "depth": query.depth,
            "filter": query.edge_filter,
            "cursor": query.cursor,
            "fields": query.include_fields,
            "budget": self.settings.lineage_node_budget,
        }
        return await anyio.to_thread.run_sync(
            self._cached,
            f"{query.kind}-{query.direction}",
            params,
            self._traverse_on(query, render),
        )

    def _traverse_on(
        self, query: TraversalQuery, render: Callable[[Traversal], bytes]
    ) -> Callable[[Session], Answer]:
        """The traversal on the store the graph router picks: Neo4j when configured and
        current, else PostgreSQL."""

        def compute(session: Session) -> Answer:
            store: GraphStore = (
                PostgresGraphStore(session)
                if query.edge_filter.observed_within_days is not None
                else self.graph.store(session)
            )
            return Answer(
                render(traverse(session, store, self.settings, query)), backend_name(store)
            )

        return compute

    async def impact(self, query: ImpactQuery, render: Callable[[Impact], bytes]) -> Answer:
        """Always walked in PostgreSQL (see ariadne_core.lineage.impact): uncached, the
        whole analysis is one read plan in the event loop, with no thread and no ORM."""

        def plan() -> Plan[Impact]:
            return impact_plan(
                self.settings,
                table_id=query.table_id,
                change_type=query.change_type,
                field_id=query.field_id,
                depth=query.depth,
                edge_filter=EdgeFilter(
                    min_confidence=query.min_confidence,
                    observed_within_days=query.observed_within_days,
                ),
            )

        if self.cache is None:
            return Answer(render(await self.reader.run(plan)), "postgres")
        params = {
            "root": query.table_id,
            "change": query.change_type,
            "field": query.field_id,
            "depth": query.depth,
            "min_confidence": query.min_confidence,
            "observed_within_days": query.observed_within_days,
        }

        def compute(session: Session) -> Answer:
            return Answer(render(run(driver_connection(session), plan())), "postgres")

        return await anyio.to_thread.run_sync(self._cached, "impact", params, compute)

    def _cached(
        self, kind: str, params: dict[str, Any], compute: Callable[[Session], Answer]
    ) -> Answer:
        """From the cache, or computed on a read session and kept. Nothing is kept or
        served while the catalog generation is unknown: a change could go unnoticed."""
        cache = self.cache if self.generation.current() is not None else None
        key = cache.key(kind, params) if cache is not None else ""
        if cache is not None and (hit := cache.get(key)) is not None:
            return Answer(hit, "cache")
        with self.read_sessions() as session:
            answer = compute(session)
        if cache is not None:
            cache.set(key, answer.body)
        return answer

    # -- edges ----------------------------------------------------------------------

    async def edge(self, lineage_id: uuid.UUID) -> EdgeView:
        """One edge, with the evidence inference holds for it."""

        def read(session: Session) -> EdgeView:
            edge = edge_service.get_edge(session, lineage_id)
            source_name, target_name = edge_service.endpoint_names(session, edge)
            kind = edge_kind(edge)
            evidence = evidence_of(session, kind, lineage_id)
            observation = observation_summary(session, kind, [lineage_id]).get(lineage_id)
            return EdgeView(edge, source_name, target_name, evidence, observation)

        return await in_read_session(self.read_sessions, read)

    async def edge_history(self, lineage_id: uuid.UUID) -> list[Any]:
        return await in_read_session(
            self.read_sessions, lambda s: list(edge_service.edge_history(s, lineage_id))
        )

    async def review_queue(
        self,
        *,
        source_id: uuid.UUID | None,
        table_id: uuid.UUID | None,
        offset: int,
        limit: int,
        owner: str | None = None,
    ) -> tuple[list[EdgeView], int]:
        """Pending edges, lowest confidence first, with their end names (one query for
        all names, not one per edge)."""

        def read(session: Session) -> tuple[list[EdgeView], int]:
            edges, total = edge_service.review_queue(
                session,
                source_id=source_id,
                table_id=table_id,
                offset=offset,
                limit=limit,
                owner=owner,
            )
            names = edge_service.endpoint_names_of(session, edges)
            seen = observations_of(session, edges)
            return [EdgeView(e, *names[e.id], observation=seen.get(e.id)) for e in edges], total

        return await in_read_session(self.read_sessions, read)
