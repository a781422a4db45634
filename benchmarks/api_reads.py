"""API read latency: list, detail and search over 10,000 tables with 20 fields each.

Seeds a fresh database with COPY, serves it with uvicorn (2 workers) on loopback and drives
it with 32 concurrent HTTP connections from wrk. Prints p50/p95 per endpoint and writes
benchmarks/results/api_reads.json. Target: p95 < 50 ms.

Each endpoint cycles through 5,000 request paths, first on the API as deployed (it keeps
answers until the catalog changes: ariadne_core/catalog/generation.py), then with that
cache off (`uncached_*` keys), so every request runs its queries.

    make bench        # or: .venv/bin/python benchmarks/api_reads.py
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ariadne_core.config import Settings
from benchmarks._common import (
    RESULTS,
    ApiServer,
    drop_database,
    fresh_database,
    vacuum_analyze,
    viewer_token,
    wrk_latency,
)

TABLES, FIELDS_PER_TABLE = 10_000, 20
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
REQUESTS_PER_ENDPOINT = 5_000  # distinct paths per endpoint, cycled through by wrk
WORDS = [
    "customer",
    "order",
    "invoice",
    "payment",
    "product",
    "shipment",
    "account",
    "revenue",
    "inventory",
    "supplier",
    "campaign",
    "session",
    "ledger",
    "refund",
    "store",
    "employee",
]
SUFFIXES = ["daily", "hist", "stg", "agg", "snapshot", "v2", "raw", "clean"]
TAGS = ["gold", "silver", "bronze", "pii", "finance", "marketing", "ops", "deprecated"]
COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "amount",
    "currency",
    "status",
    "email",
    "name",
    "country",
    "city",
    "quantity",
    "price",
    "discount",
    "channel",
    "source",
    "owner",
    "region",
    "segment",
    "score",
    "note",
]
SEARCH_TERMS = [
    "cust",
    "order",
    "invoice_daily",
    "custmer",
    "revenu",
    "payment agg",
    "email",
    "shipmnt",
    "ledger",
    "pii",
]


def seed(url: str) -> list[str]:
    rng = random.Random(7)
    source_ids = [uuid.uuid4() for _ in range(4)]
    table_ids: list[str] = []
    qualified: list[str] = []
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY data_sources (id, name, type) FROM STDIN") as copy:
            for i, sid in enumerate(source_ids):
                copy.write_row((sid, f"src{i}", "manual"))
        with conn.cursor().copy(
            "COPY metadata_tables (id, source_id, schema_name, name, qualified_name, table_type, "
            "description, tags) FROM STDIN"
        ) as copy:
            for i in range(TABLES):
                tid = uuid.uuid4()
                table_ids.append(str(tid))
                sid = source_ids[i % len(source_ids)]
                schema = f"s{i % 25}"
                a, b = rng.choice(WORDS), rng.choice(WORDS)
                name = f"{a}_{b}_{rng.choice(SUFFIXES)}_{i}"
                qualified.append(f"src{i % len(source_ids)}.{schema}.{name}")
                copy.write_row(
                    (
                        tid,
                        sid,
                        schema,
                        name,
                        f"src{i % len(source_ids)}.{schema}.{name}",
                        "view" if i % 10 == 0 else "table",
                        f"{a.capitalize()} and {b} data for reporting",
                        rng.sample(TAGS, 2),
                    )
                )
        with conn.cursor().copy(
            "COPY metadata_fields (id, table_id, name, qualified_name, data_type, "
            "ordinal_position, description, tags) FROM STDIN"
        ) as copy:
            for tid, table_qname in zip(table_ids, qualified, strict=True):
                for pos, column in enumerate(COLUMNS[:FIELDS_PER_TABLE], start=1):
                    copy.write_row(
                        (
                            uuid.uuid4(),
                            tid,
                            column,
                            f"{table_qname}.{column}",
                            "text",
                            pos,
                            f"The {column} of the row",
                            [],
                        )
                    )
    vacuum_analyze(url)
    return table_ids


def main() -> None:
    url = fresh_database("ariadne_bench_api")
    try:
        t0 = time.perf_counter()
        table_ids = seed(url)
        print(
            f"seeded {TABLES} tables x {FIELDS_PER_TABLE} fields in {time.perf_counter() - t0:.1f} s"
        )
        home = Path(f"/tmp/ariadne-bench-{uuid.uuid4().hex[:6]}")
        settings = Settings(
            _env_file=None,
            database_url=url,
            jwt_secret="bench-" + "s" * 40,  # type: ignore[call-arg]
            home=home,
        )
        token = viewer_token(url, settings)
        env = {
            "ARIADNE_DATABASE_URL": url,
            "ARIADNE_JWT_SECRET": settings.jwt_secret or "",
            "ARIADNE_HOME": str(home),
            "ARIADNE_LOG_LEVEL": "WARNING",
        }
        rng = random.Random(11)
        workloads = {
            "list": [
                f"/api/v1/tables?page={rng.randint(1, 500)}&size=20"
                + ("&sort=-updated_at" if i % 3 == 0 else "")
                + (f"&tags={rng.choice(TAGS)}" if i % 4 == 0 else "")
                for i in range(REQUESTS_PER_ENDPOINT)
            ],
            "detail": [
                f"/api/v1/tables/{rng.choice(table_ids)}" for _ in range(REQUESTS_PER_ENDPOINT)
            ],
            "search": [
                f"/api/v1/search?q={quote_plus(rng.choice(SEARCH_TERMS))}&size=20"
                for _ in range(REQUESTS_PER_ENDPOINT)
            ],
        }
        results: dict[str, float] = {}
        # First as deployed (answers kept until the catalog changes), then with the catalog
        # cache off, so every request pays for its queries: what a read costs cold.
        for label, extra in (("", {}), ("uncached_", {"ARIADNE_CATALOG_CACHE_MB": "0"})):
            with ApiServer({**env, **extra}) as server:
                for name, paths in workloads.items():
                    wrk_latency(server.url, token, paths, clients=CLIENTS, seconds=3)  # warm up
                    stats = wrk_latency(server.url, token, paths, clients=CLIENTS, seconds=SECONDS)
                    print(
                        f"{label + name:16s} p50 {stats['p50']:7.2f} ms   "
                        f"p95 {stats['p95']:7.2f} ms   {stats['rps']:7.1f} req/s  "
                        f"({stats['n']} requests, {CLIENTS} clients)"
                    )
                    results[f"{label}{name}_p50_ms"] = stats["p50"]
                    results[f"{label}{name}_p95_ms"] = stats["p95"]
                    results[f"{label}{name}_rps"] = stats["rps"]
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "api_reads.json").write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS / 'api_reads.json'}")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
