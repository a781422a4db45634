"""The catalog's embeddings, kept up to date incrementally.

Each live table and field has one text (`table_text`, `field_text`). A table's: its name
as words, kind and qualified name, description, tags, owner, and its first forty
columns with their types. A field's is short (fields are twenty times as many, and the
model's time grows with the word pieces): its name as words, type, table as words,
description and tags. The text's content hash is stored with its vector, the model's
name and its version:

- a row whose text did not change is not embedded again;
- a vector whose hash another row already holds is copied, not computed (the embedding
  cache: a table dropped and harvested again under a new id costs nothing);
- a deleted table or field loses its vector;
- a change of model, or of its version, embeds everything again.

Work is committed batch by batch, so an interrupted run keeps what it did and the next
run starts where it stopped. `embed_catalog` is the one implementation; the Dagster
asset `metadata_embeddings` and `ariadne embed` call it.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.pq import TransactionStatus

from ariadne_core.db.vectors import drop_vector_index, ensure_vector_index
from ariadne_core.embedding.providers import EmbeddingProvider
from ariadne_core.errors import ConfigurationError

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9A-Za-z]+")
MAX_TEXT = 2000  # characters; the local model reads 256 word pieces anyway
MAX_COLUMNS = 40  # columns named in a table's text
REBUILD_INDEX_AT = 20_000  # new vectors past which the index is built anew, not updated


def words(identifier: str) -> str:
    """`agg_customerLTV.v2` -> `agg customer ltv v2`: how a person would say it."""
    return " ".join(w.lower() for w in _SPLIT.split(_CAMEL.sub(" ", identifier)) if w)


def table_text(
    qualified_name: str,
    name: str,
    table_type: str,
    description: str | None,
    tags: list[str] | None,
    owner: str | None,
    columns: list[tuple[str, str | None]],
) -> str:
    parts = [f"{words(name)} ({table_type} {qualified_name})"]
    if description:
        parts.append(description.strip())
    if tags:
        parts.append("tags: " + ", ".join(tags))
    if owner:
        parts.append(f"owner: {owner}")
    if columns:
        # The first `MAX_COLUMNS`: a table's word pieces cost as much model time as
        # five fields', and a wide table's text would be cut at the model's 256 anyway.
        listed = ", ".join(f"{words(c)} {t}" if t else words(c) for c, t in columns[:MAX_COLUMNS])
        more = len(columns) - MAX_COLUMNS
        parts.append(f"columns: {listed}" + (f" and {more} more" if more > 0 else ""))
    return ". ".join(parts)[:MAX_TEXT]


def field_text(
    name: str,
    data_type: str | None,
    description: str | None,
    tags: list[str] | None,
    table_name: str,
) -> str:
    # Short on purpose: fields are twenty times as many as tables, and the model's time
    # grows with the word pieces. The qualified name (source and schema, written out
    # in full) is left to the table's text; the field says its table in words.
    head = f"{words(name)} ({data_type})" if data_type else words(name)
    parts = [f"{head} in {words(table_name)}"]
    if description:
        parts.append(description.strip())
    if tags:
        parts.append("tags: " + ", ".join(tags))
    return ". ".join(parts)[:MAX_TEXT]


@dataclass
class Item:
    entity_type: str  # table or field
    entity_id: uuid.UUID
    source_id: uuid.UUID
    text: str
    content_hash: str = ""


@dataclass
class EmbedReport:
    model: str
    model_version: str
    live: int = 0  # tables and fields that should have a vector
    embedded: int = 0  # texts run through the model
    reused: int = 0  # vectors copied from a row with the same text
    unchanged: int = 0
    deleted: int = 0  # vectors of deleted rows, or of another model
    seconds: float = 0.0

    @property
    def texts_per_s(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "texts_per_s": round(self.texts_per_s, 1)}


_TABLES = """
SELECT t.id, t.source_id, t.qualified_name, t.name, t.table_type, t.description, t.tags,
       t.owner,
       (SELECT array_agg(f.name ORDER BY f.ordinal_position NULLS LAST, f.name)
          FROM metadata_fields f WHERE f.table_id = t.id AND NOT f.is_deleted),
       (SELECT array_agg(f.data_type ORDER BY f.ordinal_position NULLS LAST, f.name)
          FROM metadata_fields f WHERE f.table_id = t.id AND NOT f.is_deleted)
FROM metadata_tables t WHERE NOT t.is_deleted
"""
# What "a live field" means, wherever embeddings are written, dropped or counted: the field
# and its table are both not deleted.
LIVE_FIELDS = (
    "metadata_fields f JOIN metadata_tables t ON t.id = f.table_id "
    "WHERE NOT f.is_deleted AND NOT t.is_deleted"
)
_FIELDS = f"SELECT f.id, t.source_id, f.name, f.data_type, f.description, f.tags, t.name FROM {LIVE_FIELDS}"


def catalog_items(conn: psycopg.Connection[Any]) -> Iterator[Item]:
    """Every live table and field with its text."""
    with conn.cursor(name="embed_tables") as cur:
        cur.itersize = 2000
        cur.execute(_TABLES)
        for tid, sid, qname, name, ttype, desc, tags, owner, cols, types in cur:
            columns = list(zip(cols or [], types or [], strict=True))
            text = table_text(qname, name, ttype, desc, tags, owner, columns)
            yield Item("table", tid, sid, text)
    with conn.cursor(name="embed_fields") as cur:
        cur.itersize = 5000
        cur.execute(_FIELDS)
        for fid, sid, name, dtype, desc, tags, table_name in cur:
            yield Item("field", fid, sid, field_text(name, dtype, desc, tags, table_name))


def content_hash(provider: EmbeddingProvider, text: str) -> str:
    key = f"{provider.model}\x00{provider.version}\x00{text}"
    return hashlib.sha256(key.encode()).hexdigest()


Progress = Callable[[EmbedReport], None]


def embed_catalog(
    conn: psycopg.Connection[Any],
    provider: EmbeddingProvider,
    *,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> EmbedReport:
    """Bring the embeddings up to date with the catalog, on ``conn``. On an autocommit
    connection the catalog is read in one snapshot, then each batch is its own
    transaction; on a connection in a transaction (a test's) they are savepoints."""
    row = conn.execute("SELECT to_regclass('embeddings') IS NOT NULL").fetchone()
    if not (row and row[0]):
        raise ConfigurationError(
            "This database has no embeddings table: it is not migrated. "
            "Run `ariadne db upgrade` first."
        )
    register_vector(conn)
    started = time.perf_counter()
    report = EmbedReport(provider.model, provider.version)
    with conn.transaction():
        report.deleted += _delete_other_models(conn, provider)
        stored = {
            (kind, eid): digest
            for kind, eid, digest in conn.execute(
                "SELECT entity_type, entity_id, content_hash FROM embeddings WHERE model = %s",
                (provider.model,),
            )
        }
        pending: list[Item] = []
        for item in catalog_items(conn):
            report.live += 1
            item.content_hash = content_hash(provider, item.text)
            if stored.get((item.entity_type, item.entity_id)) == item.content_hash:
                report.unchanged += 1
            else:
                pending.append(item)
    del stored
    # Many new vectors (a first run, a new model): the vector index is built once at
    # the end instead of updated per row. Meanwhile semantic search scans exactly (slower,
    # still right). A run that fails builds it before raising; every run ends by
    # building it if missing, so one that was killed is mended by the next.
    rebuild = len(pending) >= REBUILD_INDEX_AT
    if rebuild:
        with conn.transaction():
            drop_vector_index(conn)
    try:
        for start in range(0, len(pending), batch_size):
            _write_batch(conn, provider, pending[start : start + batch_size], report)
            report.seconds = time.perf_counter() - started
            if progress:
                progress(report)
        # Last, so a table harvested again under a new id could copy its old vector first.
        with conn.transaction():
            report.deleted += _delete_gone(conn)
    finally:
        if conn.info.transaction_status in (TransactionStatus.IDLE, TransactionStatus.INTRANS):
            ensure_vector_index(conn)
    report.seconds = time.perf_counter() - started
    return report


def _delete_other_models(conn: psycopg.Connection[Any], provider: EmbeddingProvider) -> int:
    """Vectors of another model, or of another version of it: useless to its queries."""
    return int(
        conn.execute(
            "DELETE FROM embeddings WHERE model <> %s OR model_version <> %s",
            (provider.model, provider.version),
        ).rowcount
    )


def _delete_gone(conn: psycopg.Connection[Any]) -> int:
    """Vectors of tables and fields no longer live."""
    deleted = conn.execute(
        "DELETE FROM embeddings e WHERE e.entity_type = 'table' AND NOT EXISTS "
        "(SELECT 1 FROM metadata_tables t WHERE t.id = e.entity_id AND NOT t.is_deleted)"
    ).rowcount
    deleted += conn.execute(
        "DELETE FROM embeddings e WHERE e.entity_type = 'field' AND NOT EXISTS "
        f"(SELECT 1 FROM {LIVE_FIELDS} AND f.id = e.entity_id)"
    ).rowcount
    return deleted


_BATCH_TYPES = ["uuid", "text", "uuid", "uuid", "text", "text", "text", "text", "vector"]


def _write_batch(
    conn: psycopg.Connection[Any],
    provider: EmbeddingProvider,
    items: list[Item],
    report: EmbedReport,
) -> None:
    """Embed what no stored row already has, then upsert the batch in one transaction."""
    hashes = list({i.content_hash for i in items})
    known: dict[str, Any] = {
        digest: vector.to_numpy()
        for digest, vector in conn.execute(
            "SELECT DISTINCT ON (content_hash) content_hash, embedding FROM embeddings "
            "WHERE model = %s AND content_hash = ANY(%s)",
            (provider.model, hashes),
        )
    }
    texts = {i.content_hash: i.text for i in items if i.content_hash not in known}
    if texts:
        vectors = provider.embed(list(texts.values()))
        known.update(zip(texts, vectors, strict=True))
    report.embedded += len(texts)
    report.reused += len(items) - sum(1 for i in items if i.content_hash in texts)
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS embeddings_batch "
            "(LIKE embeddings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        # Binary: a vector goes as its 1,536 bytes. As text, formatting its 384 floats
        # in Python cost more than the server's whole insert (0.7 ms a row).
        with conn.cursor().copy(
            "COPY embeddings_batch (id, entity_type, entity_id, source_id, model, "
            "model_version, content_hash, content, embedding) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_BATCH_TYPES)
            for item in items:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        item.entity_type,
                        item.entity_id,
                        item.source_id,
                        provider.model,
                        provider.version,
                        item.content_hash,
                        item.text,
                        np.asarray(known[item.content_hash], dtype=np.float32),
                    )
                )
        conn.execute(
            "INSERT INTO embeddings (id, entity_type, entity_id, source_id, model, "
            "model_version, content_hash, content, embedding) "
            "SELECT id, entity_type, entity_id, source_id, model, model_version, content_hash, "
            "content, embedding FROM embeddings_batch "
            "ON CONFLICT (entity_type, entity_id, model) DO UPDATE SET "
            "source_id = EXCLUDED.source_id, model_version = EXCLUDED.model_version, "
            "content_hash = EXCLUDED.content_hash, content = EXCLUDED.content, "
            "embedding = EXCLUDED.embedding, updated_at = now()"
        )
        conn.execute("TRUNCATE embeddings_batch")  # under a caller's transaction too


def catalog_mark(conn: psycopg.Connection[Any]) -> str:
    """Changes whenever a table or field is added, changed or deleted: what the sensor
    compares to decide that the embeddings are behind."""
    row = conn.execute(
        "SELECT (SELECT max(updated_at) FROM metadata_tables), "
        "(SELECT count(*) FROM metadata_tables WHERE NOT is_deleted), "
        "(SELECT max(updated_at) FROM metadata_fields), "
        "(SELECT count(*) FROM metadata_fields WHERE NOT is_deleted)"
    ).fetchone()
    return "|".join(str(v) for v in row or ())
