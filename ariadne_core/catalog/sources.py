"""Data sources: create, read, update, delete, with sealed connection configs and history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.catalog.connection_configs import (
    IDENTITY_KEYS,
    SECRET_KEYS,
    mask_secrets,
    merge_secrets,
    validate_config,
)
from ariadne_core.catalog.history import record_change
from ariadne_core.catalog.naming import normalize_namespace
from ariadne_core.db.models import DataSource, MetadataTable, SourceType, UserRole
from ariadne_core.errors import Conflict, NotFound, ValidationFailed
from ariadne_core.security.roles import has_role
from ariadne_core.security.secrets import Keyring, Sealed


@dataclass
class SourceInput:
    name: str
    type: SourceType
    description: str | None = None
    connection_config: dict[str, Any] | None = None
    is_active: bool = True
    namespace_aliases: list[str] | None = None


MAX_ALIASES = 20


def check_aliases(aliases: list[str] | None) -> list[str]:
    """OpenLineage namespaces a source also answers to, normalized, each at most once."""
    out: list[str] = []
    for i, raw in enumerate(aliases or []):
        alias = normalize_namespace(raw)
        if not alias or len(alias) > 500:
            raise ValidationFailed(
                f"namespace_aliases[{i}] '{raw[:100]}' must be 1 to 500 characters, such as "
                "postgres://db.internal:5432.",
                details={"field": f"namespace_aliases[{i}]", "value": raw[:200]},
            )
        if alias not in out:
            out.append(alias)
    if len(out) > MAX_ALIASES:
        raise ValidationFailed(
            f"{len(out)} namespace aliases; at most {MAX_ALIASES}.",
            details={"field": "namespace_aliases", "limit": MAX_ALIASES},
        )
    return out


def read_config(keyring: Keyring, source: DataSource) -> dict[str, Any]:
    """The decrypted config; only connectors and this module call it."""
    if source.connection_config_ciphertext is None or source.connection_config_key_id is None:
        return {}
    return keyring.open(
        Sealed(source.connection_config_key_id, source.connection_config_ciphertext)
    )


def connection_identity(keyring: Keyring, source: DataSource) -> dict[str, Any]:
    """Where the source lives (host, port, database, service name, scheme), never a secret:
    what OpenLineage namespaces are derived from (ariadne_core.observed.namespaces)."""
    config = read_config(keyring, source)
    return {k: config[k] for k in IDENTITY_KEYS if k in config and k != "username"}


def masked_config(keyring: Keyring, source: DataSource) -> dict[str, Any]:
    return mask_secrets(read_config(keyring, source))


# Viewers see that a source exists and how its syncs went, not where it lives: hosts,
# user names and a remote server's error text (which often names both) are for editors
# and above.
HIDDEN_SYNC_ERROR = "The sync failed. Editors and administrators can read the reason."


def sees_connections(role: UserRole) -> bool:
    return has_role(role, UserRole.EDITOR)


def config_for(keyring: Keyring, source: DataSource, role: UserRole) -> dict[str, Any] | None:
    """The connection config as ``role`` may see it: secrets masked, or nothing at all."""
    return masked_config(keyring, source) if sees_connections(role) else None


def sync_error_for(error: str | None, role: UserRole) -> str | None:
    return error if error is None or sees_connections(role) else HIDDEN_SYNC_ERROR


def _snapshot(source: DataSource, config: dict[str, Any]) -> dict[str, Any]:
    """What history records of a source: its fields and its config with secrets masked."""
    return {
        "name": source.name,
        "type": source.type,
        "description": source.description,
        "is_active": source.is_active,
        "connection_config": mask_secrets(config),
        "namespace_aliases": list(source.namespace_aliases or []),
    }


def _seal(keyring: Keyring, source: DataSource, config: dict[str, Any]) -> None:
    sealed = keyring.seal(config)
    source.connection_config_ciphertext = sealed.ciphertext
    source.connection_config_key_id = sealed.key_id


def _ensure_unique_name(session: Session, name: str, exclude: uuid.UUID | None = None) -> None:
    stmt = select(DataSource.id).where(func.lower(DataSource.name) == func.lower(name))
    if exclude is not None:
        stmt = stmt.where(DataSource.id != exclude)
    existing = session.scalar(stmt)
    if existing is not None:
        raise Conflict(
            f"A data source named '{name}' already exists.",
            details={"name": name, "existing_id": str(existing)},
        )


def get_source(session: Session, source_id: uuid.UUID) -> DataSource:
    source = session.get(DataSource, source_id)
    if source is None:
        raise NotFound(
            f"Data source {source_id} does not exist.", details={"source_id": str(source_id)}
        )
    return source


def list_sources(
    session: Session,
    *,
    source_type: SourceType | None,
    is_active: bool | None,
    offset: int,
    limit: int,
) -> tuple[list[DataSource], int]:
    stmt = select(DataSource)
    if source_type is not None:
        stmt = stmt.where(DataSource.type == source_type)
    if is_active is not None:
        stmt = stmt.where(DataSource.is_active.is_(is_active))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(
        stmt.order_by(DataSource.name, DataSource.id).offset(offset).limit(limit)
    )
    return list(rows), total


def create_source(
    session: Session, keyring: Keyring, data: SourceInput, actor: str | None
) -> DataSource:
    config = validate_config(data.type, data.connection_config)
    name = data.name.strip()
    _ensure_unique_name(session, name)
    source = DataSource(
        name=name,
        type=data.type,
        description=data.description,
        is_active=data.is_active,
        namespace_aliases=check_aliases(data.namespace_aliases),
        created_by=actor,
    )
    _seal(keyring, source, config)
    session.add(source)
    session.flush()
    record_change(
        session,
        entity_type="source",
        entity_id=source.id,
        action="create",
        actor=actor,
        before=None,
        after=_snapshot(source, config),
    )
    return source


def update_source(
    session: Session,
    keyring: Keyring,
    source_id: uuid.UUID,
    changes: dict[str, Any],
    actor: str | None,
) -> DataSource:
    """Apply the given fields; a connection_config replaces the old one, secrets kept if masked."""
    source = get_source(session, source_id)
    old_config = read_config(keyring, source)
    before = _snapshot(source, old_config)
    new_type = SourceType(changes.get("type") or source.type)
    if "name" in changes and changes["name"] is not None:
        name = str(changes["name"]).strip()
        _ensure_unique_name(session, name, exclude=source.id)
        source.name = name
    if "description" in changes:
        source.description = changes["description"]
    if changes.get("is_active") is not None:
        source.is_active = bool(changes["is_active"])
    if changes.get("namespace_aliases") is not None:
        source.namespace_aliases = check_aliases(changes["namespace_aliases"])
    config = old_config
    secrets_changed: list[str] = []
    if "connection_config" in changes or new_type != source.type:
        raw = changes.get("connection_config")
        merged = merge_secrets(
            dict(raw if raw is not None else old_config),
            old_config,
            old_type=source.type,
            new_type=new_type,
        )
        config = validate_config(new_type, merged)
        secrets_changed = sorted(k for k in SECRET_KEYS if config.get(k) != old_config.get(k))
        source.type = new_type
        _seal(keyring, source, config)
    session.flush()
    after = _snapshot(source, config)
    if secrets_changed:
        after["secrets_changed"] = secrets_changed
    record_change(
        session,
        entity_type="source",
        entity_id=source.id,
        action="update",
        actor=actor,
        before=before,
        after=after,
    )
    return source


def delete_source(
    session: Session, keyring: Keyring, source_id: uuid.UUID, actor: str | None
) -> None:
    source = get_source(session, source_id)
    live, deleted = session.execute(
        select(
            func.count().filter(~MetadataTable.is_deleted),
            func.count().filter(MetadataTable.is_deleted.is_(True)),
        ).where(MetadataTable.source_id == source.id)
    ).one()
    if live:
        raise Conflict(
            f"Data source '{source.name}' still has {live} table(s). Delete them first, or "
            "set is_active=false to stop harvesting it while keeping its catalog and lineage.",
            details={"source_id": str(source.id), "tables": live},
        )
    if deleted:
        # Deleted tables keep their deprecated lineage and history; erasing the source
        # would erase them too.
        raise Conflict(
            f"Data source '{source.name}' keeps {deleted} deleted table(s) with their lineage "
            "history. Set is_active=false instead of deleting it.",
            details={"source_id": str(source.id), "deleted_tables": deleted},
        )
    record_change(
        session,
        entity_type="source",
        entity_id=source.id,
        action="delete",
        actor=actor,
        before=_snapshot(source, read_config(keyring, source)),
        after=None,
    )
    session.delete(source)
    session.flush()


def source_id_by_name(session: Session, name: str) -> uuid.UUID:
    """The id of the source called ``name``; 404 naming it otherwise."""
    found = session.scalar(select(DataSource.id).where(DataSource.name == name))
    if found is None:
        raise NotFound(f"Data source '{name}' does not exist.", details={"source": name})
    return found
