"""Lineage Management API: declare, edit, deprecate, review and approve edges."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from ariadne_api.deps import CurrentUser, Editor, LineageReadsDep, SessionDep, Steward
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_api.schemas.lineage import (
    BulkDecisionRequest,
    EvidenceEntry,
    FieldLineageCreateRequest,
    InferredColumn,
    InferredEdge,
    InferredStatement,
    LineageApprovalRequest,
    LineageAuditEntry,
    LineageInferRequest,
    LineageInferResponse,
    LineageReopenRequest,
    LineageResponse,
    LineageUpdateRequest,
    TableLineageCreateRequest,
)
from ariadne_api.schemas.observed import Observation
from ariadne_core.catalog.sources import source_id_by_name
from ariadne_core.db.models import TableLineage
from ariadne_core.inference import service as inference
from ariadne_core.lineage import edges as service
from ariadne_core.lineage.audit import Edge
from ariadne_core.lineage.observations import observations_of
from ariadne_core.lineage.reads import EdgeView

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])


def edge_response(session: Session, edge: Edge) -> LineageResponse:
    observation = observations_of(session, [edge]).get(edge.id)
    return view_response(
        EdgeView(edge, *service.endpoint_names(session, edge), observation=observation)
    )


def view_response(view: EdgeView) -> LineageResponse:
    """The API's shape of an edge (the one place it is built)."""
    edge, source_name, target_name = view.edge, view.source_name, view.target_name
    is_table = isinstance(edge, TableLineage)
    return LineageResponse(
        id=edge.id,
        kind="table" if is_table else "field",
        source_id=edge.source_table_id if is_table else edge.source_field_id,  # type: ignore[union-attr]
        target_id=edge.target_table_id if is_table else edge.target_field_id,  # type: ignore[union-attr]
        source_name=source_name,
        target_name=target_name,
        table_lineage_id=None if is_table else edge.table_lineage_id,  # type: ignore[union-attr]
        transformation_type=edge.transformation_type,
        transformation_logic=edge.transformation_logic,
        lineage_source=edge.lineage_source,
        origin=edge.origin,
        origin_detail=edge.origin_detail,
        status=edge.status,
        confidence=edge.confidence,
        metadata=edge.edge_metadata,
        created_by=edge.created_by,
        created_at=edge.created_at,
        updated_at=edge.updated_at,
        approved_by=edge.approved_by,
        approved_at=edge.approved_at,
        version=edge.version,
        evidence=None if view.evidence is None else [EvidenceEntry(**e) for e in view.evidence],
        observation=None if view.observation is None else Observation(**view.observation),
    )


def _declared(session: Session, declared: service.Declared, response: Response) -> LineageResponse:
    response.status_code = 201 if declared.created else 200
    return edge_response(session, declared.edge)


_DECLARE_DOC = (
    "201 for a new edge. 200 when the pair already had an edge that this declaration "
    "upgraded (inferred to manual; the origin is kept) or brought back from deprecated or "
    "rejected. 409 with `existing_id` for an exact duplicate."
)


@router.post(
    "/table",
    status_code=201,
    summary="Declare table-to-table lineage",
    description=_DECLARE_DOC,
    response_model=LineageResponse,
    responses={200: {"model": LineageResponse}, **error_responses(401, 403, 404, 409, 422)},
)
def declare_table_lineage(
    body: TableLineageCreateRequest, session: SessionDep, user: Editor, response: Response
) -> LineageResponse:
    data = service.EdgeInput(
        source=service.Endpoint(body.source_table_id, body.source_table),
        target=service.Endpoint(body.target_table_id, body.target_table),
        transformation_type=body.transformation_type,
        transformation_logic=body.transformation_logic,
        lineage_source=body.lineage_source,
        confidence=body.confidence,
        metadata=body.metadata,
    )
    return _declared(session, service.declare_table_edge(session, data, user.actor), response)


@router.post(
    "/field",
    status_code=201,
    summary="Declare field-to-field lineage",
    description=_DECLARE_DOC + " When the two fields' tables have no table edge, "
    "that table edge is declared too.",
    response_model=LineageResponse,
    responses={200: {"model": LineageResponse}, **error_responses(401, 403, 404, 409, 422)},
)
def declare_field_lineage(
    body: FieldLineageCreateRequest, session: SessionDep, user: Editor, response: Response
) -> LineageResponse:
    data = service.EdgeInput(
        source=service.Endpoint(body.source_field_id, body.source_field),
        target=service.Endpoint(body.target_field_id, body.target_field),
        transformation_type=body.transformation_type,
        transformation_logic=body.transformation_logic,
        lineage_source=body.lineage_source,
        confidence=body.confidence,
        metadata=body.metadata,
    )
    return _declared(session, service.declare_field_edge(session, data, user.actor), response)


@router.get(
    "/review",
    summary="Review queue: pending edges, lowest confidence first",
    response_model=Page[LineageResponse],
    responses=error_responses(401, 422),
)
async def review_queue(
    reads: LineageReadsDep,
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
    source_id: Annotated[uuid.UUID | None, Query(description="edges touching this source")] = None,
    table_id: Annotated[uuid.UUID | None, Query(description="edges touching this table")] = None,
    owner: Annotated[
        str | None,
        Query(max_length=320, description="edges touching a table this owner owns"),
    ] = None,
) -> Page[LineageResponse]:
    views, total = await reads.review_queue(
        source_id=source_id,
        table_id=table_id,
        offset=paging.offset,
        limit=paging.size,
        owner=owner,
    )
    return Page[LineageResponse].build(
        [view_response(v) for v in views], total=total, params=paging
    )


@router.post(
    "/review/decisions",
    summary="Approve or reject many edges at once, all or nothing",
    response_model=list[LineageResponse],
    responses=error_responses(401, 403, 404, 409, 422),
)
def bulk_decide(
    body: BulkDecisionRequest, session: SessionDep, user: Steward
) -> list[LineageResponse]:
    decided = service.decide_many(
        session, body.ids, approved=body.approved, comment=body.comment, actor=user.actor
    )
    return [edge_response(session, e) for e in decided]


@router.post(
    "/infer",
    summary="Infer lineage from SQL (experimental)",
    description="Reads a statement or a script (views, CTAS, INSERT/MERGE/UPDATE, SELECT "
    "INTO, CTEs, procedures) and answers the table and column lineage it implies, resolved "
    "against the catalog, what could not be resolved, and what it would change in the "
    "graph. With `submit=true` (editors and up) the proposals are written as `inferred` / "
    "`pending_review` for a steward; inference never changes a manual or approved edge. "
    "See docs/inference.md.",
    response_model=LineageInferResponse,
    responses=error_responses(401, 403, 404, 422),
)
def infer_lineage(
    body: LineageInferRequest, session: SessionDep, user: CurrentUser
) -> LineageInferResponse:
    source_id = body.source_id
    if source_id is None and body.source:
        source_id = source_id_by_name(session, body.source)
    outcome = inference.infer_text(
        session,
        body.sql,
        dialect=body.dialect,
        source_id=source_id,
        default_schema=body.default_schema,
        submit=body.submit,
        label=body.label,
        actor=user.actor,
    )
    lineage = outcome.lineage
    return LineageInferResponse(
        dialect=outcome.dialect,
        statements=[
            InferredStatement(
                line=s.line,
                kind=s.kind,
                target=s.target,
                sources=s.sources,
                error=s.error,
                unresolved=sorted(set(s.unresolved)),
                confidence=s.confidence,
            )
            for s in lineage.statements
        ],
        sources=lineage.sources,
        targets=lineage.targets,
        intermediates=lineage.intermediates,
        column_lineage=[
            InferredColumn(
                source=f"{e.source_table}.{e.source_column}",
                target=f"{e.target_table}.{e.target_column}",
                transformation_type=e.transformation,
                expression=e.expression,
            )
            for e in lineage.column_edges
        ],
        proposals=[
            InferredEdge(
                kind=p.kind,  # type: ignore[arg-type]
                source=p.source_name,
                target=p.target_name,
                source_id=p.source_id,
                target_id=p.target_id,
                transformation_type=p.transformation_type,
                expression=p.expression,
                confidence=p.confidence,
                line=p.evidence.get("line"),
                state=outcome.states[(p.kind, p.source_id, p.target_id)],
            )
            for p in outcome.result.proposals
        ],
        unresolved=outcome.result.unresolved,
        graph_effect=outcome.graph_effect,
        submitted=outcome.written.as_dict() if outcome.written else None,
    )


@router.get(
    "/{lineage_id}",
    summary="One lineage edge, with the evidence inference holds for it",
    response_model=LineageResponse,
    responses=error_responses(401, 404, 422),
)
async def get_lineage(
    lineage_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser
) -> LineageResponse:
    return view_response(await reads.edge(lineage_id))


@router.put(
    "/{lineage_id}",
    summary="Edit an edge's transformation, confidence or metadata",
    response_model=LineageResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_lineage(
    lineage_id: uuid.UUID, body: LineageUpdateRequest, session: SessionDep, user: Editor
) -> LineageResponse:
    edge = service.update_edge(
        session,
        lineage_id,
        body.model_dump(exclude_unset=True),
        user.actor,
        expected_version=body.version,
    )
    return edge_response(session, edge)


@router.delete(
    "/{lineage_id}",
    summary="Deprecate an edge (it is kept, never erased)",
    response_model=LineageResponse,
    responses=error_responses(401, 403, 404, 422),
)
def deprecate_lineage(
    lineage_id: uuid.UUID,
    session: SessionDep,
    user: Editor,
    comment: Annotated[str | None, Query(max_length=5000)] = None,
) -> LineageResponse:
    return edge_response(
        session, service.deprecate_edge(session, lineage_id, user.actor, comment=comment)
    )


@router.post(
    "/{lineage_id}/approve",
    summary="Approve or reject an edge (stewards)",
    response_model=LineageResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def approve_lineage(
    lineage_id: uuid.UUID, body: LineageApprovalRequest, session: SessionDep, user: Steward
) -> LineageResponse:
    edge = service.decide(
        session,
        lineage_id,
        approved=body.approved,
        comment=body.comment,
        actor=user.actor,
        expected_version=body.version,
    )
    return edge_response(session, edge)


@router.post(
    "/{lineage_id}/reopen",
    summary="Re-open a rejected edge for review (stewards)",
    response_model=LineageResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def reopen_lineage(
    lineage_id: uuid.UUID, body: LineageReopenRequest, session: SessionDep, user: Steward
) -> LineageResponse:
    return edge_response(
        session, service.reopen(session, lineage_id, comment=body.comment, actor=user.actor)
    )


@router.get(
    "/{lineage_id}/history",
    summary="Audit trail of an edge, oldest first",
    response_model=list[LineageAuditEntry],
    responses=error_responses(401, 404, 422),
)
async def lineage_history(
    lineage_id: uuid.UUID, reads: LineageReadsDep, _: CurrentUser
) -> list[LineageAuditEntry]:
    return [LineageAuditEntry.model_validate(e) for e in await reads.edge_history(lineage_id)]
