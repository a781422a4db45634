"""Data Source API: CRUD, per-type config validation, encryption at rest, masking, RBAC."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ariadne_core.db.models import ChangeHistory, DataSource, MetadataTable

ORACLE = {
    "name": "Production Oracle",
    "type": "oracle",
    "description": "Main production database",
    "connection_config": {
        "host": "oracle.example.com",
        "port": 1521,
        "service_name": "PRODDB",
        "username": "metadata_reader",
        "password": "Tr0ub4dor&3-secret",
    },
}


def _create(client: TestClient, headers: dict[str, str], body: dict[str, Any] = ORACLE) -> Any:
    resp = client.post("/api/v1/sources", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _history(db_session: Session, source_id: str) -> list[ChangeHistory]:
    return list(
        db_session.scalars(
            select(ChangeHistory)
            .where(ChangeHistory.entity_id == source_id)
            .order_by(ChangeHistory.id)
        )
    )


def test_create_masks_the_password_and_records_history(
    client: TestClient, auth_headers: Any, db_session: Session
) -> None:
    body = _create(client, auth_headers("admin"))
    assert body["connection_config"]["password"] == "********"
    assert body["connection_config"]["host"] == "oracle.example.com"
    assert body["created_by"] == "admin@example.com"
    fetched = client.get(f"/api/v1/sources/{body['id']}", headers=auth_headers("editor")).json()
    assert fetched == body
    (row,) = _history(db_session, body["id"])
    assert row.action == "create" and row.changed_by == "admin@example.com"
    assert row.changes["name"] == {"before": None, "after": "Production Oracle"}
    assert "Tr0ub4dor" not in str(row.changes)


def test_stored_ciphertext_does_not_contain_the_password(
    client: TestClient, auth_headers: Any, db_session: Session
) -> None:
    body = _create(client, auth_headers("admin"))
    raw, key_id = db_session.execute(
        text(
            "SELECT connection_config_ciphertext, connection_config_key_id FROM data_sources "
            "WHERE id = :id"
        ),
        {"id": body["id"]},
    ).one()
    assert key_id
    assert b"Tr0ub4dor" not in bytes(raw)
    assert b"oracle.example.com" not in bytes(raw)
    assert b"metadata_reader" not in bytes(raw)


def test_missing_host_is_422_naming_the_field(client: TestClient, auth_headers: Any) -> None:
    config = {k: v for k, v in ORACLE["connection_config"].items() if k != "host"}  # type: ignore[attr-defined]
    resp = client.post(
        "/api/v1/sources",
        json={**ORACLE, "connection_config": config},
        headers=auth_headers("admin"),
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["message"] == "connection_config.host is required for a oracle source."
    assert error["details"]["errors"][0]["field"] == "connection_config.host"


def test_config_of_another_type_is_422(client: TestClient, auth_headers: Any) -> None:
    resp = client.post(
        "/api/v1/sources", json={**ORACLE, "type": "elasticsearch"}, headers=auth_headers("admin")
    )
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["error"]["details"]["errors"]}
    assert "connection_config.service_name" in fields


def test_manual_source_takes_no_config(client: TestClient, auth_headers: Any) -> None:
    body = _create(
        client, auth_headers("admin"), {"name": "Finance spreadsheets", "type": "manual"}
    )
    assert body["connection_config"] == {}


def test_duplicate_name_is_409(client: TestClient, auth_headers: Any) -> None:
    first = _create(client, auth_headers("admin"))
    resp = client.post(
        "/api/v1/sources",
        json={**ORACLE, "name": "production oracle"},
        headers=auth_headers("admin"),
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["details"]["existing_id"] == first["id"]


def test_update_keeps_a_masked_secret_and_records_a_diff(
    client: TestClient, auth_headers: Any, db_session: Session
) -> None:
    created = _create(client, auth_headers("admin"))
    # The connection still points at the same place (a moved one drops its secrets:
    # tests/harvest/test_source_secrets.py), so the masked password is kept.
    config = {**created["connection_config"], "owners": ["SALES"]}
    resp = client.put(
        f"/api/v1/sources/{created['id']}",
        headers=auth_headers("admin"),
        json={"connection_config": config, "description": "replica"},
    )
    assert resp.status_code == 200, resp.text
    from ariadne_core.catalog.sources import read_config

    source = db_session.get(DataSource, created["id"])
    assert source is not None
    stored = read_config(client.app.state.services.keyring, source)  # type: ignore[attr-defined]
    assert stored["password"] == "Tr0ub4dor&3-secret"
    assert stored["owners"] == ["SALES"]
    update = _history(db_session, created["id"])[-1]
    assert update.action == "update"
    assert update.changes["description"] == {
        "before": "Main production database",
        "after": "replica",
    }
    assert "secrets_changed" not in update.changes


def test_unchanged_update_writes_no_history(
    client: TestClient, auth_headers: Any, db_session: Session
) -> None:
    created = _create(client, auth_headers("admin"))
    resp = client.put(
        f"/api/v1/sources/{created['id']}",
        headers=auth_headers("admin"),
        json={"description": created["description"]},
    )
    assert resp.status_code == 200
    assert [h.action for h in _history(db_session, created["id"])] == ["create"]


def test_delete_records_history_and_refuses_a_source_with_tables(
    client: TestClient, auth_headers: Any, db_session: Session
) -> None:
    created = _create(client, auth_headers("admin"))
    db_session.add(
        MetadataTable(
            source_id=created["id"],
            name="orders",
            schema_name="sales",
            qualified_name="prod.sales.orders",
        )
    )
    db_session.flush()
    refused = client.delete(f"/api/v1/sources/{created['id']}", headers=auth_headers("admin"))
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["tables"] == 1

    empty = _create(client, auth_headers("admin"), {"name": "Empty", "type": "manual"})
    assert (
        client.delete(f"/api/v1/sources/{empty['id']}", headers=auth_headers("admin")).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/sources/{empty['id']}", headers=auth_headers("admin")).status_code
        == 404
    )
    assert [h.action for h in _history(db_session, empty["id"])] == ["create", "delete"]


def test_list_filters_and_pagination_edges(client: TestClient, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    for i in range(5):
        _create(client, admin, {"name": f"manual-{i}", "type": "manual", "is_active": i % 2 == 0})
    _create(client, admin)
    page = client.get(
        "/api/v1/sources", params={"type": "manual", "size": 2, "page": 3}, headers=admin
    ).json()
    assert (page["total"], page["pages"], page["page"], len(page["items"])) == (5, 3, 3, 1)
    beyond = client.get(
        "/api/v1/sources", params={"type": "manual", "size": 2, "page": 4}, headers=admin
    ).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    inactive = client.get("/api/v1/sources", params={"is_active": False}, headers=admin).json()
    assert {s["name"] for s in inactive["items"]} == {"manual-1", "manual-3"}
    empty = client.get("/api/v1/sources", params={"type": "mongodb"}, headers=admin).json()
    assert empty == {"total": 0, "page": 1, "size": 20, "pages": 0, "items": []}


@pytest.mark.parametrize("params", [{"size": 101}, {"page": 0}, {"type": "db2"}])
def test_bad_query_parameters_are_422(
    client: TestClient, auth_headers: Any, params: dict[str, Any]
) -> None:
    resp = client.get("/api/v1/sources", params=params, headers=auth_headers("viewer"))
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "VALIDATION_FAILED"


def test_malformed_and_unknown_ids(client: TestClient, auth_headers: Any) -> None:
    bad = client.get("/api/v1/sources/not-a-uuid", headers=auth_headers("viewer"))
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["field"] == "source_id"
    missing = client.get(
        "/api/v1/sources/00000000-0000-0000-0000-000000000000", headers=auth_headers("viewer")
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize(
    "role,allowed", [("viewer", False), ("editor", False), ("steward", False), ("admin", True)]
)
def test_permission_matrix_for_source_writes(
    client: TestClient, auth_headers: Any, role: str, allowed: bool
) -> None:
    target = _create(client, auth_headers("admin"), {"name": "target", "type": "manual"})
    headers = auth_headers(role)
    calls = [
        ("post", "/api/v1/sources", {"name": f"new-{role}", "type": "manual"}, 201),
        ("put", f"/api/v1/sources/{target['id']}", {"description": "x"}, 200),
        ("delete", f"/api/v1/sources/{target['id']}", None, 204),
    ]
    for method, url, body, ok_status in calls:
        resp = client.request(method, url, json=body, headers=headers)
        if allowed:
            assert resp.status_code == ok_status, (method, resp.text)
        else:
            assert resp.status_code == 403, (method, resp.text)
            assert resp.json()["error"]["code"] == "PERMISSION_DENIED"
    assert client.get("/api/v1/sources", headers=headers).status_code == 200
    assert client.get("/api/v1/sources").status_code == 401


def test_a_source_whose_tables_were_deleted_is_kept(client: TestClient, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    source = _create(client, admin, {"name": "legacy", "type": "manual"})
    table = client.post(
        "/api/v1/tables", headers=admin, json={"source_id": source["id"], "name": "old_orders"}
    ).json()
    assert client.delete(f"/api/v1/tables/{table['id']}", headers=admin).status_code == 204
    resp = client.delete(f"/api/v1/sources/{source['id']}", headers=admin)
    assert resp.status_code == 409
    assert resp.json()["error"]["details"]["deleted_tables"] == 1
    assert "is_active=false" in resp.json()["error"]["message"]


def test_duplicate_names_outside_ascii_are_409(client: TestClient, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    _create(client, admin, {"name": "Ventes Équipe", "type": "manual"})
    resp = client.post(
        "/api/v1/sources", json={"name": "Ventes Équipe", "type": "manual"}, headers=admin
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "CONFLICT"


def test_update_with_a_null_type_keeps_the_type(client: TestClient, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    source = _create(client, admin, {"name": "keep-type", "type": "manual"})
    resp = client.put(f"/api/v1/sources/{source['id']}", json={"type": None}, headers=admin)
    assert resp.status_code == 200 and resp.json()["type"] == "manual"
