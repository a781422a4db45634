"""Observed lineage: OpenLineage events in, declared-versus-observed verification out."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ariadne_api.deps import (
    Admin,
    CurrentUser,
    KeyringDep,
    LineageSender,
    ServicesDep,
    SessionDep,
    SettingsDep,
    Steward,
)
from ariadne_api.routers.lineage import edge_response
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_api.schemas.lineage import LineageResponse
from ariadne_api.schemas.observed import (
    DatasetMapRequest,
    DatasetMapResponse,
    IngestResponse,
    IngestStatus,
    JobDecisionRequest,
    ObservedDatasetResponse,
    VerificationResponse,
)
from ariadne_core.observed import events as ol
from ariadne_core.observed import reads as observed

router = APIRouter(prefix="/api/v1/lineage", tags=["observed lineage"])

_EXAMPLE_EVENT: dict[str, Any] = {
    "eventType": "COMPLETE",
    "eventTime": "2026-12-01T04:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0176a8c2-fe01-7439-87e6-56a1a1b4029f"},
    "job": {"namespace": "airflow", "name": "daily_orders.load"},
    "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}],
    "outputs": [{"namespace": "postgres://db:5432", "name": "shop.marts.daily_orders"}],
}
_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "example": _EXAMPLE_EVENT,
                    "oneOf": [
                        {"type": "object", "description": "one RunEvent, DatasetEvent or JobEvent"},
                        {"type": "array", "items": {"type": "object"}, "minItems": 1},
                    ],
                },
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    summary="Receive OpenLineage events (the Marquez path)",
    description="One OpenLineage 2.x event (RunEvent, DatasetEvent or JobEvent) or a list "
    "of them, as the OpenLineage HTTP transport posts (gzip or deflate bodies too). "
    "Authenticate with an API key holding `lineage:ingest` (`Authorization: Bearer "
    "<key>`, the transport's `api_key` auth) or as an editor. The events are stored before "
    "the answer and processed right after: observations, matched datasets, and observed "
    "edges for a steward to review. A wrong event refuses the request, naming the field. "
    "See docs/openlineage.md.",
    response_model=IngestResponse,
    responses=error_responses(401, 403, 413, 422),
    openapi_extra=_EVENT_BODY,
)
async def receive_events(
    request: Request, services: ServicesDep, sender: LineageSender
) -> IngestResponse:
    settings = services.settings
    payload = ol.decode_body(
        await request.body(),
        request.headers.get("content-encoding"),
        max_bytes=settings.openlineage_max_decompressed_bytes,
    )
    events = ol.as_events(payload, max_events=settings.openlineage_max_events)
    await services.inbox.put(events, sender.label, key_id=sender.key_id)
    return IngestResponse(accepted=len(events))


@router.get(
    "/verification",
    summary="Declared lineage held against what jobs report",
    description="Three lists with counts: `confirmed` (declared or approved edges observed "
    "within the window), `unobserved` (declared or approved edges into a table that jobs "
    "report writing, not observed within the window: possibly stale) and `undeclared` "
    "(observed edges nobody declared or approved). `source_id` and `owner` keep edges with "
    "an end in that source or owned by that owner.",
    response_model=VerificationResponse,
    responses=error_responses(401, 422),
)
def verification(
    session: SessionDep,
    settings: SettingsDep,
    _: CurrentUser,
    window_days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    source_id: uuid.UUID | None = None,
    owner: Annotated[str | None, Query(max_length=320)] = None,
    kind: Annotated[str, Query(pattern="^(table|field)$")] = "table",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> VerificationResponse:
    query = observed.VerificationQuery(
        window_days=window_days or settings.verification_window_days,
        source_id=source_id,
        owner=owner,
        kind=kind,  # type: ignore[arg-type]
        limit=limit,
    )
    return VerificationResponse.model_validate(observed.verification(session, query))


@router.get(
    "/observed/status",
    summary="OpenLineage events waiting, processed and failed",
    response_model=IngestStatus,
    responses=error_responses(401),
)
def ingest_status(session: SessionDep, _: CurrentUser) -> IngestStatus:
    return IngestStatus(**observed.ingest_status(session))


@router.get(
    "/observed/datasets",
    summary="Datasets the events named, matched to a table or waiting for a mapping",
    response_model=Page[ObservedDatasetResponse],
    responses=error_responses(401, 422),
)
def observed_datasets(
    session: SessionDep,
    _: CurrentUser,
    params: Annotated[PageParams, Query()],
    matched: bool | None = None,
) -> Page[ObservedDatasetResponse]:
    items, total = observed.datasets(
        session, matched=matched, offset=params.offset, limit=params.size
    )
    return Page[ObservedDatasetResponse].build(
        [ObservedDatasetResponse(**i) for i in items], total=total, params=params
    )


@router.put(
    "/observed/datasets/{dataset_id}",
    summary="Map an observed dataset to a catalog table (admins)",
    description="Later events naming the dataset land on the table, and the observations "
    "it held back become edges now.",
    response_model=DatasetMapResponse,
    responses=error_responses(401, 403, 404, 422),
)
def map_dataset(
    dataset_id: int, body: DatasetMapRequest, session: SessionDep, keyring: KeyringDep, user: Admin
) -> DatasetMapResponse:
    return DatasetMapResponse(
        **observed.map_dataset(session, keyring, dataset_id, body.table_id, user.actor)
    )


@router.post(
    "/observed/jobs/decide",
    summary="Approve or reject every pending edge one job reported (stewards)",
    description="All or nothing, with one comment, each decision audited.",
    response_model=list[LineageResponse],
    responses=error_responses(401, 403, 404, 409, 422),
)
def decide_job(
    body: JobDecisionRequest, session: SessionDep, user: Steward
) -> list[LineageResponse]:
    decided = observed.decide_job(
        session,
        body.job_namespace,
        body.job_name,
        approved=body.approved,
        comment=body.comment,
        actor=user.actor,
    )
    return [edge_response(session, e) for e in decided]
