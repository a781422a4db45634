"""Engine and session factory for the system of record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from ariadne_core.config import Settings, get_settings
from ariadne_core.errors import ConfigurationError


def sqlalchemy_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """The same URL without a SQLAlchemy driver suffix, for psycopg and Dagster."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def dagster_storage_url(url: str) -> str:
    """dagster-postgres runs on psycopg2; SQLAlchemy 2.1 defaults plain URLs to psycopg 3."""
    return "postgresql+psycopg2://" + libpq_url(url).split("://", 1)[1]


def database_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if not settings.database_url:
        raise ConfigurationError(
            "ARIADNE_DATABASE_URL is not set and the embedded PostgreSQL is not running. "
            "Start Ariadne with `make run` (or `ariadne run`), or set ARIADNE_DATABASE_URL."
        )
    return settings.database_url


def check_database(url: str) -> None:
    """Fail with one clear line when the database cannot be reached."""
    parts = urlsplit(libpq_url(url))
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["no answer"])[0]
        reason = first.rsplit("failed: ", 1)[-1].strip().rstrip(".")
        raise ConfigurationError(
            f"Cannot reach the database at {where} (ARIADNE_DATABASE_URL): {reason}. "
            "Check the URL and that the server is running, or unset it to use the embedded one."
        ) from None


def connection_options(timeout_ms: int | None = None, probes: int | None = None) -> str:
    """libpq `options` for every connection of Ariadne's own database: a cap on each
    statement (ARIADNE_DB_STATEMENT_TIMEOUT_MS), so that a runaway query cannot hold a
    connection and a worker for ever, and how many lists of pgvector's IVFFlat index a
    search reads (ARIADNE_IVFFLAT_PROBES: more is slower and finds more), reading more
    when filters drop candidates. Set per connection, so a semantic or hybrid
    search costs no extra round trip; benchmarks/ai.py measures the recall@10 it gives
    against an exact scan."""
    if timeout_ms is None or probes is None:
        settings = get_settings()
        timeout_ms = settings.db_statement_timeout_ms if timeout_ms is None else timeout_ms
        probes = settings.ivfflat_probes if probes is None else probes
    return (
        f"-c statement_timeout={int(timeout_ms)} -c ivfflat.probes={int(probes)} "
        "-c ivfflat.iterative_scan=relaxed_order"
    )


BULK_TIMEOUT_FACTOR = 10  # imports and harvests write in bulk: SET LOCAL ten times longer


def allow_bulk_statements(session: Session) -> None:
    """In this transaction, statements may take ten times the usual limit (0 stays 0)."""
    timeout = get_settings().db_statement_timeout_ms * BULK_TIMEOUT_FACTOR
    session.execute(text(f"SET LOCAL statement_timeout = {int(timeout)}"))


@lru_cache(maxsize=8)
def engine_for(url: str, pool_size: int = 40) -> Engine:
    # Keep the pool at least as large as the API's thread pool (40): connections beyond
    # pool_size are closed after each use, so a small pool opens a backend per request.
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "options": connection_options()},
    )


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under ``session``, in its transaction, for plain-SQL reads."""
    conn = session.connection().connection.driver_connection
    assert isinstance(conn, psycopg.Connection)
    return conn


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return engine_for(database_url(settings), settings.db_pool_size)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read: the connection is in autocommit, so there is
    no BEGIN or COMMIT round trip, and each statement sees what is committed."""
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A short unit of work: commits on success, rolls back on error."""
    session = session_factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
