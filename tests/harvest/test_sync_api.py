"""POST /sources/test-connection, POST /sources/{id}/sync and the sync-job status, on a
database that really commits, with the sync runner in a thread of the API (the Dagster
path is covered by test_harvest_pipeline.py and the platform test)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from tests.harvest.conftest import pg_config


def _wait(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/sources/sync-jobs/{job_id}", headers=headers).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"sync job {job_id} did not finish: {body}")


def test_test_connection_reports_success_and_actionable_failures(
    api: Any, shop_source_url: str
) -> None:
    client, headers = api
    body = {
        "name": "candidate",
        "type": "postgresql",
        "connection_config": pg_config(shop_source_url),
    }
    ok = client.post("/api/v1/sources/test-connection", json=body, headers=headers("admin"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["success"] is True and ok.json()["latency_ms"] > 0
    assert ok.json()["message"] == "Connection successful"
    down = {**body, "connection_config": {**body["connection_config"], "port": 1}}
    failed = client.post("/api/v1/sources/test-connection", json=down, headers=headers("admin"))
    assert failed.json() == {
        "success": False,
        "message": "host unreachable: 127.0.0.1:1",
        "latency_ms": failed.json()["latency_ms"],
        "server_version": None,
    }
    no_host = {**body, "connection_config": {"database": "x", "username": "u"}}
    bad = client.post("/api/v1/sources/test-connection", json=no_host, headers=headers("admin"))
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("connection_config.host is required")
    manual = client.post(
        "/api/v1/sources/test-connection",
        json={"name": "m", "type": "manual"},
        headers=headers("admin"),
    )
    assert manual.status_code == 422 and "no connector" in manual.json()["error"]["message"]
    forbidden = client.post("/api/v1/sources/test-connection", json=body, headers=headers("editor"))
    assert forbidden.status_code == 403


def test_sync_launches_a_job_and_the_source_shows_its_status(
    api: Any, shop_source_url: str
) -> None:
    client, headers = api
    created = client.post(
        "/api/v1/sources",
        json={
            "name": "api_shop",
            "type": "postgresql",
            "connection_config": pg_config(shop_source_url),
        },
        headers=headers("admin"),
    )
    assert created.status_code == 201, created.text
    source_id = created.json()["id"]
    assert (
        client.post(f"/api/v1/sources/{source_id}/sync", headers=headers("viewer")).status_code
        == 403
    )

    started = client.post(f"/api/v1/sources/{source_id}/sync", headers=headers("editor"))
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running", "succeeded") and job["trigger"] == "api"
    assert job["dagster_run_id"] is None  # the thread runner
    done = _wait(client, headers("viewer"), job["job_id"])
    assert done["status"] == "succeeded", done
    assert done["counts"]["added"] >= 5 and done["attempts"] == 1
    source = client.get(f"/api/v1/sources/{source_id}", headers=headers("viewer")).json()
    assert source["last_sync_status"] == "success" and source["last_sync_at"] is not None
    assert source["last_sync_error"] is None
    tables = client.get(
        "/api/v1/tables", params={"source_id": source_id}, headers=headers("viewer")
    ).json()
    assert tables["total"] >= 5

    full = client.post(
        f"/api/v1/sources/{source_id}/sync", params={"full_sync": "true"}, headers=headers("editor")
    )
    assert full.status_code == 202 and full.json()["full_sync"] is True
    again = _wait(client, headers("viewer"), full.json()["job_id"])
    assert again["counts"]["history_rows"] == 0
    listed = client.get(f"/api/v1/sources/{source_id}/sync-jobs", headers=headers("viewer"))
    assert [j["job_id"] for j in listed.json()] == [full.json()["job_id"], job["job_id"]]


def test_sync_refusals_use_the_error_body(api: Any) -> None:
    client, headers = api
    manual = client.post(
        "/api/v1/sources", json={"name": "by_hand", "type": "manual"}, headers=headers("admin")
    ).json()
    refused = client.post(f"/api/v1/sources/{manual['id']}/sync", headers=headers("editor"))
    assert refused.status_code == 422
    assert "manual source" in refused.json()["error"]["message"]
    missing = client.post(
        "/api/v1/sources/00000000-0000-0000-0000-000000000000/sync", headers=headers("editor")
    )
    assert missing.status_code == 404
    unknown_job = client.get(
        "/api/v1/sources/sync-jobs/00000000-0000-0000-0000-000000000000", headers=headers("viewer")
    )
    assert unknown_job.status_code == 404 and unknown_job.json()["error"]["code"]
    bad_id = client.get("/api/v1/sources/sync-jobs/not-a-uuid", headers=headers("viewer"))
    assert bad_id.status_code == 422


def test_lineage_reads_run_on_the_autocommit_read_session(api: Any, shop_source_url: str) -> None:
    """No dependency override here: the real read session (autocommit) answers, and sees
    what the sync committed a moment before."""
    client, headers = api
    source = client.post(
        "/api/v1/sources",
        json={
            "name": "read_shop",
            "type": "postgresql",
            "connection_config": pg_config(shop_source_url),
        },
        headers=headers("admin"),
    ).json()
    job = client.post(f"/api/v1/sources/{source['id']}/sync", headers=headers("editor")).json()
    assert _wait(client, headers("viewer"), job["job_id"])["status"] == "succeeded"
    table = client.get(
        "/api/v1/tables", params={"source_id": source["id"], "size": 1}, headers=headers("viewer")
    ).json()["items"][0]
    graph = client.get(f"/api/v1/lineage/table/{table['id']}/upstream", headers=headers("viewer"))
    assert graph.status_code == 200, graph.text
    assert graph.json()["nodes"] == [
        {"id": table["id"], "qualified_name": table["qualified_name"], "type": "table", "depth": 0}
    ]
    missing = client.get(
        "/api/v1/lineage/table/00000000-0000-0000-0000-000000000000/upstream",
        headers=headers("viewer"),
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["details"] == {
        "table_id": "00000000-0000-0000-0000-000000000000"
    }
