"""Harvesting tests run syncs that commit, so they use databases of their own: one
migrated Ariadne catalog per module, and source databases on the same embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import session_scope, sqlalchemy_url
from ariadne_core.db.models import SourceType, User, UserRole
from ariadne_core.security.secrets import Keyring
from ariadne_core.security.tokens import issue_token

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEYS = "test:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY="


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    return Keyring.parse(TEST_KEYS)


@pytest.fixture(scope="module")
def catalog_engine(make_database: Any) -> Iterator[Engine]:
    """A migrated Ariadne database of this module's own, where syncs really commit."""
    url = str(make_database("ariadne_harvest"))
    migrate.upgrade(url)
    engine = create_engine(sqlalchemy_url(url), pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def shop_source_url(make_database: Any) -> str:
    """A source database with schemas, views, foreign keys and comments."""
    url = str(make_database("shop_source"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((FIXTURES / "shop_source.sql").read_text())
    return url


def pg_config(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname,
        "port": parts.port,
        "database": parts.path.lstrip("/"),
        "username": parts.username or "postgres",
        **({"password": parts.password} if parts.password else {}),
    }


def make_source(
    engine: Engine, keyring: Keyring, name: str, kind: SourceType, config: dict[str, Any]
) -> Any:
    with session_scope(engine) as session:
        source = create_source(
            session,
            keyring,
            SourceInput(name=name, type=kind, connection_config=config),
            actor="admin@example.com",
        )
        return source.id


@pytest.fixture(scope="session")
def ferretdb_port() -> int:
    from tests.conftest import _service

    return int(_service("ferretdb")["port"])


@pytest.fixture(scope="session")
def elasticsearch_port() -> int:
    from tests.conftest import _service

    return int(_service("elasticsearch")["port"])


@pytest.fixture(scope="module")
def api(
    catalog_engine: Engine, tmp_path_factory: Any, password_hash: str
) -> Iterator[tuple[TestClient, Any]]:
    """An API on a catalog database that really commits, with the sync runner in a thread;
    yields (client, headers(role))."""
    from fastapi.testclient import TestClient

    from ariadne_api.main import create_app

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=tmp_path_factory.mktemp("home"),
        database_url=catalog_engine.url.render_as_string(hide_password=False),
        jwt_secret="test-secret-" + "x" * 32,
        encryption_keys=TEST_KEYS,
        sync_runner="thread",
        lineage_cache=False,
        demo=False,
    )
    with Session(catalog_engine) as session:
        for role in UserRole:
            session.add(
                User(email=f"{role.value}@sync.example", password_hash=password_hash, role=role)
            )
        session.commit()

    def headers(role: str) -> dict[str, str]:
        token = issue_token(settings, subject=f"{role}@sync.example", role=role)
        return {"Authorization": f"Bearer {token.access_token}"}

    with TestClient(create_app(settings, catalog_engine)) as client:
        yield client, headers


@pytest.fixture
def dagster_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Assets read their keys from settings, as in a Dagster process."""
    from ariadne_core.config import get_settings

    monkeypatch.setenv("ARIADNE_ENCRYPTION_KEYS", TEST_KEYS)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def catalog_db(catalog_engine: Engine) -> Any:
    """The Dagster resource on this module's catalog database."""
    from ariadne_pipelines.resources import CatalogDatabase

    return CatalogDatabase(database_url=catalog_engine.url.render_as_string(hide_password=False))


def harvest_resources(catalog_db: Any, **swapped: Any) -> dict[str, Any]:
    """The resources source_metadata takes, on this module's database; ``swapped`` ones
    replace the defaults (for example ``connectors=``)."""
    from ariadne_pipelines.resources import SourceConnectors, SourceKeyring

    return {
        "catalog_db": catalog_db,
        "source_keyring": SourceKeyring(),
        "connectors": SourceConnectors(),
        **swapped,
    }


def make_pg_source(
    engine: Engine, keyring: Keyring, make_database: Any, name: str, ddl: str
) -> Any:
    """A PostgreSQL source database built from ``ddl``, registered as source ``name``
    and harvested once; returns the source id."""
    from ariadne_core.harvest.service import run_sync

    url = str(make_database(f"{name}_src"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ddl)
    source_id = make_source(engine, keyring, name, SourceType.POSTGRESQL, pg_config(url))
    run_sync(engine, source_id, keyring)
    return source_id
