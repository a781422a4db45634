"""Apply or roll back the schema with Alembic, from code (used by the CLI and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str) -> Config:
    config = Config(str(_INI))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """The migrations, then (at head) the vector column sized for the configured model."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        from ariadne_core.config import get_settings
        from ariadne_core.db import vectors

        vectors.fit(url, get_settings())


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    from ariadne_core.db.engine import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        rev = MigrationContext.configure(
            conn, opts={"version_table": "ariadne_alembic_version"}
        ).get_current_revision()
    engine.dispose()
    return rev
