"""API keys for machine clients (admins): create (the key is shown once), list, revoke."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ariadne_api.deps import Admin, SessionDep
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.observed import ApiKeyCreated, ApiKeyCreateRequest, ApiKeyResponse
from ariadne_core.users import api_keys

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])


@router.post(
    "",
    status_code=201,
    summary="Create an API key (admins); the key is in this answer only",
    response_model=ApiKeyCreated,
    responses=error_responses(401, 403, 422),
)
def create_api_key(body: ApiKeyCreateRequest, session: SessionDep, user: Admin) -> ApiKeyCreated:
    created = api_keys.create_key(
        session, name=body.name, scopes=body.scopes, actor_email=user.email, actor_role=user.role
    )
    return ApiKeyCreated(
        **ApiKeyResponse.model_validate(created.key, from_attributes=True).model_dump(),
        key=created.secret,
    )


@router.get(
    "",
    summary="API keys, newest first (admins; never the keys themselves)",
    response_model=list[ApiKeyResponse],
    responses=error_responses(401, 403),
)
def list_api_keys(session: SessionDep, user: Admin) -> list[ApiKeyResponse]:
    return [
        ApiKeyResponse.model_validate(k, from_attributes=True)
        for k in api_keys.list_keys(session, user.role)
    ]


@router.delete(
    "/{key_id}",
    summary="Revoke an API key (admins); it stops working at once",
    response_model=ApiKeyResponse,
    responses=error_responses(401, 403, 404, 422),
)
def revoke_api_key(key_id: uuid.UUID, session: SessionDep, user: Admin) -> ApiKeyResponse:
    return ApiKeyResponse.model_validate(
        api_keys.revoke_key(session, key_id, actor_email=user.email, actor_role=user.role),
        from_attributes=True,
    )
