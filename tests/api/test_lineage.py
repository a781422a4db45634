"""Declaring lineage, source attribution, approvals with optimistic concurrency, audit trail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.db.models import LineageSource, LineageStatus, TableLineage, UserRole
from ariadne_core.lineage import edges as service
from tests.api.catalog_helpers import make_field, make_source, make_table


@pytest.fixture
def world(client: TestClient, auth_headers: Any) -> dict[str, Any]:
    admin = auth_headers("admin")
    src = make_source(client, admin, "prod")
    orders = make_table(client, admin, src["id"], "orders")
    facts = make_table(client, admin, src["id"], "fact_orders", schema="dwh")
    report = make_table(client, admin, src["id"], "revenue_report", schema="marts")
    fields = {
        "orders.total": make_field(client, admin, orders["id"], "total"),
        "facts.amount": make_field(client, admin, facts["id"], "amount"),
        "report.revenue": make_field(client, admin, report["id"], "revenue"),
    }
    return {
        "orders": orders,
        "facts": facts,
        "report": report,
        "fields": fields,
        "editor": auth_headers("editor"),
        "steward": auth_headers("steward"),
        "viewer": auth_headers("viewer"),
    }


def _declare(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/lineage/table", json=body, headers=headers)


def test_declare_by_name_gives_a_manual_active_edge(
    client: TestClient, world: dict[str, Any]
) -> None:
    resp = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        transformation_type="ETL",
    )
    assert resp.status_code == 201, resp.text
    edge = resp.json()
    assert (edge["lineage_source"], edge["origin"], edge["status"], edge["confidence"]) == (
        "manual",
        "manual",
        "active",
        1.0,
    )
    assert edge["created_by"] == "editor@example.com"
    assert (edge["source_name"], edge["target_name"]) == (
        "prod.sales.orders",
        "prod.dwh.fact_orders",
    )
    assert edge["approved_by"] is None and edge["approved_at"] is None
    by_id = _declare(
        client,
        world["editor"],
        source_table_id=world["facts"]["id"],
        target_table_id=world["report"]["id"],
    )
    assert by_id.status_code == 201


def test_exact_duplicate_is_409_with_the_existing_id(
    client: TestClient, world: dict[str, Any]
) -> None:
    first = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
    ).json()
    again = _declare(
        client,
        world["editor"],
        source_table_id=world["orders"]["id"],
        target_table="prod.dwh.fact_orders",
    )
    assert again.status_code == 409
    assert again.json()["error"]["details"]["existing_id"] == first["id"]


def test_self_loop_is_422(client: TestClient, world: dict[str, Any]) -> None:
    resp = _declare(
        client, world["editor"], source_table="prod.sales.orders", target_table="prod.sales.orders"
    )
    assert resp.status_code == 422
    assert "cannot feed itself" in resp.json()["error"]["message"]


def test_unknown_name_gets_did_you_mean(client: TestClient, world: dict[str, Any]) -> None:
    resp = _declare(
        client,
        world["editor"],
        source_table="prod.sales.ordrs",
        target_table="prod.dwh.fact_orders",
    )
    assert resp.status_code == 404
    error = resp.json()["error"]
    assert error["message"] == (
        "The source table 'prod.sales.ordrs' is not in the catalog. "
        "Did you mean 'prod.sales.orders'? Fix the name, or add the "
        "table first."
    )
    assert error["details"]["suggestions"][0] == "prod.sales.orders"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"target_table": "prod.dwh.fact_orders"}, "source_table_id or source_table"),
        (
            {
                "source_table": "prod.sales.orders",
                "target_table": "prod.dwh.fact_orders",
                "lineage_source": "guessed",
            },
            "lineage_source",
        ),
        (
            {
                "source_table": "prod.sales.orders",
                "target_table": "prod.dwh.fact_orders",
                "confidence": 1.5,
            },
            "confidence",
        ),
    ],
)
def test_bad_declarations_are_422(
    client: TestClient, world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    resp = _declare(client, world["editor"], **body)
    assert resp.status_code == 422
    assert field in resp.json()["error"]["message"] + str(resp.json()["error"]["details"])


def test_declaring_an_inferred_edge_upgrades_it_and_keeps_the_origin(
    client: TestClient, world: dict[str, Any], db_session: Session
) -> None:
    inferred = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        lineage_source="inferred",
        confidence=0.4,
    ).json()
    assert (inferred["status"], inferred["lineage_source"]) == ("pending_review", "inferred")
    upgraded = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
    )
    assert upgraded.status_code == 200
    body = upgraded.json()
    assert body["id"] == inferred["id"]
    assert (body["lineage_source"], body["origin"], body["status"]) == (
        "manual",
        "inferred",
        "active",
    )
    history = client.get(f"/api/v1/lineage/{body['id']}/history", headers=world["viewer"]).json()
    assert [h["action"] for h in history] == ["create", "upgrade"]
    assert history[1]["before"]["lineage_source"] == "inferred"
    assert history[1]["after"]["lineage_source"] == "manual"


def test_only_stewards_declare_approved_edges(client: TestClient, world: dict[str, Any]) -> None:
    denied = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        lineage_source="approved",
    )
    assert denied.status_code == 403
    ok = _declare(
        client,
        world["steward"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        lineage_source="approved",
    ).json()
    assert ok["approved_by"] == "steward@example.com" and ok["approved_at"]


def test_a_field_edge_declares_its_table_edge(
    client: TestClient, world: dict[str, Any], db_session: Session
) -> None:
    resp = client.post(
        "/api/v1/lineage/field",
        headers=world["editor"],
        json={
            "source_field": "prod.sales.orders.total",
            "target_field": "prod.dwh.fact_orders.amount",
            "transformation_logic": "total * fx",
        },
    )
    assert resp.status_code == 201, resp.text
    edge = resp.json()
    assert edge["kind"] == "field" and edge["table_lineage_id"]
    table_edge = client.get(
        f"/api/v1/lineage/{edge['table_lineage_id']}", headers=world["viewer"]
    ).json()
    assert (table_edge["source_name"], table_edge["target_name"]) == (
        "prod.sales.orders",
        "prod.dwh.fact_orders",
    )
    assert table_edge["metadata"] == {"created_for_field_edge": True}
    # A second field edge between the same tables reuses that table edge.
    second = client.post(
        "/api/v1/lineage/field",
        headers=world["editor"],
        json={
            "source_field_id": world["fields"]["orders.total"]["id"],
            "target_field": "prod.marts.revenue_report.revenue",
        },
    ).json()
    again = client.post(
        "/api/v1/lineage/field",
        headers=world["editor"],
        json={
            "source_field": "prod.dwh.fact_orders.amount",
            "target_field": "prod.marts.revenue_report.revenue",
        },
    ).json()
    assert second["table_lineage_id"] != edge["table_lineage_id"]
    assert len(db_session.scalars(select(TableLineage)).all()) == 3
    assert again["kind"] == "field"


def test_update_and_deprecate_keep_the_edge_and_audit_both(
    client: TestClient, world: dict[str, Any]
) -> None:
    edge = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
    ).json()
    updated = client.put(
        f"/api/v1/lineage/{edge['id']}",
        headers=world["editor"],
        json={"transformation_logic": "SELECT ...", "version": 1, "comment": "documented"},
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = client.put(
        f"/api/v1/lineage/{edge['id']}",
        headers=world["editor"],
        json={"confidence": 0.9, "version": 1},
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == 2
    gone = client.delete(f"/api/v1/lineage/{edge['id']}", headers=world["editor"])
    assert gone.status_code == 200 and gone.json()["status"] == "deprecated"
    assert client.get(f"/api/v1/lineage/{edge['id']}", headers=world["viewer"]).status_code == 200
    history = client.get(f"/api/v1/lineage/{edge['id']}/history", headers=world["viewer"]).json()
    assert [h["action"] for h in history] == ["create", "update", "deprecate"]
    assert history[1]["comment"] == "documented"
    revived = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
    )
    assert revived.status_code == 200 and revived.json()["status"] == "active"


def test_approve_and_reject(client: TestClient, world: dict[str, Any]) -> None:
    edge = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        lineage_source="inferred",
    ).json()
    url = f"/api/v1/lineage/{edge['id']}/approve"
    assert (
        client.post(
            url, headers=world["editor"], json={"approved": True, "comment": "ok"}
        ).status_code
        == 403
    )
    assert client.post(url, headers=world["steward"], json={"approved": True}).status_code == 422
    approved = client.post(
        url, headers=world["steward"], json={"approved": True, "comment": "Checked the job"}
    ).json()
    assert (approved["lineage_source"], approved["origin"], approved["status"]) == (
        "approved",
        "inferred",
        "active",
    )
    assert approved["approved_by"] == "steward@example.com" and approved["approved_at"]
    assert (
        client.post(
            url, headers=world["steward"], json={"approved": True, "comment": "again"}
        ).status_code
        == 409
    )

    other = _declare(
        client,
        world["editor"],
        source_table="prod.dwh.fact_orders",
        target_table="prod.marts.revenue_report",
        lineage_source="inferred",
    ).json()
    rejected = client.post(
        f"/api/v1/lineage/{other['id']}/approve",
        headers=world["steward"],
        json={"approved": False, "comment": "No such job"},
    ).json()
    assert rejected["status"] == "rejected"
    again = client.post(
        f"/api/v1/lineage/{other['id']}/approve",
        headers=world["steward"],
        json={"approved": True, "comment": "changed my mind"},
    )
    assert again.status_code == 409 and "Re-open" in again.json()["error"]["message"]
    reopened = client.post(
        f"/api/v1/lineage/{other['id']}/reopen",
        headers=world["steward"],
        json={"comment": "new evidence"},
    ).json()
    assert reopened["status"] == "pending_review"
    history = client.get(f"/api/v1/lineage/{other['id']}/history", headers=world["viewer"]).json()
    assert [(h["action"], h["comment"]) for h in history] == [
        ("create", None),
        ("reject", "No such job"),
        ("update", "new evidence"),
    ]


def test_review_queue_and_bulk_decisions(client: TestClient, world: dict[str, Any]) -> None:
    low = _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
        lineage_source="inferred",
        confidence=0.2,
    ).json()
    high = _declare(
        client,
        world["editor"],
        source_table="prod.dwh.fact_orders",
        target_table="prod.marts.revenue_report",
        lineage_source="inferred",
        confidence=0.7,
    ).json()
    _declare(
        client,
        world["editor"],
        source_table="prod.sales.orders",
        target_table="prod.marts.revenue_report",
    )  # manual: not in the queue
    queue = client.get("/api/v1/lineage/review", headers=world["viewer"]).json()
    assert [e["id"] for e in queue["items"]] == [low["id"], high["id"]]
    by_table = client.get(
        "/api/v1/lineage/review",
        params={"table_id": world["report"]["id"]},
        headers=world["viewer"],
    ).json()
    assert [e["id"] for e in by_table["items"]] == [high["id"]]

    missing = "00000000-0000-0000-0000-000000000000"
    failed = client.post(
        "/api/v1/lineage/review/decisions",
        headers=world["steward"],
        json={"ids": [low["id"], missing], "approved": True, "comment": "ok"},
    )
    assert failed.status_code == 404
    assert failed.json()["error"]["details"]["failed_id"] == missing
    assert (
        client.get(f"/api/v1/lineage/{low['id']}", headers=world["viewer"]).json()["lineage_source"]
        == "inferred"
    )  # rolled back
    done = client.post(
        "/api/v1/lineage/review/decisions",
        headers=world["steward"],
        json={"ids": [low["id"], high["id"]], "approved": True, "comment": "ok"},
    )
    assert done.status_code == 200
    assert {e["lineage_source"] for e in done.json()} == {"approved"}
    assert client.get("/api/v1/lineage/review", headers=world["viewer"]).json()["total"] == 0


def test_two_concurrent_decisions_exactly_one_wins(engine: Any, make_database: Any) -> None:
    """Real concurrency on committed data: two stewards decide at the same moment."""
    from ariadne_core.db import migrate
    from ariadne_core.db.engine import engine_for
    from ariadne_core.db.models import DataSource, MetadataTable, SourceType
    from ariadne_core.errors import Conflict

    url = make_database("ariadne_race")
    migrate.upgrade(url)
    race_engine = engine_for(url)
    with Session(race_engine) as session:
        src = DataSource(name="s", type=SourceType.MANUAL)
        session.add(src)
        session.flush()
        a = MetadataTable(source_id=src.id, name="a", qualified_name="s.a")
        b = MetadataTable(source_id=src.id, name="b", qualified_name="s.b")
        session.add_all([a, b])
        session.flush()
        edge = TableLineage(
            source_table_id=a.id,
            target_table_id=b.id,
            lineage_source=LineageSource.INFERRED,
            origin=LineageSource.INFERRED,
            status=LineageStatus.PENDING_REVIEW,
            confidence=0.3,
        )
        session.add(edge)
        session.commit()
        edge_id = edge.id

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(approved: bool) -> None:
        with Session(race_engine) as session:
            service.get_edge(session, edge_id)  # both read version 1
            barrier.wait()
            try:
                service.decide(
                    session,
                    edge_id,
                    approved=approved,
                    comment="race",
                    actor=service.Actor("s@example.com", UserRole.STEWARD),
                    expected_version=1,
                )
                session.commit()
                outcomes.append("won")
            except Conflict:
                session.rollback()
                outcomes.append("409")

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["409", "won"]
    with Session(race_engine) as session:
        final = session.get(TableLineage, edge_id)
        assert final is not None and final.version == 2
    race_engine.dispose()


@pytest.mark.parametrize(
    "role,status", [("viewer", 403), ("editor", 201), ("steward", 201), ("admin", 201)]
)
def test_declaring_needs_the_editor_role(
    client: TestClient, world: dict[str, Any], auth_headers: Any, role: str, status: int
) -> None:
    resp = _declare(
        client,
        auth_headers(role),
        source_table="prod.sales.orders",
        target_table="prod.dwh.fact_orders",
    )
    assert resp.status_code == status


def test_review_queue_filtered_by_a_source_with_several_tables(
    client: TestClient, world: dict[str, Any], auth_headers: Any
) -> None:
    """Was a 500 (CardinalityViolation) once two field edges were pending."""
    for source, target in (("orders", "facts"), ("facts", "report")):
        resp = _declare(
            client,
            world["editor"],
            source_table=world[source]["qualified_name"],
            target_table=world[target]["qualified_name"],
            lineage_source="inferred",
        )
        assert resp.status_code == 201, resp.text
    for source, target in (("orders.total", "facts.amount"), ("facts.amount", "report.revenue")):
        field = client.post(
            "/api/v1/lineage/field",
            headers=world["editor"],
            json={
                "source_field": world["fields"][source]["qualified_name"],
                "target_field": world["fields"][target]["qualified_name"],
                "lineage_source": "inferred",
            },
        )
        assert field.status_code == 201, field.text
    other = make_source(client, auth_headers("admin"), "elsewhere")
    prod = world["orders"]["source_id"]
    queue = client.get(
        "/api/v1/lineage/review", params={"source_id": prod}, headers=world["viewer"]
    )
    assert queue.status_code == 200, queue.text
    assert queue.json()["total"] == 4
    by_table = client.get(
        "/api/v1/lineage/review",
        params={"table_id": world["report"]["id"]},
        headers=world["viewer"],
    )
    assert by_table.json()["total"] == 2
    owned = client.put(
        f"/api/v1/tables/{world['report']['id']}",
        headers=auth_headers("admin"),
        json={"owner": "Finance@Example.com"},
    )
    assert owned.status_code == 200, owned.text
    by_owner = client.get(
        "/api/v1/lineage/review", params={"owner": "finance@example.com"}, headers=world["viewer"]
    )
    assert by_owner.status_code == 200 and by_owner.json()["total"] == 2  # into report
    assert {e["target_name"] for e in by_owner.json()["items"]} >= {
        world["report"]["qualified_name"]
    }
    for hostile in ("x" * 321, "a\x00b"):  # too long; a character PostgreSQL refuses
        refused = client.get(
            "/api/v1/lineage/review", params={"owner": hostile}, headers=world["viewer"]
        )
        assert refused.status_code == 422, (hostile[:10], refused.text)
    empty = client.get(
        "/api/v1/lineage/review", params={"source_id": other["id"]}, headers=world["viewer"]
    )
    assert empty.status_code == 200 and empty.json()["total"] == 0


def test_the_review_queue_reads_a_page_in_a_fixed_number_of_queries(
    client: TestClient, world: dict[str, Any], auth_headers: Any, engine: Any
) -> None:
    """No query per edge: a page of 20 costs what a page of 2 does (at most one more
    query per edge kind, when the bigger page holds both kinds)."""
    from sqlalchemy import event

    admin = auth_headers("admin")
    src = client.get("/api/v1/sources", headers=admin).json()["items"][0]
    for i in range(20):
        table = make_table(client, admin, src["id"], f"feed_{i}", schema="raw")
        field = make_field(client, admin, table["id"], "value")
        client.post(
            "/api/v1/lineage/field",
            json={
                "source_field_id": field["id"],
                "target_field_id": world["fields"]["orders.total"]["id"],
                "lineage_source": "inferred",
                "confidence": 0.3,
            },
            headers=world["editor"],
        ).raise_for_status()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def page(size: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            body = client.get(
                "/api/v1/lineage/review", params={"size": size}, headers=world["viewer"]
            ).json()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(body["items"]) == size
        return len(statements)

    small, big = page(2), page(20)
    assert big <= small + 2, (small, big)
