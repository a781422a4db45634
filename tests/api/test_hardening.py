"""Security headers, the metrics token, statement timeouts and the database's own guards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.errors import ConfigurationError


def test_every_answer_carries_the_security_headers(client: TestClient, auth_headers: Any) -> None:
    for resp in (
        client.get("/healthz"),
        client.get("/api/v1/tables", headers=auth_headers("viewer")),
        client.get("/api/v1/tables"),  # a 401
        client.get("/api/v1/nowhere"),  # a 404
    ):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "no-referrer"
        assert resp.headers["x-frame-options"] == "DENY"
        assert (
            resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
    docs = client.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in csp


@pytest.fixture
def metrics_client(settings: Settings, engine: Any) -> Any:
    from ariadne_api.main import create_app

    secret = "metrics-" + "m" * 32
    app = create_app(settings.model_copy(update={"metrics_token": secret}), engine)
    with TestClient(app) as test_client:
        yield test_client, secret


def test_metrics_can_be_restricted_by_a_token(metrics_client: Any, client: TestClient) -> None:
    restricted, secret = metrics_client
    assert client.get("/metrics").status_code == 200  # open by default
    assert restricted.get("/metrics").status_code == 401
    wrong = restricted.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and secret not in wrong.text
    ok = restricted.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200 and "ariadne_http_requests" in ok.text


@contextmanager
def _engine_under(monkeypatch: Any, database_url: str, **env: str) -> Iterator[Any]:
    """A fresh pooled engine built with ``env`` set (settings and engines read again)."""
    from ariadne_core.config import get_settings
    from ariadne_core.db.engine import engine_for

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    engine_for.cache_clear()
    try:
        engine = engine_for(database_url, 2)
        yield engine
        engine.dispose()
    finally:
        get_settings.cache_clear()
        engine_for.cache_clear()


def test_our_connections_have_a_statement_timeout(database_url: str, monkeypatch: Any) -> None:
    with (
        _engine_under(monkeypatch, database_url, ARIADNE_DB_STATEMENT_TIMEOUT_MS="300") as engine,
        engine.connect() as conn,
    ):
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "300ms"
        with pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(2)"))


def test_the_vector_index_probes_reach_every_connection(
    settings: Settings, engine: Any, database_url: str, monkeypatch: Any
) -> None:
    """ARIADNE_IVFFLAT_PROBES is set on the API's read pools and on the engines' pools."""
    import asyncio

    from ariadne_api.services import AppServices
    from ariadne_core.config import get_settings
    from ariadne_core.db.plans import Plan

    def probes() -> Plan[str]:
        row = yield ("SHOW ivfflat.probes", {})
        return str(row[0])

    services = AppServices.build(settings.model_copy(update={"ivfflat_probes": 333}), engine)

    async def read_both() -> list[str]:
        shown = []
        for reader in (services.reader, services.search.reader):
            await reader.open()
            try:
                shown.append(await reader.run(probes))
            finally:
                await reader.close()
        return shown

    assert asyncio.run(read_both()) == ["333", "333"]

    with _engine_under(monkeypatch, database_url, ARIADNE_IVFFLAT_PROBES="250") as pooled:
        with pooled.connect() as conn:
            assert conn.execute(text("SHOW ivfflat.probes")).scalar() == "250"
        monkeypatch.setenv("ARIADNE_IVFFLAT_PROBES", "0")  # below 1: refused, not clamped
        get_settings.cache_clear()
        with pytest.raises(ConfigurationError, match="ARIADNE_IVFFLAT_PROBES is invalid"):
            get_settings()


def test_bulk_work_gets_ten_times_the_limit(db_session: Session, monkeypatch: Any) -> None:
    from ariadne_core.config import get_settings
    from ariadne_core.db.engine import allow_bulk_statements

    monkeypatch.setenv("ARIADNE_DB_STATEMENT_TIMEOUT_MS", "1500")
    get_settings.cache_clear()
    try:
        allow_bulk_statements(db_session)
        assert db_session.execute(text("SHOW statement_timeout")).scalar() == "15s"
    finally:
        get_settings.cache_clear()


def test_history_is_append_only(db_session: Session) -> None:
    db_session.execute(
        text(
            "INSERT INTO change_history (entity_type, entity_id, action) "
            "VALUES ('table', gen_random_uuid(), 'create')"
        )
    )
    for statement in (
        "UPDATE change_history SET action = 'forged'",
        "DELETE FROM change_history",
        "TRUNCATE change_history",
    ):
        savepoint = db_session.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            db_session.execute(text(statement))
        savepoint.rollback()


def test_the_app_role_cannot_disable_the_audit_triggers(
    postgres_service: dict[str, Any], make_database: Any
) -> None:
    """The deployment runs migrations as an owner role and the API as an app role
    (docs/security.md); the app role can write rows but not switch the audit off."""
    from ariadne_core.db import migrate
    from ariadne_core.db.roles import grant_app_role

    url = make_database("ariadne_roles")
    migrate.upgrade(url)
    admin_url = str(postgres_service["admin_url"])
    role = "ariadne_app_test"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-pass-123456'")
    try:
        with psycopg.connect(url, autocommit=True) as owner:
            grant_app_role(owner, role)
        parts = urlsplit(url)
        app_url = f"postgresql://{role}:app-pass-123456@{parts.hostname}:{parts.port}{parts.path}"
        with psycopg.connect(app_url, autocommit=True) as app:
            app.execute(
                "INSERT INTO change_history (entity_type, entity_id, action) "
                "VALUES ('table', gen_random_uuid(), 'create')"
            )
            for table in ("change_history", "lineage_audit_events"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            app.execute(
                "INSERT INTO lineage_audit_events (edge_kind, edge_id, action) "
                "VALUES ('table', gen_random_uuid(), 'create')"
            )
            for statement in ("DELETE FROM lineage_audit_events", "DELETE FROM change_history"):
                with pytest.raises(psycopg.Error, match="append-only"):
                    app.execute(statement)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("TRUNCATE change_history")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            db = url.rsplit("/", 1)[1]
            conn.execute(f'REVOKE ALL ON DATABASE "{db}" FROM {role}')
        with psycopg.connect(url, autocommit=True) as owner:
            owner.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {role}")
