"""The size of the pgvector column follows the configured embedding model.

`fit` runs after the migrations (`ariadne db upgrade`, `make run`, tests): when the
configured size differs from the column's, the stored vectors, which belong to another
model and are derived data, are deleted (the `metadata_embeddings` asset embeds the
catalog again), and the column and its IVFFlat index are rebuilt for the new size.
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
INDEX_BUILD_MEMORY = "1GB"  # k-means over 210,000 x 384 and the lists build in memory
VECTORS_PER_LIST = 200  # an IVFFlat list per ~200 vectors: 1,050 lists for 210,000
MAX_LISTS = 10_000
REBUILD_LOCK = 7_310_633_202_517  # advisory lock key: one rebuild at a time


def lists_for(vectors: int) -> int:
    """How many IVFFlat lists suit ``vectors`` vectors (at least one)."""
    return max(1, min(MAX_LISTS, vectors // VECTORS_PER_LIST))


def index_lists(conn: psycopg.Connection[Any]) -> int | None:
    """The lists of the IVFFlat index semantic search reads, or None if there is none
    (or it is not an IVFFlat index)."""
    row = conn.execute(
        "SELECT am.amname, c.reloptions FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
        "WHERE c.oid = to_regclass(%s)",
        (VECTOR_INDEX,),
    ).fetchone()
    if row is None or row[0] != "ivfflat":
        return None
    options = dict(o.split("=", 1) for o in row[1] or [])
    return int(options.get("lists", 100))


def create_vector_index(conn: psycopg.Connection[Any]) -> None:
    """The IVFFlat index semantic search reads (inner product on unit vectors = cosine),
    with lists for the vectors stored now, in place of any index of that name (HNSW
    before migration 0017). Its callers know it is missing or of another kind;
    `ensure_vector_index` builds it again when the vectors' number moves far off."""
    with conn.transaction():
        drop_vector_index(conn)
        _build(conn, VECTOR_INDEX, lists_for(_stored(conn)))


def ensure_vector_index(conn: psycopg.Connection[Any]) -> None:
    """Build the index if it is missing, or anew if the vectors stored now call for
    under half or over twice its lists (k-means clusters are fixed when it is built: a
    catalog that grew from the demo's 475 vectors, one list, to 200,000 would read them
    all for each search). The new index is built beside the old one, which searches
    keep reading, then replaces it in one short transaction; one process at a time
    (another that finds the lock taken leaves it to the first)."""
    current = index_lists(conn)
    if current is None:
        create_vector_index(conn)
        return
    stored = _stored(conn)
    wanted = lists_for(stored)
    if current // 2 <= wanted <= current * 2:
        return
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (REBUILD_LOCK,)).fetchone()
    if not (row and row[0]):
        log.info("vector index: another process is building it again")
        return
    spare = VECTOR_INDEX + "_new"
    try:
        with conn.transaction():
            conn.execute(f"DROP INDEX IF EXISTS {spare}")
            _build(conn, spare, wanted)
        with conn.transaction():
            drop_vector_index(conn)
            conn.execute(f"ALTER INDEX {spare} RENAME TO {VECTOR_INDEX}")
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (REBUILD_LOCK,))
    log.info(
        "vector index rebuilt with %d lists (it had %d) for %d vectors", wanted, current, stored
    )


def _stored(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM embeddings").fetchone()
    return int(row[0]) if row else 0


def _build(conn: psycopg.Connection[Any], name: str, lists: int) -> None:
    """In the caller's transaction: about 16 s for 210,000 vectors of 384."""
    conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    conn.execute(
        f"CREATE INDEX {name} ON embeddings USING ivfflat (embedding vector_ip_ops) "
        f"WITH (lists = {lists:d})"
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
