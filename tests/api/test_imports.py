"""The Bulk Import/Export API on a database that really commits, with the job runner
in a thread of the API (the Dagster path is tested in tests/pipelines and end to end)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import sqlalchemy_url
from ariadne_core.db.models import SourceType, TableLineage, User, UserRole
from ariadne_core.security.secrets import keyring_for
from ariadne_core.security.tokens import issue_token

GOOD = (
    "source_table,target_table\n"
    "shop.public.orders,dw.marts.revenue\n"
    "shop.public.customers,dw.marts.revenue\n"
)
BAD = GOOD + "shop.public.ordrs,dw.marts.revenue\n"


@pytest.fixture(scope="module")
def committed(make_database: Any, tmp_path_factory: Any, password_hash: str) -> Iterator[Any]:
    """A migrated database of its own, a small catalog, users of every role."""
    url = str(make_database("ariadne_import"))
    migrate.upgrade(url)
    engine = create_engine(sqlalchemy_url(url), pool_size=5)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=tmp_path_factory.mktemp("home"),
        database_url=url,
        jwt_secret="test-secret-" + "x" * 32,
        import_runner="thread",
        import_max_bytes=64 * 1024,
        lineage_cache=False,
        demo=False,
    )
    with Session(engine) as session:
        keyring = keyring_for(settings)
        for role in UserRole:
            session.add(
                User(email=f"{role.value}@example.com", password_hash=password_hash, role=role)
            )
        for name, schema, tables in (
            ("shop", "public", ("orders", "customers")),
            ("dw", "marts", ("revenue",)),
        ):
            source = create_source(session, keyring, SourceInput(name, SourceType.MANUAL), "seed")
            for table_name in tables:
                table = create_table(
                    session, TableInput(source.id, table_name, schema_name=schema), "seed"
                )
                create_field(session, FieldInput(table.id, "amount"), "seed")
        session.commit()
    yield engine, settings
    engine.dispose()


@pytest.fixture
def api(committed: Any) -> Iterator[tuple[TestClient, Any, Engine]]:
    from ariadne_api.main import create_app

    engine, settings = committed

    def headers(role: str) -> dict[str, str]:
        token = issue_token(settings, subject=f"{role}@example.com", role=role)
        return {"Authorization": f"Bearer {token.access_token}"}

    with TestClient(create_app(settings, engine)) as client:
        yield client, headers, engine
    with engine.begin() as conn:
        conn.execute(TableLineage.__table__.delete())


def _upload(name: str, content: str | bytes) -> dict[str, Any]:
    return {"file": (name, content if isinstance(content, bytes) else content.encode())}


def _wait(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/import/jobs/{job_id}", headers=headers).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"import job {job_id} did not finish: {body}")


def _edge_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TableLineage)).scalar() or 0)


def test_validate_previews_and_writes_nothing(api: Any) -> None:
    client, headers, engine = api
    response = client.post(
        "/api/v1/import/validate",
        headers=headers("editor"),
        files=_upload("l.csv", BAD),
        data={"import_type": "table_lineage"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False and body["counts"]["create"] == 2
    assert body["counts"]["error"] == 1
    assert body["rows"] == [
        {"sheet": "table_lineage", "row": 2, "status": "create"},
        {"sheet": "table_lineage", "row": 3, "status": "create"},
        {"sheet": "table_lineage", "row": 4, "status": "error"},
    ]
    problem = body["problems"][0]
    assert problem["row"] == 4 and problem["column"] == "source_table"
    assert "Did you mean 'shop.public.orders'?" in problem["message"]
    assert body["graph"]["edges_added"] == 2
    assert _edge_count(engine) == 0


def test_execute_runs_a_job_to_completion(api: Any) -> None:
    client, headers, engine = api
    response = client.post(
        "/api/v1/import/execute",
        headers=headers("editor"),
        files=_upload("l.csv", GOOD),
        data={"import_type": "table_lineage"},
    )
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["status_url"] == f"/api/v1/import/jobs/{created['job_id']}"
    job = _wait(client, headers("editor"), created["job_id"])
    assert job["status"] == "succeeded" and job["progress_percent"] == 100.0
    assert job["counts"]["create"] == 2 and job["errors"] == []
    assert job["error_report_url"] is None
    assert job["report"]["graph"]["table_edges_added"] == 2
    assert job["created_by"] == "editor@example.com"
    assert _edge_count(engine) == 2


def test_failed_all_or_nothing_job_writes_nothing_and_offers_an_error_report(api: Any) -> None:
    client, headers, engine = api
    created = client.post(
        "/api/v1/import/execute",
        headers=headers("editor"),
        files=_upload("lineage.csv", BAD),
        data={"import_type": "table_lineage"},
    ).json()
    job = _wait(client, headers("editor"), created["job_id"])
    assert job["status"] == "failed" and _edge_count(engine) == 0
    assert "1 of 3 rows have errors" in job["error_message"]
    report = client.get(job["error_report_url"], headers=headers("editor"))
    assert report.status_code == 200
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["source_table", "target_table", "error"]
    assert rows[1][2] == "" and rows[2][2] == ""
    assert rows[3][:2] == ["shop.public.ordrs", "dw.marts.revenue"]
    assert rows[3][2].startswith("Row 4: the source table 'shop.public.ordrs'")


def test_skip_errors_writes_the_valid_rows(api: Any) -> None:
    client, headers, engine = api
    created = client.post(
        "/api/v1/import/execute",
        headers=headers("editor"),
        files=_upload("l.csv", BAD),
        data={"import_type": "table_lineage", "skip_errors": "true"},
    ).json()
    job = _wait(client, headers("editor"), created["job_id"])
    assert job["status"] == "succeeded" and job["mode"] == "skip_errors"
    assert job["counts"]["error"] == 1 and _edge_count(engine) == 2


def test_permissions_and_bad_requests(api: Any) -> None:
    client, headers, _ = api
    upload = {"files": _upload("l.csv", GOOD), "data": {"import_type": "table_lineage"}}
    assert client.post("/api/v1/import/validate", **upload).status_code == 401
    forbidden = client.post("/api/v1/import/validate", headers=headers("viewer"), **upload)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "PERMISSION_DENIED"
    wrong_type = client.post(
        "/api/v1/import/validate",
        headers=headers("editor"),
        files=_upload("l.csv", GOOD),
        data={"import_type": "lineage_things"},
    )
    assert wrong_type.status_code == 422
    assert "table_lineage" in wrong_type.json()["error"]["message"]
    pdf = client.post(
        "/api/v1/import/validate",
        headers=headers("editor"),
        files=_upload("l.pdf", b"%PDF"),
        data={"import_type": "table_lineage"},
    )
    assert pdf.status_code == 422 and ".xlsx" in pdf.json()["error"]["message"]
    missing = client.get(
        "/api/v1/import/jobs/00000000-0000-0000-0000-000000000000", headers=headers("editor")
    )
    assert missing.status_code == 404


def test_file_over_the_limit_gets_413(api: Any) -> None:
    client, headers, _ = api
    big = GOOD + "shop.public.orders,dw.marts.revenue\n" * 3000  # > 64 KiB
    response = client.post(
        "/api/v1/import/validate",
        headers=headers("editor"),
        files=_upload("l.csv", big),
        data={"import_type": "table_lineage"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_bytes"] == 64 * 1024


def test_binary_file_gets_a_clear_problem_not_a_500(api: Any) -> None:
    client, headers, _ = api
    response = client.post(
        "/api/v1/import/validate",
        headers=headers("editor"),
        files=_upload("l.csv", b"\x00\x01\x02\xff" * 100),
        data={"import_type": "table_lineage"},
    )
    assert response.status_code == 200
    assert [p["code"] for p in response.json()["problems"]] == ["FILE_NOT_TEXT"]


def test_templates_and_export(api: Any, tmp_path: Path) -> None:
    client, headers, _ = api
    template = client.get(
        "/api/v1/import/templates/table_lineage",
        params={"format": "csv"},
        headers=headers("viewer"),
    )
    assert template.status_code == 200
    assert template.text.splitlines()[0].startswith("source_table,target_table")
    assert "attachment" in template.headers["content-disposition"]
    workbook_csv = client.get(
        "/api/v1/import/templates/workbook", params={"format": "csv"}, headers=headers("viewer")
    )
    assert workbook_csv.status_code == 422
    export = client.get(
        "/api/v1/export/metadata",
        params={"format": "json", "types": ["tables"]},
        headers=headers("viewer"),
    )
    assert export.status_code == 200
    assert {row["name"] for row in export.json()} == {"orders", "customers", "revenue"}
    xlsx = client.get(
        "/api/v1/export/metadata", params={"format": "xlsx"}, headers=headers("viewer")
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    unknown_tag = client.get(
        "/api/v1/export/metadata", params={"tags": ["nope"]}, headers=headers("viewer")
    )
    assert unknown_tag.status_code == 422


def test_when_dagster_does_not_answer_jobs_run_in_a_bounded_api_pool(
    committed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster down: the job runs in the API and says so, /readyz says so, and beyond the
    pool and its queue a new import is a 503 (its job marked failed, not left pending)."""
    import threading

    from ariadne_api import launcher
    from ariadne_api.main import create_app
    from ariadne_core.runtime.ports import free_port

    engine, settings = committed
    gate = threading.Event()
    real_run_job = launcher.run_job

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return real_run_job(*args, **kwargs)

    monkeypatch.setattr(launcher, "run_job", held)
    down = settings.model_copy(
        update={
            "import_runner": "dagster",
            "dagster_url": f"http://127.0.0.1:{free_port()}",  # nothing listens
            "api_job_threads": 1,
            "api_job_queue": 1,
        }
    )
    editor = {
        "Authorization": "Bearer "
        + issue_token(down, subject="editor@example.com", role="editor").access_token
    }
    with TestClient(create_app(down, engine)) as client:

        def submit() -> Any:
            return client.post(
                "/api/v1/import/execute",
                headers=editor,
                files=_upload("l.csv", GOOD),
                data={"import_type": "table_lineage"},
            )

        first, second = submit(), submit()
        assert first.status_code == second.status_code == 202
        assert first.json()["runner"] == "api-thread" and first.json()["dagster_run_id"] is None
        ready = client.get("/readyz").json()
        assert ready["status"] == "degraded"
        assert ready["checks"]["job_runner"]["status"] == "failed"
        assert "2 import or sync jobs" in ready["checks"]["job_runner"]["detail"]
        third = submit()
        assert third.status_code == 503, third.text
        refused_id = third.json()["error"]["details"]["job_id"]
        refused = client.get(f"/api/v1/import/jobs/{refused_id}", headers=editor).json()
        assert refused["status"] == "failed" and refused["runner"] == "api-thread"
        assert "not started" in refused["error_message"]
        gate.set()
        for created in (first, second):
            job = _wait(client, editor, created.json()["job_id"])
            assert job["runner"] == "api-thread" and job["status"] in ("succeeded", "failed")
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["checks"]["job_runner"]["status"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.1)
