"""Dagster resources: the system-of-record database, the Neo4j lineage projection, the
keyring that decrypts source credentials, and the connectors that read sources.

Assets and ops take each of them as a resource, so a test (or another deployment) swaps
one for its own: `materialize(..., resources={"connectors": Recorded()})`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import ConfigurableResource, EnvVar
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ariadne_core.config import get_settings
from ariadne_core.connectors.base import Connector
from ariadne_core.connectors.registry import connector_for
from ariadne_core.db.engine import engine_for, session_scope
from ariadne_core.db.models import SourceType
from ariadne_core.embedding.providers import EmbeddingProvider, embedding_provider
from ariadne_core.graph.neo4j_store import Neo4jGraphStore
from ariadne_core.security.secrets import Keyring, keyring_for


class CatalogDatabase(ConfigurableResource):
    """The Ariadne PostgreSQL database, by URL (ARIADNE_DATABASE_URL by default)."""

    database_url: str

    def engine(self) -> Engine:
        return engine_for(self.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(engine_for(self.database_url)) as session:
            yield session


class SourceKeyring(ConfigurableResource):
    """The keys that decrypt stored source credentials (ARIADNE_ENCRYPTION_KEYS, read from
    the environment by the process that runs the step, never from run config)."""

    def keyring(self) -> Keyring:
        return keyring_for(get_settings())


class SourceConnectors(ConfigurableResource):
    """Opens the connector that reads a source of a given type (ariadne_core.connectors)."""

    def open(self, source_type: SourceType, config: dict[str, Any]) -> Connector:
        return connector_for(source_type, config)


def default_resources() -> dict[str, object]:
    return {
        "catalog_db": CatalogDatabase(database_url=EnvVar("ARIADNE_DATABASE_URL")),
        "lineage_graph_db": LineageGraphDatabase(
            uri=EnvVar("ARIADNE_NEO4J_URI"), password=EnvVar("ARIADNE_NEO4J_PASSWORD")
        ),
        "source_keyring": SourceKeyring(),
        "connectors": SourceConnectors(),
        "embedding_model": EmbeddingModel(),
    }


class EmbeddingModel(ConfigurableResource):
    """The configured embedding provider (ARIADNE_EMBEDDING_*, read by the process that
    runs the step; the API key never enters run config). Tests swap it."""

    def provider(self) -> EmbeddingProvider:
        return embedding_provider(get_settings())


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
