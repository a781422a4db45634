"""Declaring, editing, deprecating and reviewing lineage edges, each change audited.

Table edges connect tables, field edges connect fields. Every response-worthy change
appends a LineageAuditEvent; the attribution rules live in `lineage/precedence.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ariadne_core.catalog.resolve import resolve_field, resolve_table
from ariadne_core.db.models import (
    RETIRED,
    EdgeOrigin,
    FieldLineage,
    LineageAction,
    LineageAuditEvent,
    LineageSource,
    LineageStatus,
    MetadataField,
    MetadataTable,
    TableLineage,
    UserRole,
)
from ariadne_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ariadne_core.lineage.audit import Edge, append_event, edge_snapshot, set_status
from ariadne_core.lineage.precedence import automatic_write_allowed, declaration_upgrades
from ariadne_core.security.roles import has_role


@dataclass
class Endpoint:
    id: uuid.UUID | None = None
    name: str | None = None


@dataclass
class EdgeInput:
    source: Endpoint
    target: Endpoint
    transformation_type: str | None = None
    transformation_logic: str | None = None
    lineage_source: LineageSource = LineageSource.MANUAL
    confidence: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: EdgeOrigin | None = None  # how it came to be, when not its lineage_source


@dataclass
class Actor:
    email: str
    role: UserRole


@dataclass
class Declared:
    edge: Edge
    created: bool  # False when an existing edge was upgraded or re-activated


def _check_declarable(source: LineageSource, actor: Actor) -> None:
    if source is LineageSource.APPROVED and not has_role(actor.role, UserRole.STEWARD):
        raise refuse("APPROVED_NEEDS_STEWARD", actor)


def initial_state(data: EdgeInput, actor: Actor) -> dict[str, Any]:
    """The columns of a new edge, whether table or field."""
    source = data.lineage_source
    approved = source is LineageSource.APPROVED
    return {
        "transformation_type": data.transformation_type,
        "transformation_logic": data.transformation_logic,
        "edge_metadata": data.metadata or {},
        "lineage_source": source,
        "origin": data.origin or EdgeOrigin(source.value),
        "status": LineageStatus.PENDING_REVIEW
        if source is LineageSource.INFERRED
        else LineageStatus.ACTIVE,
        "confidence": data.confidence
        if data.confidence is not None
        else (0.5 if source is LineageSource.INFERRED else 1.0),
        "created_by": actor.email,
        "approved_by": actor.email if approved else None,
        "approved_at": datetime.now(UTC) if approved else None,
    }


def _created(session: Session, edge: Edge, actor: Actor) -> Declared:
    session.add(edge)
    session.flush()
    append_event(
        session,
        edge,
        LineageAction.CREATE,
        actor=actor.email,
        before=None,
        after=edge_snapshot(edge),
    )
    return Declared(edge, created=True)


@dataclass
class Outcome:
    """What declaring an edge over an existing one does, before anything is written."""

    # "unchanged" | "update" | "upgrade" | "kept" (precedence forbids a change) |
    # "refused" (the actor's role may not make this change: see `refusal`)
    kind: str
    changes: dict[str, Any]
    refusal: str | None = None


# Why a person may not change an edge: the code is the import message's
# (ariadne_core/importing/messages.py); the text is the API's.
REFUSALS = {
    "APPROVED_NEEDS_STEWARD": "Only a data steward can make lineage approved. Declare it as "
    "manual and ask a steward to approve it.",
    "LINEAGE_REJECTED": "A data steward rejected this lineage; only a data steward can bring "
    "it back (POST /api/v1/lineage/{id}/reopen).",
    "APPROVED_CHANGE_NEEDS_STEWARD": "A data steward approved this lineage; only a data "
    "steward can change or retire it. Ask one to make the change.",
}


def edge_state(edge: Edge) -> dict[str, Any]:
    return {
        "lineage_source": edge.lineage_source,
        "status": edge.status,
        "transformation_type": edge.transformation_type,
        "transformation_logic": edge.transformation_logic,
        "confidence": edge.confidence,
        "metadata": edge.edge_metadata,
    }


def change_refusal(existing: dict[str, Any], actor: Actor) -> str | None:
    """Why ``actor`` may not change, revive or retire an edge in state ``existing``, or
    None. Stewards may; others may not touch a rejected edge (a steward reopens it) nor
    an approved one that is still in force."""
    if has_role(actor.role, UserRole.STEWARD):
        return None
    status = LineageStatus(existing["status"])
    if status is LineageStatus.REJECTED:
        return "LINEAGE_REJECTED"
    if LineageSource(existing["lineage_source"]) is LineageSource.APPROVED and (
        status is not LineageStatus.DEPRECATED
    ):
        return "APPROVED_CHANGE_NEEDS_STEWARD"
    return None


def refuse(code: str, actor: Actor, edge_id: Any = None) -> PermissionDenied:
    details = {
        "reason": code,
        "required_role": UserRole.STEWARD.value,
        "your_role": actor.role.value,
    }
    if edge_id is not None:
        details["lineage_id"] = str(edge_id)
    return PermissionDenied(REFUSALS[code], details=details)


def declaration_outcome(existing: dict[str, Any], data: EdgeInput, actor: Actor) -> Outcome:
    """Declaring ``data`` over an edge in state ``existing`` (see `edge_state`).

    The one rule shared by the API and bulk import: an inferred declaration never
    touches a manual or approved edge; a stronger attribution upgrades the edge and keeps
    its origin; a retired (deprecated or rejected) edge comes back; details given replace
    the old ones. Roles: only a steward makes an edge approved, revives a rejected edge
    or changes an approved one; a deprecated approved edge that someone else revives
    comes back as manual. ``changes`` uses model attribute names.
    """
    steward = has_role(actor.role, UserRole.STEWARD)
    current = LineageSource(existing["lineage_source"])
    declared = data.lineage_source
    retired = LineageStatus(existing["status"]) in RETIRED
    if declared is LineageSource.INFERRED and not automatic_write_allowed(current):
        return Outcome("kept", {})
    if declared is LineageSource.APPROVED and not steward:
        if current is not LineageSource.APPROVED or retired:
            return Outcome("refused", {}, "APPROVED_NEEDS_STEWARD")
        declared = LineageSource.MANUAL  # an approved edge exported and imported back
    upgrade = declaration_upgrades(current, declared)
    changes: dict[str, Any] = {}
    if upgrade:
        changes["lineage_source"] = declared
        if declared is LineageSource.APPROVED:
            changes["approved_by"], changes["approved_at"] = actor.email, datetime.now(UTC)
    resulting = declared if upgrade else current
    if retired and resulting is LineageSource.APPROVED and not steward:
        # the steward's approval was of the edge before it was retired
        resulting = LineageSource.MANUAL
        changes.update(lineage_source=resulting, approved_by=None, approved_at=None)
    if upgrade or retired:
        status = (
            LineageStatus.PENDING_REVIEW
            if resulting is LineageSource.INFERRED
            else LineageStatus.ACTIVE
        )
        if status != existing["status"]:
            changes["status"] = status
    for attr in ("transformation_type", "transformation_logic"):
        value = getattr(data, attr)
        if value is not None and value != existing[attr]:
            changes[attr] = value
    confidence = data.confidence
    if confidence is None and (upgrade or retired):
        floor = 0.0 if declared is LineageSource.INFERRED else 1.0
        confidence = max(existing["confidence"], floor)
    if confidence is not None and confidence != existing["confidence"]:
        changes["confidence"] = confidence
    if data.metadata:
        merged = {**(existing["metadata"] or {}), **data.metadata}
        if merged != existing["metadata"]:
            changes["edge_metadata"] = merged
    if changes and (refusal := change_refusal(existing, actor)) is not None:
        return Outcome("refused", {}, refusal)
    kind = "upgrade" if upgrade else ("update" if changes else "unchanged")
    return Outcome(kind, changes)


def _declare_over(session: Session, existing: Edge, data: EdgeInput, actor: Actor) -> Declared:
    """The pair already has an edge: upgrade it, re-activate it, or refuse a duplicate."""
    outcome = declaration_outcome(edge_state(existing), data, actor)
    if outcome.refusal is not None:
        raise refuse(outcome.refusal, actor, existing.id)
    retired = existing.status in RETIRED
    if outcome.kind == "kept" or not (retired or outcome.kind == "upgrade"):
        raise Conflict(
            f"This lineage already exists (edge {existing.id}, {existing.lineage_source.value}).",
            details={
                "existing_id": str(existing.id),
                "lineage_source": existing.lineage_source.value,
            },
        )
    before = edge_snapshot(existing)
    for attr, value in outcome.changes.items():
        setattr(existing, attr, value)
    existing.version += 1
    session.flush()
    upgrade = outcome.kind == "upgrade"
    append_event(
        session,
        existing,
        LineageAction.UPGRADE if upgrade else LineageAction.UPDATE,
        actor=actor.email,
        before=before,
        after=edge_snapshot(existing),
        comment="declared again" if not upgrade else f"declared as {data.lineage_source.value}",
    )
    return Declared(existing, created=False)


def declare_table_edge(session: Session, data: EdgeInput, actor: Actor) -> Declared:
    _check_declarable(data.lineage_source, actor)
    source = resolve_table(session, "source", data.source.id, data.source.name)
    target = resolve_table(session, "target", data.target.id, data.target.name)
    if source.id == target.id:
        raise ValidationFailed(
            f"A table cannot feed itself: source and target are both '{source.qualified_name}'.",
            details={"table": source.qualified_name},
        )
    existing = session.scalar(
        select(TableLineage)
        .where(TableLineage.source_table_id == source.id, TableLineage.target_table_id == target.id)
        .with_for_update()
    )
    if existing is not None:
        return _declare_over(session, existing, data, actor)
    edge = TableLineage(
        source_table_id=source.id,
        target_table_id=target.id,
        **initial_state(data, actor),
    )
    return _created(session, edge, actor)


def declare_field_edge(session: Session, data: EdgeInput, actor: Actor) -> Declared:
    """A field edge between two tables with no table edge declares that table edge too."""
    _check_declarable(data.lineage_source, actor)
    source = resolve_field(session, "source", data.source.id, data.source.name)
    target = resolve_field(session, "target", data.target.id, data.target.name)
    if source.id == target.id:
        raise ValidationFailed(
            f"A field cannot feed itself: source and target are both '{source.qualified_name}'.",
            details={"field": source.qualified_name},
        )
    table_edge_id = None
    if source.table_id != target.table_id:
        table_edge: Edge | None = session.scalar(
            select(TableLineage).where(
                TableLineage.source_table_id == source.table_id,
                TableLineage.target_table_id == target.table_id,
            )
        )
        if table_edge is None:
            table_edge = declare_table_edge(
                session,
                EdgeInput(
                    source=Endpoint(id=source.table_id),
                    target=Endpoint(id=target.table_id),
                    transformation_type=data.transformation_type,
                    lineage_source=data.lineage_source,
                    confidence=data.confidence,
                    metadata={"created_for_field_edge": True},
                ),
                actor,
            ).edge
        table_edge_id = table_edge.id
    existing = session.scalar(
        select(FieldLineage)
        .where(FieldLineage.source_field_id == source.id, FieldLineage.target_field_id == target.id)
        .with_for_update()
    )
    if existing is not None:
        return _declare_over(session, existing, data, actor)
    edge = FieldLineage(
        source_field_id=source.id,
        target_field_id=target.id,
        table_lineage_id=table_edge_id,
        **initial_state(data, actor),
    )
    return _created(session, edge, actor)


def get_edge(session: Session, edge_id: uuid.UUID, *, for_update: bool = False) -> Edge:
    models: tuple[type[TableLineage] | type[FieldLineage], ...] = (TableLineage, FieldLineage)
    for model in models:
        stmt: Any = select(model).where(model.id == edge_id)
        if for_update:
            stmt = stmt.with_for_update()
        edge = session.scalar(stmt)
        if edge is not None:
            return edge
    raise NotFound(f"Lineage edge {edge_id} does not exist.", details={"lineage_id": str(edge_id)})


def _ends(edge: Edge) -> tuple[uuid.UUID, uuid.UUID]:
    if isinstance(edge, TableLineage):
        return edge.source_table_id, edge.target_table_id
    return edge.source_field_id, edge.target_field_id


def endpoint_names(session: Session, edge: Edge) -> tuple[str, str]:
    return endpoint_names_of(session, [edge])[edge.id]


def endpoint_names_of(session: Session, edges: list[Edge]) -> dict[uuid.UUID, tuple[str, str]]:
    """The qualified names of the ends of each edge, by edge id: two queries for any
    number of edges (one per kind present)."""
    names: dict[uuid.UUID, str] = {}
    for model, kind in ((MetadataTable, TableLineage), (MetadataField, FieldLineage)):
        wanted = {end for e in edges if isinstance(e, kind) for end in _ends(e)}
        if wanted:
            rows = session.execute(
                select(model.id, model.qualified_name).where(model.id.in_(wanted))
            )
            names.update(dict(rows.all()))
    return {e.id: (names[_ends(e)[0]], names[_ends(e)[1]]) for e in edges}


def _guard_version(edge: Edge, expected: int | None) -> None:
    if expected is not None and expected != edge.version:
        raise Conflict(
            f"Lineage edge {edge.id} changed since you read it (version {expected}, now "
            f"{edge.version}). Reload it and try again.",
            details={
                "lineage_id": str(edge.id),
                "your_version": expected,
                "current_version": edge.version,
            },
        )


def update_edge(
    session: Session,
    edge_id: uuid.UUID,
    changes: dict[str, Any],
    actor: Actor,
    expected_version: int | None = None,
) -> Edge:
    edge = get_edge(session, edge_id, for_update=True)
    _guard_version(edge, expected_version)
    before = edge_snapshot(edge)
    refusal = change_refusal(edge_state(edge), actor)
    for attr in ("transformation_type", "transformation_logic", "confidence"):
        if attr in changes and changes[attr] is not None:
            setattr(edge, attr, changes[attr])
    if changes.get("metadata") is not None:
        edge.edge_metadata = changes["metadata"]
    after = edge_snapshot(edge)
    if after == before:
        return edge
    if refusal is not None:
        raise refuse(refusal, actor, edge.id)
    edge.version += 1
    session.flush()
    append_event(
        session,
        edge,
        LineageAction.UPDATE,
        actor=actor.email,
        before=before,
        after=edge_snapshot(edge),
        comment=changes.get("comment"),
    )
    return edge


def deprecate_edge(
    session: Session, edge_id: uuid.UUID, actor: Actor, comment: str | None = None
) -> Edge:
    edge = get_edge(session, edge_id, for_update=True)
    if edge.status is not LineageStatus.DEPRECATED:
        if (refusal := change_refusal(edge_state(edge), actor)) is not None:
            raise refuse(refusal, actor, edge.id)
        set_status(
            session,
            edge,
            LineageStatus.DEPRECATED,
            LineageAction.DEPRECATE,
            actor=actor.email,
            comment=comment,
        )
    return edge


def decide(
    session: Session,
    edge_id: uuid.UUID,
    *,
    approved: bool,
    comment: str,
    actor: Actor,
    expected_version: int | None = None,
) -> Edge:
    """A steward approves or rejects an edge. Exactly one of two concurrent decisions wins."""
    if not has_role(actor.role, UserRole.STEWARD):
        raise PermissionDenied(
            "Only a data steward can approve or reject lineage.",
            details={"required_role": "steward", "your_role": actor.role.value},
        )
    if not comment or not comment.strip():
        raise ValidationFailed(
            "Say why in a comment: approvals and rejections need one.", details={"field": "comment"}
        )
    edge = get_edge(session, edge_id)  # no lock: the versioned UPDATE below arbitrates
    _guard_version(edge, expected_version)
    if edge.status is LineageStatus.REJECTED:
        raise Conflict(
            "This edge was rejected. Re-open it for review before deciding again.",
            details={"lineage_id": str(edge.id), "status": edge.status.value},
        )
    if edge.status is LineageStatus.DEPRECATED:
        raise Conflict(
            "This edge is deprecated; declare it again to bring it back.",
            details={"lineage_id": str(edge.id), "status": edge.status.value},
        )
    if approved and edge.lineage_source is LineageSource.APPROVED:
        raise Conflict(
            "This edge is already approved.",
            details={"lineage_id": str(edge.id), "approved_by": edge.approved_by},
        )
    before = edge_snapshot(edge)
    now = datetime.now(UTC)
    values: dict[str, Any] = {"version": edge.version + 1, "updated_at": now}
    if approved:
        values.update(
            lineage_source=LineageSource.APPROVED,
            status=LineageStatus.ACTIVE,
            approved_by=actor.email,
            approved_at=now,
        )
    else:
        values.update(status=LineageStatus.REJECTED)
    model = type(edge)
    result = session.execute(
        update(model)
        .where(model.id == edge.id, model.version == edge.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "Another decision on this edge was recorded first. Reload it to see the outcome.",
            details={"lineage_id": str(edge.id)},
        )
    session.refresh(edge)
    append_event(
        session,
        edge,
        LineageAction.APPROVE if approved else LineageAction.REJECT,
        actor=actor.email,
        before=before,
        after=edge_snapshot(edge),
        comment=comment,
    )
    return edge


def reopen(session: Session, edge_id: uuid.UUID, *, comment: str, actor: Actor) -> Edge:
    if not has_role(actor.role, UserRole.STEWARD):
        raise PermissionDenied(
            "Only a data steward can re-open rejected lineage.",
            details={"required_role": "steward", "your_role": actor.role.value},
        )
    edge = get_edge(session, edge_id, for_update=True)
    if edge.status is not LineageStatus.REJECTED:
        raise Conflict(
            "Only a rejected edge can be re-opened.",
            details={"lineage_id": str(edge.id), "status": edge.status.value},
        )
    set_status(
        session,
        edge,
        LineageStatus.PENDING_REVIEW,
        LineageAction.UPDATE,
        actor=actor.email,
        comment=comment,
    )
    return edge


def decide_many(
    session: Session, edge_ids: list[uuid.UUID], *, approved: bool, comment: str, actor: Actor
) -> list[Edge]:
    """All or nothing: the first edge that cannot be decided fails the whole request."""
    if len(set(edge_ids)) != len(edge_ids):
        raise ValidationFailed("The same edge is listed twice.", details={"field": "ids"})
    decided = []
    for edge_id in edge_ids:
        try:
            decided.append(
                decide(session, edge_id, approved=approved, comment=comment, actor=actor)
            )
        except (Conflict, NotFound) as exc:
            exc.details = {
                **exc.details,
                "failed_id": str(edge_id),
                "note": "nothing was decided: the request is all or nothing",
            }
            raise
    return decided


def review_queue(
    session: Session,
    *,
    source_id: uuid.UUID | None,
    table_id: uuid.UUID | None,
    offset: int,
    limit: int,
    owner: str | None = None,
) -> tuple[list[Edge], int]:
    """Pending table and field edges, lowest confidence first; ``source_id``, ``table_id``
    and ``owner`` keep the edges with an end in that source, in that table, or in a table
    that owner owns (case-insensitive)."""
    queries = []
    for model in (TableLineage, FieldLineage):
        src, dst = aliased(MetadataTable), aliased(MetadataTable)
        stmt = select(model.id, model.confidence, model.created_at).where(
            model.status == LineageStatus.PENDING_REVIEW
        )
        if model is TableLineage:
            stmt = stmt.join(src, src.id == TableLineage.source_table_id).join(
                dst, dst.id == TableLineage.target_table_id
            )
        else:
            src_field, dst_field = aliased(MetadataField), aliased(MetadataField)
            stmt = (
                stmt.join(src_field, src_field.id == FieldLineage.source_field_id)
                .join(dst_field, dst_field.id == FieldLineage.target_field_id)
                .join(src, src.id == src_field.table_id)
                .join(dst, dst.id == dst_field.table_id)
            )
        if table_id is not None:
            stmt = stmt.where(or_(src.id == table_id, dst.id == table_id))
        if source_id is not None:
            stmt = stmt.where(or_(src.source_id == source_id, dst.source_id == source_id))
        if owner:
            stmt = stmt.where(
                or_(func.lower(src.owner) == owner.lower(), func.lower(dst.owner) == owner.lower())
            )
        queries.append(stmt)
    union = queries[0].union_all(queries[1]).subquery()
    total = int(session.scalar(select(func.count()).select_from(union)) or 0)
    ids = list(
        session.scalars(
            select(union.c.id)
            .order_by(union.c.confidence.asc(), union.c.created_at.asc(), union.c.id)
            .offset(offset)
            .limit(limit)
        )
    )
    found: dict[uuid.UUID, Edge] = {}
    found.update(
        (e.id, e) for e in session.scalars(select(TableLineage).where(TableLineage.id.in_(ids)))
    )
    found.update(
        (e.id, e) for e in session.scalars(select(FieldLineage).where(FieldLineage.id.in_(ids)))
    )
    return [found[i] for i in ids], total


def edge_history(session: Session, edge_id: uuid.UUID) -> list[LineageAuditEvent]:
    get_edge(session, edge_id)
    return list(
        session.scalars(
            select(LineageAuditEvent)
            .where(LineageAuditEvent.edge_id == edge_id)
            .order_by(LineageAuditEvent.occurred_at, LineageAuditEvent.id)
        )
    )
