"""Request dependencies: settings, the database session and the current user.

The light ones are `async def`: a sync dependency costs a trip through the thread pool on
every request, which under load costs more than the work itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ariadne_api.services import AppServices
from ariadne_core.ai.reads import AIReads
from ariadne_core.catalog.generation import CatalogGeneration
from ariadne_core.catalog.reads import CatalogReads
from ariadne_core.config import Settings
from ariadne_core.db.models import UserRole
from ariadne_core.errors import AuthenticationFailed
from ariadne_core.lineage.edges import Actor
from ariadne_core.lineage.reads import LineageReads
from ariadne_core.search.reads import SearchReads
from ariadne_core.security.roles import require_role
from ariadne_core.security.secrets import Keyring
from ariadne_core.security.tokens import decode_token
from ariadne_core.users import api_keys
from ariadne_core.users.sessions import Logins, current_account


async def get_services(request: Request) -> AppServices:
    """The one place that reaches into `app.state`: routers ask for what they need below."""
    services: AppServices = request.app.state.services
    return services


ServicesDep = Annotated[AppServices, Depends(get_services)]


async def get_app_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_catalog_reads(services: ServicesDep) -> CatalogReads:
    return services.catalog


async def get_search_reads(services: ServicesDep) -> SearchReads:
    return services.search


async def get_lineage_reads(services: ServicesDep) -> LineageReads:
    return services.lineage


async def get_ai_reads(services: ServicesDep) -> AIReads:
    return services.ai


async def get_keyring(services: ServicesDep) -> Keyring:
    return services.keyring


async def get_logins(services: ServicesDep) -> Logins:
    return services.logins


CatalogReadsDep = Annotated[CatalogReads, Depends(get_catalog_reads)]
SearchReadsDep = Annotated[SearchReads, Depends(get_search_reads)]
LineageReadsDep = Annotated[LineageReads, Depends(get_lineage_reads)]
AIReadsDep = Annotated[AIReads, Depends(get_ai_reads)]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
LoginsDep = Annotated[Logins, Depends(get_logins)]


def _commit_and_close(session: Session, generation: CatalogGeneration | None) -> None:
    try:
        session.commit()
    finally:
        session.close()
    if generation is not None:
        # This process's caches are stale from now on; other processes learn it from
        # PostgreSQL (see ariadne_core.catalog.generation) a moment later.
        generation.bump()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def get_session(request: Request, services: ServicesDep) -> AsyncIterator[Session]:
    """One session per request; committed when the handler returns without error.

    Opening a session does no I/O; the commit or rollback at the end runs in a thread.
    """
    session: Session = services.sessions()
    try:
        yield session
    except BaseException:
        await anyio.to_thread.run_sync(_rollback_and_close, session)
        raise
    await anyio.to_thread.run_sync(
        _commit_and_close, session, services.generation if is_write(request) else None
    )


def is_write(request: Request) -> bool:
    """Whether the request may have changed the catalog (its commit bumps the generation).
    The assistant's routes write only its conversation memory, never the catalog."""
    return request.method not in ("GET", "HEAD", "OPTIONS") and not request.url.path.startswith(
        "/api/v1/ai/"
    )


# scope="function": commit before the response is sent, so a 2xx means the data is saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


@dataclass(frozen=True)
class CurrentUserInfo:
    email: str
    role: UserRole

    @property
    def actor(self) -> Actor:
        """The user as the core services know whoever acts (role rules live there)."""
        return Actor(self.email, self.role)


async def get_current_user(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUserInfo:
    """The user behind the bearer token, with the role they hold now: a token whose user
    logged out, was deactivated, deleted or given another role is refused."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed(
            "You are not logged in. Send the access token from POST /api/v1/auth/login "
            "(or, for OpenLineage events, an API key) as 'Authorization: Bearer <token>'."
        )
    claims = decode_token(services.settings, credentials.credentials)
    account = await current_account(claims, services.reader, services.accounts)
    request.state.user = account.email  # for the request log
    return CurrentUserInfo(email=account.email, role=account.role)


CurrentUser = Annotated[CurrentUserInfo, Depends(get_current_user)]


def requires(role: UserRole) -> Callable[[CurrentUserInfo], Coroutine[Any, Any, CurrentUserInfo]]:
    """Dependency factory: the caller must hold at least ``role``."""

    async def check(user: CurrentUser) -> CurrentUserInfo:
        require_role(user.role, role)
        return user

    return check


Editor = Annotated[CurrentUserInfo, Depends(requires(UserRole.EDITOR))]
Steward = Annotated[CurrentUserInfo, Depends(requires(UserRole.STEWARD))]
Admin = Annotated[CurrentUserInfo, Depends(requires(UserRole.ADMIN))]


@dataclass(frozen=True)
class Sender:
    label: str  # the key's "api-key:<name>", or the user's e-mail
    key_id: uuid.UUID | None = None


async def get_lineage_sender(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Sender:
    """Who posts OpenLineage events: an API key holding `lineage:ingest` (what the
    OpenLineage HTTP transport's `api_key` auth sends), or a logged-in editor or above."""
    if credentials is not None and api_keys.looks_like_key(credentials.credentials):
        holder = await api_keys.key_holder(
            credentials.credentials, services.reader, services.accounts
        )
        api_keys.require_scope(holder, api_keys.INGEST_LINEAGE)
        request.state.user = holder.label
        return Sender(holder.label, holder.id)
    user = await get_current_user(request, services, credentials)
    require_role(user.role, UserRole.EDITOR)
    return Sender(user.email)


LineageSender = Annotated[Sender, Depends(get_lineage_sender)]
