"""After a sync: what each new schema-change event breaks downstream, who to tell, and
the digests to send (one per owner per sync and recipient). Run by the Dagster asset
`schema_changes` after each `source_metadata` partition (and by the tests directly)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import (
    DataSource,
    NotificationDelivery,
    SchemaChangeEvent,
    WebhookSubscription,
)
from ariadne_core.db.plans import run
from ariadne_core.errors import NotFound
from ariadne_core.lineage.impact import Affected, impact_plan
from ariadne_core.schema_changes.classify import SEVERITY_RANK
from ariadne_core.schema_changes.notify import digest

MAX_AFFECTED = 500  # stored per event; the count says how many in all
# The impact analysis' change types (ariadne_core.lineage.impact.CHANGE_WEIGHT).
IMPACT_CHANGE = {
    "table_dropped": "drop",
    "field_dropped": "drop",
    "field_renamed": "rename",
    "type_changed": "type_change",
}
FIELD_KINDS = {
    "field_dropped",
    "field_renamed",
    "type_changed",
    "nullability_tightened",
    "nullability_relaxed",
}


@dataclass
class ProcessReport:
    events: int = 0
    affected: int = 0
    deliveries: int = 0
    syncs: set[uuid.UUID] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {"events": self.events, "affected": self.affected, "deliveries": self.deliveries}


def process_pending(
    session: Session, settings: Settings, *, source_id: uuid.UUID | None = None
) -> ProcessReport:
    """Impact and owners of every event not processed yet (of one source, or all), then
    the deliveries of their syncs. In the caller's transaction."""
    report = ProcessReport()
    query = select(SchemaChangeEvent).where(SchemaChangeEvent.impact_computed_at.is_(None))
    if source_id is not None:
        query = query.where(SchemaChangeEvent.source_id == source_id)
    events = list(
        session.scalars(
            query.order_by(SchemaChangeEvent.detected_at).with_for_update(skip_locked=True)
        )
    )
    now = datetime.now(UTC)
    for event in events:
        event.impact, event.owners = impact_of(session, settings, event)
        event.impact_computed_at = now
        report.events += 1
        report.affected += int(event.impact.get("affected_count", 0))
        report.syncs.add(event.sync_id)
    session.flush()
    for sync_id in sorted(report.syncs):
        report.deliveries += plan_deliveries(session, settings, sync_id)
    return report


def impact_of(
    session: Session, settings: Settings, event: SchemaChangeEvent
) -> tuple[dict[str, Any], list[str]]:
    """What the change breaks: column level from the field where it has field lineage,
    table level otherwise; each affected table or field with distance, path, severity,
    the lineage_source of every edge on the path, and whether it rests only on inferred
    edges. Returns (impact, owners to tell)."""
    conn = driver_connection(session)
    change = IMPACT_CHANGE.get(event.change_type, "schema_change")
    level = "table"
    impact = None
    try:
        if event.change_type in FIELD_KINDS and event.field_id is not None:
            impact = run(
                conn,
                impact_plan(
                    settings,
                    table_id=event.table_id,
                    field_id=event.field_id,
                    change_type=change,
                    include_deleted=True,
                ),
            )
            level = "field"
        if impact is None or (not impact.fields and not _has_field_lineage(session, event)):
            impact = run(
                conn,
                impact_plan(
                    settings, table_id=event.table_id, change_type=change, include_deleted=True
                ),
            )
            level = "table"
    except NotFound:  # the table is gone from the catalog altogether
        return {"level": "table", "affected": [], "affected_count": 0}, []
    affected: list[Affected] = [*impact.tables, *impact.fields]
    sources = _edge_sources(session, [e for a in affected for e in a.path_edge_ids])
    listed = []
    for hit in affected[:MAX_AFFECTED]:
        along = [sources.get(e, "unknown") for e in hit.path_edge_ids]
        listed.append(
            {
                "id": str(hit.id),
                "name": hit.qualified_name,
                "type": hit.type,
                "table_id": str(hit.table_id),
                "distance": hit.distance,
                "severity": hit.severity,
                "path": hit.path,
                "path_lineage_sources": along,
                "only_inferred": bool(along) and all(s == "inferred" for s in along),
                "owner": hit.owner,
            }
        )
    owners = sorted({a.owner for a in affected if a.owner})
    return (
        {
            "level": level,
            "affected": listed,
            "affected_count": len(affected),
            "tables": len(impact.tables),
            "fields": len(impact.fields),
            "only_inferred": bool(listed) and all(a["only_inferred"] for a in listed),
            "truncated": impact.truncated or len(affected) > MAX_AFFECTED,
        },
        owners,
    )


def _has_field_lineage(session: Session, event: SchemaChangeEvent) -> bool:
    """Does any field of the event's table feed a field downstream? Then column-level
    lineage is kept for this table, and a field it does not show is not read downstream;
    otherwise the change is followed through the table's lineage."""
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM field_lineage l JOIN metadata_fields f ON "
                "f.id = l.source_field_id WHERE f.table_id = :t AND l.status::text NOT IN "
                "('rejected', 'deprecated'))"
            ),
            {"t": event.table_id},
        )
    )


def _edge_sources(session: Session, edge_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not edge_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id, lineage_source::text FROM table_lineage WHERE id = ANY(:ids) UNION ALL "
            "SELECT id, lineage_source::text FROM field_lineage WHERE id = ANY(:ids)"
        ),
        {"ids": sorted(set(edge_ids))},
    ).all()
    return {r[0]: r[1] for r in rows}


def event_view(event: SchemaChangeEvent, *, owner: str | None = None) -> dict[str, Any]:
    """An event as payloads and the API show it; with ``owner``, only that owner's
    affected tables and fields are listed (the count stays the whole)."""
    impact = event.impact or {}
    affected = impact.get("affected", [])
    if owner is not None:
        affected = [a for a in affected if a.get("owner") == owner]
    return {
        "id": str(event.id),
        "source_id": str(event.source_id),
        "sync_id": str(event.sync_id),
        "table_id": str(event.table_id),
        "table": event.table_name,
        "field_id": str(event.field_id) if event.field_id else None,
        "field": event.field_name,
        "change_type": event.change_type,
        "severity": event.severity,
        "details": event.details,
        "status": event.status,
        "detected_at": event.detected_at.isoformat() if event.detected_at else None,
        "impact_level": impact.get("level"),
        "affected": affected,
        "affected_count": impact.get("affected_count", 0),
        "only_inferred": impact.get("only_inferred", False),
        "truncated": impact.get("truncated", False),
        "owners": list(event.owners or []),
        "acknowledged_by": event.acknowledged_by,
        "acknowledged_at": event.acknowledged_at.isoformat() if event.acknowledged_at else None,
        "acknowledge_comment": event.acknowledge_comment,
        "closed_at": event.closed_at.isoformat() if event.closed_at else None,
        "closed_reason": event.closed_reason,
    }


def plan_deliveries(session: Session, settings: Settings, sync_id: uuid.UUID) -> int:
    """One digest per owner for the sync's open events: to every active webhook whose
    filters they pass, and by e-mail to owners that are addresses (when SMTP is set).
    Planned once: a digest already planned for that sync, recipient and owner is kept."""
    events = list(
        session.scalars(
            select(SchemaChangeEvent).where(
                SchemaChangeEvent.sync_id == sync_id, SchemaChangeEvent.status == "open"
            )
        )
    )
    if not events:
        return 0
    source_name = (
        session.scalar(select(DataSource.name).where(DataSource.id == events[0].source_id)) or "?"
    )
    by_owner: dict[str, list[SchemaChangeEvent]] = defaultdict(list)
    for event in events:
        for owner in event.owners or [""]:
            by_owner[owner].append(event)
    rows: list[dict[str, Any]] = []
    webhooks = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.is_active)
    ).all()

    def add(
        channel: str,
        recipient: str,
        webhook: uuid.UUID | None,
        owner: str,
        chosen: list[SchemaChangeEvent],
        views: dict[uuid.UUID, dict[str, Any]],
    ) -> None:
        rows.append(
            {
                "id": uuid.uuid4(),
                "channel": channel,
                "webhook_id": webhook,
                "recipient": recipient,
                "owner": owner,
                "sync_id": sync_id,
                "event_ids": [e.id for e in chosen],
                "payload": digest(
                    owner or None, source_name, sync_id, [views[e.id] for e in chosen]
                ),
            }
        )

    for owner, owned in sorted(by_owner.items()):
        views = {  # once per owner, each with the explorer's page of its table
            e.id: {
                **event_view(e, owner=owner or None),
                "explorer_url": settings.explorer_url(f"/table/{e.table_id}"),
            }
            for e in owned
        }
        for hook in webhooks:
            chosen = [
                e
                for e in owned
                if (not hook.source_ids or e.source_id in hook.source_ids)
                and SEVERITY_RANK[e.severity] >= SEVERITY_RANK.get(hook.min_severity, 1)
                and (not hook.owners or owner in hook.owners)
            ]
            if chosen:
                add("webhook", str(hook.id), hook.id, owner, chosen, views)
        if settings.smtp_host and "@" in owner:
            add("email", owner, None, owner, owned, views)
    if not rows:
        return 0
    result = session.execute(
        insert(NotificationDelivery)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notification_deliveries_digest")
        .returning(NotificationDelivery.id)
    )
    return len(result.all())


def critical_hits(
    session: Session, settings: Settings, source_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Open breaking events of the source that change, or reach downstream, a table tagged
    critical (ARIADNE_SCHEMA_CHANGE_CRITICAL_TAG) or owned by a critical owner."""
    events = session.scalars(
        select(SchemaChangeEvent).where(
            SchemaChangeEvent.source_id == source_id,
            SchemaChangeEvent.status == "open",
            SchemaChangeEvent.severity == "breaking",
        )
    ).all()
    reach = {
        event.id: {event.table_id}
        | {uuid.UUID(h["table_id"]) for h in (event.impact or {}).get("affected", [])}
        for event in events
    }
    ids = sorted({t for tables in reach.values() for t in tables})
    if not ids:
        return []
    critical: dict[uuid.UUID, str] = dict(
        session.execute(
            text(
                "SELECT id, qualified_name FROM metadata_tables WHERE id = ANY(:ids) AND "
                "(:tag = ANY(tags) OR owner = ANY(:owners))"
            ),
            {
                "ids": ids,
                "tag": settings.schema_change_critical_tag,
                "owners": list(settings.schema_change_critical_owners),
            },
        ).all()
    )
    out = []
    for event in events:
        names = sorted({critical[t] for t in reach[event.id] if t in critical})
        if names:
            out.append(
                {
                    "event_id": str(event.id),
                    "change_type": event.change_type,
                    "table": event.table_name,
                    "field": event.field_name,
                    "critical_tables": names,
                }
            )
    return out


def after_sync(
    engine: Any, keyring: Any, settings: Settings, source_id: uuid.UUID
) -> tuple[ProcessReport, dict[str, int]]:
    """What the Dagster assets `schema_changes` and `schema_change_notifications` do after
    a sync, in one call, for a sync run outside Dagster (the API's fallback thread)."""
    from ariadne_core.schema_changes.notify import deliver_due

    with Session(engine) as session:
        report = process_pending(session, settings, source_id=source_id)
        session.commit()
    return report, deliver_due(lambda: Session(engine), keyring, settings)
