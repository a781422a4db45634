"""Every route in /openapi.json, called with no token, an expired token and each role.

ROUTES says who may call each route. A route added to the API without an entry here fails
`test_every_route_is_in_the_matrix`, so no route can be forgotten."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from ariadne_core.config import Settings

ROLES = ("viewer", "editor", "steward", "admin")
PUBLIC = "public"
ROUTES: dict[str, str] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,  # unless ARIADNE_METRICS_TOKEN is set (tests/api/test_hardening.py)
    "POST /api/v1/auth/login": PUBLIC,
    "POST /api/v1/auth/logout": "viewer",
    "GET /api/v1/auth/me": "viewer",
    "GET /api/v1/users": "admin",
    "POST /api/v1/users": "admin",
    "PATCH /api/v1/users/{user_id}": "admin",
    "GET /api/v1/sources": "viewer",
    "POST /api/v1/sources": "admin",
    "GET /api/v1/sources/{source_id}": "viewer",
    "PUT /api/v1/sources/{source_id}": "admin",
    "DELETE /api/v1/sources/{source_id}": "admin",
    "POST /api/v1/sources/test-connection": "admin",
    "POST /api/v1/sources/{source_id}/sync": "editor",
    "GET /api/v1/sources/sync-jobs/{job_id}": "viewer",
    "GET /api/v1/sources/{source_id}/sync-jobs": "viewer",
    "GET /api/v1/tables": "viewer",
    "POST /api/v1/tables": "editor",
    "GET /api/v1/tables/{table_id}": "viewer",
    "PUT /api/v1/tables/{table_id}": "editor",
    "DELETE /api/v1/tables/{table_id}": "editor",
    "GET /api/v1/tables/{table_id}/history": "viewer",
    "GET /api/v1/tables/{table_id}/fields": "viewer",
    "POST /api/v1/fields": "editor",
    "PUT /api/v1/fields/{field_id}": "editor",
    "DELETE /api/v1/fields/{field_id}": "editor",
    "GET /api/v1/search": "viewer",
    "GET /api/v1/lineage/table/{node_id}/upstream": "viewer",
    "GET /api/v1/lineage/table/{node_id}/downstream": "viewer",
    "GET /api/v1/lineage/field/{node_id}/upstream": "viewer",
    "GET /api/v1/lineage/field/{node_id}/downstream": "viewer",
    "GET /api/v1/lineage/impact/{table_id}": "viewer",
    "POST /api/v1/lineage/table": "editor",
    "POST /api/v1/lineage/field": "editor",
    "GET /api/v1/lineage/review": "viewer",
    "POST /api/v1/lineage/review/decisions": "steward",
    # anyone previews; submit=true needs an editor (tests/inference/test_infer_api.py)
    "POST /api/v1/lineage/infer": "viewer",
    "GET /api/v1/lineage/{lineage_id}": "viewer",
    "PUT /api/v1/lineage/{lineage_id}": "editor",
    "DELETE /api/v1/lineage/{lineage_id}": "editor",
    "POST /api/v1/lineage/{lineage_id}/approve": "steward",
    "POST /api/v1/lineage/{lineage_id}/reopen": "steward",
    "GET /api/v1/lineage/{lineage_id}/history": "viewer",
    "POST /api/v1/import/validate": "editor",
    "POST /api/v1/import/execute": "editor",
    "GET /api/v1/import/jobs/{job_id}": "editor",
    "GET /api/v1/import/jobs/{job_id}/error-report": "editor",
    "GET /api/v1/import/templates/{import_type}": "viewer",
    "GET /api/v1/export/metadata": "viewer",
    # the assistant reads for anyone signed in; it never writes lineage (tests/ai)
    "POST /api/v1/ai/search": "viewer",
    "POST /api/v1/ai/query": "viewer",
    "POST /api/v1/ai/explain-lineage": "viewer",
    "POST /api/v1/lineage": "editor",  # or an API key with lineage:ingest (tests/observed)
    "GET /api/v1/lineage/verification": "viewer",
    "GET /api/v1/lineage/observed/status": "viewer",
    "GET /api/v1/lineage/observed/datasets": "viewer",
    "PUT /api/v1/lineage/observed/datasets/{dataset_id}": "admin",
    "POST /api/v1/lineage/observed/jobs/decide": "steward",
    "POST /api/v1/api-keys": "admin",
    "GET /api/v1/api-keys": "admin",
    "DELETE /api/v1/api-keys/{key_id}": "admin",
    "GET /api/v1/schema-changes": "viewer",
    "GET /api/v1/schema-changes/{event_id}": "viewer",
    "POST /api/v1/schema-changes/{event_id}/acknowledge": "editor",
    "POST /api/v1/notifications/webhooks": "admin",
    "GET /api/v1/notifications/webhooks": "admin",
    "PATCH /api/v1/notifications/webhooks/{webhook_id}": "admin",
    "DELETE /api/v1/notifications/webhooks/{webhook_id}": "admin",
    "GET /api/v1/notifications/deliveries": "admin",
    "POST /api/v1/notifications/deliveries/{delivery_id}/retry": "admin",
}
PATH_VALUES = {"import_type": "table_lineage", "dataset_id": "1"}


def _routes(client: TestClient) -> set[str]:
    paths = client.get("/openapi.json").json()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    found = _routes(client)
    assert found - set(ROUTES) == set(), "classify the new routes in ROUTES"
    assert set(ROUTES) - found == set(), "these routes are gone; remove them from ROUTES"


def _call(client: TestClient, route: str, headers: dict[str, str]) -> Any:
    method, template = route.split(" ", 1)
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), str(uuid.uuid4())), template)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, url, json=body, headers=headers)


def _expired(settings: Settings, email: str) -> dict[str, str]:
    past = datetime.now(UTC) - timedelta(hours=3)
    claims = {
        "sub": email,
        "role": "admin",
        "ver": 1,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": past,
        "exp": past + timedelta(minutes=5),
    }
    assert settings.jwt_secret
    return {"Authorization": f"Bearer {jwt.encode(claims, settings.jwt_secret, 'HS256')}"}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_answers_each_caller_by_role(
    client: TestClient,
    auth_headers: Any,
    users: dict[str, str],
    settings: Settings,
    route: str,
) -> None:
    least = ROUTES[route]
    anonymous = _call(client, route, {})
    if least == PUBLIC:
        assert anonymous.status_code not in (401, 403), anonymous.text
        return
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    expired = _call(client, route, _expired(settings, users["admin"]))
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    for role in ROLES:
        resp = _call(client, route, auth_headers(role))
        if ROLES.index(role) < ROLES.index(least):
            assert resp.status_code == 403, (role, resp.text)
            assert resp.json()["error"]["code"] == "PERMISSION_DENIED"
        else:
            assert resp.status_code not in (401, 403), (role, resp.text)
            assert resp.status_code < 500, (role, resp.text)
