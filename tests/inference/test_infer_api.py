"""POST /api/v1/lineage/infer on a real harvested source: preview, submit, roles, limits,
and the evidence GET /lineage/{id} shows."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine

from ariadne_core.security.secrets import Keyring
from tests.harvest.conftest import make_pg_source

ETL = """
-- nightly load
CREATE TEMP TABLE stage AS
SELECT o.id, o.customer_id, o.amount * 1.2 AS gross
FROM sales.orders o WHERE o.status = 'paid';

INSERT INTO mart.revenue (customer_id, revenue)
SELECT s.customer_id, sum(s.gross) FROM stage s GROUP BY s.customer_id;

DROP TABLE stage;
"""


@pytest.fixture(scope="module")
def source(catalog_engine: Engine, keyring: Keyring, make_database: Any) -> uuid.UUID:
    ddl = (
        "CREATE SCHEMA sales; CREATE SCHEMA mart; "
        "CREATE TABLE sales.orders (id int, customer_id int, amount numeric, status text); "
        "CREATE TABLE mart.revenue (customer_id int, revenue numeric);"
    )
    return make_pg_source(catalog_engine, keyring, make_database, "dw", ddl)


def test_preview_follows_the_temp_table_and_writes_nothing(api: Any, source: uuid.UUID) -> None:
    client, headers = api
    response = client.post(
        "/api/v1/lineage/infer",
        json={"sql": ETL, "source": "dw"},
        headers=headers("viewer"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["experimental"] is True and body["dialect"] == "postgres"
    assert body["sources"] == ["sales.orders"] and body["targets"] == ["mart.revenue"]
    assert body["intermediates"] == ["stage"]
    assert [s["line"] for s in body["statements"]] == [3, 7, 10]
    proposals = {(p["kind"], p["source"], p["target"]): p for p in body["proposals"]}
    assert set(proposals) == {
        ("table", "dw.sales.orders", "dw.mart.revenue"),
        ("field", "dw.sales.orders.customer_id", "dw.mart.revenue.customer_id"),
        ("field", "dw.sales.orders.amount", "dw.mart.revenue.revenue"),
    }
    amount = proposals[("field", "dw.sales.orders.amount", "dw.mart.revenue.revenue")]
    assert amount["transformation_type"] == "aggregate" and amount["state"] == "new"
    assert body["graph_effect"]["table_edges_added"] == 1
    assert body["submitted"] is None
    review = client.get("/api/v1/lineage/review", headers=headers("viewer")).json()
    assert review["total"] == 0


def test_submit_needs_an_editor_and_fills_the_review_queue(api: Any, source: uuid.UUID) -> None:
    client, headers = api
    body = {"sql": ETL, "source": "dw", "submit": True, "label": "etl/nightly.sql"}
    refused = client.post("/api/v1/lineage/infer", json=body, headers=headers("viewer"))
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["required_role"] == "editor"
    done = client.post("/api/v1/lineage/infer", json=body, headers=headers("editor"))
    assert done.status_code == 200, done.text
    assert done.json()["submitted"]["created"] == 3
    queue = client.get("/api/v1/lineage/review", headers=headers("steward")).json()
    assert queue["total"] == 3
    edge = next(e for e in queue["items"] if e["kind"] == "table")
    assert edge["lineage_source"] == "inferred" and edge["status"] == "pending_review"
    evidence = edge["metadata"]["evidence"][0]
    assert evidence["object"] == "etl/nightly.sql" and evidence["line"] == 7
    assert evidence["submitted_by"] == "editor@sync.example"
    detail = client.get(f"/api/v1/lineage/{edge['id']}", headers=headers("viewer")).json()
    assert detail["evidence"][0]["origin"] == "sql:etl/nightly.sql"
    assert detail["evidence"][0]["gone"] is False
    again = client.post("/api/v1/lineage/infer", json=body, headers=headers("editor")).json()
    assert again["submitted"]["created"] == 0 and again["submitted"]["unchanged"] == 3
    states = {p["state"] for p in again["proposals"]}
    assert states == {"exists: inferred, pending_review"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sql": "SELECT 1", "dialect": "klingon"}, "dialect"),
        ({"sql": ""}, "sql"),
        ({"sql": "x" * 1_000_001}, "sql"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    api: Any, source: uuid.UUID, body: dict[str, Any], field: str
) -> None:
    client, headers = api
    response = client.post("/api/v1/lineage/infer", json=body, headers=headers("viewer"))
    assert response.status_code == 422, response.text
    assert field in response.text


def test_unknown_source_is_404_and_broken_sql_is_reported_not_500(
    api: Any, source: uuid.UUID
) -> None:
    client, headers = api
    missing = client.post(
        "/api/v1/lineage/infer",
        json={"sql": "SELECT 1", "source": "nope"},
        headers=headers("viewer"),
    )
    assert missing.status_code == 404
    broken = client.post(
        "/api/v1/lineage/infer",
        json={
            "sql": "INSERT INTO a SELECT FROM WHERE;\nSELECT (((((" + "(" * 5000,
            "dialect": "ansi",
        },
        headers=headers("viewer"),
    )
    assert broken.status_code == 200, broken.text
    errors = [s for s in broken.json()["statements"] if s["error"]]
    assert errors and all(s["line"] >= 1 for s in errors)
