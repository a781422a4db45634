"""Helpers shared by the benchmarks: a fresh database on the test Postgres, a real uvicorn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psycopg

from ariadne_core.db import migrate
from ariadne_core.runtime.ports import free_port
from ariadne_core.runtime.services import load_state, start_services

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def fresh_database(prefix: str) -> str:
    home = Path(os.environ.get("ARIADNE_HOME", ROOT / ".ariadne"))
    state = load_state(home) or start_services(home, ("postgres",))
    pg = state["postgres"]
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg["admin_url"], autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = str(pg["url"]).rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    return url


def vacuum_analyze(url: str) -> None:
    """What autovacuum and the checkpointer do soon after a bulk load (statistics, the
    visibility map, writing the loaded pages out). Measuring before they have run would
    time their background work instead of the reads."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def drop_database(url: str) -> None:
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class ApiServer:
    """uvicorn serving create_app() on a free loopback port, as deployed, with 2 workers
    unless told otherwise (`make run`, the Dockerfile and docker-compose run uvicorn's
    default of one: with one, cold reads had a tighter p95 and cached reads half the
    throughput in a sitting on 2026-12-04; which shape to deploy is an open question)."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiServer:
        bindir = Path(sys.executable).parent
        self.proc = subprocess.Popen(
            [
                str(bindir / "uvicorn"),
                "ariadne_api.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=self.env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __exit__(self, *exc: Any) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)


WRK_SCRIPT = """
local paths, bodies = {}, {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  local path, body = line:match("^([^\t]*)\t(.*)$")
  paths[#paths + 1] = path or line
  bodies[#bodies + 1] = body or false
end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local i = math.random(#paths)
request = function()
  i = i % #paths + 1
  if bodies[i] then return wrk.format("POST", paths[i], nil, bodies[i]) end
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.3f %.3f %d %d %d\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def wrk_latency(
    base_url: str, token: str, paths: list[str], *, clients: int, seconds: int
) -> dict[str, float]:
    """Drive requests over ``paths`` with wrk (C, so the load generator steals little
    CPU): a GET per path, or a POST of BODY for a path written "PATH\tBODY"."""
    import shutil
    import tempfile

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp, "paths.lua"), Path(tmp, "paths.txt")
        script.write_text(WRK_SCRIPT)
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{clients}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base_url,
            ],
            env={**os.environ, "WRK_PATHS": str(listing), "WRK_TOKEN": token},
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    p50, p95, requests, bad_status, socket_errors = line.split()[1:]
    if int(bad_status) or int(socket_errors):
        raise RuntimeError(
            f"{bad_status} non-2xx answers and {socket_errors} socket errors:\n{out}"
        )
    return {
        "p50": float(p50),
        "p95": float(p95),
        "n": int(requests),
        "rps": round(int(requests) / seconds, 1),
    }


def viewer_token(url: str, settings: Any) -> str:
    """A token for a viewer that exists: the API checks every token against its user."""
    from ariadne_core.security.tokens import issue_token

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash, role) "
            "VALUES (gen_random_uuid(), 'bench@example.com', 'unused', 'viewer') "
            "ON CONFLICT (email) DO NOTHING"
        )
    return str(issue_token(settings, subject="bench@example.com", role="viewer").access_token)
