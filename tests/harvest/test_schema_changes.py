"""Schema-change alerts end to end on the real stores: a PostgreSQL source harvested, then
ALTER TABLE on it and a second sync; the events, their impact through declared and
inferred lineage, the digests to a real local HTTP receiver (signed) and a real local SMTP
server, the API, and a revert closing its event."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.config import Settings
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import (
    LineageSource,
    NotificationDelivery,
    SchemaChangeEvent,
    SourceType,
    UserRole,
    WebhookSubscription,
)
from ariadne_core.harvest.service import run_sync
from ariadne_core.lineage.edges import (
    Actor,
    EdgeInput,
    Endpoint,
    declare_field_edge,
    declare_table_edge,
)
from ariadne_core.runtime.ports import free_port
from ariadne_core.schema_changes import service
from ariadne_core.schema_changes.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver_due
from ariadne_core.schema_changes.process import critical_hits, process_pending
from ariadne_core.security.secrets import Keyring
from tests.harvest.conftest import TEST_KEYS, make_source, pg_config

ADMIN = Actor("admin@example.com", UserRole.ADMIN)
SECRET = "s3cret-for-signing-0123456789"
SOURCE_SQL = """
CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer,
    discount_code varchar(20),
    amount numeric(10,2),
    status text,
    note text
);
CREATE TABLE customers (id integer PRIMARY KEY, email text);
CREATE TABLE untouched (id integer PRIMARY KEY);
"""


class Receiver:
    """A real HTTP server that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((self.path, dict(self.headers.items()), body))
                self.send_response(500 if self.path == "/broken" else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for p, h, b in self.requests if p == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, messages
    controller.stop()


def _sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _events(engine: Engine, source_id: uuid.UUID) -> list[SchemaChangeEvent]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(SchemaChangeEvent).where(SchemaChangeEvent.source_id == source_id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_a_sync_tells_downstream_owners_what_a_schema_change_breaks(
    caplog: pytest.LogCaptureFixture,
    catalog_engine: Engine,
    keyring: Keyring,
    make_database: Any,
    receiver: Receiver,
    smtp: tuple[int, list[Any]],
    api: tuple[Any, Any],
    tmp_path: Any,
) -> None:
    url = str(make_database("alerts_source"))
    _sql(url, SOURCE_SQL)
    source_id = make_source(
        catalog_engine, keyring, "alerts", SourceType.POSTGRESQL, pg_config(url)
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=tmp_path,
        encryption_keys=TEST_KEYS,
        smtp_host="127.0.0.1",
        smtp_port=smtp[0],
        smtp_from="ariadne@example.com",
        schema_change_critical_owners=["finance@example.com"],
    )

    # the first harvest, and an unchanged re-sync, raise nothing
    assert run_sync(catalog_engine, source_id, keyring).counts.added == 3
    assert run_sync(catalog_engine, source_id, keyring, full_sync=True).counts.schema_changes == 0
    assert _events(catalog_engine, source_id) == []

    # downstream: a report fed by declared field lineage (and one inferred edge), and a
    # view of customers with table lineage only
    with session_scope(catalog_engine) as session:
        bi = create_source(session, keyring, SourceInput(name="bi", type=SourceType.MANUAL), "t")
        daily = create_table(
            session,
            TableInput(
                source_id=bi.id, schema_name="reports", name="daily", owner="finance@example.com"
            ),
            "t",
        )
        for name in ("discount", "total"):
            create_field(session, FieldInput(table_id=daily.id, name=name), "t")
        create_table(
            session,
            TableInput(
                source_id=bi.id, schema_name="reports", name="people", owner="crm@example.com"
            ),
            "t",
        )
        session.flush()
        declare_field_edge(
            session,
            EdgeInput(
                Endpoint(name="alerts.public.orders.discount_code"),
                Endpoint(name="bi.reports.daily.discount"),
            ),
            ADMIN,
        )
        declare_field_edge(
            session,
            EdgeInput(
                Endpoint(name="alerts.public.orders.amount"),
                Endpoint(name="bi.reports.daily.total"),
                lineage_source=LineageSource.INFERRED,
                confidence=0.6,
            ),
            ADMIN,
        )
        declare_table_edge(
            session,
            EdgeInput(Endpoint(name="alerts.public.customers"), Endpoint(name="bi.reports.people")),
            ADMIN,
        )
        for fmt, path, least in (
            ("json", "/hook", "risky"),
            ("slack", "/slack", "risky"),
            ("teams", "/teams", "breaking"),
            ("json", "/broken", "risky"),
        ):
            service.create_webhook(
                session,
                keyring,
                service.WebhookInput(
                    name=f"{fmt}{path}",
                    url=receiver.url + path,
                    secret=SECRET if path == "/hook" else None,
                    payload_format=fmt,
                    min_severity=least,
                    source_ids=[source_id],
                ),
                actor_email=ADMIN.email,
                actor_role=UserRole.ADMIN,
            )

    _sql(
        url,
        "ALTER TABLE orders DROP COLUMN discount_code; "
        "ALTER TABLE orders RENAME COLUMN note TO notes; "
        "ALTER TABLE orders ALTER COLUMN amount TYPE integer; "
        "ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint; "
        "UPDATE orders SET status = 'new' WHERE status IS NULL; "
        "ALTER TABLE orders ALTER COLUMN status SET NOT NULL; "
        "DROP TABLE customers;",
    )
    result = run_sync(catalog_engine, source_id, keyring)
    assert result.counts.schema_changes == 5
    events = {(e.change_type, e.field_name): e for e in _events(catalog_engine, source_id)}
    assert set(events) == {
        ("field_dropped", "discount_code"),
        ("field_renamed", "note"),
        ("type_changed", "amount"),
        ("nullability_tightened", "status"),
        ("table_dropped", None),
    }  # customer_id int -> bigint widens: safe, no event
    assert events[("field_renamed", "note")].details["after"] == "notes"
    assert events[("field_renamed", "note")].details["confidence"] == "high"
    assert events[("type_changed", "amount")].severity == "breaking"
    assert events[("nullability_tightened", "status")].severity == "risky"
    assert len({e.sync_id for e in events.values()}) == 1

    with session_scope(catalog_engine) as session:
        report = process_pending(session, settings, source_id=source_id)
    assert report.events == 5
    events = {(e.change_type, e.field_name): e for e in _events(catalog_engine, source_id)}
    dropped = events[("field_dropped", "discount_code")]
    assert dropped.impact is not None and dropped.impact["level"] == "field"
    hit = dropped.impact["affected"]
    assert [(a["name"], a["path_lineage_sources"]) for a in hit if a["type"] == "field"] == [
        ("bi.reports.daily.discount", ["manual"])
    ]
    assert dropped.owners == ["finance@example.com"]
    retyped = events[("type_changed", "amount")]
    assert retyped.impact is not None and retyped.impact["only_inferred"] is True
    gone = events[("table_dropped", None)]
    assert gone.impact is not None
    assert [a["name"] for a in gone.impact["affected"]] == ["bi.reports.people"]
    assert gone.owners == ["crm@example.com"]
    with session_scope(catalog_engine) as session:
        critical = critical_hits(session, settings, source_id)
    assert {c["change_type"] for c in critical} == {"field_dropped", "type_changed"}

    caplog.set_level("DEBUG")
    delivered = deliver_due(lambda: Session(catalog_engine), keyring, settings)
    assert "/broken" not in caplog.text and "/hook" not in caplog.text  # URLs are secrets
    # four webhooks and two e-mails, one digest per owner (finance, crm, and nobody)
    assert delivered == {"sent": 11, "retrying": 3, "failed": 0}  # /broken answers 500
    hooks = receiver.bodies("/hook")
    by_owner = {json.loads(b)["owner"]: (h, b) for h, b in hooks}
    assert set(by_owner) == {"finance@example.com", "crm@example.com", None}  # one per owner
    headers, body = by_owner["finance@example.com"]
    expected = hmac.new(
        SECRET.encode(), headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    finance = json.loads(body)
    assert {e["change_type"] for e in finance["events"]} == {"field_dropped", "type_changed"}
    assert "breaking" in finance["summary"]
    slack = [json.loads(b) for _, b in receiver.bodies("/slack")]
    assert slack and all("text" in s and s["blocks"] for s in slack)
    assert all(SIGNATURE_HEADER not in h for h, _ in receiver.bodies("/slack"))  # no secret
    teams = [json.loads(b) for _, b in receiver.bodies("/teams")]
    card = teams[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert all(
        "risky" not in block["text"]
        for t in teams
        for block in t["attachments"][0]["content"]["body"][1:]
    )  # this one asked for breaking changes only
    recipients = sorted(r for m in smtp[1] for r in m.rcpt_tos)
    assert recipients == ["crm@example.com", "finance@example.com"]
    mail = message_from_bytes(
        next(m for m in smtp[1] if "finance@example.com" in m.rcpt_tos).content
    )
    assert "discount_code" in mail.get_payload() and mail["Subject"].startswith("[Ariadne]")
    with session_scope(catalog_engine) as session:
        failed = session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.status == "pending")
        ).all()
        assert failed and all(
            d.attempts == 1 and "HTTP 500" in (d.last_error or "") for d in failed
        )
        assert all("/broken" not in (d.last_error or "") for d in failed)  # the path is secret

    # the API: list, filter by owner, acknowledge (editors), the table detail
    client, headers_for = api
    listed = client.get(
        "/api/v1/schema-changes",
        params={"owner": "finance@example.com", "source_id": str(source_id)},
        headers=headers_for("viewer"),
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 2
    event_id = events[("field_dropped", "discount_code")].id
    path = f"/api/v1/schema-changes/{event_id}/acknowledge"
    assert (
        client.post(path, json={"comment": "ok"}, headers=headers_for("viewer")).status_code == 403
    )
    done = client.post(path, json={"comment": "report moved"}, headers=headers_for("editor"))
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert (
        client.post(path, json={"comment": "again"}, headers=headers_for("editor")).status_code
        == 409
    )
    orders_id = events[("type_changed", "amount")].table_id
    detail = client.get(f"/api/v1/tables/{orders_id}", headers=headers_for("viewer")).json()
    assert {c["change_type"] for c in detail["recent_schema_changes"]} >= {"type_changed"}
    hooks_listed = client.get("/api/v1/notifications/webhooks", headers=headers_for("admin"))
    assert hooks_listed.status_code == 200
    assert all("/hook" not in h["url"] and SECRET not in json.dumps(h) for h in hooks_listed.json())
    failed_listed = client.get(
        "/api/v1/notifications/deliveries",
        params={"status": "pending"},
        headers=headers_for("admin"),
    )
    assert failed_listed.status_code == 200 and failed_listed.json()[0]["last_error"]

    # a revert closes the open event instead of raising a new one
    _sql(url, "ALTER TABLE orders ALTER COLUMN amount TYPE numeric(10,2)")
    time.sleep(0.01)
    again = run_sync(catalog_engine, source_id, keyring)
    assert again.counts.schema_changes == 0
    closed = {(e.change_type, e.field_name): e for e in _events(catalog_engine, source_id)}
    assert closed[("type_changed", "amount")].status == "closed"
    assert "reverted" in (closed[("type_changed", "amount")].closed_reason or "")
    assert closed[("field_dropped", "discount_code")].status == "acknowledged"  # not reopened


def test_the_dagster_assets_compute_events_and_the_check_goes_red_for_a_critical_table(
    dagster_env: None,
    monkeypatch: pytest.MonkeyPatch,
    catalog_engine: Engine,
    keyring: Keyring,
    catalog_db: Any,
    make_database: Any,
    receiver: Receiver,
) -> None:
    from dagster import DagsterInstance, materialize

    from ariadne_core.config import get_settings
    from ariadne_pipelines.assets.harvest import PARTITIONS, source_metadata
    from ariadne_pipelines.assets.schema_changes import (
        schema_change_notifications,
        schema_changes,
    )
    from ariadne_pipelines.definitions import defs
    from tests.harvest.conftest import harvest_resources

    graph = defs.get_repository_def().asset_graph
    assert source_metadata.key in graph.get(schema_changes.key).parent_keys
    assert schema_changes.key in graph.get(schema_change_notifications.key).parent_keys
    url = str(make_database("alerts_dagster"))
    _sql(url, "CREATE TABLE payments (id integer PRIMARY KEY, amount numeric(10,2))")
    source_id = make_source(catalog_engine, keyring, "pay", SourceType.POSTGRESQL, pg_config(url))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    resources = harvest_resources(catalog_db)
    first = materialize(
        [source_metadata, schema_changes],
        instance=instance,
        partition_key=str(source_id),
        resources=resources,
    )
    assert first.success
    (check,) = first.get_asset_check_evaluations()
    assert check.passed  # the first harvest raises nothing
    with session_scope(catalog_engine) as session:
        ledger = create_table(
            session,
            TableInput(
                source_id=make_critical_source(session, keyring),
                schema_name="fin",
                name="ledger",
                tags=["critical"],
            ),
            "t",
        )
        create_field(session, FieldInput(table_id=ledger.id, name="amount"), "t")
        session.flush()
        declare_field_edge(
            session,
            EdgeInput(
                Endpoint(name="pay.public.payments.amount"),
                Endpoint(name="fin_src.fin.ledger.amount"),
            ),
            ADMIN,
        )
        service.create_webhook(
            session,
            keyring,
            service.WebhookInput(
                name="dagster", url=receiver.url + "/dagster", source_ids=[source_id]
            ),
            actor_email=ADMIN.email,
            actor_role=UserRole.ADMIN,
        )
    _sql(url, "ALTER TABLE payments ALTER COLUMN amount TYPE text")
    monkeypatch.setenv("ARIADNE_SMTP_HOST", "")
    get_settings.cache_clear()
    second = materialize(
        [source_metadata, schema_changes, schema_change_notifications],
        instance=instance,
        partition_key=str(source_id),
        resources=resources,
        selection=[source_metadata, schema_changes],
    )
    assert second.success
    (event,) = second.asset_materializations_for_node("schema_changes")
    assert event.metadata["events_processed"].value == 1
    (synced,) = second.asset_materializations_for_node("source_metadata")
    (recorded,) = _events(catalog_engine, source_id)
    assert str(recorded.sync_id) == synced.metadata["sync_job_id"].value  # the sync job
    (check,) = second.get_asset_check_evaluations()
    assert not check.passed and check.severity.value == "ERROR"
    assert check.metadata["changes"].value[0]["critical_tables"] == ["fin_src.fin.ledger"]
    sent = materialize([schema_change_notifications], instance=instance, resources=resources)
    (done,) = sent.asset_materializations_for_node("schema_change_notifications")
    assert done.metadata["sent"].value == 1
    (body,) = [json.loads(b) for _, b in receiver.bodies("/dagster")]
    assert body["events"][0]["change_type"] == "type_changed"
    # each event links to the explorer's page of its table (ARIADNE_PUBLIC_URL)
    assert body["events"][0]["explorer_url"].endswith(f"/#/table/{recorded.table_id}")


def make_critical_source(session: Session, keyring: Keyring) -> uuid.UUID:
    return create_source(
        session, keyring, SourceInput(name="fin_src", type=SourceType.MANUAL), "t"
    ).id


def test_a_delivery_that_cannot_be_attempted_is_recorded_and_others_go_on(
    catalog_engine: Engine, keyring: Keyring, receiver: Receiver, tmp_path: Any
) -> None:
    import base64
    import os

    settings = Settings(_env_file=None, home=tmp_path)  # type: ignore[call-arg]
    sync = uuid.uuid4()
    with session_scope(catalog_engine) as session:
        made = [
            service.create_webhook(
                session,
                keyring,
                service.WebhookInput(name=f"k{i}", url=f"{receiver.url}/keys{i}"),
                actor_email=ADMIN.email,
                actor_role=UserRole.ADMIN,
            )
            for i in range(2)
        ]
        for hook in made:
            session.add(
                NotificationDelivery(
                    id=uuid.uuid4(),
                    channel="webhook",
                    webhook_id=hook["id"],
                    recipient=str(hook["id"]),
                    owner="",
                    sync_id=sync,
                    event_ids=[],
                    payload={"summary": "s", "events": []},
                )
            )
    # the first URL sealed with a key this process no longer has
    other = Keyring.parse("gone:" + base64.b64encode(os.urandom(32)).decode())
    with session_scope(catalog_engine) as session:
        first = session.get(WebhookSubscription, made[0]["id"])
        assert first is not None
        from ariadne_core.schema_changes.notify import seal

        first.sealed = seal(other, f"{receiver.url}/keys0", None)
    report = deliver_due(lambda: Session(catalog_engine), keyring, settings)
    assert report["sent"] >= 1 and report["retrying"] >= 1
    with session_scope(catalog_engine) as session:
        rows = {
            d.webhook_id: d
            for d in session.scalars(
                select(NotificationDelivery).where(NotificationDelivery.sync_id == sync)
            )
        }
        broken, fine = rows[made[0]["id"]], rows[made[1]["id"]]
        assert broken.status == "pending" and broken.attempts == 1
        assert broken.last_error == "the delivery could not be attempted (ConfigurationError)"
        assert fine.status == "sent"
    assert receiver.bodies("/keys1") and not receiver.bodies("/keys0")
