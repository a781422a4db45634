"""The `openlineage` import type: a file of events (JSON lines or a JSON list) through
the preview and execute path, with problems on their rows and the graph effect."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from tests.observed.conftest import LiveApi


def _event(job: str, source: str, target: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-01T04:00:00Z",
        "producer": "https://marquez.example/export",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "spark", "name": job},
        "inputs": [{"namespace": "ariadne", "name": source}],
        "outputs": [{"namespace": "ariadne", "name": target}],
        **extra,
    }


def _upload(api: LiveApi, path: str, name: str, body: bytes, **form: str) -> httpx.Response:
    return httpx.post(
        api.api(path),
        headers=api.headers("editor"),
        files={"file": (name, body)},
        data={"import_type": "openlineage", **form},
        timeout=60,
    )


def test_an_openlineage_file_is_previewed_and_imported(live_api: LiveApi) -> None:
    api = live_api
    admin = api.headers("admin")
    source = httpx.post(
        api.api("/sources"), headers=admin, json={"name": "lake", "type": "manual"}
    ).json()
    for name in ("raw", "clean", "report"):
        resp = httpx.post(
            api.api("/tables"),
            headers=admin,
            json={"source_id": source["id"], "schema_name": "s", "name": name},
        )
        assert resp.status_code == 201, resp.text
    bad = _event("broken", "lake.s.raw", "lake.s.clean")
    bad["run"]["runId"] = "nope"
    lines = [
        json.dumps(_event("clean.py", "lake.s.raw", "lake.s.clean")),
        "",
        json.dumps(bad),
        "{not json",
        json.dumps(_event("report.py", "lake.s.clean", "lake.s.report")),
        json.dumps(_event("push.py", "lake.s.report", "s3/outbox.csv")),
    ]
    body = ("\n".join(lines) + "\n").encode()

    preview = _upload(api, "/import/validate", "events.ndjson", body)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert report["format"] == "ndjson" and report["valid"] is False
    assert report["counts"]["create"] == 3 and report["counts"]["error"] == 2
    problems = {(p["row"], p["code"]) for p in report["problems"]}
    assert {(3, "OL_EVENT_INVALID"), (4, "OL_EVENT_INVALID")} <= problems
    assert any("run.runId" in p["message"] for p in report["problems"] if p["row"] == 3)
    assert (None, "OL_DATASET_UNMATCHED") in problems
    assert report["graph"]["table_edges_added"] == 2  # raw -> clean, clean -> report
    # the preview wrote nothing
    status = httpx.get(api.api("/lineage/observed/status"), headers=admin).json()
    assert status["processed"] == 0

    job = _upload(api, "/import/execute", "events.ndjson", body, mode="skip_errors")
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    deadline = time.monotonic() + 60
    while True:
        state = httpx.get(api.api(f"/import/jobs/{job_id}"), headers=admin).json()
        if state["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state["status"] == "succeeded", state
    queue = httpx.get(api.api("/lineage/review"), headers=api.headers("steward")).json()
    edges = {(e["source_name"], e["target_name"], e["origin"]) for e in queue["items"]}
    assert edges == {
        ("lake.s.raw", "lake.s.clean", "observed"),
        ("lake.s.clean", "lake.s.report", "observed"),
    }
    status = httpx.get(api.api("/lineage/observed/status"), headers=admin).json()
    assert status == {"pending": 0, "failed": 0, "processed": 3}
    error_report = httpx.get(api.api(f"/import/jobs/{job_id}/error-report"), headers=admin)
    assert error_report.status_code == 200
    lines_back = error_report.text.splitlines()
    assert "{not json" in lines_back  # kept as it was, its message on the line before
    marked = [json.loads(x) for x in lines_back if x.startswith('{"')]
    assert any("run.runId" in item.get("error", "") for item in marked)
    assert any("not JSON" in item.get("error", "") for item in marked)

    # a JSON list of events, all good
    listed = json.dumps([_event("clean.py", "lake.s.raw", "lake.s.clean")]).encode()
    ok = _upload(api, "/import/validate", "events.json", listed).json()
    assert ok["valid"] is True and ok["counts"]["create"] == 1
    wrong = _upload(api, "/import/validate", "events.csv", b"a,b\n1,2\n")
    assert wrong.status_code == 422 and "openlineage" in wrong.text
    template = httpx.get(api.api("/import/templates/openlineage"), headers=admin)
    assert template.status_code == 422
    assert httpx.get(api.api("/import/templates/sql"), headers=admin).status_code == 422
