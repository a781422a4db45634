"""Field Metadata API: create, update, delete. Writes need `editor`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from ariadne_api.deps import Editor, SessionDep
from ariadne_api.routers.tables import DEPRECATED_HEADER
from ariadne_api.schemas.catalog import FieldCreateRequest, FieldResponse, FieldUpdateRequest
from ariadne_api.schemas.common import error_responses
from ariadne_core import deletion
from ariadne_core.catalog import fields as service

router = APIRouter(prefix="/api/v1/fields", tags=["fields"])


@router.post(
    "",
    status_code=201,
    summary="Add a field to a table",
    response_model=FieldResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def create_field(body: FieldCreateRequest, session: SessionDep, user: Editor) -> FieldResponse:
    column = service.create_field(
        session, service.FieldInput(**body.model_dump()), actor=user.email
    )
    return FieldResponse.model_validate(column)


@router.put(
    "/{field_id}",
    summary="Update a field",
    response_model=FieldResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_field(
    field_id: uuid.UUID, body: FieldUpdateRequest, session: SessionDep, user: Editor
) -> FieldResponse:
    column = service.update_field(
        session, field_id, body.model_dump(exclude_unset=True), actor=user.email
    )
    return FieldResponse.model_validate(column)


@router.delete(
    "/{field_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a field; its lineage becomes deprecated, never erased",
    responses={
        204: {
            "description": "Deleted. The header says how many field edges became deprecated.",
            "headers": {DEPRECATED_HEADER: {"schema": {"type": "integer"}}},
        },
        **error_responses(401, 403, 404, 422),
    },
)
def delete_field(field_id: uuid.UUID, session: SessionDep, user: Editor) -> Response:
    affected = deletion.delete_field(session, field_id, actor=user.email)
    return Response(status_code=204, headers={DEPRECATED_HEADER: str(affected)})
