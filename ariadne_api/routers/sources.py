"""Data Source Management API. Reads need `viewer`; writes need `admin`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from ariadne_api.deps import CurrentUser, CurrentUserInfo, SessionDep, requires
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_api.schemas.sources import SourceCreateRequest, SourceResponse, SourceUpdateRequest
from ariadne_core.catalog import sources as service
from ariadne_core.db.models import DataSource, SourceType, UserRole
from ariadne_core.security.secrets import Keyring

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])
Admin = Annotated[CurrentUserInfo, Depends(requires(UserRole.ADMIN))]


async def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(_keyring)]


def _response(keyring: Keyring, source: DataSource) -> SourceResponse:
    return SourceResponse(
        id=source.id,
        name=source.name,
        type=source.type,
        description=source.description,
        is_active=source.is_active,
        connection_config=service.masked_config(keyring, source),
        last_sync_status=source.last_sync_status,
        last_sync_at=source.last_sync_at,
        last_sync_error=source.last_sync_error,
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
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
    type: Annotated[SourceType | None, Query(description="only this source type")] = None,
    is_active: Annotated[bool | None, Query(description="only active or inactive sources")] = None,
) -> Page[SourceResponse]:
    items, total = service.list_sources(
        session, source_type=type, is_active=is_active, offset=paging.offset, limit=paging.size
    )
    return Page[SourceResponse].build(
        [_response(keyring, s) for s in items], total=total, params=paging
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
    return _response(keyring, source)


@router.get(
    "/{source_id}",
    summary="Get a data source",
    response_model=SourceResponse,
    responses=error_responses(401, 404, 422),
)
def get_source(
    source_id: uuid.UUID, session: SessionDep, keyring: KeyringDep, _: CurrentUser
) -> SourceResponse:
    return _response(keyring, service.get_source(session, source_id))


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
        keyring, service.update_source(session, keyring, source_id, changes, actor=user.email)
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
