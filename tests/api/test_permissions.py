"""The permission matrix: each role against each catalog write route, and 401 without a token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.catalog_helpers import make_field, make_source, make_table

ROLES = ("viewer", "editor", "steward", "admin")
# route -> the least role allowed to call it
WRITE_ROUTES = {
    "create source": "admin",
    "update source": "admin",
    "delete source": "admin",
    "create table": "editor",
    "update table": "editor",
    "delete table": "editor",
    "create field": "editor",
    "update field": "editor",
    "delete field": "editor",
}
READ_ROUTES = [
    "/api/v1/sources",
    "/api/v1/tables",
    "/api/v1/search?q=orders",
    "/api/v1/tables/{table}",
    "/api/v1/tables/{table}/fields",
    "/api/v1/tables/{table}/history",
    "/api/v1/sources/{source}",
]


def _call(client: TestClient, route: str, headers: dict[str, str], ids: dict[str, str]) -> Any:
    calls = {
        "create source": ("post", "/api/v1/sources", {"name": "another", "type": "manual"}),
        "update source": ("put", f"/api/v1/sources/{ids['empty_source']}", {"description": "x"}),
        "delete source": ("delete", f"/api/v1/sources/{ids['empty_source']}", None),
        "create table": ("post", "/api/v1/tables", {"source_id": ids["source"], "name": "new_t"}),
        "update table": ("put", f"/api/v1/tables/{ids['table']}", {"description": "x"}),
        "delete table": ("delete", f"/api/v1/tables/{ids['table']}", None),
        "create field": ("post", "/api/v1/fields", {"table_id": ids["table"], "name": "new_f"}),
        "update field": ("put", f"/api/v1/fields/{ids['field']}", {"description": "x"}),
        "delete field": ("delete", f"/api/v1/fields/{ids['field']}", None),
    }
    method, url, body = calls[route]
    return client.request(method, url, json=body, headers=headers)


@pytest.fixture
def ids(client: TestClient, auth_headers: Any) -> dict[str, str]:
    admin = auth_headers("admin")
    source = make_source(client, admin, "prod")
    empty = make_source(client, admin, "empty")
    table = make_table(client, admin, source["id"], "orders")
    column = make_field(client, admin, table["id"], "id")
    return {
        "source": source["id"],
        "empty_source": empty["id"],
        "table": table["id"],
        "field": column["id"],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(WRITE_ROUTES))
def test_write_matrix(
    client: TestClient, auth_headers: Any, ids: dict[str, str], role: str, route: str
) -> None:
    resp = _call(client, route, auth_headers(role), ids)
    allowed = ROLES.index(role) >= ROLES.index(WRITE_ROUTES[route])
    if allowed:
        assert resp.status_code in (200, 201, 204), resp.text
    else:
        assert resp.status_code == 403, resp.text
        error = resp.json()["error"]
        assert error["code"] == "PERMISSION_DENIED"
        assert error["details"] == {"required_role": WRITE_ROUTES[route], "your_role": role}


@pytest.mark.parametrize("route", list(WRITE_ROUTES))
def test_writes_without_a_token_are_401(
    client: TestClient, ids: dict[str, str], route: str
) -> None:
    resp = _call(client, route, {}, ids)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_every_role_reads_and_nobody_reads_anonymously(
    client: TestClient, auth_headers: Any, ids: dict[str, str]
) -> None:
    for template in READ_ROUTES:
        url = template.format(table=ids["table"], source=ids["source"])
        assert client.get(url).status_code == 401, url
        for role in ROLES:
            assert client.get(url, headers=auth_headers(role)).status_code == 200, (role, url)
