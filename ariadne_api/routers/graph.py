"""Lineage traversal (upstream/downstream) and impact analysis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import TypeAdapter

from ariadne_api.deps import CurrentUser, LineageReadsDep
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.lineage import (
    ImpactAnalysisResponse,
    LineageGraphResponse,
)
from ariadne_core.db.models import LineageStatus
from ariadne_core.graph.store import DEFAULT_STATUSES, EdgeFilter
from ariadne_core.lineage.impact import Impact
from ariadne_core.lineage.reads import Answer, ImpactQuery
from ariadne_core.lineage.traversal import Traversal, TraversalQuery, parse_lineage_sources

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
ObservedWithinDays = Annotated[
    int | None,
    Query(
        ge=1,
        le=3650,
        description="only edges a running job reported (OpenLineage) within this many days",
    ),
]


@dataclass(frozen=True)
class TraversalOptions:
    """The query parameters every traversal route takes."""

    depth: int
    edge_filter: EdgeFilter
    include_fields: bool
    cursor: str | None

    def query(
        self,
        root: uuid.UUID,
        kind: Literal["table", "field"],
        direction: Literal["upstream", "downstream"],
    ) -> TraversalQuery:
        return TraversalQuery(
            root=root,
            kind=kind,
            direction=direction,
            depth=self.depth,
            edge_filter=self.edge_filter,
            include_fields=self.include_fields,
            cursor=self.cursor,
        )


async def traversal_options(
    depth: Depth = 3,
    source_filter: SourceFilter = None,
    status: Status = None,
    min_confidence: MinConfidence = 0.0,
    observed_within_days: ObservedWithinDays = None,
    include_fields: Annotated[
        bool, Query(description="also the field edges between the tables found")
    ] = False,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> TraversalOptions:
    return TraversalOptions(
        depth=depth,
        edge_filter=EdgeFilter(
            statuses=tuple(status) if status else DEFAULT_STATUSES,
            lineage_sources=parse_lineage_sources(source_filter),
            min_confidence=min_confidence,
            observed_within_days=observed_within_days,
        ),
        include_fields=include_fields,
        cursor=cursor,
    )


Options = Annotated[TraversalOptions, Depends(traversal_options)]


def _answer(answer: Answer) -> Response:
    return Response(
        content=answer.body,
        media_type="application/json",
        headers={"X-Graph-Backend": answer.backend},
    )


# The core's dataclasses serialized as they are (their fields are the response's): at the
# node budget, building and validating hundreds of response models again cost a read more
# than its walk. tests/api/test_read_schemas.py holds these bytes to LineageGraphResponse.
_TRAVERSAL_JSON = TypeAdapter(Traversal)


def _render_graph(result: Traversal) -> bytes:
    return _TRAVERSAL_JSON.dump_json(result)


@router.get(
    "/table/{node_id}/upstream",
    summary="Upstream lineage of a table: distinct tables at their shortest depth",
    name="table_upstream",
    response_model=LineageGraphResponse,
    responses=error_responses(401, 404, 422),
)
async def table_upstream(
    node_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser, options: Options
) -> Response:
    query = options.query(node_id, "table", "upstream")
    return _answer(await reads.traverse(query, _render_graph))


@router.get(
    "/table/{node_id}/downstream",
    summary="Downstream lineage of a table: distinct tables at their shortest depth",
    name="table_downstream",
    response_model=LineageGraphResponse,
    responses=error_responses(401, 404, 422),
)
async def table_downstream(
    node_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser, options: Options
) -> Response:
    query = options.query(node_id, "table", "downstream")
    return _answer(await reads.traverse(query, _render_graph))


@router.get(
    "/field/{node_id}/upstream",
    summary="Upstream lineage of a field: distinct fields at their shortest depth",
    name="field_upstream",
    response_model=LineageGraphResponse,
    responses=error_responses(401, 404, 422),
)
async def field_upstream(
    node_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser, options: Options
) -> Response:
    query = options.query(node_id, "field", "upstream")
    return _answer(await reads.traverse(query, _render_graph))


@router.get(
    "/field/{node_id}/downstream",
    summary="Downstream lineage of a field: distinct fields at their shortest depth",
    name="field_downstream",
    response_model=LineageGraphResponse,
    responses=error_responses(401, 404, 422),
)
async def field_downstream(
    node_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser, options: Options
) -> Response:
    query = options.query(node_id, "field", "downstream")
    return _answer(await reads.traverse(query, _render_graph))


@router.get(
    "/impact/{table_id}",
    summary="What is affected downstream if a table or column changes",
    response_model=ImpactAnalysisResponse,
    responses=error_responses(401, 404, 422),
)
async def impact(
    table_id: uuid.UUID,
    reads: LineageReadsDep,
    _: CurrentUser,
    change_type: Annotated[Literal["drop", "rename", "type_change", "schema_change"], Query()],
    field_id: Annotated[uuid.UUID | None, Query(description="column-level analysis")] = None,
    depth: Annotated[int | None, Query(ge=1)] = None,
    min_confidence: MinConfidence = 0.0,
    observed_within_days: ObservedWithinDays = None,
) -> Response:
    query = ImpactQuery(
        table_id, change_type, field_id, depth, min_confidence, observed_within_days
    )
    return _answer(await reads.impact(query, _render_impact))


# The core's own dataclasses serialized as they are: the response has their fields,
# less the table id each item carries for the core's use.
_IMPACT_JSON = TypeAdapter(Impact)
_NOT_SHOWN = {"tables": {"__all__": {"table_id"}}, "fields": {"__all__": {"table_id"}}}


def _render_impact(result: Impact) -> bytes:
    """The response written straight from the core's result, without building (and
    validating again) a thousand response models at the node budget; the schema test
    (tests/api/test_read_schemas.py) holds these bytes to ImpactAnalysisResponse."""
    return _IMPACT_JSON.dump_json(result, exclude=_NOT_SHOWN)
