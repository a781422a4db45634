"""Find tables and fields by id or by qualified name, with did-you-mean suggestions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import MetadataField, MetadataTable
from ariadne_core.errors import NotFound, ValidationFailed


def similar_qualified_names(session: Session, model: Any, wanted: str, limit: int = 3) -> list[str]:
    """Live tables or fields whose name looks like ``wanted``'s last part, best first.

    The trigram index on ``name`` finds candidates (the ``%`` operator); they are ranked by
    how similar the whole qualified name is.
    """
    last = wanted.rsplit(".", 1)[-1]
    return list(
        session.scalars(
            select(model.qualified_name)
            .where(~model.is_deleted, model.name.op("%")(last))
            .order_by(func.similarity(model.qualified_name, wanted).desc())
            .limit(limit)
        )
    )


def did_you_mean(suggestions: list[str]) -> str:
    return f" Did you mean '{suggestions[0]}'?" if suggestions else ""


def _resolve(
    session: Session,
    model: Any,
    kind: str,
    role: str,
    entity_id: uuid.UUID | None,
    name: str | None,
) -> Any:
    if entity_id is None and not name:
        raise ValidationFailed(
            f"Give the {role} {kind}, by id or by qualified name.",
            details={"field": f"{role.replace(' ', '_')}_{kind}"},
        )
    if entity_id is not None:
        found = session.scalar(select(model).where(model.id == entity_id, ~model.is_deleted))
        if found is None:
            raise NotFound(
                f"The {role} {kind} {entity_id} is not in the catalog.",
                details={"id": str(entity_id), "role": role},
            )
        if name and found.qualified_name != name:
            raise ValidationFailed(
                f"The {role} {kind} id and name disagree: {entity_id} is "
                f"'{found.qualified_name}', not '{name}'. Give one of them.",
                details={"id": str(entity_id), "name": name},
            )
        return found
    assert name is not None
    found = session.scalar(select(model).where(model.qualified_name == name, ~model.is_deleted))
    if found is None:
        suggestions = similar_qualified_names(session, model, name)
        hint = did_you_mean(suggestions)
        raise NotFound(
            f"The {role} {kind} '{name}' is not in the catalog.{hint} Fix the name, or add "
            f"the {kind} first.",
            details={"name": name, "role": role, "suggestions": suggestions},
        )
    return found


def resolve_table(
    session: Session, role: str, table_id: uuid.UUID | None = None, name: str | None = None
) -> MetadataTable:
    table: MetadataTable = _resolve(session, MetadataTable, "table", role, table_id, name)
    return table


def resolve_field(
    session: Session, role: str, field_id: uuid.UUID | None = None, name: str | None = None
) -> MetadataField:
    column: MetadataField = _resolve(session, MetadataField, "field", role, field_id, name)
    return column
