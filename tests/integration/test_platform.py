"""`ariadne run` end to end: API, Dagster webserver and daemon on the embedded Postgres."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil

from ariadne_core.runtime.ports import free_port
from ariadne_core.runtime.postgres import embedded_for
from tests.integration.dagster_ui import check_dagster_ui


def _start(home: Path, ports: dict[str, int]) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIADNE_")}
    env.update(
        ARIADNE_HOME=str(home),
        ARIADNE_API_PORT=str(ports["api"]),
        ARIADNE_DAGSTER_PORT=str(ports["dagster"]),
        ARIADNE_EMBEDDED_PG_PORT=str(ports["pg"]),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ariadne_core.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 240
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "press Ctrl-C" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("ariadne run did not come up:\n" + "\n".join(lines))


def _stop(proc: subprocess.Popen[str]) -> list[str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=90)
    return out.splitlines()


def _login_line(lines: list[str]) -> tuple[str, str]:
    match = next(m for m in (re.search(r"admin login\s+(\S+) / (\S+)", x) for x in lines) if m)
    return match.group(1), match.group(2)


def test_run_serves_api_and_dagster_then_stops_everything(
    tmp_path: Path, server_home: Path
) -> None:
    home = server_home / "home"
    ports = {"api": free_port(), "dagster": free_port(), "pg": free_port()}
    proc, lines = _start(home, ports)
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in descendants)
        assert "uvicorn" in names and "dagster-webserver" in names and "dagster-daemon" in names
        assert any(f"http://127.0.0.1:{ports['api']}/docs" in x for x in lines)
        assert any(f"http://127.0.0.1:{ports['dagster']}" in x for x in lines)

        assert httpx.get(f"http://127.0.0.1:{ports['api']}/docs").status_code == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['dagster']}/server_info") as resp:
            assert resp.status == 200
        graphql = httpx.post(
            f"http://127.0.0.1:{ports['dagster']}/graphql",
            json={
                "query": "{ repositoriesOrError { ... on RepositoryConnection "
                "{ nodes { location { name } } } } }"
            },
        ).json()
        assert graphql["data"]["repositoriesOrError"]["nodes"][0]["location"]["name"] == "ariadne"

        email, password = _login_line(lines)
        token = httpx.post(
            f"http://127.0.0.1:{ports['api']}/api/v1/auth/login",
            json={"email": email, "password": password},
        )
        assert token.status_code == 200
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        api = f"http://127.0.0.1:{ports['api']}/api/v1"
        # The first start loaded the demo workbook through the bulk import.
        assert any("demo loaded" in x for x in lines), lines
        tables = httpx.get(f"{api}/tables", params={"size": 1}, headers=auth).json()
        assert tables["total"] >= 60
        # An import runs as the Dagster job bulk_import, launched through the webserver.
        created = httpx.post(
            f"{api}/import/execute",
            headers=auth,
            files={
                "file": (
                    "lineage.csv",
                    b"from,to\nshop.public.suppliers,warehouse.reports.rpt_stock_alerts\n",
                )
            },
            data={"import_type": "table_lineage"},
        ).json()
        assert created["dagster_run_id"], created
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            job = httpx.get(f"{api}/import/jobs/{created['job_id']}", headers=auth).json()
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(1)
        assert job["status"] == "succeeded", job
        assert job["dagster_run_id"] == created["dagster_run_id"]
        assert job["counts"]["create"] == 1
        run: dict[str, str] = {}
        deadline = time.monotonic() + 60  # the run ends a moment after the job row does
        while time.monotonic() < deadline and run.get("status") != "SUCCESS":
            time.sleep(0.5)
            run = httpx.post(
                f"http://127.0.0.1:{ports['dagster']}/graphql",
                json={
                    "query": "query($id: ID!) { runOrError(runId: $id) { ... on Run "
                    "{ jobName status } } }",
                    "variables": {"id": job["dagster_run_id"]},
                },
            ).json()["data"]["runOrError"]
        assert run == {"jobName": "bulk_import", "status": "SUCCESS"}
        # A sync runs as the partitioned asset source_metadata, launched through the
        # webserver; here it harvests the platform's own embedded PostgreSQL.
        pg_url = urlsplit(embedded_for(home, ports["pg"]).url())
        source = httpx.post(
            f"{api}/sources",
            headers=auth,
            json={
                "name": "platform_db",
                "type": "postgresql",
                "connection_config": {
                    "host": pg_url.hostname,
                    "port": pg_url.port,
                    "database": pg_url.path.lstrip("/"),
                    "username": pg_url.username,
                    "password": pg_url.password,  # the embedded server asks for it
                    "schemas": ["public"],
                },
            },
        ).json()
        sync = httpx.post(f"{api}/sources/{source['id']}/sync", headers=auth).json()
        assert sync["dagster_run_id"], sync
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            sync = httpx.get(f"{api}/sources/sync-jobs/{sync['job_id']}", headers=auth).json()
            if sync["status"] in ("succeeded", "failed"):
                break
            time.sleep(1)
        assert sync["status"] == "succeeded", sync
        assert sync["counts"]["added"] >= 10  # the catalog's own tables
        # The Dagster UI, in a real (headless) Chromium, shows the asset, its partition,
        # the nightly schedule and the partition sensor.
        shots = check_dagster_ui(
            f"http://127.0.0.1:{ports['dagster']}", source["id"], tmp_path / "screenshots"
        )
        assert all(shot.stat().st_size > 10_000 for shot in shots)
        # Dagster keeps its run storage in the same embedded Postgres.
        import psycopg

        with psycopg.connect(embedded_for(home, ports["pg"]).url()) as conn:
            assert conn.execute("SELECT to_regclass('public.runs')").fetchone() == ("runs",)
    finally:
        out = _stop(proc)
    assert proc.returncode == 0, out
    time.sleep(1)
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]
    assert embedded_for(home, ports["pg"]).running_port() is None

    # No secret reached a log file of the whole run: not the admin's password, not the
    # access token, not the database password.
    secrets = [password, token.json()["access_token"], pg_url.password or "unset"]
    logged = {f.name: f.read_text(errors="replace") for f in (home / "logs").glob("*.log")}
    assert logged, "the run wrote no logs"
    assert any('"request_id"' in text or "request_id=" in text for text in logged.values())
    for name, text in logged.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {name}"

    # A second run reuses the data: the same admin login still works.
    proc, lines2 = _start(home, ports)
    try:
        assert _login_line(lines2) == (email, password)
        assert any("demo not loaded" in x for x in lines2), lines2
        assert (
            httpx.post(
                f"http://127.0.0.1:{ports['api']}/api/v1/auth/login",
                json={"email": email, "password": password},
            ).status_code
            == 200
        )
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_run_refuses_a_busy_port_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARIADNE_")}
        env.update(ARIADNE_HOME=str(tmp_path), ARIADNE_API_PORT=str(port))
        result = subprocess.run(
            [sys.executable, "-m", "ariadne_core.cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"Port {port} is already in use" in result.stderr
    assert "ARIADNE_API_PORT" in result.stderr
