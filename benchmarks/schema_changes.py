"""Schema-change alerts at scale: from the end of a sync to every event stored with its
impact and every webhook digest sent.

    make bench        (or: .venv/bin/python benchmarks/schema_changes.py)

A catalog holds the 100,000-table, 300,000-edge graph of benchmarks/lineage.py (900,000
field edges; a tenth of the tables owned by one of 50 teams). A PostgreSQL source of
5,000 tables x 20 columns (benchmarks/harvest.py) is harvested into it, and each of its
tables feeds 3 tables of the graph's raw layer, with field edges from 5 of its columns.
A webhook (a real local HTTP server) is subscribed. Then 200 columns change in the
source (100 tables: one column dropped, one narrowed), the source is synced again, and,
timed from the end of that sync: the events' impact (field level, through the graph, at
the default depth and node budget), the digests planned (one per owner), and every
digest posted. Target: under 30 s. Writes benchmarks/results/schema_changes.json with
events, impact_s, deliveries_ok (and sync_s, total_s, affected, owners).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import RESULTS, drop_database, fresh_database, vacuum_analyze
from benchmarks.harvest import COLUMNS, SCHEMAS, TABLES, build_source, source_config
from benchmarks.lineage import seed

CHANGED_TABLES = 100  # each: one column dropped, one narrowed: 200 columns
FEEDS = 3
TEAMS = 50


class Receiver:
    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    outer.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def connect_to_graph(url: str, source_id: uuid.UUID, table_ids: list[str]) -> None:
    """Each harvested table feeds FEEDS raw tables of the graph, 5 columns each; a tenth
    of the graph's tables get an owner."""
    rng = random.Random(11)
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE metadata_tables SET owner = 'team' || (abs(hashtext(id::text || 'team')) %% %s) || "
            "'@example.com' WHERE abs(hashtext(id::text)) %% 10 = 0",
            (TEAMS,),
        )
        harvested = conn.execute(
            "SELECT id FROM metadata_tables WHERE source_id = %s ORDER BY qualified_name",
            (source_id,),
        ).fetchall()
        raw = table_ids[: len(table_ids) // 4]  # the graph's first layer
        fields: dict[Any, dict[str, Any]] = {}
        for table_id, name, field_id in conn.execute(
            "SELECT table_id, name, id FROM metadata_fields WHERE table_id = ANY(%s)",
            ([r[0] for r in harvested] + [uuid.UUID(t) for t in raw],),
        ):
            fields.setdefault(table_id, {})[name] = field_id
        with (
            conn.cursor().copy(
                "COPY table_lineage (id, source_table_id, target_table_id, lineage_source, "
                "origin, confidence, status) FROM STDIN"
            ) as tables,
        ):
            planned = []
            for (source,) in harvested:
                for target in rng.sample(raw, FEEDS):
                    edge = uuid.uuid4()
                    planned.append((edge, source, uuid.UUID(target)))
                    tables.write_row((edge, source, target, "manual", "manual", 1.0, "active"))
        with conn.cursor().copy(
            "COPY field_lineage (id, source_field_id, target_field_id, table_lineage_id, "
            "lineage_source, origin, confidence, status) FROM STDIN"
        ) as copy:
            for edge, source, target in planned:
                for c in range(1, 6):
                    copy.write_row(
                        (
                            uuid.uuid4(),
                            fields[source][f"c{c}"],
                            fields[target][f"c{c - 1}"],
                            edge,
                            "manual",
                            "manual",
                            1.0,
                            "active",
                        )
                    )
        conn.commit()


def main() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from ariadne_core.catalog.sources import SourceInput, create_source
    from ariadne_core.config import Settings
    from ariadne_core.db.engine import session_scope, sqlalchemy_url
    from ariadne_core.db.models import SourceType, UserRole
    from ariadne_core.harvest.service import run_sync
    from ariadne_core.schema_changes import service
    from ariadne_core.schema_changes.notify import deliver_due
    from ariadne_core.schema_changes.process import process_pending
    from ariadne_core.security.secrets import Keyring

    catalog_url = fresh_database("bench_changes")
    source_url = fresh_database("bench_changes_src")
    receiver = Receiver()
    try:
        started = time.perf_counter()
        table_ids, _, _ = seed(catalog_url)
        build_source(source_url)
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
            service.create_webhook(
                session,
                keyring,
                service.WebhookInput(name="bench", url=receiver.url, secret="x" * 32),
                actor_email="bench",
                actor_role=UserRole.ADMIN,
            )
        first = run_sync(engine, source_id, keyring)
        assert first.counts.added == TABLES and first.counts.schema_changes == 0
        connect_to_graph(catalog_url, source_id, table_ids)
        vacuum_analyze(catalog_url)
        print(f"catalog and source ready in {time.perf_counter() - started:.0f} s")

        with psycopg.connect(source_url, autocommit=True) as conn:
            for t in range(CHANGED_TABLES):
                name = f"s{t % SCHEMAS}.table_{t}"
                # c1 text is dropped; c2 numeric(12,2) becomes integer (narrowed)
                conn.execute(f"ALTER TABLE {name} DROP COLUMN c1")
                conn.execute(f"ALTER TABLE {name} ALTER COLUMN c2 TYPE integer")
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        t0 = time.perf_counter()
        synced = run_sync(engine, source_id, keyring)
        sync_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with session_scope(engine) as session:
            report = process_pending(session, settings, source_id=source_id)
        impact_s = time.perf_counter() - t1
        sent = deliver_due(lambda: Session(engine), keyring, settings)
        total_s = time.perf_counter() - t1
        assert synced.counts.schema_changes == 2 * CHANGED_TABLES, synced.counts
        result = {
            "events": report.events,
            "impact_s": round(impact_s, 2),
            "deliveries_ok": sent["sent"],
            "deliveries_failed": sent["failed"] + sent["retrying"],
            "received": receiver.count,
            "affected": report.affected,
            "sync_s": round(sync_s, 2),
            "total_s": round(total_s, 2),
            "columns_changed": 2 * CHANGED_TABLES,
            "source_tables": TABLES,
            "source_columns": TABLES * COLUMNS,
        }
        print(
            f"{report.events} events, {report.affected} affected: impact {impact_s:.2f} s; "
            f"{sent['sent']} digests sent; {total_s:.2f} s from the end of the sync "
            f"(target 30 s); the sync itself {sync_s:.2f} s"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "schema_changes.json").write_text(json.dumps(result, indent=2) + "\n")
        engine.dispose()
    finally:
        receiver.server.shutdown()
        drop_database(catalog_url)
        drop_database(source_url)


if __name__ == "__main__":
    main()
