"""What viewers see of a source, and a stored password never following a moved config."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

SECRET = "old-hosts-Passw0rd"


class PasswordTrap:
    """A loopback server that speaks the start of the PostgreSQL protocol: it asks every
    client for a cleartext password and records what it is sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.passwords: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(ConnectionError, OSError):
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        self.connections += 1
        (length,) = struct.unpack("!I", self._read(conn, 4))
        body = self._read(conn, length - 4)
        if struct.unpack("!I", body[:4])[0] == 80877103:  # SSLRequest: no
            conn.sendall(b"N")
            (length,) = struct.unpack("!I", self._read(conn, 4))
            self._read(conn, length - 4)
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        kind = self._read(conn, 1)
        (length,) = struct.unpack("!I", self._read(conn, 4))
        payload = self._read(conn, length - 4)
        if kind == b"p":
            self.passwords.append(payload.rstrip(b"\0").decode())
        error = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0"
        conn.sendall(b"E" + struct.pack("!I", len(error) + 4) + error)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def trap() -> Iterator[PasswordTrap]:
    server = PasswordTrap()
    yield server
    server.close()


def _pg_source(client: TestClient, admin: dict[str, str], port: int) -> dict[str, Any]:
    body = {
        "name": f"warehouse-{uuid.uuid4().hex[:8]}",
        "type": "postgresql",
        "connection_config": {
            "host": "127.0.0.1",
            "port": port,
            "database": "dw",
            "username": "reader",
            "password": SECRET,
        },
    }
    resp = client.post("/api/v1/sources", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def test_the_trap_does_receive_a_configured_password(
    api: tuple[TestClient, Any], trap: PasswordTrap
) -> None:
    """The check below means something: a sync does send the stored password."""
    client, headers = api
    source = _pg_source(client, headers("admin"), trap.port)
    resp = client.post(f"/api/v1/sources/{source['id']}/sync", headers=headers("admin"))
    assert resp.status_code == 202
    _wait_finished(client, headers("admin"), resp.json()["job_id"])
    assert trap.passwords == [SECRET]


def _wait_finished(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/sources/sync-jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError("the sync did not finish")


def test_a_moved_config_drops_the_stored_password(
    api: tuple[TestClient, Any], trap: PasswordTrap
) -> None:
    client, headers = api
    admin = headers("admin")
    source = _pg_source(client, admin, 1)  # the "old host": nothing listens on port 1
    moved = {**source["connection_config"], "port": trap.port}
    assert moved["password"] == "********"
    refused = client.put(
        f"/api/v1/sources/{source['id']}", json={"connection_config": moved}, headers=admin
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "connection_config.password"
    assert "Give it again" in refused.json()["error"]["message"]
    del moved["password"]
    saved = client.put(
        f"/api/v1/sources/{source['id']}", json={"connection_config": moved}, headers=admin
    )
    assert saved.status_code == 200, saved.text
    assert "password" not in saved.json()["connection_config"]
    resp = client.post(f"/api/v1/sources/{source['id']}/sync", headers=admin)
    assert resp.status_code == 202
    job = _wait_finished(client, admin, resp.json()["job_id"])
    assert job["status"] == "failed"
    assert SECRET not in trap.passwords  # the new host never saw the old password


def test_an_unmoved_config_keeps_the_stored_password(
    client: TestClient, auth_headers: Any, trap: PasswordTrap
) -> None:
    admin = auth_headers("admin")
    source = _pg_source(client, admin, trap.port)
    same = {**source["connection_config"], "sslmode": "disable"}
    saved = client.put(
        f"/api/v1/sources/{source['id']}", json={"connection_config": same}, headers=admin
    )
    assert saved.status_code == 200 and saved.json()["connection_config"]["password"] == "********"


def test_viewers_do_not_see_where_a_source_lives(
    client: TestClient, auth_headers: Any, db_session: Session, trap: PasswordTrap
) -> None:
    source = _pg_source(client, auth_headers("admin"), trap.port)
    remote = 'FATAL: password authentication failed for user "reader" on host 127.0.0.1'
    db_session.execute(
        text("UPDATE data_sources SET last_sync_status = 'failed', last_sync_error = :e"),
        {"e": remote},
    )
    db_session.flush()
    url = f"/api/v1/sources/{source['id']}"
    viewer = client.get(url, headers=auth_headers("viewer")).json()
    assert viewer["connection_config"] is None
    assert viewer["last_sync_status"] == "failed"
    assert "reader" not in str(viewer) and "127.0.0.1" not in str(viewer)
    listed = client.get("/api/v1/sources", headers=auth_headers("viewer")).json()
    assert "127.0.0.1" not in str(listed) and "reader" not in str(listed)
    editor = client.get(url, headers=auth_headers("editor")).json()
    assert editor["connection_config"]["host"] == "127.0.0.1"
    assert editor["last_sync_error"] == remote
