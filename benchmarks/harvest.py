"""Harvest of a PostgreSQL source: a full sync and a no-op incremental re-sync.

    make bench        (or: .venv/bin/python benchmarks/harvest.py)

A source database on the test PostgreSQL gets 5,000 tables of 20 columns each (10
schemas, a primary key, a comment on every table). A fresh Ariadne catalog gets a
PostgreSQL source pointing at it. Then, timed from the outside of ``run_sync`` (the
function the Dagster asset calls):

- a full sync into the empty catalog: 5,000 tables, 100,000 fields, their history rows;
- a second, incremental sync with nothing changed: fingerprints match, nothing written.

Targets: full sync < 60 s, no-op sync < 10 s. Writes benchmarks/results/harvest.json
with full_sync_5k_s and noop_sync_5k_s.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks._common import RESULTS, drop_database, fresh_database

TABLES = 5_000
COLUMNS = 20
SCHEMAS = 10


def build_source(url: str) -> None:
    types = ["bigint", "text", "numeric(12,2)", "timestamptz", "boolean", "varchar(100)", "date"]
    with psycopg.connect(url, autocommit=True) as conn:
        for s in range(SCHEMAS):
            conn.execute(f"CREATE SCHEMA s{s}")
        for batch in range(0, TABLES, 250):  # one lock per table: keep transactions small
            with conn.transaction():
                for t in range(batch, min(batch + 250, TABLES)):
                    cols = ", ".join(
                        f"c{c} {types[c % len(types)]}{' PRIMARY KEY' if c == 0 else ''}"
                        for c in range(COLUMNS)
                    )
                    name = f"s{t % SCHEMAS}.table_{t}"
                    conn.execute(f"CREATE TABLE {name} ({cols})")
                    conn.execute(f"COMMENT ON TABLE {name} IS 'benchmark table {t}'")
        conn.execute("ANALYZE")


def source_config(source_url: str) -> dict[str, object]:
    """The connection config of a PostgreSQL source on the benchmark source database."""
    parts = urlsplit(source_url)
    return {
        "host": parts.hostname,
        "port": parts.port,
        "database": parts.path.lstrip("/"),
        "username": parts.username or "postgres",
        "password": parts.password,  # the test PostgreSQL asks for it
        "schemas": [f"s{s}" for s in range(SCHEMAS)],
    }


def main() -> None:
    from sqlalchemy import create_engine

    from ariadne_core.catalog.sources import SourceInput, create_source
    from ariadne_core.db.engine import session_scope, sqlalchemy_url
    from ariadne_core.db.models import SourceType
    from ariadne_core.harvest.service import run_sync
    from ariadne_core.security.secrets import Keyring

    catalog_url = fresh_database("bench_harvest")
    source_url = fresh_database("bench_harvest_src")  # migrated too: realistic extra schema
    try:
        started = time.perf_counter()
        build_source(source_url)
        print(
            f"source database: {TABLES} tables x {COLUMNS} columns in {time.perf_counter() - started:.1f} s"
        )
        engine = create_engine(sqlalchemy_url(catalog_url))
        keyring = Keyring.parse("bench:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=")
        config = source_config(source_url)
        with session_scope(engine) as session:
            source_id = create_source(
                session,
                keyring,
                SourceInput("bench", SourceType.POSTGRESQL, connection_config=config),
                "bench",
            ).id

        t0 = time.perf_counter()
        full = run_sync(engine, source_id, keyring)
        full_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        noop = run_sync(engine, source_id, keyring)
        noop_s = time.perf_counter() - t1
        assert full.counts.added == TABLES and full.counts.fields_added == TABLES * COLUMNS
        assert noop.counts.unchanged == TABLES and noop.counts.history_rows == 0

        print(
            f"full sync  {TABLES} tables / {TABLES * COLUMNS} fields: {full_s:6.2f} s  (target 60 s) {full.timings}"
        )
        print(
            f"no-op sync {TABLES} tables unchanged:            {noop_s:6.2f} s  (target 10 s) {noop.timings}"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "harvest.json").write_text(
            json.dumps(
                {"full_sync_5k_s": round(full_s, 2), "noop_sync_5k_s": round(noop_s, 2)}, indent=2
            )
            + "\n"
        )
        engine.dispose()
    finally:
        drop_database(catalog_url)
        drop_database(source_url)


if __name__ == "__main__":
    main()
