"""A source cannot make a sync unbounded: too much metadata is refused early, and a server
that accepts connections but never answers is given up on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ariadne_core.config import Settings
from ariadne_core.connectors.base import HarvestedField, HarvestedObject
from ariadne_core.harvest.service import SyncFailed, bounded_harvest


def _objects(count: int, fields: int = 1) -> Iterator[HarvestedObject]:
    for i in range(count):
        yield HarvestedObject(
            "s", f"t{i}", "table", fields=[HarvestedField(f"c{j}", "int") for j in range(fields)]
        )


def test_too_many_objects_are_refused_before_they_are_all_read() -> None:
    settings = Settings(_env_file=None, harvest_max_objects=10)  # type: ignore[call-arg]
    read: list[int] = []

    def counted() -> Iterator[HarvestedObject]:
        for obj in _objects(1_000_000):
            read.append(1)
            yield obj

    with pytest.raises(SyncFailed, match="more than 10 objects") as caught:
        bounded_harvest(counted(), settings)
    assert caught.value.retryable is False
    assert len(read) == 11
    assert len(bounded_harvest(_objects(10), settings)) == 10


def test_an_object_with_too_many_fields_is_refused() -> None:
    settings = Settings(_env_file=None, harvest_max_fields=5)  # type: ignore[call-arg]
    with pytest.raises(SyncFailed, match=r"s\.t0 has 6 fields"):
        bounded_harvest(_objects(1, fields=6), settings)


class SilentServer:
    """Accepts TCP connections and never says a word."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_silent_server_is_given_up_on(
    client: TestClient, auth_headers: Any, silent: SilentServer
) -> None:
    body = {
        "name": "stalls",
        "type": "postgresql",
        "connection_config": {
            "host": "127.0.0.1",
            "port": silent.port,
            "database": "db",
            "username": "u",
            "password": "p-123456",
        },
    }
    started = time.monotonic()
    resp = client.post("/api/v1/sources/test-connection", json=body, headers=auth_headers("admin"))
    elapsed = time.monotonic() - started
    assert resp.status_code == 200, resp.text
    assert resp.json()["success"] is False
    assert "p-123456" not in resp.text
    assert elapsed < 60  # the connect timeout (10 s), not for ever


def test_two_concurrent_syncs_of_one_source_start_one(catalog_engine: Any, keyring: Any) -> None:
    """The unique index decides, not a look-up before the insert: both requests pass the
    look-up together, one insert wins and the other is a Conflict naming its job."""
    from ariadne_core.db.engine import session_scope
    from ariadne_core.db.models import SourceType
    from ariadne_core.errors import Conflict
    from ariadne_core.harvest.service import create_sync_job
    from tests.harvest.conftest import make_source

    source_id = make_source(
        catalog_engine,
        keyring,
        "twice",
        SourceType.POSTGRESQL,
        {"host": "127.0.0.1", "port": 1, "database": "d", "username": "u"},
    )
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def start() -> None:
        try:
            with session_scope(catalog_engine) as session:
                barrier.wait(5)
                outcomes.append(create_sync_job(session, source_id))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    jobs = [o for o in outcomes if not isinstance(o, Conflict)]
    assert len(jobs) == 1 and len(conflicts) == 1, outcomes
    assert conflicts[0].details["job_id"] == str(jobs[0].id)
