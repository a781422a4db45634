"""Lineage traversal through the HTTP API on a synthetic enterprise graph, both backends.

    make bench        (or: .venv/bin/python benchmarks/lineage.py)

Builds 100,000 tables in 100 sources (5 fields each) in layers, like a warehouse: raw
sources, staging, marts, reports. 300,000 table edges mostly go from one layer to the
next, some skip a layer, a few go back (cycles), and 30 hub tables (calendars,
currencies, customer masters) feed thousands of tables each. Every table edge carries
3 field edges (900,000). The same graph is loaded into Neo4j with the `lineage_graph`
rebuild, after the PostgreSQL runs.

Then a real uvicorn (2 workers) answers 3-hop and 5-hop upstream and downstream requests
from wrk at 4 concurrent connections, after one unmeasured warm-up pass: on PostgreSQL
with the cache off, with the Redis cache on, and then (once the graph is loaded into
Neo4j and Neo4j has gone idle) on Neo4j with the cache off. Prints p50 and p95; writes benchmarks/results/lineage.json
with postgres_3hop_p95_ms, neo4j_3hop_p95_ms, postgres_5hop_p95_ms, neo4j_5hop_p95_ms
(cache off) and cached_3hop_p95_ms, and impact analysis from the hub tables at depth 10
(impact_depth10_p95_ms; it always walks in PostgreSQL). Every backend walks from the
same roots. Apart from them, the widest 5-hop walk downstream from 1,200 more roots
(widest_5hop_tables: a table fed through hubs reaches some 12,000) is asked alone by two
connections on each backend: postgres_5hop_widest_p95_ms, neo4j_5hop_widest_p95_ms (no
target; what the widest read costs). Targets (cache off):
3-hop p95 < 10 ms on PostgreSQL and < 15 ms on Neo4j, 5-hop < 25 ms, impact < 100 ms.
"""

from __future__ import annotations

import json
import random
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ariadne_core.config import Settings
from ariadne_core.runtime.services import load_state, start_services
from benchmarks._common import (
    RESULTS,
    ROOT,
    ApiServer,
    drop_database,
    fresh_database,
    vacuum_analyze,
    viewer_token,
    wrk_latency,
)

TABLES = 100_000
SOURCES = 100
FIELDS = 5
EDGES = 300_000
FIELD_EDGES_PER_EDGE = 3
HUBS = 30
LAYERS = (0.25, 0.35, 0.3, 0.1)  # share of tables: raw, staging, marts, reports
CLIENTS = 4
SECONDS = 10
PATHS = 400


def build_graph(rng: random.Random) -> tuple[list[int], set[tuple[int, int]], list[int]]:
    layer_of: list[int] = []
    for layer, share in enumerate(LAYERS):
        layer_of += [layer] * int(TABLES * share)
    layer_of += [len(LAYERS) - 1] * (TABLES - len(layer_of))
    members: list[list[int]] = [[] for _ in LAYERS]
    for table, layer in enumerate(layer_of):
        members[layer].append(table)
    hubs = rng.sample(members[1], HUBS)
    edges: set[tuple[int, int]] = set()
    while len(edges) < EDGES:
        target = rng.randrange(TABLES)
        layer = layer_of[target]
        roll = rng.random()
        if roll < 0.08:
            source = rng.choice(hubs)  # a hub: calendars, currencies, customer master
        elif roll < 0.09 and layer < len(LAYERS) - 1:
            source = rng.choice(members[layer + 1])  # a rare edge backwards: cycles
        elif layer == 0:
            continue  # raw tables have no upstream
        else:
            back = 2 if layer >= 2 and roll < 0.2 else 1  # some skip a layer
            source = rng.choice(members[layer - back])
        if source != target:
            edges.add((source, target))
    return layer_of, edges, hubs


def seed(url: str) -> tuple[list[str], list[int], list[int]]:
    rng = random.Random(7)
    layer_of, edges, hubs = build_graph(rng)
    table_ids = [uuid.uuid4() for _ in range(TABLES)]
    field_ids = [[uuid.uuid4() for _ in range(FIELDS)] for _ in range(TABLES)]
    with psycopg.connect(url) as conn:
        source_ids = [uuid.uuid4() for _ in range(SOURCES)]
        with conn.cursor().copy("COPY data_sources (id, name, type) FROM STDIN") as copy:
            for i, sid in enumerate(source_ids):
                copy.write_row((sid, f"src{i}", "manual"))
        with conn.cursor().copy(
            "COPY metadata_tables (id, source_id, schema_name, name, qualified_name) FROM STDIN"
        ) as copy:
            for i, tid in enumerate(table_ids):
                schema = f"layer{layer_of[i]}"
                copy.write_row(
                    (
                        tid,
                        source_ids[i % SOURCES],
                        schema,
                        f"t{i}",
                        f"src{i % SOURCES}.{schema}.t{i}",
                    )
                )
        with conn.cursor().copy(
            "COPY metadata_fields (id, table_id, name, qualified_name, ordinal_position) FROM STDIN"
        ) as copy:
            for i, tid in enumerate(table_ids):
                for f in range(FIELDS):
                    copy.write_row(
                        (
                            field_ids[i][f],
                            tid,
                            f"c{f}",
                            f"src{i % SOURCES}.layer{layer_of[i]}.t{i}.c{f}",
                            f + 1,
                        )
                    )
        kinds = ("manual", "approved", "inferred")
        with conn.cursor().copy(
            "COPY table_lineage (id, source_table_id, target_table_id, lineage_source, origin, "
            "confidence, status, transformation_type) FROM STDIN"
        ) as copy:
            edge_ids = {}
            for s, t in edges:
                kind = kinds[0] if rng.random() < 0.7 else rng.choice(kinds[1:])
                eid = uuid.uuid4()
                edge_ids[(s, t)] = eid
                status = "pending_review" if kind == "inferred" else "active"
                copy.write_row(
                    (
                        eid,
                        table_ids[s],
                        table_ids[t],
                        kind,
                        kind,
                        round(rng.uniform(0.4, 1.0), 2),
                        status,
                        "etl",
                    )
                )
        with conn.cursor().copy(
            "COPY field_lineage (id, source_field_id, target_field_id, table_lineage_id, "
            "lineage_source, origin, confidence, status) FROM STDIN"
        ) as copy:
            for (s, t), eid in edge_ids.items():
                for f in rng.sample(range(FIELDS), FIELD_EDGES_PER_EDGE):
                    copy.write_row(
                        (
                            uuid.uuid4(),
                            field_ids[s][f],
                            field_ids[t][f],
                            eid,
                            "manual",
                            "manual",
                            1.0,
                            "active",
                        )
                    )
        conn.commit()
    vacuum_analyze(url)
    return [str(t) for t in table_ids], layer_of, hubs


def load_neo4j(url: str, neo4j: dict[str, str]) -> dict[str, int]:
    from neo4j import GraphDatabase
    from sqlalchemy.orm import Session

    from ariadne_core.db.engine import engine_for
    from ariadne_core.graph.neo4j_store import Neo4jGraphStore
    from ariadne_core.graph.sync import rebuild

    with GraphDatabase.driver(neo4j["uri"], auth=(neo4j["user"], neo4j["password"])) as driver:
        store = Neo4jGraphStore(driver)
        with Session(engine_for(url)) as session:
            return rebuild(store, session)


def clear_neo4j(neo4j: dict[str, str]) -> None:
    from neo4j import GraphDatabase

    from ariadne_core.graph.neo4j_store import Neo4jGraphStore

    with GraphDatabase.driver(neo4j["uri"], auth=(neo4j["user"], neo4j["password"])) as driver:
        Neo4jGraphStore(driver).clear()


def wait_until_idle(pid: int, limit_s: float = 300) -> None:
    """Wait until a process uses less than a fifth of a core (its post-load work is done)."""
    import psutil

    proc, deadline = psutil.Process(pid), time.monotonic() + limit_s
    proc.cpu_percent(None)
    while time.monotonic() < deadline:
        if proc.cpu_percent(interval=5) < 20:
            return
    print(f"Neo4j still busy after {limit_s:.0f} s; measuring anyway")


def widest_root(url: str, roots: list[str]) -> tuple[str, int]:
    """Of ``roots``, the one whose 5-hop downstream walk reaches the most tables, and how
    many (walked by the PostgreSQL backend's own statement)."""
    from ariadne_core.db.plans import run
    from ariadne_core.graph.postgres import walk_plan
    from ariadne_core.graph.store import EdgeFilter

    reach: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for root in roots:
            walk = run(
                conn,
                walk_plan(
                    uuid.UUID(root),
                    kind="table",
                    direction="downstream",
                    depth=5,
                    edge_filter=EdgeFilter(),
                ),
            )
            reach[root] = len(walk.depths)
    root = max(reach, key=lambda r: reach[r])
    return root, reach[root]


def measure(
    server: ApiServer, token: str, paths: list[str], expect_backend: str, clients: int = CLIENTS
) -> dict:
    request = urllib.request.Request(
        server.url + paths[0], headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        backend = response.headers["X-Graph-Backend"]
    if expect_backend and backend != expect_backend:
        raise SystemExit(f"expected the {expect_backend} backend, the API used {backend}")
    return wrk_latency(server.url, token, paths, clients=clients, seconds=SECONDS)


def main() -> None:
    home = Path(ROOT / ".ariadne")
    state = load_state(home) or start_services(home, ("postgres", "redis", "neo4j"))
    url = fresh_database("bench_lineage")
    results: dict[str, float] = {}
    try:
        started = time.perf_counter()
        table_ids, layer_of, hubs = seed(url)
        print(
            f"seeded {TABLES:,} tables, {EDGES:,} table edges and "
            f"{EDGES * FIELD_EDGES_PER_EDGE:,} field edges in "
            f"{time.perf_counter() - started:.0f} s"
        )
        rng = random.Random(3)
        middle = [i for i, layer in enumerate(layer_of) if layer in (1, 2)]
        # The same roots for every backend, so their figures compare (until 2026-12-04
        # each run drew its own, and Neo4j's 5-hop set alone held a walk of 12,340 tables).
        paths_at = {
            depth: [
                f"/api/v1/lineage/table/{table_ids[rng.choice(middle)]}/"
                f"{'upstream' if i % 2 else 'downstream'}?depth={depth}"
                for i in range(PATHS)
            ]
            for depth in (3, 5)
        }
        candidates = [table_ids[rng.choice(middle)] for _ in range(3 * PATHS)]
        widest, reached = widest_root(url, candidates)
        results["widest_5hop_tables"] = reached
        print(f"widest 5-hop walk down from {len(candidates)} more roots: {reached:,} tables")
        settings = Settings(
            _env_file=None,
            database_url=url,
            jwt_secret="bench-" + "s" * 40,
            home=Path(f"/tmp/ariadne-bench-{uuid.uuid4().hex[:6]}"),
        )
        token = viewer_token(url, settings)
        base_env = {
            "ARIADNE_DATABASE_URL": url,
            "ARIADNE_JWT_SECRET": settings.jwt_secret or "",
            "ARIADNE_HOME": str(settings.home),
            "ARIADNE_LOG_LEVEL": "WARNING",
            "ARIADNE_IMPORT_RUNNER": "thread",
        }
        neo4j_env = {
            "ARIADNE_NEO4J_URI": state["neo4j"]["uri"],
            "ARIADNE_NEO4J_PASSWORD": state["neo4j"]["password"],
        }
        # PostgreSQL and the cache are measured before Neo4j is loaded: after a load of
        # 1.2M edges Neo4j keeps both cores busy for minutes (checkpoint, GC), which would
        # be measured as PostgreSQL latency on a 2-core machine.
        runs = [
            ("postgres", {"ARIADNE_LINEAGE_CACHE": "false"}, "postgres"),
            (
                "cached",
                {"ARIADNE_LINEAGE_CACHE": "true", "ARIADNE_REDIS_URL": state["redis"]["url"]},
                "",
            ),
            ("neo4j", {**neo4j_env, "ARIADNE_LINEAGE_CACHE": "false"}, "neo4j"),
        ]
        for name, env, backend in runs:
            if name == "neo4j":
                started = time.perf_counter()
                loaded = load_neo4j(url, state["neo4j"])
                print(f"loaded Neo4j {loaded} in {time.perf_counter() - started:.0f} s")
                wait_until_idle(state["neo4j"]["pid"])
            with ApiServer({**base_env, **env}) as server:
                for depth in (3, 5):
                    if name == "cached" and depth == 5:
                        continue
                    paths = paths_at[depth]
                    # One unmeasured pass first: it warms the database's buffers (and, for
                    # "cached", fills the cache, so the measured pass reads hits).
                    measure(server, token, paths, backend)
                    stats = measure(server, token, paths, backend)
                    print(
                        f"{name:9s} {depth}-hop  p50 {stats['p50']:7.1f} ms  "
                        f"p95 {stats['p95']:7.1f} ms  {stats['rps']:6.1f} req/s"
                    )
                    results[f"{name}_{depth}hop_p50_ms"] = stats["p50"]
                    results[f"{name}_{depth}hop_p95_ms"] = stats["p95"]
                    results[f"{name}_{depth}hop_rps"] = stats["rps"]
                if name == "cached":
                    continue
                # The widest walk alone (two connections, one root): what a request for a
                # table fed through hubs costs; no random set of roots need hold one.
                path = f"/api/v1/lineage/table/{widest}/downstream?depth=5"
                measure(server, token, [path], backend, clients=2)
                stats = measure(server, token, [path], backend, clients=2)
                print(
                    f"{name:9s} widest 5-hop  p50 {stats['p50']:7.1f} ms  "
                    f"p95 {stats['p95']:7.1f} ms  {stats['rps']:6.1f} req/s"
                )
                results[f"{name}_5hop_widest_p50_ms"] = stats["p50"]
                results[f"{name}_5hop_widest_p95_ms"] = stats["p95"]
                if name != "postgres":
                    continue
                # Impact analysis from the hub tables (each feeds thousands) at depth 10,
                # bounded by the node budget. It always walks in PostgreSQL, Neo4j or not
                # (ariadne_core.lineage.impact), so it is measured once.
                paths = [
                    f"/api/v1/lineage/impact/{table_ids[hubs[i % len(hubs)]]}"
                    f"?change_type={('drop', 'rename', 'type_change')[i % 3]}&depth=10"
                    for i in range(PATHS)
                ]
                measure(server, token, paths, backend)
                stats = measure(server, token, paths, backend)
                print(
                    f"{name:9s} impact-10  p50 {stats['p50']:7.1f} ms  "
                    f"p95 {stats['p95']:7.1f} ms  {stats['rps']:6.1f} req/s"
                )
                results["impact_depth10_p50_ms"] = stats["p50"]
                results["impact_depth10_p95_ms"] = stats["p95"]
                results["impact_depth10_rps"] = stats["rps"]
    finally:
        drop_database(url)
        clear_neo4j(state["neo4j"])  # the test Neo4j is shared: leave it empty
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lineage.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(
        "targets (cache off): 3-hop p95 < 10 ms on PostgreSQL, < 15 ms on Neo4j; "
        "5-hop p95 < 25 ms; impact at depth 10 p95 < 100 ms"
    )


if __name__ == "__main__":
    main()
