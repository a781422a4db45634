"""Small builders shared by the catalog API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def make_source(client: TestClient, headers: dict[str, str], name: str = "prod") -> dict[str, Any]:
    resp = client.post("/api/v1/sources", json={"name": name, "type": "manual"}, headers=headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def make_table(
    client: TestClient,
    headers: dict[str, str],
    source_id: str,
    name: str,
    schema: str | None = "sales",
    **extra: Any,
) -> dict[str, Any]:
    body = {"source_id": source_id, "schema_name": schema, "name": name, **extra}
    resp = client.post("/api/v1/tables", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def make_field(
    client: TestClient, headers: dict[str, str], table_id: str, name: str, **extra: Any
) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/fields", json={"table_id": table_id, "name": name, **extra}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())
