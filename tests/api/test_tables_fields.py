"""Tables and fields: CRUD, qualified names, lineage kept on delete, history on every write."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_api.schemas.catalog import (
    LastChange,
    TableDetailResponse,
    TableResponse,
)
from ariadne_api.schemas.common import Page
from ariadne_core.db.models import (
    ChangeHistory,
    FieldLineage,
    LineageAuditEvent,
    LineageSource,
    LineageStatus,
    TableLineage,
)
from tests.api.catalog_helpers import make_field, make_source, make_table


@pytest.fixture
def editor(auth_headers: Any) -> dict[str, str]:
    return dict(auth_headers("editor"))


@pytest.fixture
def source(client: TestClient, auth_headers: Any) -> dict[str, Any]:
    return make_source(client, auth_headers("admin"))


def _history_count(db_session: Session, entity_id: str) -> int:
    return int(
        db_session.scalar(
            select(func.count())
            .select_from(ChangeHistory)
            .where(ChangeHistory.entity_id == entity_id)
        )
        or 0
    )


def test_create_table_builds_the_qualified_name(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    table = make_table(client, editor, source["id"], "orders", tags=["finance", "finance", "gold"])
    assert table["qualified_name"] == "prod.sales.orders"
    assert table["source_name"] == "prod"
    assert table["tags"] == ["finance", "gold"]
    no_schema = make_table(client, editor, source["id"], "events", schema=None)
    assert no_schema["qualified_name"] == "prod.events"


def test_duplicate_qualified_name_is_409(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    first = make_table(client, editor, source["id"], "orders")
    resp = client.post(
        "/api/v1/tables",
        headers=editor,
        json={"source_id": source["id"], "schema_name": "sales", "name": "orders"},
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["details"] == {
        "qualified_name": "prod.sales.orders",
        "existing_id": first["id"],
    }


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "a.b"}, "name"),
        ({"name": "orders", "table_type": "spreadsheet"}, "table_type"),
        ({"name": "orders", "tags": ["has space"]}, "tags"),
    ],
)
def test_bad_table_values_are_422_naming_the_field(
    client: TestClient,
    editor: dict[str, str],
    source: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    resp = client.post("/api/v1/tables", json={"source_id": source["id"], **body}, headers=editor)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["field"] == field


def test_unknown_source_is_404(client: TestClient, editor: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/tables",
        headers=editor,
        json={"source_id": "00000000-0000-0000-0000-000000000000", "name": "x"},
    )
    assert resp.status_code == 404


def test_reads_written_by_postgres_match_the_response_models(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    """List and detail JSON comes from PostgreSQL (ariadne_core.db.jsonsql), not from the
    models: it must carry exactly the models' keys, the same values as the write answers,
    and datetimes in the same UTC `Z` form."""
    created = make_table(
        client,
        editor,
        source["id"],
        "orders",
        tags=["gold", "pii"],
        properties={"partitioned": True, "owner_team": {"name": "sales"}},
        row_count_estimate=42,
    )
    field = make_field(client, editor, created["id"], "amount", data_type="NUMBER(12,2)")

    detail = client.get(f"/api/v1/tables/{created['id']}", headers=editor).json()
    assert set(detail) == set(TableDetailResponse.model_fields)
    TableDetailResponse.model_validate(detail)
    assert {k: detail[k] for k in created} == created
    assert detail["fields"] == [field]
    assert set(detail["last_change"]) == set(LastChange.model_fields)
    assert detail["last_change"]["changed_at"].endswith("Z")

    listed = client.get("/api/v1/tables", headers=editor).json()
    assert set(listed) == set(Page[TableResponse].model_fields)
    assert listed["items"] == [created]


def test_detail_has_fields_counts_and_last_change(
    client: TestClient, editor: dict[str, str], source: dict[str, Any], db_session: Session
) -> None:
    orders = make_table(client, editor, source["id"], "orders", owner="sales@example.com")
    staging = make_table(client, editor, source["id"], "stg_orders")
    report = make_table(client, editor, source["id"], "orders_report")
    make_field(client, editor, orders["id"], "total", ordinal_position=2, data_type="NUMERIC")
    make_field(
        client,
        editor,
        orders["id"],
        "id",
        ordinal_position=1,
        is_primary_key=True,
        is_nullable=False,
    )
    for src, dst, status in (
        (staging, orders, LineageStatus.ACTIVE),
        (orders, report, LineageStatus.ACTIVE),
        (report, staging, LineageStatus.REJECTED),
    ):
        db_session.add(
            TableLineage(
                source_table_id=src["id"],
                target_table_id=dst["id"],
                lineage_source=LineageSource.MANUAL,
                origin=LineageSource.MANUAL,
                status=status,
            )
        )
    db_session.flush()
    detail = client.get(f"/api/v1/tables/{orders['id']}", headers=editor).json()
    assert [f["name"] for f in detail["fields"]] == ["id", "total"]
    assert detail["fields"][0]["is_primary_key"] is True
    assert (detail["upstream_count"], detail["downstream_count"]) == (1, 1)
    assert detail["owner"] == "sales@example.com"
    assert detail["last_change"]["action"] == "create"
    assert detail["last_change"]["changed_by"] == "editor@example.com"
    staging_detail = client.get(f"/api/v1/tables/{staging['id']}", headers=editor).json()
    assert staging_detail["upstream_count"] == 0  # the rejected edge is not counted


def test_update_records_a_diff_and_renames_fields(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    table = make_table(client, editor, source["id"], "orders")
    column = make_field(client, editor, table["id"], "id")
    resp = client.put(
        f"/api/v1/tables/{table['id']}",
        headers=editor,
        json={"name": "orders_v2", "owner": "ops@example.com", "tags": ["gold"]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["qualified_name"] == "prod.sales.orders_v2"
    fields = client.get(f"/api/v1/tables/{table['id']}/fields", headers=editor).json()
    assert fields["items"][0]["qualified_name"] == "prod.sales.orders_v2.id"
    assert fields["items"][0]["id"] == column["id"]
    history = client.get(f"/api/v1/tables/{table['id']}/history", headers=editor).json()
    newest = history["items"][0]
    assert newest["action"] == "update" and newest["entity_type"] == "table"
    assert newest["changes"]["owner"] == {"before": None, "after": "ops@example.com"}
    assert newest["changes"]["qualified_name"] == {
        "before": "prod.sales.orders",
        "after": "prod.sales.orders_v2",
    }


def test_history_is_paginated_newest_first_and_includes_fields(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    table = make_table(client, editor, source["id"], "orders")
    column = make_field(client, editor, table["id"], "id")
    for i in range(3):
        client.put(f"/api/v1/fields/{column['id']}", headers=editor, json={"description": f"v{i}"})
    page1 = client.get(
        f"/api/v1/tables/{table['id']}/history", params={"size": 2}, headers=editor
    ).json()
    assert page1["total"] == 5 and page1["pages"] == 3
    assert [e["changes"].get("description", {}).get("after") for e in page1["items"]] == [
        "v2",
        "v1",
    ]
    last = client.get(
        f"/api/v1/tables/{table['id']}/history", params={"size": 2, "page": 3}, headers=editor
    ).json()
    assert [(e["entity_type"], e["action"]) for e in last["items"]] == [("table", "create")]
    missing = client.get(
        "/api/v1/tables/00000000-0000-0000-0000-000000000000/history", headers=editor
    )
    assert missing.status_code == 404


def test_deleting_a_table_deprecates_its_lineage_and_says_how_many(
    client: TestClient, editor: dict[str, str], source: dict[str, Any], db_session: Session
) -> None:
    a = make_table(client, editor, source["id"], "a")
    b = make_table(client, editor, source["id"], "b")
    c = make_table(client, editor, source["id"], "c")
    a_id, b_id = (
        make_field(client, editor, a["id"], "id"),
        make_field(client, editor, b["id"], "id"),
    )
    edges = [
        TableLineage(
            source_table_id=a["id"],
            target_table_id=b["id"],
            lineage_source=LineageSource.MANUAL,
            origin=LineageSource.MANUAL,
        ),
        TableLineage(
            source_table_id=b["id"],
            target_table_id=c["id"],
            lineage_source=LineageSource.APPROVED,
            origin=LineageSource.INFERRED,
        ),
    ]
    db_session.add_all(edges)
    db_session.flush()
    db_session.add(
        FieldLineage(
            source_field_id=a_id["id"],
            target_field_id=b_id["id"],
            table_lineage_id=edges[0].id,
            lineage_source=LineageSource.MANUAL,
            origin=LineageSource.MANUAL,
        )
    )
    db_session.flush()

    resp = client.delete(f"/api/v1/tables/{b['id']}", headers=editor)
    assert resp.status_code == 204
    assert resp.headers["X-Deprecated-Lineage-Edges"] == "3"
    for edge in db_session.scalars(select(TableLineage)):
        db_session.refresh(edge)
        assert edge.status == LineageStatus.DEPRECATED
    assert db_session.scalar(select(func.count()).select_from(TableLineage)) == 2  # kept
    events = list(
        db_session.scalars(select(LineageAuditEvent).where(LineageAuditEvent.action == "deprecate"))
    )
    assert len(events) == 3 and all(e.actor == "editor@example.com" for e in events)
    assert client.get(f"/api/v1/tables/{b['id']}", headers=editor).status_code == 404
    history = client.get(f"/api/v1/tables/{b['id']}/history", headers=editor).json()["items"]
    assert history[0]["action"] == "delete"
    assert history[0]["changes"]["deprecated_lineage_edges"]["after"] == 3
    assert client.get("/api/v1/tables", headers=editor).json()["total"] == 2

    # Re-declaring it revives the same row, so the kept lineage still points at it.
    revived = make_table(client, editor, source["id"], "b")
    assert revived["id"] == b["id"]


def test_deleting_a_field_deprecates_its_edges(
    client: TestClient, editor: dict[str, str], source: dict[str, Any], db_session: Session
) -> None:
    a = make_table(client, editor, source["id"], "a")
    b = make_table(client, editor, source["id"], "b")
    fa, fb = make_field(client, editor, a["id"], "x"), make_field(client, editor, b["id"], "y")
    db_session.add(
        FieldLineage(
            source_field_id=fa["id"],
            target_field_id=fb["id"],
            lineage_source=LineageSource.MANUAL,
            origin=LineageSource.MANUAL,
        )
    )
    db_session.flush()
    resp = client.delete(f"/api/v1/fields/{fa['id']}", headers=editor)
    assert resp.status_code == 204 and resp.headers["X-Deprecated-Lineage-Edges"] == "1"
    edge = db_session.scalars(select(FieldLineage)).one()
    db_session.refresh(edge)
    assert edge.status == LineageStatus.DEPRECATED
    assert (
        client.put(
            f"/api/v1/fields/{fa['id']}", headers=editor, json={"description": "x"}
        ).status_code
        == 404
    )


def test_field_duplicate_and_validation(
    client: TestClient, editor: dict[str, str], source: dict[str, Any]
) -> None:
    table = make_table(client, editor, source["id"], "orders")
    make_field(client, editor, table["id"], "id")
    dup = client.post(
        "/api/v1/fields", headers=editor, json={"table_id": table["id"], "name": "id"}
    )
    assert dup.status_code == 409
    assert dup.json()["error"]["details"]["qualified_name"] == "prod.sales.orders.id"
    bad = client.post(
        "/api/v1/fields",
        headers=editor,
        json={"table_id": table["id"], "name": "x", "ordinal_position": -1},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["field"] == "ordinal_position"


def test_every_write_path_leaves_a_history_row(
    client: TestClient, editor: dict[str, str], source: dict[str, Any], db_session: Session
) -> None:
    table = make_table(client, editor, source["id"], "orders")
    assert _history_count(db_session, table["id"]) == 1
    column = make_field(client, editor, table["id"], "id")
    assert _history_count(db_session, column["id"]) == 1
    client.put(f"/api/v1/tables/{table['id']}", headers=editor, json={"description": "d"})
    assert _history_count(db_session, table["id"]) == 2
    client.put(f"/api/v1/tables/{table['id']}", headers=editor, json={"description": "d"})
    assert _history_count(db_session, table["id"]) == 2  # nothing changed, nothing recorded
    client.put(f"/api/v1/fields/{column['id']}", headers=editor, json={"data_type": "INT"})
    assert _history_count(db_session, column["id"]) == 2
    other = make_field(client, editor, table["id"], "other")
    client.delete(f"/api/v1/fields/{other['id']}", headers=editor)
    assert _history_count(db_session, other["id"]) == 2
    client.delete(f"/api/v1/tables/{table['id']}", headers=editor)
    assert _history_count(db_session, table["id"]) == 3
    assert _history_count(db_session, column["id"]) == 3  # its field went with it
    rows = db_session.scalars(select(ChangeHistory).where(ChangeHistory.table_id == table["id"]))
    assert all(r.changed_by == "editor@example.com" for r in rows)


def test_kept_details_and_pages_show_every_write_at_once(
    client: TestClient, source: dict[str, Any], editor: dict[str, str]
) -> None:
    """Details and list pages are kept until the catalog changes: each kind of write
    (table, field, lineage) must show in the very next read."""
    orders = make_table(client, editor, source["id"], "orders")
    raw = make_table(client, editor, source["id"], "raw_orders")
    detail_path = f"/api/v1/tables/{orders['id']}"
    list_path = f"/api/v1/tables?source_id={source['id']}&size=10"

    def detail() -> dict[str, Any]:
        response = client.get(detail_path, headers=editor)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def listed() -> dict[str, Any]:
        return {t["name"]: t for t in client.get(list_path, headers=editor).json()["items"]}

    assert detail()["description"] is None and listed()["orders"]["description"] is None
    assert detail() == detail()  # read twice: kept
    changed = client.put(detail_path, json={"description": "one row per order"}, headers=editor)
    assert changed.status_code == 200, changed.text
    assert detail()["description"] == "one row per order"
    assert listed()["orders"]["description"] == "one row per order"

    make_field(client, editor, orders["id"], "order_id")
    assert [f["name"] for f in detail()["fields"]] == ["order_id"]

    declared = client.post(
        "/api/v1/lineage/table",
        json={"source_table_id": raw["id"], "target_table_id": orders["id"]},
        headers=editor,
    )
    assert declared.status_code == 201, declared.text
    assert detail()["upstream_count"] == 1
    assert (
        client.delete(f"/api/v1/lineage/{declared.json()['id']}", headers=editor).status_code == 200
    )
    assert detail()["upstream_count"] == 0
