"""Dagster resources: the system-of-record database and the Neo4j lineage projection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ariadne_core.db.engine import engine_for, session_scope
from ariadne_core.graph.neo4j_store import Neo4jGraphStore


class CatalogDatabase(ConfigurableResource):
    """The Ariadne PostgreSQL database, by URL (ARIADNE_DATABASE_URL by default)."""

    database_url: str

    def engine(self) -> Engine:
        return engine_for(self.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(engine_for(self.database_url)) as session:
            yield session


def default_resources() -> dict[str, object]:
    return {
        "catalog_db": CatalogDatabase(database_url=EnvVar("ARIADNE_DATABASE_URL")),
        "lineage_graph_db": LineageGraphDatabase(
            uri=EnvVar("ARIADNE_NEO4J_URI"), password=EnvVar("ARIADNE_NEO4J_PASSWORD")
        ),
    }


class LineageGraphDatabase(ConfigurableResource):
    """Neo4j, where the lineage graph is projected (ARIADNE_NEO4J_* by default)."""

    uri: str
    user: str = "neo4j"
    password: str

    @contextmanager
    def store(self) -> Iterator[Neo4jGraphStore]:
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=(self.user, self.password)) as driver:
            yield Neo4jGraphStore(driver)
