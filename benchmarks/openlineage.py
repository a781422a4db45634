"""OpenLineage ingest: sustained RunEvents (5 inputs, 2 outputs, a columnLineage facet)
from 32 concurrent connections (wrk) to POST /api/v1/lineage on uvicorn with 2 workers,
each authenticated with an API key. Prints and writes benchmarks/results/openlineage.json:

- `events_per_s`: events acknowledged per second (each stored before its 201);
- `post_p95_ms` / `post_p50_ms`: latency of the POST;
- `drain_lag_s`: from the end of the load until every stored event is processed
  (observations, matched datasets, observed edges).

Targets on this machine (issue 17): >= 1,000 events/s, p95 < 20 ms, lag < 10 s.

    make bench        # or: .venv/bin/python benchmarks/openlineage.py
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import RESULTS, ApiServer, drop_database, fresh_database, wrk_latency

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
TABLES, COLUMNS, JOBS, EVENTS = 200, 8, 50, 20_000
NS = "postgres://warehouse.bench:5432"
KEY = "ariadne_bench" + "k" * 30


def seed(url: str) -> None:
    """A source answering to NS with TABLES tables of COLUMNS columns, and an API key."""
    with psycopg.connect(url, autocommit=True) as conn:
        source = uuid.uuid4()
        conn.execute(
            "INSERT INTO data_sources (id, name, type, namespace_aliases) VALUES "
            "(%s, 'warehouse', 'manual', ARRAY[%s])",
            (source, NS),
        )
        with conn.cursor().copy(
            "COPY metadata_tables (id, source_id, schema_name, name, qualified_name) FROM STDIN"
        ) as copy:
            tables = []
            for i in range(TABLES):
                tid = uuid.uuid4()
                tables.append(tid)
                copy.write_row((tid, source, "public", f"t{i}", f"warehouse.public.t{i}"))
        with conn.cursor().copy(
            "COPY metadata_fields (id, table_id, name, qualified_name) FROM STDIN"
        ) as copy:
            for i, tid in enumerate(tables):
                for c in range(COLUMNS):
                    copy.write_row((uuid.uuid4(), tid, f"c{c}", f"warehouse.public.t{i}.c{c}"))
        conn.execute(
            "INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES "
            "(gen_random_uuid(), 'bench', 'ariadne_bench', %s, ARRAY['lineage:ingest'])",
            (hashlib.sha256(KEY.encode()).hexdigest(),),
        )
        conn.execute("VACUUM ANALYZE")


def events(n: int) -> list[str]:
    """Each job reads 5 tables and writes 2, always the same ones (a job's lineage is
    stable), with a column-lineage facet; every event is its own run."""
    rng = random.Random(17)
    jobs = []
    for j in range(JOBS):
        picked = rng.sample(range(TABLES), 7)
        jobs.append((f"job_{j}", picked[:5], picked[5:]))
    start = datetime.now(UTC) - timedelta(hours=1)
    lines = []
    for i in range(n):
        name, inputs, outputs = jobs[i % JOBS]
        ds = lambda t: {"namespace": NS, "name": f"bench.public.t{t}"}  # noqa: E731
        out = []
        for t in outputs:
            fields = {
                f"c{c}": {
                    "inputFields": [{**ds(inputs[(c + k) % 5]), "field": f"c{c}"} for k in range(2)]
                }
                for c in range(3)
            }
            out.append({**ds(t), "facets": {"columnLineage": {"fields": fields}}})
        event = {
            "eventType": "COMPLETE",
            "eventTime": (start + timedelta(milliseconds=i)).isoformat(),
            "producer": "https://example.com/bench",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.UUID(int=rng.getrandbits(128), version=4))},
            "job": {"namespace": "bench", "name": name},
            "inputs": [ds(t) for t in inputs],
            "outputs": out,
        }
        lines.append("/api/v1/lineage\t" + json.dumps(event, separators=(",", ":")))
    return lines


def pending(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM openlineage_events WHERE processed_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    url = fresh_database("ariadne_bench_ol")
    try:
        seed(url)
        home = Path(f"/tmp/ariadne-bench-{uuid.uuid4().hex[:6]}")
        env = {
            "ARIADNE_DATABASE_URL": url,
            "ARIADNE_JWT_SECRET": "bench-" + "s" * 40,
            "ARIADNE_HOME": str(home),
            "ARIADNE_LOG_LEVEL": "WARNING",
        }
        paths = events(EVENTS)
        with ApiServer(env) as server:
            wrk_latency(server.url, KEY, paths[:2000], clients=CLIENTS, seconds=3)  # warm up
            deadline = time.monotonic() + 120
            while pending(url) and time.monotonic() < deadline:
                time.sleep(0.2)
            stats = wrk_latency(server.url, KEY, paths, clients=CLIENTS, seconds=SECONDS)
            stopped = time.monotonic()
            left = pending(url)
            while pending(url):
                if time.monotonic() - stopped > 600:
                    raise RuntimeError("events were still pending 10 minutes after the load")
                time.sleep(0.1)
            lag = time.monotonic() - stopped
        with psycopg.connect(url, autocommit=True) as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM openlineage_events), (SELECT count(*) FROM "
                "openlineage_events WHERE error IS NOT NULL), (SELECT count(*) FROM "
                "lineage_observations), (SELECT count(*) FROM table_lineage WHERE origin = "
                "'observed'), (SELECT count(*) FROM field_lineage WHERE origin = 'observed')"
            ).fetchone()
        assert counts is not None
        results = {
            "events_per_s": stats["rps"],
            "post_p50_ms": stats["p50"],
            "post_p95_ms": stats["p95"],
            "drain_lag_s": round(lag, 2),
            "pending_when_load_stopped": left,
            "events_stored": counts[0],
            "events_failed": counts[1],
            "observations": counts[2],
            "observed_table_edges": counts[3],
            "observed_field_edges": counts[4],
            "clients": CLIENTS,
            "seconds": SECONDS,
        }
        print(
            f"POST /api/v1/lineage: {stats['rps']:.0f} events/s, p50 {stats['p50']:.2f} ms, "
            f"p95 {stats['p95']:.2f} ms ({CLIENTS} clients); {left} pending when the load "
            f"stopped, all processed {lag:.2f} s later"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "openlineage.json").write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS / 'openlineage.json'}")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
