"""Data Source Management API. Reads need `viewer`; writes and connection tests need
`admin`; starting a sync needs `editor`."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from typing import Annotated

from fastapi import APIRouter, Query, Response

from ariadne_api.deps import Admin, CurrentUser, Editor, KeyringDep, ServicesDep, SessionDep
from ariadne_api.launcher import SyncLauncher
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_api.schemas.sources import (
    ConnectionTestResponse,
    SourceCreateRequest,
    SourceResponse,
    SourceUpdateRequest,
    SyncJobResponse,
)
from ariadne_core.catalog import sources as service
from ariadne_core.catalog.connection_configs import validate_config
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import DataSource, SourceType, UserRole
from ariadne_core.harvest import service as harvest
from ariadne_core.runtime.fallback import runner_of
from ariadne_core.security.secrets import Keyring

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])


def _response(keyring: Keyring, source: DataSource, role: UserRole) -> SourceResponse:
    return SourceResponse(
        id=source.id,
        name=source.name,
        type=source.type,
        description=source.description,
        is_active=source.is_active,
        connection_config=service.config_for(keyring, source, role),
        namespace_aliases=list(source.namespace_aliases or [])
        if service.sees_connections(role)
        else None,
        last_sync_status=source.last_sync_status,
        last_sync_at=source.last_sync_at,
        last_sync_error=service.sync_error_for(source.last_sync_error, role),
        created_by=source.created_by,
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


@router.get(
    "",
    summary="List data sources",
    response_model=Page[SourceResponse],
    responses=error_responses(401, 422),
)
def list_sources(
    session: SessionDep,
    keyring: KeyringDep,
    user: CurrentUser,
    paging: Annotated[PageParams, Query()],
    type: Annotated[SourceType | None, Query(description="only this source type")] = None,
    is_active: Annotated[bool | None, Query(description="only active or inactive sources")] = None,
) -> Page[SourceResponse]:
    items, total = service.list_sources(
        session, source_type=type, is_active=is_active, offset=paging.offset, limit=paging.size
    )
    return Page[SourceResponse].build(
        [_response(keyring, s, user.role) for s in items], total=total, params=paging
    )


@router.post(
    "",
    status_code=201,
    summary="Create a data source",
    response_model=SourceResponse,
    responses=error_responses(401, 403, 409, 422),
)
def create_source(
    body: SourceCreateRequest, session: SessionDep, keyring: KeyringDep, user: Admin
) -> SourceResponse:
    source = service.create_source(
        session, keyring, service.SourceInput(**body.model_dump()), actor=user.email
    )
    return _response(keyring, source, user.role)


@router.get(
    "/{source_id}",
    summary="Get a data source",
    response_model=SourceResponse,
    responses=error_responses(401, 404, 422),
)
def get_source(
    source_id: uuid.UUID, session: SessionDep, keyring: KeyringDep, user: CurrentUser
) -> SourceResponse:
    return _response(keyring, service.get_source(session, source_id), user.role)


@router.put(
    "/{source_id}",
    summary="Update a data source",
    response_model=SourceResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_source(
    source_id: uuid.UUID,
    body: SourceUpdateRequest,
    session: SessionDep,
    keyring: KeyringDep,
    user: Admin,
) -> SourceResponse:
    changes = body.model_dump(exclude_unset=True)
    return _response(
        keyring,
        service.update_source(session, keyring, source_id, changes, actor=user.email),
        user.role,
    )


@router.delete(
    "/{source_id}",
    status_code=204,
    summary="Delete a data source without tables",
    response_class=Response,
    responses=error_responses(401, 403, 404, 409, 422),
)
def delete_source(
    source_id: uuid.UUID, session: SessionDep, keyring: KeyringDep, user: Admin
) -> Response:
    service.delete_source(session, keyring, source_id, actor=user.email)
    return Response(status_code=204)


@router.post(
    "/test-connection",
    summary="Test a connection config before saving it",
    response_model=ConnectionTestResponse,
    responses=error_responses(401, 403, 422),
)
def test_connection(body: SourceCreateRequest, _: Admin) -> ConnectionTestResponse:
    config = validate_config(body.type, body.connection_config)
    return ConnectionTestResponse(**harvest.check_connection(body.type, config))


def _job_response(launcher: SyncLauncher, job: harvest.JobView, role: UserRole) -> SyncJobResponse:
    values = {k: v for k, v in asdict(job).items() if k != "id"}
    values["error_message"] = service.sync_error_for(job.error_message, role)
    run_url = launcher.dagster_url(job.dagster_run_id) if job.dagster_run_id else None
    return SyncJobResponse(job_id=job.id, dagster_run_url=run_url, **values)


@router.post(
    "/{source_id}/sync",
    status_code=202,
    summary="Sync a source's metadata (launches the Dagster asset source_metadata)",
    response_model=SyncJobResponse,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def sync_source(
    source_id: uuid.UUID,
    services: ServicesDep,
    user: Editor,
    full_sync: Annotated[
        bool, Query(description="re-read and compare everything, not only what changed")
    ] = False,
) -> SyncJobResponse:
    # The job is committed on its own before the runner, which has its own connection,
    # looks for it.
    with session_scope(services.engine) as own:
        job = harvest.create_sync_job(
            own, source_id, full_sync=full_sync, trigger="api", actor=user.email
        )
    run_id = services.syncs.launch(job.id, source_id, full_sync)
    started = replace(job, dagster_run_id=run_id, runner=runner_of(run_id))
    return _job_response(services.syncs, started, user.role)


@router.get(
    "/sync-jobs/{job_id}",
    summary="Status of a sync job",
    response_model=SyncJobResponse,
    responses=error_responses(401, 404, 422),
)
def get_sync_job(
    job_id: uuid.UUID, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> SyncJobResponse:
    return _job_response(services.syncs, harvest.get_sync_job(session, job_id), user.role)


@router.get(
    "/{source_id}/sync-jobs",
    summary="A source's recent sync jobs, newest first",
    response_model=list[SyncJobResponse],
    responses=error_responses(401, 404, 422),
)
def list_sync_jobs(
    source_id: uuid.UUID, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> list[SyncJobResponse]:
    jobs = harvest.list_sync_jobs(session, source_id)
    return [_job_response(services.syncs, job, user.role) for job in jobs]
