"""User management for admins: list, create, change role, deactivate. A role change,
deactivation or new password ends the user's sessions at once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.deps import Admin, SessionDep
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_core.db.models import User, UserRole
from ariadne_core.users import service

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0b7c2a8e-4f0d-4b8a-9d6e-1f2a3b4c5d6e",
                "email": "ada@example.com",
                "full_name": "Ada Lovelace",
                "role": "steward",
                "is_active": True,
                "created_at": "2026-11-25T10:00:00Z",
                "updated_at": "2026-11-25T10:00:00Z",
            }
        }
    )
    id: uuid.UUID
    email: str
    full_name: str | None
    role: UserRole
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "email": "ada@example.com",
                "password": "a-long-passphrase",
                "role": "steward",
                "full_name": "Ada Lovelace",
            }
        }
    )
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(
        min_length=service.MIN_PASSWORD_LENGTH, max_length=service.MAX_PASSWORD_LENGTH
    )
    role: UserRole = UserRole.VIEWER
    full_name: str | None = Field(None, max_length=200)


class UserUpdateRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"role": "editor", "is_active": False}})
    role: UserRole | None = None
    is_active: bool | None = None
    full_name: str | None = Field(None, max_length=200)
    password: str | None = Field(
        None, min_length=service.MIN_PASSWORD_LENGTH, max_length=service.MAX_PASSWORD_LENGTH
    )


def _response(user: User) -> UserResponse:
    return UserResponse.model_validate(user, from_attributes=True)


@router.get(
    "",
    summary="List users (admin)",
    response_model=Page[UserResponse],
    responses=error_responses(401, 403, 422),
)
def list_users(
    _: Admin, session: SessionDep, params: Annotated[PageParams, Query()]
) -> Page[UserResponse]:
    users, total = service.list_users(session, offset=params.offset, limit=params.size)
    return Page.build([_response(u) for u in users], total=total, params=params)


@router.post(
    "",
    summary="Create a user (admin)",
    status_code=201,
    response_model=UserResponse,
    responses=error_responses(401, 403, 409, 422),
)
def create_user(body: UserCreateRequest, _: Admin, session: SessionDep) -> UserResponse:
    user = service.create_user(
        session, email=body.email, password=body.password, role=body.role, full_name=body.full_name
    )
    session.refresh(user)
    return _response(user)


@router.patch(
    "/{user_id}",
    summary="Change a user's role, name or password, or (de)activate them (admin)",
    response_model=UserResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_user(
    user_id: uuid.UUID, body: UserUpdateRequest, _: Admin, session: SessionDep
) -> UserResponse:
    change = service.UserChange(**body.model_dump(exclude_unset=True))
    user = service.update_user(session, user_id, change)
    session.refresh(user)
    return _response(user)
