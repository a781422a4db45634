"""The catalog generation follows committed changes from any connection (real NOTIFY), and
the caches built on it never serve an answer from before a committed change."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from ariadne_core.catalog import tables
from ariadne_core.catalog.generation import CatalogGeneration, GenerationCache
from ariadne_core.db import migrate
from ariadne_core.db.plans import run


@pytest.fixture(scope="module")
def url(make_database: Any) -> str:
    database = str(make_database("ariadne_generation"))
    migrate.upgrade(database)
    return database


@pytest.fixture
def generation(url: str) -> Iterator[CatalogGeneration]:
    gen = CatalogGeneration(url, retry_seconds=0.2)
    gen.start()
    assert gen.current() is not None, "the listener did not connect"
    yield gen
    gen.close()


def _wait_until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def _cached(cache: GenerationCache, key: str, compute: Callable[[], int]) -> int:
    """What the read plans do: look up, else compute and store under the generation
    read before the work."""
    generation, value = cache.lookup(key)
    if value is None:
        value = compute()
        cache.store(key, generation, value)
    return int(value)


def _add_source(conn: psycopg.Connection[Any]) -> uuid.UUID:
    source_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO data_sources (id, name, type) VALUES (%s, %s, 'manual')",
        (source_id, f"src_{source_id.hex[:8]}"),
    )
    return source_id


def _add_table(conn: psycopg.Connection[Any], source_id: uuid.UUID, name: str) -> None:
    conn.execute(
        "INSERT INTO metadata_tables (id, source_id, name, qualified_name) VALUES (%s, %s, %s, %s)",
        (uuid.uuid4(), source_id, name, f"x.{name}"),
    )


def test_a_commit_elsewhere_moves_the_generation_and_a_rollback_does_not(
    url: str, generation: CatalogGeneration
) -> None:
    before = generation.current()
    assert before is not None
    with psycopg.connect(url) as conn:
        _add_source(conn)
        conn.rollback()
    time.sleep(0.3)
    assert generation.current() == before

    with psycopg.connect(url) as conn:
        source_id = _add_source(conn)
        time.sleep(0.2)
        assert generation.current() == before, "moved before the commit"
        conn.commit()
        assert _wait_until(lambda: generation.current() != before)

    moved = generation.current()
    with psycopg.connect(url, autocommit=True) as conn:  # a field update, by hand
        _add_table(conn, source_id, f"t_{uuid.uuid4().hex[:6]}")
        conn.execute(
            "UPDATE metadata_tables SET description = 'x' WHERE source_id = %s", (source_id,)
        )
    assert _wait_until(lambda: generation.current() != moved)


def test_cached_totals_are_never_served_after_a_committed_change(
    url: str, generation: CatalogGeneration
) -> None:
    cache = GenerationCache(generation)
    with psycopg.connect(url, autocommit=True) as writer, psycopg.connect(url) as reader:
        reader.autocommit = True
        source_id = _add_source(writer)
        _add_table(writer, source_id, "orders")
        assert _wait_until(lambda: run(reader, tables.list_tables(source_id=source_id))[1] == 1)

        counted: list[int] = []
        real_execute = reader.execute

        def counting_execute(query: Any, params: Any = None, **kw: Any) -> Any:
            if str(query).startswith("SELECT count(*)"):
                counted.append(1)
            return real_execute(query, params, **kw)

        reader.execute = counting_execute  # type: ignore[method-assign]
        for _ in range(3):
            _, total = run(reader, tables.list_tables(source_id=source_id, cache=cache))
            assert total == 1
        assert len(counted) == 1, "the count was not cached"

        _add_table(writer, source_id, "customers")  # committed: autocommit
        assert _wait_until(
            lambda: run(reader, tables.list_tables(source_id=source_id, cache=cache))[1] == 2
        )
        items, total = run(reader, tables.list_tables(source_id=source_id, cache=cache))
        assert total == 2 and '"customers"' in items


def test_without_a_listener_nothing_is_served_from_the_cache(url: str) -> None:
    gen = CatalogGeneration(url, retry_seconds=0.2)
    gen.start()
    try:
        cache = GenerationCache(gen)
        assert _cached(cache, "k", lambda: 1) == 1
        assert _cached(cache, "k", lambda: 2) == 1  # cached
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN ariadne_catalog%%' AND pid <> pg_backend_pid()"
            )
        assert _wait_until(lambda: gen.current() is None, 3)
        assert _cached(cache, "k", lambda: 3) == 3  # computed, not the old 1
        # It reconnects, and what may have changed meanwhile counts as a change.
        assert _wait_until(lambda: gen.current() is not None, 5)
        assert _cached(cache, "k", lambda: 4) == 4
    finally:
        gen.close()


@pytest.mark.parametrize("sort", [None, "-name", "updated_at"])
def test_pages_from_kept_ids_equal_pages_from_offset_queries(
    url: str, generation: CatalogGeneration, sort: str | None
) -> None:
    """With a cache, a list keeps its matches' ids in order and reads pages by id; the
    pages must be exactly what OFFSET/LIMIT over the live tables gives."""
    cache = GenerationCache(generation)
    with psycopg.connect(url, autocommit=True) as conn:
        source_id = _add_source(conn)
        for i in range(45):
            _add_table(conn, source_id, f"p{(i * 7) % 45:02d}_{uuid.uuid4().hex[:4]}")
        time.sleep(0.3)  # let the inserts' notifications arrive
        for page in range(4):  # the last one is past the end
            plain = run(
                conn,
                tables.list_tables(source_id=source_id, sort=sort, offset=page * 20, limit=20),
            )
            kept = run(
                conn,
                tables.list_tables(
                    source_id=source_id, sort=sort, offset=page * 20, limit=20, cache=cache
                ),
            )
            assert kept == plain
            assert plain[1] == 45
        kept_ids = [v for _, v, _ in cache._entries.values() if isinstance(v, tables.OrderedIds)]
        assert kept_ids and len(kept_ids[0]) == 45


def test_a_kept_detail_shows_a_lineage_edge_committed_elsewhere(
    url: str, generation: CatalogGeneration
) -> None:
    """Details carry their live edge counts, so a lineage write (migration 0006) must end
    the generation as a table write does."""
    cache = GenerationCache(generation)
    with psycopg.connect(url, autocommit=True) as writer, psycopg.connect(url) as reader:
        reader.autocommit = True
        source_id = _add_source(writer)
        _add_table(writer, source_id, "raw_orders")
        _add_table(writer, source_id, "orders")
        ids = dict(
            writer.execute(
                "SELECT name, id FROM metadata_tables WHERE source_id = %s", (source_id,)
            ).fetchall()
        )
        time.sleep(0.3)  # let the inserts' notifications arrive

        def upstream_count() -> int:
            body = json.loads(run(reader, tables.table_detail(ids["orders"], cache)))
            return int(body["upstream_count"])

        assert upstream_count() == 0
        assert cache.lookup(("table", ids["orders"]))[1] is not None, "the detail was not kept"
        writer.execute(
            "INSERT INTO table_lineage (id, source_table_id, target_table_id, lineage_source, "
            "origin, confidence, status) VALUES (%s, %s, %s, 'manual', 'manual', 1.0, 'active')",
            (uuid.uuid4(), ids["raw_orders"], ids["orders"]),
        )
        assert _wait_until(lambda: upstream_count() == 1)


def test_the_cache_drops_the_least_recently_used_answers_first(
    generation: CatalogGeneration,
) -> None:
    cache = GenerationCache(generation, max_bytes=3_000)
    for key in ("a", "b", "c"):
        cache.store(key, cache.lookup(key)[0], key, size=1_000)
    assert cache.lookup("a")[1] == "a"  # now the most recently used
    cache.store("d", cache.lookup("d")[0], "d", size=1_000)
    assert [cache.lookup(k)[1] for k in ("a", "b", "c", "d")] == ["a", None, "c", "d"]
    cache.store("huge", cache.lookup("huge")[0], "x", size=10_000)  # larger than it all
    assert cache.lookup("huge")[1] is None and cache.lookup("a")[1] == "a"


def test_a_cache_of_size_zero_keeps_nothing(generation: CatalogGeneration) -> None:
    cache = GenerationCache(generation, max_bytes=0)
    generation_now, _ = cache.lookup("k")
    assert generation_now is None  # so the plans do no work meant for the cache
    cache.store("k", generation.current(), 1)
    assert cache.lookup("k") == (None, None)
