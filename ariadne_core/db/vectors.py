"""The size of the pgvector column follows the configured embedding model.

`fit` runs after the migrations (`ariadne db upgrade`, `make run`, tests): when the
configured size differs from the column's, the stored vectors, which belong to another
model and are derived data, are deleted (the `metadata_embeddings` asset embeds the
catalog again), and the column and its HNSW index are rebuilt for the new size.
`check` runs when the API starts: a column of another size is a startup error that says
what to run.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from ariadne_core.config import Settings
from ariadne_core.db.engine import libpq_url
from ariadne_core.errors import ConfigurationError

log = logging.getLogger("ariadne.db")

VECTOR_INDEX = "ix_embeddings_vector"
INDEX_BUILD_MEMORY = "1GB"  # an HNSW graph of 210,000 x 384 builds in memory (~400 MB)


def create_vector_index(conn: psycopg.Connection[Any]) -> None:
    """The HNSW index semantic search walks (inner product on unit vectors = cosine), if
    it is missing. Built in one pass with enough memory for the graph: about 1.5 minutes
    for 210,000 vectors, where inserting them one by one into the index takes ten times
    as long."""
    with conn.transaction():
        conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON embeddings USING hnsw "
            "(embedding vector_ip_ops) WITH (m = 16, ef_construction = 64)"
        )


def drop_vector_index(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")


_SIZE = (
    "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'embeddings'::regclass "
    "AND attname = 'embedding'"
)


def column_size(conn: psycopg.Connection[Any]) -> int | None:
    row = conn.execute(_SIZE).fetchone()
    return None if row is None or row[0] < 0 else int(row[0])


def fit(url: str, settings: Settings) -> None:
    size = settings.embedding_vector_size()
    if size is None:
        return  # unknown model, no size configured: `check` says so at startup
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        current = column_size(conn)
        if current == size:
            return
        with conn.transaction():
            dropped = conn.execute("DELETE FROM embeddings").rowcount
            drop_vector_index(conn)
            conn.execute(f"ALTER TABLE embeddings ALTER COLUMN embedding TYPE vector({size:d})")
            create_vector_index(conn)
    log.warning(
        "embeddings column resized from %s to %d for model %s; %d stored vectors of the "
        "previous model were dropped and will be embedded again",
        current,
        size,
        settings.embedding_model_name,
        dropped,
    )


def check(conn: psycopg.Connection[Any], settings: Settings) -> None:
    size = settings.embedding_vector_size()
    if size is None:
        raise ConfigurationError(
            f"The size of embedding model '{settings.embedding_model_name}' is not known; "
            "set ARIADNE_EMBEDDING_DIMENSIONS to the size of its vectors."
        )
    current = column_size(conn)
    if current != size:
        raise ConfigurationError(
            f"The embeddings column holds vectors of size {current}, but model "
            f"'{settings.embedding_model_name}' makes vectors of size {size}. Run "
            "`ariadne db upgrade` to resize it (the stored vectors are embedded again)."
        )
