"""Bodies of schema-change events, webhook subscriptions and notification deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["breaking", "risky", "safe"]
_ID = "3f6c1f0e-8a57-4d0e-9d7a-2f0c6f1f5b10"
_AFFECTED = {
    "id": _ID,
    "name": "warehouse.marts.daily_revenue.discount",
    "type": "field",
    "table_id": _ID,
    "distance": 1,
    "severity": "critical",
    "path": ["shop.public.orders.discount_code", "warehouse.marts.daily_revenue.discount"],
    "path_lineage_sources": ["manual"],
    "only_inferred": False,
    "owner": "finance@example.com",
}


class AffectedNode(BaseModel):
    id: str
    name: str
    type: Literal["table", "field"]
    table_id: str
    distance: int
    severity: str = Field(description="critical, high, medium or low (impact analysis)")
    path: list[str]
    path_lineage_sources: list[str] = Field(
        description="The lineage_source of each edge on the path, in order"
    )
    only_inferred: bool = Field(description="Every edge on the path is inferred")
    owner: str | None


_EVENT = {
    "id": _ID,
    "source_id": _ID,
    "sync_id": _ID,
    "table_id": _ID,
    "table": "shop.public.orders",
    "field_id": _ID,
    "field": "discount_code",
    "change_type": "field_dropped",
    "severity": "breaking",
    "details": {},
    "status": "open",
    "detected_at": "2026-12-01T04:05:00+00:00",
    "impact_level": "field",
    "affected": [_AFFECTED],
    "affected_count": 1,
    "only_inferred": False,
    "truncated": False,
    "owners": ["finance@example.com"],
    "acknowledged_by": None,
    "acknowledged_at": None,
    "acknowledge_comment": None,
    "closed_at": None,
    "closed_reason": None,
}
_WEBHOOK = {
    "id": _ID,
    "name": "finance alerts",
    "url": "https://hooks.slack.com/…",
    "payload_format": "slack",
    "source_ids": [],
    "min_severity": "breaking",
    "owners": ["finance@example.com"],
    "is_active": True,
    "created_by": "admin@example.com",
    "created_at": "2026-12-01T04:05:00Z",
}
_DELIVERY = {
    "id": _ID,
    "channel": "webhook",
    "webhook_id": _ID,
    "recipient": None,
    "owner": "finance@example.com",
    "sync_id": _ID,
    "event_ids": [_ID],
    "status": "failed",
    "attempts": 6,
    "last_error": "https://hooks.example.com/… answered HTTP 500",
    "next_attempt_at": None,
    "sent_at": None,
    "created_at": "2026-12-01T04:05:00Z",
}


class SchemaChangeEventResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _EVENT})

    id: str
    source_id: str
    sync_id: str = Field(
        description="The sync that saw the change (its sync job when it had one: "
        "GET /api/v1/sources/sync-jobs/{id}); a digest covers one sync"
    )
    table_id: str
    table: str
    field_id: str | None
    field: str | None
    change_type: str = Field(
        description="table_dropped, table_type_changed, field_dropped, field_renamed, "
        "type_changed, nullability_tightened, nullability_relaxed or primary_key_changed"
    )
    severity: Severity
    details: dict[str, Any] = Field(
        description="before and after; a rename's confidence (high, medium, low)"
    )
    status: Literal["open", "acknowledged", "closed"]
    detected_at: str | None
    impact_level: Literal["field", "table"] | None = Field(
        description="field: followed through field lineage; table: through table lineage "
        "(no field lineage from the changed field); null until computed after the sync"
    )
    affected: list[AffectedNode]
    affected_count: int
    only_inferred: bool = Field(description="The whole impact rests on inferred edges")
    truncated: bool
    owners: list[str]
    acknowledged_by: str | None
    acknowledged_at: str | None
    acknowledge_comment: str | None
    closed_at: str | None
    closed_reason: str | None


class SchemaChangePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"total": 1, "items": [_EVENT]}})

    total: int
    items: list[SchemaChangeEventResponse]


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"comment": "Report fixed in v2"}})

    comment: str = Field(min_length=1, max_length=2000, examples=["Report fixed in v2"])


class WebhookCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "finance alerts",
                "url": "https://hooks.slack.com/services/T000/B000/XXXX",
                "secret": None,
                "payload_format": "slack",
                "source_ids": [],
                "min_severity": "breaking",
                "owners": ["finance@example.com"],
                "is_active": True,
            }
        }
    )

    name: str = Field(min_length=1, max_length=200, examples=["finance alerts"])
    url: str = Field(
        max_length=2000,
        description="http(s) URL; kept sealed and shown only as scheme and host",
        examples=["https://hooks.example.com/ariadne"],
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description="Signs each payload: X-Ariadne-Signature is sha256=HMAC-SHA256(secret, "
        "'{X-Ariadne-Timestamp}.{body}') in hex. Never shown again.",
    )
    payload_format: Literal["json", "slack", "teams"] = "json"
    source_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    min_severity: Literal["breaking", "risky"] = "risky"
    owners: list[Annotated[str, Field(min_length=1, max_length=320)]] = Field(
        default_factory=list, max_length=50, description="Only these owners' digests"
    )
    is_active: bool = True


class WebhookUpdateRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"is_active": False}})

    is_active: bool


class WebhookResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _WEBHOOK})

    id: uuid.UUID
    name: str
    url: str = Field(description="Scheme and host only")
    payload_format: str
    source_ids: list[uuid.UUID]
    min_severity: str
    owners: list[str]
    is_active: bool
    created_by: str | None
    created_at: datetime


class DeliveryResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _DELIVERY})

    id: uuid.UUID
    channel: Literal["webhook", "email"]
    webhook_id: uuid.UUID | None
    recipient: str | None = Field(description="The e-mail address (webhooks: see webhook_id)")
    owner: str | None
    sync_id: uuid.UUID
    event_ids: list[uuid.UUID]
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
