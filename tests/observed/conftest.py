"""A running API (uvicorn on a free port) over a committed, migrated database: what an
OpenLineage transport posts to."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import User, UserRole
from ariadne_core.runtime.ports import free_port
from tests.conftest import PASSWORD


@dataclass
class LiveApi:
    base: str  # http://127.0.0.1:port
    url: str  # the database
    settings: Settings
    tokens: dict[str, str]  # role -> access token

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def api(self, path: str) -> str:
        return f"{self.base}/api/v1{path}"

    def wait_processed(self, seconds: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            status = httpx.get(
                self.api("/lineage/observed/status"), headers=self.headers("viewer")
            ).json()
            if status["pending"] == 0 or time.monotonic() > deadline:
                return dict(status)
            time.sleep(0.05)


def start_api(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    from ariadne_api.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the API did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def live_settings(make_database: Any, tmp_path: Path, password_hash: str) -> Settings:
    url = make_database("ariadne_observed")
    migrate.upgrade(url)
    engine = engine_for(url)
    with Session(engine) as session:
        for role in UserRole:
            session.add(
                User(email=f"{role.value}@example.com", password_hash=password_hash, role=role)
            )
        session.commit()
    engine.dispose()
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=tmp_path / "home",
        database_url=url,
        jwt_secret="observed-" + "o" * 40,
        import_runner="thread",
        sync_runner="thread",
        demo=False,
    )


@pytest.fixture
def live_api(live_settings: Settings) -> Iterator[LiveApi]:
    server, thread, base = start_api(live_settings)
    try:
        tokens = {}
        for role in UserRole:
            resp = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"email": f"{role.value}@example.com", "password": PASSWORD},
            )
            assert resp.status_code == 200, resp.text
            tokens[role.value] = resp.json()["access_token"]
        yield LiveApi(base, str(live_settings.database_url), live_settings, tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
