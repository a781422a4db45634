"""One rule for who may change lineage and sources, through the API and through import.

Each scenario sets an edge up, then the same person makes the same change through both
doors: the API answers 403 exactly where the import reports a row error, with the same
reason."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.catalog_helpers import make_source, make_table

SRC, TGT = "prod.sales.orders", "prod.dwh.fact_orders"


@pytest.fixture
def world(client: TestClient, auth_headers: Any) -> dict[str, Any]:
    admin = auth_headers("admin")
    src = make_source(client, admin, "prod")
    make_table(client, admin, src["id"], "orders")
    make_table(client, admin, src["id"], "fact_orders", schema="dwh")
    return {role: auth_headers(role) for role in ("viewer", "editor", "steward", "admin")}


def _declare(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    body = {"source_table": SRC, "target_table": TGT, **extra}
    return client.post("/api/v1/lineage/table", json=body, headers=headers)


def _import(
    client: TestClient, headers: dict[str, str], csv: str, kind: str = "table_lineage"
) -> Any:
    resp = client.post(
        "/api/v1/import/validate",
        headers=headers,
        files={"file": ("rows.csv", io.BytesIO(csv.encode()), "text/csv")},
        data={"import_type": kind},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _row_codes(report: dict[str, Any]) -> list[str]:
    return [p["code"] for p in report["problems"]]


def _setup(client: TestClient, world: dict[str, Any], state: str) -> str:
    """An edge SRC -> TGT in ``state``; returns its id."""
    if state == "approved":
        edge = _declare(client, world["steward"], lineage_source="approved").json()
    else:
        edge = _declare(client, world["editor"], lineage_source="inferred").json()
    edge_id = edge["id"]
    if state == "rejected":
        resp = client.post(
            f"/api/v1/lineage/{edge_id}/approve",
            headers=world["steward"],
            json={"approved": False, "comment": "no such job"},
        )
        assert resp.status_code == 200
    if state == "deprecated-approved":
        edge_id = _setup(client, world, "approved")
        resp = client.delete(f"/api/v1/lineage/{edge_id}", headers=world["steward"])
        assert resp.json()["status"] == "deprecated"
    return str(edge_id)


def _edge(client: TestClient, world: dict[str, Any], edge_id: str) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/lineage/{edge_id}", headers=world["viewer"]).json())


@pytest.mark.parametrize(
    ("state", "change", "reason"),
    [
        ("rejected", {}, "LINEAGE_REJECTED"),
        ("approved", {"transformation_logic": "SELECT 2"}, "APPROVED_CHANGE_NEEDS_STEWARD"),
        ("approved", {"confidence": 0.4}, "APPROVED_CHANGE_NEEDS_STEWARD"),
    ],
)
def test_editor_is_refused_the_same_way_through_api_and_import(
    client: TestClient, world: dict[str, Any], state: str, change: dict[str, Any], reason: str
) -> None:
    edge_id = _setup(client, world, state)
    before = _edge(client, world, edge_id)
    api = _declare(client, world["editor"], **change)
    if state == "approved":  # an explicit change goes through PUT; declaring the same is a 409
        api = client.put(f"/api/v1/lineage/{edge_id}", headers=world["editor"], json=change)
    assert api.status_code == 403, api.text
    assert api.json()["error"]["details"]["reason"] == reason
    columns = ",".join(["source_table", "target_table", *change])
    values = ",".join([SRC, TGT, *(str(v) for v in change.values())])
    report = _import(client, world["editor"], f"{columns}\n{values}\n")
    assert _row_codes(report) == [reason]
    after = _edge(client, world, edge_id)
    assert (after["status"], after["lineage_source"], after["version"]) == (
        before["status"],
        before["lineage_source"],
        before["version"],
    )


def test_stewards_may_do_what_editors_may_not(client: TestClient, world: dict[str, Any]) -> None:
    rejected = _setup(client, world, "rejected")
    report = _import(client, world["steward"], f"source_table,target_table\n{SRC},{TGT}\n")
    assert _row_codes(report) == []
    revived = _declare(client, world["steward"])
    assert revived.status_code == 200 and revived.json()["status"] == "active"
    assert revived.json()["id"] == rejected
    changed = client.put(
        f"/api/v1/lineage/{rejected}",
        headers=world["steward"],
        json={"transformation_logic": "SELECT 3"},
    )
    assert changed.status_code == 200


def test_an_editor_cannot_delete_an_approved_edge(
    client: TestClient, world: dict[str, Any]
) -> None:
    edge_id = _setup(client, world, "approved")
    resp = client.delete(f"/api/v1/lineage/{edge_id}", headers=world["editor"])
    assert resp.status_code == 403
    assert resp.json()["error"]["details"]["reason"] == "APPROVED_CHANGE_NEEDS_STEWARD"
    assert _edge(client, world, edge_id)["status"] == "active"


def test_a_deprecated_approved_edge_revived_by_an_editor_comes_back_manual(
    client: TestClient, world: dict[str, Any]
) -> None:
    edge_id = _setup(client, world, "deprecated-approved")
    report = _import(client, world["editor"], f"source_table,target_table\n{SRC},{TGT}\n")
    assert _row_codes(report) == []
    revived = _declare(client, world["editor"])
    assert revived.status_code == 200, revived.text
    body = revived.json()
    assert body["id"] == edge_id
    assert (body["status"], body["lineage_source"]) == ("active", "manual")
    assert body["approved_by"] is None and body["approved_at"] is None


def test_an_approved_row_exported_and_imported_back_by_an_editor_is_unchanged(
    client: TestClient, world: dict[str, Any]
) -> None:
    _setup(client, world, "approved")
    report = _import(
        client, world["editor"], f"source_table,target_table,lineage_source\n{SRC},{TGT},approved\n"
    )
    assert _row_codes(report) == []
    assert report["sheets"][0]["counts"]["unchanged"] == 1


def test_source_rows_need_an_admin(client: TestClient, world: dict[str, Any]) -> None:
    csv_new = "name,type,description\nfresh,manual,made by a file\n"
    csv_change = "name,type,description,is_active\nprod,manual,renamed,false\n"
    csv_same = "name,type\nprod,manual\n"
    for role in ("editor", "steward"):
        assert _row_codes(_import(client, world[role], csv_new, "sources")) == [
            "SOURCE_NEEDS_ADMIN"
        ]
        assert _row_codes(_import(client, world[role], csv_change, "sources")) == [
            "SOURCE_NEEDS_ADMIN"
        ]
        assert _row_codes(_import(client, world[role], csv_same, "sources")) == []
    assert _row_codes(_import(client, world["admin"], csv_new, "sources")) == []
    assert _row_codes(_import(client, world["admin"], csv_change, "sources")) == []


def test_import_jobs_are_readable_by_their_creator_stewards_and_admins(
    client: TestClient, auth_headers: Any, world: dict[str, Any], db_session: Session
) -> None:
    resp = client.post(
        "/api/v1/import/execute",
        headers=world["editor"],
        files={"file": ("rows.csv", io.BytesIO(b"source_table,target_table\nx.y.z,a.b.c\n"))},
        data={"import_type": "table_lineage"},
    )
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    db_session.execute(
        text(
            "INSERT INTO users (id, email, password_hash, role) VALUES (gen_random_uuid(), 'other@example.com', 'x', 'editor')"
        )
    )
    db_session.flush()
    from ariadne_core.security.tokens import issue_token

    other = {
        "Authorization": "Bearer "
        + issue_token(
            client.app.state.services.settings, subject="other@example.com", role="editor"
        ).access_token  # type: ignore[attr-defined]
    }
    url = f"/api/v1/import/jobs/{job_id}"
    assert client.get(url, headers=other).status_code == 404
    assert client.get(url + "/error-report", headers=other).status_code == 404
    for role in ("editor", "steward", "admin"):
        assert client.get(url, headers=world[role]).status_code == 200, role
