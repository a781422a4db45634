"""Schema changes seen by syncs, acknowledged by editors; webhook subscriptions and their
deliveries (admins). Each route is one call into ariadne_core.schema_changes.service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ariadne_api.deps import Admin, CurrentUser, Editor, KeyringDep, SessionDep
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.schema_changes import (
    AcknowledgeRequest,
    DeliveryResponse,
    SchemaChangeEventResponse,
    SchemaChangePage,
    Severity,
    WebhookCreateRequest,
    WebhookResponse,
    WebhookUpdateRequest,
)
from ariadne_core.schema_changes import service

router = APIRouter(tags=["schema changes"])


@router.get(
    "/api/v1/schema-changes",
    summary="Schema changes syncs saw, newest first, with what each breaks downstream",
    response_model=SchemaChangePage,
    responses=error_responses(401, 422),
)
def list_schema_changes(
    session: SessionDep,
    user: CurrentUser,
    source_id: Annotated[uuid.UUID | None, Query()] = None,
    table_id: Annotated[uuid.UUID | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="Detected at or after")] = None,
    owner: Annotated[str | None, Query(max_length=320, description="Owners to tell")] = None,
    acknowledged: Annotated[bool | None, Query()] = None,
    status: Annotated[str | None, Query(description="open, acknowledged or closed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    return service.list_events(
        session,
        service.EventQuery(
            source_id, table_id, severity, since, owner, acknowledged, status, limit, offset
        ),
    )


@router.get(
    "/api/v1/schema-changes/{event_id}",
    summary="One schema change with its impact, owners and status",
    response_model=SchemaChangeEventResponse,
    responses=error_responses(401, 404, 422),
)
def get_schema_change(event_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Any:
    return service.get_event(session, event_id)


@router.post(
    "/api/v1/schema-changes/{event_id}/acknowledge",
    summary="Acknowledge a schema change with a comment (editors and up)",
    response_model=SchemaChangeEventResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def acknowledge_schema_change(
    event_id: uuid.UUID, body: AcknowledgeRequest, session: SessionDep, user: Editor
) -> Any:
    return service.acknowledge(
        session, event_id, comment=body.comment, actor_email=user.email, actor_role=user.role
    )


@router.post(
    "/api/v1/notifications/webhooks",
    status_code=201,
    summary="Subscribe a webhook to schema-change digests (admins)",
    response_model=WebhookResponse,
    responses=error_responses(401, 403, 422),
)
def create_webhook(
    body: WebhookCreateRequest, session: SessionDep, keyring: KeyringDep, user: Admin
) -> Any:
    return service.create_webhook(
        session,
        keyring,
        service.WebhookInput(**body.model_dump()),
        actor_email=user.email,
        actor_role=user.role,
    )


@router.get(
    "/api/v1/notifications/webhooks",
    summary="Webhook subscriptions (admins; never their URL path or secret)",
    response_model=list[WebhookResponse],
    responses=error_responses(401, 403),
)
def list_webhooks(session: SessionDep, user: Admin) -> Any:
    return service.list_webhooks(session, user.role)


@router.patch(
    "/api/v1/notifications/webhooks/{webhook_id}",
    summary="Pause or resume a webhook (admins)",
    response_model=WebhookResponse,
    responses=error_responses(401, 403, 404, 422),
)
def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdateRequest, session: SessionDep, user: Admin
) -> Any:
    return service.set_webhook_active(session, webhook_id, body.is_active, user.role)


@router.delete(
    "/api/v1/notifications/webhooks/{webhook_id}",
    status_code=204,
    summary="Delete a webhook subscription (admins)",
    response_class=Response,
    responses=error_responses(401, 403, 404, 422),
)
def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, user: Admin) -> Response:
    service.delete_webhook(session, webhook_id, user.role)
    return Response(status_code=204)


@router.get(
    "/api/v1/notifications/deliveries",
    summary="Deliveries of schema-change digests, newest first, with status and last error "
    "(admins)",
    response_model=list[DeliveryResponse],
    responses=error_responses(401, 403, 422),
)
def list_deliveries(
    session: SessionDep,
    user: Admin,
    status: Annotated[str | None, Query(description="pending, sent or failed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    return service.list_deliveries(session, user.role, status=status, limit=limit)


@router.post(
    "/api/v1/notifications/deliveries/{delivery_id}/retry",
    summary="Send a failed delivery again (admins)",
    response_model=DeliveryResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def retry_delivery(delivery_id: uuid.UUID, session: SessionDep, user: Admin) -> Any:
    return service.retry_delivery(session, delivery_id, user.role)
