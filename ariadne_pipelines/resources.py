"""Dagster resources: the system-of-record database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar
from sqlalchemy.orm import Session

from ariadne_core.db.engine import engine_for, session_scope


class CatalogDatabase(ConfigurableResource):
    """The Ariadne PostgreSQL database, by URL (ARIADNE_DATABASE_URL by default)."""

    database_url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(engine_for(self.database_url)) as session:
            yield session


def default_resources() -> dict[str, object]:
    return {"catalog_db": CatalogDatabase(database_url=EnvVar("ARIADNE_DATABASE_URL"))}
