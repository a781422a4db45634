"""Lineage traversal (upstream/downstream) and impact analysis."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ariadne_api.deps import CurrentUser, SessionDep, SettingsDep
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.lineage import (
    GraphEdgeOut,
    GraphNode,
    ImpactAnalysisResponse,
    ImpactedItem,
    LineageGraphResponse,
)
from ariadne_core.db.models import LineageStatus
from ariadne_core.graph.postgres import PostgresGraphStore
from ariadne_core.graph.store import DEFAULT_STATUSES, EdgeFilter
from ariadne_core.lineage.impact import analyze_impact
from ariadne_core.lineage.traversal import Traversal, parse_lineage_sources, traverse

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
    def handler(
        node_id: uuid.UUID,
        session: SessionDep,
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
    ) -> LineageGraphResponse:
        return _graph(
            traverse(
                session,
                PostgresGraphStore(session),
                settings,
                root=node_id,
                kind=kind,
                direction=direction,
                depth=depth,
                edge_filter=_filter(source_filter, status, min_confidence),
                include_fields=include_fields,
                cursor=cursor,
            )
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
    session: SessionDep,
    settings: SettingsDep,
    _: CurrentUser,
    change_type: Annotated[Literal["drop", "rename", "type_change", "schema_change"], Query()],
    field_id: Annotated[uuid.UUID | None, Query(description="column-level analysis")] = None,
    depth: Annotated[int | None, Query(ge=1)] = None,
    min_confidence: MinConfidence = 0.0,
) -> ImpactAnalysisResponse:
    result = analyze_impact(
        session,
        PostgresGraphStore(session),
        settings,
        table_id=table_id,
        change_type=change_type,
        field_id=field_id,
        depth=depth,
        edge_filter=EdgeFilter(min_confidence=min_confidence),
    )

    def items(hits: list) -> list[ImpactedItem]:  # type: ignore[type-arg]
        return [
            ImpactedItem(
                id=h.id,
                qualified_name=h.qualified_name,
                type=h.type,
                distance=h.distance,
                severity=h.severity,
                via_inferred=h.via_inferred,
                path=h.path,
                path_edge_ids=h.path_edge_ids,
                owner=h.owner,
            )
            for h in hits
        ]

    return ImpactAnalysisResponse(
        root_id=result.root_id,
        change_type=change_type,
        field_id=result.field_id,
        depth=result.depth,
        tables=items(result.tables),
        fields=items(result.fields),
        owners_to_notify=result.owners_to_notify,
    )
