"""Every read route's real response matches the schema it declares in OpenAPI.

Several reads are written as JSON by PostgreSQL (table list and detail, search) or
served as cached bytes (traversal, impact), bypassing FastAPI's response validation, so
nothing else would notice a key the schema does not declare, a declared key that is
missing, or a value of another type. Each response is checked against its OpenAPI schema
made strict: an object may hold no key its schema does not list.
"""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path
from typing import Any

import jsonschema
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.models import UserRole
from ariadne_core.harvest.service import create_sync_job
from ariadne_core.importing import jobs
from ariadne_core.lineage.edges import Actor
from ariadne_core.observed.process import DrainReport, process_events
from ariadne_core.security.secrets import keyring_for

# GET routes that answer with a file or text, not JSON: no JSON schema to hold them to.
NOT_JSON = {
    "/metrics",
    "/api/v1/import/jobs/{job_id}/error-report",
    "/api/v1/import/templates/{import_type}",
    "/api/v1/export/metadata",
}


def _strict(schema: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``schema`` with its references inlined and every object closed to unlisted keys."""
    if isinstance(schema, list):
        return [_strict(s, components, seen) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        assert name not in seen, f"recursive schema {name}"
        return _strict(components[name], components, (*seen, name))
    out = {k: _strict(v, components, seen) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _check(openapi: dict[str, Any], template: str, body: Any) -> None:
    operation = openapi["paths"][template]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    schema = _strict(copy.deepcopy(content["schema"]), openapi["components"]["schemas"])
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"GET {template}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:5]
    )


def _seed(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = client.post(path, json=body, headers=admin)
        assert resp.status_code in (200, 201), resp.text
        return dict(resp.json())

    source = post("/api/v1/sources", {"name": "shop", "type": "manual"})["id"]
    tables = {
        name: post(
            "/api/v1/tables",
            {
                "source_id": source,
                "schema_name": "public",
                "name": name,
                "description": f"the {name}",
                "owner": "data-team",
                "tags": [],
            },
        )["id"]
        for name in ("orders", "revenue", "report")
    }
    fields = {
        name: post(
            "/api/v1/fields",
            {"table_id": tables[name], "name": "amount", "data_type": "numeric"},
        )["id"]
        for name in tables
    }
    client.put(f"/api/v1/tables/{tables['orders']}", json={"owner": "sales"}, headers=admin)
    edge = post(
        "/api/v1/lineage/table",
        {"source_table_id": tables["orders"], "target_table_id": tables["revenue"]},
    )["id"]
    post(
        "/api/v1/lineage/table",
        {
            "source_table_id": tables["revenue"],
            "target_table_id": tables["report"],
            "lineage_source": "inferred",
            "confidence": 0.6,
        },
    )
    post(
        "/api/v1/lineage/field",
        {"source_field_id": fields["orders"], "target_field_id": fields["revenue"]},
    )
    harvested = post(
        "/api/v1/sources",
        {
            "name": "pg",
            "type": "postgresql",
            "connection_config": {
                "host": "127.0.0.1",
                "port": 5432,
                "database": "shop",
                "username": "reader",
                "password": "not-a-real-one",
            },
        },
    )["id"]
    return {
        "source": source,
        "harvested": harvested,
        "orders": tables["orders"],
        "revenue": tables["revenue"],
        "field": fields["orders"],
        "edge": edge,
    }


def test_every_read_route_answers_in_its_declared_schema(
    client: TestClient,
    auth_headers: Any,
    db_session: Session,
    settings: Settings,
    users: dict[str, str],
    tmp_path: Path,
) -> None:
    admin = auth_headers("admin")
    ids = _seed(client, admin)
    sync_job = create_sync_job(
        db_session,
        uuid.UUID(ids["harvested"]),
        full_sync=False,
        trigger="api",
        actor=users["admin"],
    )
    upload = tmp_path / "lineage.csv"
    upload.write_text("source_table,target_table\nshop.public.orders,shop.public.report\n")
    import_job = jobs.create_job(
        db_session,
        settings,
        upload=upload,
        file_name=upload.name,
        import_type="table_lineage",
        mode="all_or_nothing",
        replace=False,
        actor=Actor(users["admin"], UserRole.ADMIN),
    )
    db_session.flush()
    # an observed run (processed here, in the test's transaction) and an API key
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-01T04:00:00Z",
        "producer": "https://example.com/etl",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "cron", "name": "report"},
        "inputs": [{"namespace": "ariadne", "name": "shop.public.orders"}],
        "outputs": [{"namespace": "s3://elsewhere", "name": "report.csv"}],
    }
    process_events(db_session, keyring_for(settings), [(1, event)], DrainReport())
    created = client.post(
        "/api/v1/api-keys", headers=admin, json={"name": "etl", "scopes": ["lineage:ingest"]}
    )
    assert created.status_code == 201, created.text
    # a schema change of orders.amount (a field with lineage), its impact and a digest
    # planned for a webhook
    from ariadne_core.schema_changes import service as changes
    from ariadne_core.schema_changes.classify import FieldState, TableState
    from ariadne_core.schema_changes.process import process_pending
    from ariadne_core.schema_changes.record import SchemaDiffs, record_changes

    changes.create_webhook(
        db_session,
        keyring_for(settings),
        changes.WebhookInput(name="alerts", url="https://hooks.example.com/x/secret-token"),
        actor_email=users["admin"],
        actor_role=UserRole.ADMIN,
    )
    orders_id, amount_id = uuid.UUID(ids["orders"]), uuid.UUID(ids["field"])
    before = TableState(orders_id, "shop.public.orders", "table")
    before.fields["amount"] = FieldState(amount_id, "amount", "numeric(10,2)", True, False, 1)
    after = TableState(orders_id, "shop.public.orders", "table")
    after.fields["amount"] = FieldState(amount_id, "amount", "integer", True, False, 1)
    diffs = SchemaDiffs(compared=[(before, after)])
    assert record_changes(db_session, uuid.UUID(ids["source"]), diffs) == 1
    assert process_pending(db_session, settings).deliveries == 1
    table, field, edge, source = ids["orders"], ids["field"], ids["edge"], ids["source"]
    reads = {
        "/healthz": ["/healthz"],
        "/readyz": ["/readyz"],
        "/api/v1/auth/me": ["/api/v1/auth/me"],
        "/api/v1/users": ["/api/v1/users"],
        "/api/v1/sources": ["/api/v1/sources"],
        "/api/v1/sources/{source_id}": [
            f"/api/v1/sources/{source}",
            f"/api/v1/sources/{ids['harvested']}",
        ],
        "/api/v1/sources/{source_id}/sync-jobs": [f"/api/v1/sources/{ids['harvested']}/sync-jobs"],
        "/api/v1/sources/sync-jobs/{job_id}": [f"/api/v1/sources/sync-jobs/{sync_job.id}"],
        "/api/v1/tables": ["/api/v1/tables", "/api/v1/tables?search=rev&sort=-name"],
        "/api/v1/tables/{table_id}": [f"/api/v1/tables/{table}"],
        "/api/v1/tables/{table_id}/history": [f"/api/v1/tables/{table}/history"],
        "/api/v1/tables/{table_id}/fields": [f"/api/v1/tables/{table}/fields"],
        "/api/v1/search": ["/api/v1/search?q=amount", "/api/v1/search?q=orders&type=table"],
        "/api/v1/lineage/table/{node_id}/upstream": [
            f"/api/v1/lineage/table/{ids['revenue']}/upstream?include_fields=true"
        ],
        "/api/v1/lineage/table/{node_id}/downstream": [
            f"/api/v1/lineage/table/{table}/downstream",
            f"/api/v1/lineage/table/{table}/downstream?include_fields=true",
        ],
        "/api/v1/lineage/field/{node_id}/upstream": [f"/api/v1/lineage/field/{field}/upstream"],
        "/api/v1/lineage/field/{node_id}/downstream": [f"/api/v1/lineage/field/{field}/downstream"],
        "/api/v1/lineage/impact/{table_id}": [
            f"/api/v1/lineage/impact/{table}?change_type=drop",
            f"/api/v1/lineage/impact/{table}?change_type=rename&field_id={field}",
        ],
        "/api/v1/lineage/review": ["/api/v1/lineage/review"],
        "/api/v1/lineage/{lineage_id}": [f"/api/v1/lineage/{edge}"],
        "/api/v1/lineage/{lineage_id}/history": [f"/api/v1/lineage/{edge}/history"],
        "/api/v1/import/jobs/{job_id}": [f"/api/v1/import/jobs/{import_job.id}"],
        "/api/v1/lineage/verification": [
            "/api/v1/lineage/verification",
            "/api/v1/lineage/verification?kind=field&window_days=3650",
        ],
        "/api/v1/lineage/observed/status": ["/api/v1/lineage/observed/status"],
        "/api/v1/lineage/observed/datasets": ["/api/v1/lineage/observed/datasets?matched=false"],
        "/api/v1/api-keys": ["/api/v1/api-keys"],
        "/api/v1/schema-changes": [
            "/api/v1/schema-changes",
            f"/api/v1/schema-changes?table_id={table}&severity=breaking&acknowledged=false",
        ],
        "/api/v1/schema-changes/{event_id}": [
            f"/api/v1/schema-changes/{_first_event(client, admin)}"
        ],
        "/api/v1/notifications/webhooks": ["/api/v1/notifications/webhooks"],
        "/api/v1/notifications/deliveries": ["/api/v1/notifications/deliveries"],
    }
    openapi = client.get("/openapi.json").json()
    declared = {
        path for path, item in openapi["paths"].items() if "get" in item and path not in NOT_JSON
    }
    assert declared == set(reads), "a read route is missing from this test (or gone)"
    for template, paths in reads.items():
        for path in paths:
            resp = client.get(path, headers=admin)
            assert resp.status_code == 200, f"{path}: {resp.text}"
            body = resp.json()
            assert body not in ([], {}, None), f"{path}: an empty answer checks nothing"
            _check(openapi, template, body)
            if isinstance(body, dict) and "items" in body:
                assert body["items"], f"{path}: an empty page checks nothing"


def _first_event(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/v1/schema-changes", headers=headers).json()["items"][0]["id"])


def test_the_strict_check_catches_an_undeclared_key(client: TestClient) -> None:
    """The check can fail: a key the schema does not list is reported."""
    openapi = client.get("/openapi.json").json()
    body = {"status": "ok", "surprise": 1}
    try:
        _check(openapi, "/healthz", body)
    except AssertionError as exc:
        assert re.search(r"surprise", str(exc))
    else:
        raise AssertionError("an undeclared key passed the check")
