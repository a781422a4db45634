"""Schema-change events as people read and acknowledge them, and the webhook
subscriptions admins manage, with their deliveries. Every role rule is here; the API
routes are one call each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    DataSource,
    NotificationDelivery,
    SchemaChangeEvent,
    UserRole,
    WebhookSubscription,
)
from ariadne_core.errors import Conflict, NotFound, ValidationFailed
from ariadne_core.schema_changes.classify import SEVERITY_RANK
from ariadne_core.schema_changes.notify import FORMATS, PENDING, seal, shown_url
from ariadne_core.schema_changes.process import event_view
from ariadne_core.schema_changes.record import ACKNOWLEDGED, OPEN
from ariadne_core.security.roles import require_role
from ariadne_core.security.secrets import Keyring

STATUSES = ("open", "acknowledged", "closed")
MAX_LIMIT = 500
MAX_COMMENT = 2000
MAX_URL = 2000
MAX_OWNERS = 50


def _severity(value: str | None, field: str = "severity") -> str | None:
    if value is not None and value not in SEVERITY_RANK:
        raise ValidationFailed(
            f"{field} '{value}' is not a severity; use breaking, risky or safe.",
            details={"field": field, "value": value, "allowed": list(SEVERITY_RANK)},
        )
    return value


@dataclass
class EventQuery:
    source_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    severity: str | None = None
    since: datetime | None = None
    owner: str | None = None
    acknowledged: bool | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0


def list_events(session: Session, query: EventQuery) -> dict[str, Any]:
    """Newest first, with the total that matched."""
    _severity(query.severity)
    if query.status is not None and query.status not in STATUSES:
        raise ValidationFailed(
            f"status '{query.status}' is not one of {', '.join(STATUSES)}.",
            details={"field": "status", "value": query.status},
        )
    if not 1 <= query.limit <= MAX_LIMIT or query.offset < 0:
        raise ValidationFailed(
            f"limit must be from 1 to {MAX_LIMIT} and offset at least 0.",
            details={"field": "limit", "value": query.limit},
        )
    conditions = []
    if query.source_id is not None:
        conditions.append(SchemaChangeEvent.source_id == query.source_id)
    if query.table_id is not None:
        conditions.append(SchemaChangeEvent.table_id == query.table_id)
    if query.severity is not None:
        conditions.append(SchemaChangeEvent.severity == query.severity)
    if query.since is not None:
        conditions.append(SchemaChangeEvent.detected_at >= query.since)
    if query.owner is not None:
        conditions.append(func.array_position(SchemaChangeEvent.owners, query.owner).is_not(None))
    if query.acknowledged is True:
        conditions.append(SchemaChangeEvent.acknowledged_at.is_not(None))
    elif query.acknowledged is False:
        conditions.append(SchemaChangeEvent.acknowledged_at.is_(None))
    if query.status is not None:
        conditions.append(SchemaChangeEvent.status == query.status)
    total = session.scalar(select(func.count()).select_from(SchemaChangeEvent).where(*conditions))
    rows = session.scalars(
        select(SchemaChangeEvent)
        .where(*conditions)
        .order_by(SchemaChangeEvent.detected_at.desc(), SchemaChangeEvent.id)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return {"total": total or 0, "items": [event_view(e) for e in rows]}


def get_event(session: Session, event_id: uuid.UUID) -> dict[str, Any]:
    event = session.get(SchemaChangeEvent, event_id)
    if event is None:
        raise NotFound(f"Schema change {event_id} not found.", details={"id": str(event_id)})
    return event_view(event)


def acknowledge(
    session: Session, event_id: uuid.UUID, *, comment: str, actor_email: str, actor_role: UserRole
) -> dict[str, Any]:
    """An editor (or more) says the change is known and handled; it stays listed."""
    require_role(actor_role, UserRole.EDITOR)
    comment = (comment or "").strip()
    if not comment or len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"Say in a comment (1 to {MAX_COMMENT} characters) what was done about the change.",
            details={"field": "comment"},
        )
    event = session.get(SchemaChangeEvent, event_id, with_for_update=True)
    if event is None:
        raise NotFound(f"Schema change {event_id} not found.", details={"id": str(event_id)})
    if event.status != OPEN:
        raise Conflict(
            f"This schema change is {event.status} already"
            + (f" (by {event.acknowledged_by})" if event.acknowledged_by else "")
            + "; nothing was changed.",
            details={"status": event.status},
        )
    event.status = ACKNOWLEDGED
    event.acknowledged_by, event.acknowledged_at = actor_email, datetime.now(UTC)
    event.acknowledge_comment = comment
    session.flush()
    return event_view(event)


# --- webhooks -----------------------------------------------------------------------------


@dataclass
class WebhookInput:
    name: str
    url: str
    secret: str | None = None
    payload_format: str = "json"
    source_ids: list[uuid.UUID] | None = None
    min_severity: str = "risky"
    owners: list[str] | None = None
    is_active: bool = True


def webhook_view(hook: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": hook.id,
        "name": hook.name,
        "url": hook.url_shown,
        "payload_format": hook.payload_format,
        "source_ids": list(hook.source_ids or []),
        "min_severity": hook.min_severity,
        "owners": list(hook.owners or []),
        "is_active": hook.is_active,
        "created_by": hook.created_by,
        "created_at": hook.created_at,
    }


def _check_webhook(session: Session, data: WebhookInput) -> None:
    parts = urlsplit(data.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or len(data.url) > MAX_URL:
        raise ValidationFailed(
            "url must be an http or https URL (at most 2,000 characters).",
            details={"field": "url"},  # the URL may hold a token: never echoed
        )
    if data.payload_format not in FORMATS:
        raise ValidationFailed(
            f"payload_format '{data.payload_format}' is not one of {', '.join(FORMATS)} (slack "
            "and teams send what their incoming webhooks accept).",
            details={"field": "payload_format", "value": data.payload_format},
        )
    _severity(data.min_severity, "min_severity")
    if not data.name.strip() or len(data.name) > 200:
        raise ValidationFailed("name must be 1 to 200 characters.", details={"field": "name"})
    if data.secret is not None and not 16 <= len(data.secret) <= 200:
        raise ValidationFailed(
            "secret must be 16 to 200 characters (it signs every payload with HMAC-SHA256).",
            details={"field": "secret"},
        )
    owners = data.owners or []
    if len(owners) > MAX_OWNERS or any(not o.strip() or len(o) > 320 for o in owners):
        raise ValidationFailed(
            f"owners: at most {MAX_OWNERS}, each 1 to 320 characters (an e-mail or a group).",
            details={"field": "owners"},
        )
    wanted = set(data.source_ids or [])
    if wanted:
        found = set(session.scalars(select(DataSource.id).where(DataSource.id.in_(wanted))))
        missing = sorted(str(s) for s in wanted - found)
        if missing:
            raise ValidationFailed(
                f"No data source has the id {missing[0]}.",
                details={"field": "source_ids", "value": missing[0]},
            )


def create_webhook(
    session: Session,
    keyring: Keyring,
    data: WebhookInput,
    *,
    actor_email: str,
    actor_role: UserRole,
) -> dict[str, Any]:
    require_role(actor_role, UserRole.ADMIN)
    _check_webhook(session, data)
    hook = WebhookSubscription(
        id=uuid.uuid4(),
        name=data.name.strip(),
        url_shown=shown_url(data.url.strip()),
        sealed=seal(keyring, data.url.strip(), data.secret),
        payload_format=data.payload_format,
        source_ids=sorted(set(data.source_ids or [])),
        min_severity=data.min_severity,
        owners=[o.strip() for o in data.owners or [] if o.strip()],
        is_active=data.is_active,
        created_by=actor_email,
    )
    session.add(hook)
    session.flush()
    return webhook_view(hook)


def list_webhooks(session: Session, actor_role: UserRole) -> list[dict[str, Any]]:
    require_role(actor_role, UserRole.ADMIN)
    hooks = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at))
    return [webhook_view(h) for h in hooks]


def set_webhook_active(
    session: Session, hook_id: uuid.UUID, active: bool, actor_role: UserRole
) -> dict[str, Any]:
    require_role(actor_role, UserRole.ADMIN)
    hook = _hook(session, hook_id)
    hook.is_active = active
    session.flush()
    return webhook_view(hook)


def delete_webhook(session: Session, hook_id: uuid.UUID, actor_role: UserRole) -> None:
    require_role(actor_role, UserRole.ADMIN)
    session.delete(_hook(session, hook_id))
    session.flush()


def _hook(session: Session, hook_id: uuid.UUID) -> WebhookSubscription:
    hook = session.get(WebhookSubscription, hook_id)
    if hook is None:
        raise NotFound(f"Webhook {hook_id} not found.", details={"id": str(hook_id)})
    return hook


def delivery_view(delivery: NotificationDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "channel": delivery.channel,
        "webhook_id": delivery.webhook_id,
        "recipient": delivery.recipient if delivery.channel == "email" else None,
        "owner": delivery.owner or None,
        "sync_id": delivery.sync_id,
        "event_ids": list(delivery.event_ids),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == PENDING else None,
        "sent_at": delivery.sent_at,
        "created_at": delivery.created_at,
    }


def list_deliveries(
    session: Session, actor_role: UserRole, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    require_role(actor_role, UserRole.ADMIN)
    if status is not None and status not in ("pending", "sent", "failed"):
        raise ValidationFailed(
            f"status '{status}' is not one of pending, sent, failed.",
            details={"field": "status", "value": status},
        )
    query = select(NotificationDelivery).order_by(NotificationDelivery.created_at.desc())
    if status is not None:
        query = query.where(NotificationDelivery.status == status)
    return [delivery_view(d) for d in session.scalars(query.limit(min(max(limit, 1), 500)))]


def retry_delivery(
    session: Session, delivery_id: uuid.UUID, actor_role: UserRole
) -> dict[str, Any]:
    """A failed delivery goes back to pending, due now, with its attempts reset."""
    require_role(actor_role, UserRole.ADMIN)
    delivery = session.get(NotificationDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} not found.", details={"id": str(delivery_id)})
    if delivery.status != "failed":
        raise Conflict(
            f"Only a failed delivery is retried; this one is {delivery.status}.",
            details={"status": delivery.status},
        )
    delivery.status, delivery.attempts = PENDING, 0
    delivery.next_attempt_at = datetime.now(UTC)
    session.flush()
    return delivery_view(delivery)


def recent_for_table(
    session: Session, table_id: uuid.UUID, limit: int = 10
) -> list[dict[str, Any]]:
    """A table's latest schema changes, for its detail page."""
    rows = session.scalars(
        select(SchemaChangeEvent)
        .where(SchemaChangeEvent.table_id == table_id)
        .order_by(SchemaChangeEvent.detected_at.desc())
        .limit(limit)
    ).all()
    return [event_view(e) for e in rows]
