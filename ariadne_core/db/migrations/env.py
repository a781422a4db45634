"""Alembic environment: runs Ariadne's migrations against the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from ariadne_core.db.engine import database_url, sqlalchemy_url
from ariadne_core.db.models import Base

VERSION_TABLE = "ariadne_alembic_version"  # Dagster keeps its own alembic_version table

config = context.config
url = config.attributes.get("database_url") or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=sqlalchemy_url(url),
        target_metadata=Base.metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=VERSION_TABLE,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
