"""The migrations build the schema on an empty database and remove it cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from ariadne_core.db import migrate
from ariadne_core.db.engine import sqlalchemy_url
from ariadne_core.db.models import Base

# Their writes are announced on NOTIFY ariadne_catalog (the API's catalog caches follow them).
CATALOG_TABLES = (
    "data_sources",
    "metadata_tables",
    "metadata_fields",
    "table_lineage",
    "change_history",
)
NEWEST = max(
    p.name.split("_", 1)[0]
    for p in (Path(migrate.__file__).parent / "migrations" / "versions").glob("[0-9]*.py")
)
EXPECTED_TABLES = {
    "data_sources",
    "metadata_tables",
    "metadata_fields",
    "change_history",
    "table_lineage",
    "field_lineage",
    "lineage_audit_events",
    "import_jobs",
    "users",
    "embeddings",
    "api_keys",
    "openlineage_events",
    "observed_datasets",
    "lineage_observations",
}


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _public_tables(url: str) -> set[str]:
    return {r[0] for r in _query(url, "SELECT tablename FROM pg_tables WHERE schemaname='public'")}


def test_upgrade_on_empty_database_then_downgrade_leaves_nothing(make_database: Any) -> None:
    url = make_database("ariadne_migrate")
    assert _public_tables(url) == set()

    migrate.upgrade(url)
    assert migrate.current_revision(url) == NEWEST
    assert _public_tables(url) >= EXPECTED_TABLES
    triggers = {r[0] for r in _query(url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert {f"{t}_catalog_changed" for t in CATALOG_TABLES} <= triggers
    extensions = {r[0] for r in _query(url, "SELECT extname FROM pg_extension")}
    assert {"vector", "pg_trgm"} <= extensions

    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    assert _public_tables(url) == {"ariadne_alembic_version"}
    types = {
        r[0]
        for r in _query(
            url,
            "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE nspname = 'public' AND typtype = 'e'",
        )
    }
    assert types == set()
    assert (
        _query(url, "SELECT proname FROM pg_proc WHERE proname = 'ariadne_catalog_changed'") == []
    )
    extensions = {r[0] for r in _query(url, "SELECT extname FROM pg_extension")}
    assert "vector" not in extensions

    migrate.upgrade(url)  # and up again, from the downgraded state
    assert _public_tables(url) >= EXPECTED_TABLES


def test_lineage_source_enum_is_exactly_inferred_manual_approved(database_url: str) -> None:
    rows = _query(
        database_url,
        "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
        "WHERE t.typname = 'lineage_source' ORDER BY e.enumsortorder",
    )
    assert [r[0] for r in rows] == ["inferred", "manual", "approved"]


def test_both_edge_tables_use_the_lineage_source_enum_and_origin_its_own(database_url: str) -> None:
    rows = _query(
        database_url,
        "SELECT table_name, column_name, udt_name FROM information_schema.columns "
        "WHERE column_name IN ('lineage_source', 'origin') AND table_name LIKE '%\\_lineage' "
        "ORDER BY 1, 2",
    )
    assert rows == [
        ("field_lineage", "lineage_source", "lineage_source"),
        ("field_lineage", "origin", "edge_origin"),
        ("table_lineage", "lineage_source", "lineage_source"),
        ("table_lineage", "origin", "edge_origin"),
    ]


def test_embedding_column_is_sized_for_the_configured_model(database_url: str) -> None:
    from ariadne_core.config import get_settings

    (typmod,) = _query(
        database_url,
        "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'embeddings'::regclass "
        "AND attname = 'embedding'",
    )[0]
    assert typmod == get_settings().embedding_vector_size()


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    name != "ariadne_alembic_version"
                ),
            },
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_audit_events_cannot_be_updated_or_deleted(database_url: str) -> None:
    import uuid

    import pytest

    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO lineage_audit_events (edge_kind, edge_id, action, actor) "
            "VALUES ('table', %s, 'create', 'tester')",
            (uuid.uuid4(),),
        )
        for statement in (
            "UPDATE lineage_audit_events SET actor = 'someone else'",
            "DELETE FROM lineage_audit_events",
        ):
            with (
                pytest.raises(psycopg.errors.RaiseException, match="append-only"),
                conn.transaction(),
            ):  # a savepoint: the insert above survives
                conn.execute(statement)  # type: ignore[arg-type]
        assert conn.execute("SELECT actor FROM lineage_audit_events").fetchall() == [("tester",)]
        conn.rollback()
