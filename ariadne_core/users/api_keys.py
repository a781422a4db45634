"""API keys: how machine clients (an OpenLineage transport, a CI job) authenticate.

A key is `ariadne_` and 43 random URL-safe characters. Only its SHA-256 is stored (the
key has 256 random bits, so a fast hash is enough and a slow one would cost every
request); the key is shown once, when an admin creates it. Each key holds scopes; a
revoked key stops working in every API process at once (a trigger announces the change
on `ariadne_catalog`, migration 0014, which empties the cache below).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.models import ApiKey, UserRole
from ariadne_core.db.plans import Plan, PlanRunner
from ariadne_core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from ariadne_core.security.roles import require_role

PREFIX = "ariadne_"
INGEST_LINEAGE = "lineage:ingest"
SCOPES = frozenset({INGEST_LINEAGE})
REVOKED = "This API key was revoked or does not exist. Ask an administrator for a new key."


@dataclass(frozen=True)
class KeyHolder:
    """Who sent a request with an API key."""

    id: uuid.UUID
    name: str
    scopes: frozenset[str]

    @property
    def label(self) -> str:
        return f"api-key:{self.name}"


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, *, name: str, scopes: list[str], actor_email: str, actor_role: UserRole
) -> CreatedKey:
    require_role(actor_role, UserRole.ADMIN)
    name = name.strip()
    if not name:
        raise ValidationFailed(
            "name must not be empty: name the client that will use the key.",
            details={"field": "name"},
        )
    unknown = sorted(set(scopes) - SCOPES)
    if unknown or not scopes:
        raise ValidationFailed(
            f"scopes {unknown or scopes} are not known. Use one or more of {sorted(SCOPES)}.",
            details={"field": "scopes", "value": scopes, "allowed": sorted(SCOPES)},
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=secret[: len(PREFIX) + 6],
        key_hash=key_hash(secret),
        scopes=sorted(set(scopes)),
        created_by=actor_email,
    )
    session.add(key)
    session.flush()
    return CreatedKey(key, secret)


def list_keys(session: Session, actor_role: UserRole) -> list[ApiKey]:
    require_role(actor_role, UserRole.ADMIN)
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))


def revoke_key(
    session: Session, key_id: uuid.UUID, *, actor_email: str, actor_role: UserRole
) -> ApiKey:
    require_role(actor_role, UserRole.ADMIN)
    key = session.get(ApiKey, key_id, with_for_update=True)
    if key is None:
        raise NotFound(f"API key {key_id} not found.", details={"id": str(key_id)})
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        key.revoked_by = actor_email
        session.flush()
    return key


_NONE = KeyHolder(uuid.UUID(int=0), "", frozenset())


def _holder_plan(digest: str) -> Plan[KeyHolder | None]:
    row = yield (
        "SELECT id, name, scopes FROM api_keys WHERE key_hash = %(h)s AND revoked_at IS NULL",
        {"h": digest},
    )
    if row is None:
        return None
    return KeyHolder(row[0], str(row[1]), frozenset(row[2]))


async def key_holder(secret: str, reader: PlanRunner, cache: GenerationCache) -> KeyHolder:
    """The live key behind ``secret``, or AuthenticationFailed. Checked from memory until
    the api_keys table changes."""
    digest = key_hash(secret)
    cache_key: Any = ("api_key", digest)
    generation, holder = cache.lookup(cache_key)
    if holder is None:
        found = await reader.run(lambda: _holder_plan(digest))
        holder = _NONE if found is None else found
        cache.store(cache_key, generation, holder, 256)
    if holder is _NONE:
        raise AuthenticationFailed(REVOKED)
    return holder


def require_scope(holder: KeyHolder, scope: str) -> None:
    if scope not in holder.scopes:
        raise PermissionDenied(
            f"This API key does not hold the {scope} scope; it holds {sorted(holder.scopes)}.",
            details={"required_scope": scope, "key": holder.name},
        )
