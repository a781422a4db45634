"""The `sql` import type through the real import API: preview with per-statement
problems and the graph effect, execute as a job, hostile archives refused."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from typing import Any

import pytest
from sqlalchemy import Engine

from ariadne_core.security.secrets import Keyring
from tests.harvest.conftest import make_pg_source

LOAD = b"""-- dialect: postgres
-- source: lake
INSERT INTO mart.daily (day, total)
SELECT created_at::date, sum(amount) FROM raw.payments GROUP BY 1;

INSERT INTO mart.daily SELEC broken FROM;

INSERT INTO mart.daily (day, total) SELECT day, amount FROM raw.not_harvested;
"""
COPY = b"""-- dialect: postgres
-- source: lake
CREATE TABLE mart.copy AS SELECT id, amount FROM raw.payments;
"""


@pytest.fixture(scope="module")
def source(catalog_engine: Engine, keyring: Keyring, make_database: Any) -> uuid.UUID:
    ddl = (
        "CREATE SCHEMA raw; CREATE SCHEMA mart; "
        "CREATE TABLE raw.payments (id int, amount numeric, created_at timestamptz); "
        "CREATE TABLE mart.daily (day date, total numeric); "
        "CREATE TABLE mart.copy (id int, amount numeric);"
    )
    return make_pg_source(catalog_engine, keyring, make_database, "lake", ddl)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_preview_reports_each_statement_by_line(api: Any, source: uuid.UUID) -> None:
    client, headers = api
    response = client.post(
        "/api/v1/import/validate",
        data={"import_type": "sql"},
        files={"file": ("etl.zip", _zip({"etl/load.sql": LOAD, "etl/copy.sql": COPY}))},
        headers=headers("editor"),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["format"] == "zip" and report["committed"] is False
    assert [s["name"] for s in report["sheets"]] == ["etl/copy.sql", "etl/load.sql"]
    problems = {(p["sheet"], p["row"], p["code"]) for p in report["problems"]}
    assert ("etl/load.sql", 6, "SQL_STATEMENT_UNREADABLE") in problems
    assert any(
        p["code"] == "SQL_TABLE_UNKNOWN" and "not_harvested" in p["message"]
        for p in report["problems"]
    )
    unreadable = next(p for p in report["problems"] if p["code"] == "SQL_STATEMENT_UNREADABLE")
    assert unreadable["message"].startswith("Line 6: this statement could not be read as postgres")
    assert report["graph"]["table_edges_added"] == 2  # payments -> daily, payments -> copy
    assert report["graph"]["field_edges_added"] == 4
    assert report["valid"] is False  # one statement is an error


def test_execute_writes_proposals_for_review(api: Any, source: uuid.UUID) -> None:
    client, headers = api
    created = client.post(
        "/api/v1/import/execute",
        data={"import_type": "sql", "mode": "skip_errors"},
        files={"file": ("load.sql", LOAD)},
        headers=headers("editor"),
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/import/jobs/{job_id}", headers=headers("editor")).json()
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    # the error report is the script, each problem a comment above its statement
    report = client.get(job["error_report_url"], headers=headers("editor"))
    assert report.status_code == 200, report.text
    lines = report.text.splitlines()
    broken = lines.index("INSERT INTO mart.daily SELEC broken FROM;")
    assert lines[broken - 1].startswith("-- ariadne: Line 6: this statement could not be read")
    queue = client.get(
        "/api/v1/lineage/review", params={"source_id": str(source)}, headers=headers("steward")
    ).json()
    pairs = {(e["source_name"], e["target_name"]) for e in queue["items"]}
    assert ("lake.raw.payments", "lake.mart.daily") in pairs
    assert ("lake.raw.payments.amount", "lake.mart.daily.total") in pairs
    table_edge = next(e for e in queue["items"] if e["target_name"] == "lake.mart.daily")
    evidence = table_edge["metadata"]["evidence"][0]
    assert evidence["object"] == "load.sql" and evidence["line"] == 3


@pytest.mark.parametrize(
    ("name", "payload", "status", "code"),
    [
        ("notes.csv", b"a,b\n1,2\n", 422, "SQL_WRONG_FILE"),
        ("empty.zip", b"", 200, "FILE_UNREADABLE"),
        ("docs.zip", None, 200, "SQL_NO_FILES"),
        ("bomb.zip", "bomb", 413, "SQL_TOO_LARGE"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_code(
    api: Any, source: uuid.UUID, name: str, payload: Any, status: int, code: str
) -> None:
    """A file the sql type cannot read is reported in the preview (200, not valid); one
    over a limit that protects the server is refused (413)."""
    client, headers = api
    if payload is None:
        payload = _zip({"README.md": b"no sql here"})
    elif payload == "bomb":
        payload = _zip({"big.sql": b"-- " + b"x" * (17 * 1024**2)})
    response = client.post(
        "/api/v1/import/validate",
        data={"import_type": "sql"},
        files={"file": (name, payload)},
        headers=headers("editor"),
    )
    assert response.status_code == status, response.text
    assert code in response.text
    if status == 200:
        assert response.json()["valid"] is False


def test_the_error_report_of_a_zip_annotates_each_script(tmp_path: Any) -> None:
    from ariadne_core.importing.messages import problem
    from ariadne_core.importing.report import write_error_report

    upload = tmp_path / "etl.zip"
    upload.write_bytes(_zip({"a.sql": b"SELECT 1;\nSELEC 2;\n", "b.sql": b"SELECT 3;\n"}))
    found = [
        problem(
            "SQL_STATEMENT_UNREADABLE",
            sheet="a.sql",
            row=2,
            row_word="Line",
            dialect="ansi",
            reason="syntax error",
        )
    ]
    target = write_error_report(upload, tmp_path / "errors-etl.zip", "zip", found, {})
    with zipfile.ZipFile(target) as archive:
        first = archive.read("a.sql").decode().splitlines()
        second = archive.read("b.sql").decode()
    assert first[0] == "SELECT 1;" and first[1].startswith("-- ariadne: Line 2: this statement")
    assert first[2] == "SELEC 2;" and second == "SELECT 3;\n"
