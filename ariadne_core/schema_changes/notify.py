"""Notifications of schema changes: the digest payload (one per owner per sync), its
Slack and Microsoft Teams variants and e-mail text, the HMAC signature, and sending with
retries. Every attempt is recorded on its `notification_deliveries` row, so a failed
delivery is visible and retried (docs/schema-changes.md has the format)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.models import NotificationDelivery, WebhookSubscription
from ariadne_core.security.secrets import Keyring, Sealed

log = logging.getLogger("ariadne.notify")
# httpx logs every request's full URL at INFO; a webhook URL is a secret (Slack and Teams
# put their token in it), so only its warnings are kept.
logging.getLogger("httpx").setLevel(logging.WARNING)

FORMATS = ("json", "slack", "teams")
SIGNATURE_HEADER = "X-Ariadne-Signature"
TIMESTAMP_HEADER = "X-Ariadne-Timestamp"
BACKOFF_S = (30, 120, 600, 3600, 21600)
PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ERROR = 500


# --- sealing a subscription's URL and secret ---------------------------------------------


def seal(keyring: Keyring, url: str, secret: str | None) -> str:
    sealed = keyring.seal({"url": url, "secret": secret})
    return f"{sealed.key_id}:{base64.b64encode(sealed.ciphertext).decode()}"


def unseal(keyring: Keyring, text: str) -> dict[str, Any]:
    key_id, _, body = text.partition(":")
    return keyring.open(Sealed(key_id, base64.b64decode(body)))


def shown_url(url: str) -> str:
    """What a response may say of a webhook URL: its scheme and host, never the path or
    query (Slack and Teams put the token there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``{timestamp}.{body}`` with the secret: the
    receiver recomputes it, and refuses old timestamps to stop replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# --- payloads -----------------------------------------------------------------------------


def digest(
    owner: str | None, source_name: str, sync_id: uuid.UUID, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The JSON payload: the owner's changes of one sync, each with what it breaks."""
    breaking = sum(1 for e in events if e["severity"] == "breaking")
    risky = len(events) - breaking
    parts = [f"{breaking} breaking" if breaking else "", f"{risky} risky" if risky else ""]
    said = " and ".join(p for p in parts if p)
    whose = f" affecting tables owned by {owner}" if owner else ""
    return {
        "type": "ariadne.schema_changes",
        "version": 1,
        "source": source_name,
        "sync_id": str(sync_id),
        "owner": owner,
        "summary": f"{said} schema change{'s' if len(events) != 1 else ''} in {source_name}"
        f"{whose}.",
        "events": events,
    }


def _line(event: dict[str, Any]) -> str:
    where = event["table"] + (f".{event['field']}" if event.get("field") else "")
    details = event.get("details") or {}
    change = event["change_type"].replace("_", " ")
    if "before" in details and "after" in details:
        change += f" ({details['before']} → {details['after']})"
    hits = event.get("affected") or []
    reached = f"; affects {len(hits)}: " + ", ".join(a["name"] for a in hits[:5]) if hits else ""
    only = " (only through inferred lineage)" if event.get("only_inferred") else ""
    page = f" {event['explorer_url']}" if event.get("explorer_url") else ""
    return f"[{event['severity']}] {where}: {change}{reached}{only}{page}"


def as_text(payload: dict[str, Any]) -> str:
    return "\n".join([payload["summary"], "", *(_line(e) for e in payload["events"])])


def formatted(payload: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The body for a subscription's format: ours, or what Slack's and Teams' incoming
    webhooks accept."""
    if fmt == "slack":
        lines = "\n".join(f"• {_line(e)}" for e in payload["events"][:30])
        return {
            "text": payload["summary"],
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{payload['summary']}*"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": lines[:2900]}},
            ],
        }
    if fmt == "teams":
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {
                                "type": "TextBlock",
                                "text": payload["summary"],
                                "weight": "Bolder",
                                "wrap": True,
                            },
                            *(
                                {"type": "TextBlock", "text": _line(e), "wrap": True}
                                for e in payload["events"][:30]
                            ),
                        ],
                    },
                }
            ],
        }
    return payload


# --- sending ------------------------------------------------------------------------------


class DeliveryError(Exception):
    """An attempt failed; the message is safe to store and show (no URL, no secret)."""


def post_webhook(
    url: str, secret: str | None, body: dict[str, Any], delivery_id: uuid.UUID, timeout: float
) -> None:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Ariadne-Notifications/1",
        "X-Ariadne-Delivery": str(delivery_id),
    }
    if secret:
        stamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = stamp
        headers[SIGNATURE_HEADER] = signature(secret, stamp, data)
    try:
        # streamed: only the status is read, never a body the receiver might make huge
        with httpx.stream("POST", url, content=data, headers=headers, timeout=timeout) as answer:
            status = answer.status_code
    except httpx.HTTPError as exc:
        raise DeliveryError(f"could not reach {shown_url(url)} ({type(exc).__name__})") from None
    if status >= 300:
        raise DeliveryError(f"{shown_url(url)} answered HTTP {status}")


def send_email(settings: Settings, to: str, subject: str, text: str) -> None:
    if not settings.smtp_host or not settings.smtp_from:
        raise DeliveryError("e-mail is not configured (ARIADNE_SMTP_HOST, ARIADNE_SMTP_FROM)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, subject
    message.set_content(text)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notification_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"the SMTP server {settings.smtp_host}:{settings.smtp_port} refused the e-mail "
            f"({type(exc).__name__})"
        ) from None


def deliver_due(
    sessions: Callable[[], Session],
    keyring: Keyring,
    settings: Settings,
    *,
    limit: int = 500,
) -> dict[str, int]:
    """Attempt every pending delivery that is due; each attempt is committed on its row
    (sent; or the error, and when to try again; or failed after the last attempt)."""
    report = {"sent": 0, "retrying": 0, "failed": 0}
    with sessions() as session:
        due = session.scalars(
            select(NotificationDelivery.id)
            .where(
                NotificationDelivery.status == PENDING,
                NotificationDelivery.next_attempt_at <= datetime.now(UTC),
            )
            .order_by(NotificationDelivery.next_attempt_at)
            .limit(limit)
        ).all()
    for delivery_id in due:
        with sessions() as session:
            delivery = session.scalar(
                select(NotificationDelivery)
                .where(
                    NotificationDelivery.id == delivery_id, NotificationDelivery.status == PENDING
                )
                .with_for_update(skip_locked=True)
            )
            if delivery is None:  # another process has it
                continue
            try:
                _attempt_recorded(session, keyring, settings, delivery)
                delivery.status, delivery.sent_at, delivery.last_error = (
                    SENT,
                    datetime.now(UTC),
                    None,
                )
                report["sent"] += 1
            except DeliveryError as exc:
                delivery.last_error = str(exc)[:MAX_ERROR]
                if delivery.attempts + 1 >= settings.notification_max_attempts:
                    delivery.status = FAILED
                    report["failed"] += 1
                else:
                    wait = BACKOFF_S[min(delivery.attempts, len(BACKOFF_S) - 1)]
                    delivery.next_attempt_at = datetime.now(UTC) + timedelta(seconds=wait)
                    report["retrying"] += 1
                log.warning("delivery %s failed: %s", delivery.id, delivery.last_error)
            delivery.attempts += 1
            session.commit()
    return report


def _attempt_recorded(
    session: Session, keyring: Keyring, settings: Settings, delivery: NotificationDelivery
) -> None:
    """One attempt; whatever goes wrong is a DeliveryError to record on the row (a sealed
    URL no key opens, say), so one bad row never stops the others. Only the error's type
    is kept: its text may hold the URL."""
    try:
        _attempt(session, keyring, settings, delivery)
    except DeliveryError:
        raise
    except Exception as exc:
        log.warning("delivery %s could not be attempted (%s)", delivery.id, type(exc).__name__)
        raise DeliveryError(f"the delivery could not be attempted ({type(exc).__name__})") from None


def _attempt(
    session: Session, keyring: Keyring, settings: Settings, delivery: NotificationDelivery
) -> None:
    payload = dict(delivery.payload)
    if delivery.channel == "email":
        send_email(
            settings, delivery.recipient, f"[Ariadne] {payload['summary']}", as_text(payload)
        )
        return
    subscription = (
        session.get(WebhookSubscription, delivery.webhook_id) if delivery.webhook_id else None
    )
    if subscription is None:
        raise DeliveryError("the webhook subscription was deleted")
    if not subscription.is_active:
        raise DeliveryError("the webhook subscription is paused")
    sealed = unseal(keyring, subscription.sealed)
    post_webhook(
        sealed["url"],
        sealed.get("secret"),
        formatted(payload, subscription.payload_format),
        delivery.id,
        settings.notification_timeout_s,
    )
