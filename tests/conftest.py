"""Fixtures over the real test services started by `make services`.

Every test talks to the real embedded PostgreSQL, redis-server and Neo4j. When a service
is missing the fixture fails (it never skips): run `make services` first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import sqlalchemy_url
from ariadne_core.db.models import UserRole
from ariadne_core.runtime.services import load_state

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES_HOME = Path(os.environ.get("ARIADNE_HOME", REPO_ROOT / ".ariadne"))
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_leaked_dagster_instance() -> Iterator[None]:
    """Fail the test that leaves a Dagster instance's state storage set in this thread.

    A sensor or schedule context built outside `with` and given resources enters an
    ephemeral instance and never leaves it; once garbage collection frees that instance
    (at a time no test chooses), every later `materialize` in the process fails with
    "Attempted to resolve undefined DagsterInstance weakref". Caught here, the leak is
    reported by the test that made it, every time.
    """
    from dagster._core.storage.defs_state import base

    yield
    if base.DefsStateStorage.get() is not None:
        base._current_storage.set(None)  # so the tests after this one are not failed too
        pytest.fail(
            "This test left a Dagster instance entered (its state storage is still set); "
            "build sensor and schedule contexts with `with build_sensor_context(...) as "
            "context:` so they close what they open.",
            pytrace=False,
        )


def _service(name: str) -> dict[str, Any]:
    state = load_state(SERVICES_HOME)
    if name not in state:
        pytest.fail(
            f"The {name} test service is not running. Start the test services with "
            "`make services` (or run `make test`, which does it for you).",
            pytrace=False,
        )
    return dict(state[name])


@pytest.fixture
def server_home() -> Iterator[Path]:
    """A home for an embedded PostgreSQL a test starts itself, outside pytest's temporary
    root. Run as root, the server runs as another user, who must traverse to its data;
    pytest makes /tmp/pytest-of-<user> private again whenever any pytest session starts,
    which would cut a running server off from its data directory."""
    path = Path(tempfile.mkdtemp(prefix="ariadne-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_service() -> dict[str, Any]:
    return _service("postgres")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return str(_service("redis")["url"])


@pytest.fixture(scope="session")
def neo4j_service() -> dict[str, Any]:
    return _service("neo4j")


def _admin_connect(postgres_service: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(postgres_service["admin_url"], autocommit=True)


@pytest.fixture(scope="session")
def make_database(postgres_service: dict[str, Any]) -> Iterator[Any]:
    """Factory of fresh, empty databases on the test server; all dropped at the end."""
    created: list[str] = []

    def make(prefix: str = "ariadne_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with _admin_connect(postgres_service) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return str(postgres_service["url"]).rsplit("/", 1)[0] + f"/{name}"

    yield make
    with _admin_connect(postgres_service) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(make_database: Any) -> str:
    """A migrated database shared by the session; tests isolate through rollback."""
    url = str(make_database())
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(database_url), pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=tmp_path / "home",
        database_url=database_url,
        jwt_secret="test-secret-" + "x" * 32,
        cors_origins=["http://frontend.example"],
        max_request_bytes=64 * 1024,
        import_runner="thread",
        sync_runner="thread",
        demo=False,
        # Requests here end in savepoints, never real commits, so nothing would bump the
        # lineage cache generation; tests/integration/test_lineage_cache.py covers it.
        lineage_cache=False,
        # Nothing here commits, so no thread may process OpenLineage events on the
        # shared test database; tests/observed runs a real API for that.
        openlineage_drain_in_api=False,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, db_session: Session) -> Any:
    from ariadne_api.main import create_app
    from tests.transaction import share_test_transaction

    application = create_app(settings, engine)

    # The test's transaction never commits, so PostgreSQL never announces its changes:
    # writes straight through db_session move the catalog generation themselves.
    def _changed(*_: Any) -> None:
        application.state.services.generation.bump()

    def _statement(state: ORMExecuteState) -> None:
        if not state.is_select:
            _changed()

    event.listen(db_session, "after_flush", _changed)
    event.listen(db_session, "do_orm_execute", _statement)

    share_test_transaction(application, db_session)
    return application


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def password_hash() -> str:
    from ariadne_core.security.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def users(db_session: Session, password_hash: str) -> dict[str, str]:
    """One user per role; returns role -> e-mail. All share PASSWORD (hashed once)."""
    from ariadne_core.db.models import User

    out = {}
    for role in UserRole:
        email = f"{role.value}@example.com"
        db_session.add(User(email=email, password_hash=password_hash, role=role))
        out[role.value] = email
    db_session.flush()
    return out


@pytest.fixture
def auth_headers(users: dict[str, str], settings: Settings) -> Any:
    """auth_headers("editor") -> {"Authorization": "Bearer ..."} for that role's user.

    Tokens are issued directly (login itself is tested in tests/api/test_auth.py), which
    keeps argon2 verification out of every test.
    """
    from ariadne_core.security.tokens import issue_token

    def headers(role: str) -> dict[str, str]:
        token = issue_token(settings, subject=users[role], role=role)
        return {"Authorization": f"Bearer {token.access_token}"}

    return headers
