"""Structured request logs: a request id on every line and in X-Request-ID, one line per
request with user, route, status and duration, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ariadne_core.config import Settings
from ariadne_core.logs import configure_logging, scrub
from tests.conftest import PASSWORD


@pytest.fixture
def log_lines(app: Any, settings: Settings) -> Any:
    """Everything the app logs while the test runs, as parsed JSON lines."""
    buffer = io.StringIO()
    configure_logging(settings.model_copy(update={"log_format": "json"}), stream=buffer)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield read
    configure_logging(settings)


def test_every_request_has_an_id_and_one_log_line(
    client: TestClient, users: dict[str, str], auth_headers: Any, log_lines: Any
) -> None:
    resp = client.get("/api/v1/tables", headers=auth_headers("editor"))
    given = client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"})
    hostile = client.get("/healthz", headers={"X-Request-ID": "x" * 65 + "\\n"})
    assert len(resp.headers["x-request-id"]) == 32
    assert given.headers["x-request-id"] == "trace-42.a_b"
    assert hostile.headers["x-request-id"] != "x" * 65 + "\\n"
    requests = [line for line in log_lines() if line["event"] == "request"]
    assert [r["route"] for r in requests] == ["/api/v1/tables", "/healthz", "/healthz"]
    first = requests[0]
    assert first["request_id"] == resp.headers["x-request-id"]
    assert first["user"] == users["editor"] and first["status"] == 200
    assert first["method"] == "GET" and first["duration_ms"] >= 0
    assert first["level"] == "info" and first["timestamp"].endswith("Z")
    assert requests[1]["request_id"] == "trace-42.a_b" and requests[1]["user"] is None


def test_no_password_or_token_is_ever_logged(
    client: TestClient, users: dict[str, str], auth_headers: Any, log_lines: Any
) -> None:
    login = client.post("/api/v1/auth/login", json={"email": users["admin"], "password": PASSWORD})
    token = login.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    source_secret = "S0urce-Passw0rd-42"
    config = {"host": "127.0.0.1", "port": 1, "database": "x", "username": "u"}
    config["password"] = source_secret
    client.post(
        "/api/v1/auth/login", json={"email": users["admin"], "password": "wrong-" + PASSWORD}
    )
    client.post(
        "/api/v1/sources",
        headers=bearer,
        json={
            "name": "pg",
            "type": "postgresql",
            "connection_config": config,
        },
    )
    client.post(
        "/api/v1/sources/test-connection",
        headers=bearer,
        json={
            "name": "pg2",
            "type": "postgresql",
            "connection_config": config,
        },
    )
    client.get("/api/v1/auth/me", headers=bearer)
    client.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + token[:-3] + "abc"})
    # Code that logs carelessly is scrubbed too.
    logging.getLogger("ariadne.test").warning(
        "connecting to postgresql://u:%s@db:5432/x with Authorization: Bearer %s",
        source_secret,
        token,
    )
    text = json.dumps(log_lines())
    assert "request" in text
    for secret in (PASSWORD, token, source_secret):
        assert secret not in text


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("postgresql://u:hunter2@h:5432/db", "postgresql://u:[redacted]@h:5432/db"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
        ("password=hunter2 user=u", "password=[redacted] user=u"),
        ("token: 1234", "token: [redacted]"),
        ("nothing to hide", "nothing to hide"),
    ],
)
def test_scrub(raw: str, kept: str) -> None:
    assert scrub(raw) == kept
