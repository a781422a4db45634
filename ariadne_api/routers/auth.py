"""Login and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.deps import CurrentUser, ServicesDep, SessionDep
from ariadne_api.schemas.common import error_responses
from ariadne_core.users.service import end_sessions

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"email": "admin@ariadne.local", "password": "s3cret-pass"}}
    )
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"access_token": "eyJ...", "token_type": "bearer", "expires_in": 3600}
        }
    )
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"email": "ada@example.com", "role": "steward"}}
    )
    email: str
    role: str


@router.post(
    "/login",
    summary="Exchange e-mail and password for an access token",
    response_model=TokenResponse,
    responses=error_responses(401, 422, 429),
)
async def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenResponse:
    client = request.client.host if request.client else None
    token = await services.logins.login(
        services.reader, email=body.email, password=body.password, client=client
    )
    return TokenResponse(
        access_token=token.access_token, token_type=token.token_type, expires_in=token.expires_in
    )


@router.post(
    "/logout",
    summary="End every session of the current user (all their tokens stop working)",
    status_code=204,
    responses=error_responses(401),
)
def logout(user: CurrentUser, session: SessionDep) -> Response:
    end_sessions(session, user.email)
    return Response(status_code=204)


@router.get(
    "/me",
    summary="Who the access token belongs to",
    response_model=Me,
    responses=error_responses(401),
)
def me(user: CurrentUser) -> Me:
    return Me(email=user.email, role=user.role.value)
