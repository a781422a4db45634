"""Request dependencies: settings, the database session and the current user.

The light ones are `async def`: a sync dependency costs a trip through the thread pool on
every request, which under load costs more than the work itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ariadne_core.cache import SESSION_CACHE, SESSION_GRAPH
from ariadne_core.config import Settings
from ariadne_core.db.models import UserRole
from ariadne_core.db.plans import PlanRunner as CatalogReader
from ariadne_core.errors import AuthenticationFailed
from ariadne_core.lineage.edges import Actor
from ariadne_core.security.roles import require_role
from ariadne_core.security.tokens import decode_token
from ariadne_core.users.sessions import Logins, current_account


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; committed when the handler returns without error.

    Opening a session does no I/O; the commit or rollback at the end runs in a thread.
    """
    session: Session = request.app.state.session_factory()
    session.info[SESSION_CACHE] = request.app.state.lineage_cache  # bumped after commits
    session.info[SESSION_GRAPH] = request.app.state.graph_router  # Neo4j follows commits
    try:
        yield session
    except BaseException:
        await anyio.to_thread.run_sync(_rollback_and_close, session)
        raise
    await anyio.to_thread.run_sync(_commit_and_close, session)
    after_commit(request)


def after_commit(request: Request) -> None:
    """A write committed: this process's cached counts and searches are stale from now
    on (other processes learn it from PostgreSQL; see ariadne_core.catalog.generation)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        request.app.state.catalog_generation.bump()


# scope="function": commit before the response is sent, so a 2xx means the data is saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A session for handlers that only read (lineage traversal and impact): autocommit,
    so no BEGIN and no COMMIT round trip, and closing it does no I/O."""
    session: Session = request.app.state.read_session_factory()
    session.info[SESSION_GRAPH] = request.app.state.graph_router
    try:
        yield session
    finally:
        session.close()


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


async def get_catalog_reader(request: Request) -> CatalogReader:
    """For the hot catalog reads (table list and detail, search): plans run on the
    asyncio connection pool, in the event loop, with no trip through the thread pool."""
    reader: CatalogReader = request.app.state.catalog_reader
    return reader


CatalogReaderDep = Annotated[CatalogReader, Depends(get_catalog_reader)]


async def get_logins(request: Request) -> Logins:
    logins: Logins = request.app.state.logins
    return logins


LoginsDep = Annotated[Logins, Depends(get_logins)]

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
    settings: SettingsDep,
    reader: CatalogReaderDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUserInfo:
    """The user behind the bearer token, with the role they hold now: a token whose user
    logged out, was deactivated, deleted or given another role is refused."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed(
            "You are not logged in. Send the access token from POST /api/v1/auth/login "
            "as 'Authorization: Bearer <token>'."
        )
    claims = decode_token(settings, credentials.credentials)
    account = await current_account(claims, reader, request.app.state.account_cache)
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


class SingleFlight:
    """One computation per key at a time in this process: when many requests miss the
    cache for the same answer at once, the first computes it and the rest then find it
    cached, instead of all running the same expensive query together."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
