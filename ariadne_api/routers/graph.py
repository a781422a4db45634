"""Lineage traversal (upstream/downstream) and impact analysis."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ariadne_api.deps import CatalogReaderDep, CurrentUser, ReadSessionDep, SettingsDep
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.lineage import (
    GraphEdgeOut,
    GraphNode,
    ImpactAnalysisResponse,
    ImpactedItem,
    LineageGraphResponse,
)
from ariadne_core.cache import LineageCache
from ariadne_core.db.models import LineageStatus
from ariadne_core.graph.routing import backend_name
from ariadne_core.graph.store import DEFAULT_STATUSES, EdgeFilter, GraphStore
from ariadne_core.lineage.impact import Affected, analyze_impact
from ariadne_core.lineage.traversal import (
    Traversal,
    TraversalQuery,
    parse_lineage_sources,
    traversal_plan,
    traverse,
)

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])

Depth = Annotated[int, Query(ge=1, description="hops; capped by ARIADNE_LINEAGE_MAX_DEPTH")]
SourceFilter = Annotated[
    list[str] | None,
    Query(
        description="only edges with these lineage sources (inferred, manual, approved); "
        "repeatable or comma-separated"
    ),
]
Status = Annotated[
    list[LineageStatus] | None,
    Query(description="edge statuses to follow; default active and pending_review"),
]
MinConfidence = Annotated[float, Query(ge=0, le=1)]


def _filter(
    source_filter: list[str] | None, status: list[LineageStatus] | None, min_confidence: float
) -> EdgeFilter:
    return EdgeFilter(
        statuses=tuple(status) if status else DEFAULT_STATUSES,
        lineage_sources=parse_lineage_sources(source_filter),
        min_confidence=min_confidence,
    )


def _cached(
    request: Request,
    session: Session,
    kind: str,
    params: dict[str, Any],
    compute: Callable[[GraphStore], BaseModel],
) -> Response:
    """Serve from the lineage cache, or compute on the store the router picks (Neo4j
    when configured and current, else PostgreSQL), keep and serve.

    `X-Graph-Backend` says who answered: neo4j, postgres, or cache.
    """
    cache: LineageCache | None = request.app.state.lineage_cache
    key = cache.key(kind, params) if cache is not None else None
    body = cache.get(key) if cache is not None and key is not None else None
    answered = "cache"
    if body is None:
        store = request.app.state.graph_router.store(session)
        body = compute(store).model_dump_json().encode()
        answered = backend_name(store)
        if cache is not None and key is not None:
            cache.set(key, body)
    return _answer(body, answered)


def _answer(body: bytes, backend: str) -> Response:
    return Response(
        content=body, media_type="application/json", headers={"X-Graph-Backend": backend}
    )


def _graph(result: Traversal) -> LineageGraphResponse:
    return LineageGraphResponse(
        root_id=result.root_id,
        direction=result.direction,
        depth=result.depth,
        nodes=[
            GraphNode(id=n.id, qualified_name=n.qualified_name, type=n.type, depth=n.depth)
            for n in result.nodes
        ],
        edges=[
            GraphEdgeOut(
                id=e.id,
                source=e.source,
                target=e.target,
                lineage_source=e.lineage_source,
                confidence=e.confidence,
                status=e.status,
                transformation_type=e.transformation_type,
            )
            for e in result.edges
        ],
        truncated=result.truncated,
        next_cursor=result.next_cursor,
        total_nodes=result.total_nodes,
    )


def _route(kind: Literal["table", "field"], direction: Literal["upstream", "downstream"]) -> None:
    noun = "tables" if kind == "table" else "fields"

    @router.get(
        f"/{kind}/{{node_id}}/{direction}",
        summary=f"{direction.capitalize()} lineage of a {kind}: distinct {noun} at "
        "their shortest depth",
        response_model=LineageGraphResponse,
        responses=error_responses(401, 404, 422),
        name=f"{kind}_{direction}",
    )
    async def handler(
        node_id: uuid.UUID,
        request: Request,
        session: ReadSessionDep,
        reader: CatalogReaderDep,
        settings: SettingsDep,
        _: CurrentUser,
        depth: Depth = 3,
        source_filter: SourceFilter = None,
        status: Status = None,
        min_confidence: MinConfidence = 0.0,
        include_fields: Annotated[
            bool, Query(description="also the field edges between the tables found")
        ] = False,
        cursor: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Response:
        query = TraversalQuery(
            root=node_id,
            kind=kind,
            direction=direction,
            depth=depth,
            edge_filter=_filter(source_filter, status, min_confidence),
            include_fields=include_fields,
            cursor=cursor,
        )
        query.check(settings)
        if request.app.state.lineage_cache is None:
            # Nothing is cached: the read runs in the event loop, with no thread and no
            # ORM. PostgreSQL walks in the same plan that names the nodes; Neo4j walks
            # first when it is known to be current (else the blocking path below).
            graph = request.app.state.graph_router
            walk, backend = None, "postgres"
            if graph.neo4j_available():
                walk, backend = await graph.current_walk(reader, query), "neo4j"
            if walk is not None or backend == "postgres":
                result = await reader.run(lambda: traversal_plan(settings, query, walk))
                return _answer(_graph(result).model_dump_json().encode(), backend)
        params = {
            "root": node_id,
            "depth": depth,
            "filter": query.edge_filter,
            "cursor": cursor,
            "fields": include_fields,
            "budget": settings.lineage_node_budget,
        }

        def compute(store: GraphStore) -> BaseModel:
            return _graph(traverse(session, store, settings, query))

        return await anyio.to_thread.run_sync(
            _cached, request, session, f"{kind}-{direction}", params, compute
        )


for _kind in ("table", "field"):
    for _direction in ("upstream", "downstream"):
        _route(_kind, _direction)  # type: ignore[arg-type]


@router.get(
    "/impact/{table_id}",
    summary="What is affected downstream if a table or column changes",
    response_model=ImpactAnalysisResponse,
    responses=error_responses(401, 404, 422),
)
def impact(
    table_id: uuid.UUID,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    _: CurrentUser,
    change_type: Annotated[Literal["drop", "rename", "type_change", "schema_change"], Query()],
    field_id: Annotated[uuid.UUID | None, Query(description="column-level analysis")] = None,
    depth: Annotated[int | None, Query(ge=1)] = None,
    min_confidence: MinConfidence = 0.0,
) -> Response:
    params = {
        "root": table_id,
        "change": change_type,
        "field": field_id,
        "depth": depth,
        "min_confidence": min_confidence,
    }

    def compute(store: GraphStore) -> BaseModel:
        result = analyze_impact(
            session,
            store,
            settings,
            table_id=table_id,
            change_type=change_type,
            field_id=field_id,
            depth=depth,
            edge_filter=EdgeFilter(min_confidence=min_confidence),
        )
        return ImpactAnalysisResponse(
            root_id=result.root_id,
            change_type=change_type,
            field_id=result.field_id,
            depth=result.depth,
            tables=_items(result.tables),
            fields=_items(result.fields),
            owners_to_notify=result.owners_to_notify,
            truncated=result.truncated,
        )

    return _cached(request, session, "impact", params, compute)


def _items(hits: list[Affected]) -> list[ImpactedItem]:
    return [
        ImpactedItem(
            id=h.id,
            qualified_name=h.qualified_name,
            type=h.type,
            distance=h.distance,
            severity=h.severity,  # type: ignore[arg-type]
            via_inferred=h.via_inferred,
            path=h.path,
            path_edge_ids=h.path_edge_ids,
            owner=h.owner,
        )
        for h in hits
    ]
