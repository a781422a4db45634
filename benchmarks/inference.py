"""Lineage inference: quality on the labelled corpus, beside other engines, and speed.

    make bench        (or: .venv/bin/python benchmarks/inference.py)

Quality: Ariadne's engine on tests/inference/corpus (hand-written cases in 13 dialects),
table-level and column-level precision, recall and F1; the same corpus through
sqllineage and openlineage-sql (run from .venv-compare, which `make bench` makes from
benchmarks/compare-requirements.txt), scored by the same code, and Ariadne's F1 as a
ratio of theirs.

Speed, on a real catalog database:
- views_10k_s: a PostgreSQL source with 1,000 tables and 10,000 views of mixed sizes
  (one table, joins, an aggregating CTE, a 30-line union with CASE and windows); the
  time of `infer_source` reading, parsing and writing every proposal with its evidence
  and audit events (target < 60 s);
- noop_rerun_s: the same again with nothing changed (target < 10 s);
- infer_api_p95_ms: a real uvicorn answering POST /api/v1/lineage/infer with a 200-line
  statement against that catalog, 60 sequential requests after 5 warm-ups (target
  < 200 ms).

Writes benchmarks/results/inference.json.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ariadne_core.config import Settings
from ariadne_core.db.engine import engine_for, session_scope
from ariadne_core.inference.service import infer_source
from benchmarks._common import (
    RESULTS,
    ROOT,
    ApiServer,
    drop_database,
    fresh_database,
    vacuum_analyze,
    viewer_token,
)
from tests.inference.corpus.score import Score, ariadne, load_cases, score, statement_count

COMPARE_PYTHON = ROOT / ".venv-compare" / "bin" / "python"
BASE_TABLES = 1_000
VIEWS = 10_000
COLUMNS = 10


# --- quality --------------------------------------------------------------------------


def quality() -> dict[str, Any]:
    cases = load_cases()
    ours = score(cases, ariadne)
    out: dict[str, Any] = {
        "corpus_cases": len(cases),
        "corpus_statements": statement_count(cases),
        "table_precision": round(ours.table_precision, 4),
        "table_recall": round(ours.table_recall, 4),
        "table_f1": round(ours.table_f1, 4),
        "column_precision": round(ours.column_precision, 4),
        "column_recall": round(ours.column_recall, 4),
        "column_f1": round(ours.column_f1, 4),
    }
    print(
        f"ariadne     tables P {ours.table_precision:.3f} R {ours.table_recall:.3f} "
        f"F1 {ours.table_f1:.3f} | columns P {ours.column_precision:.3f} "
        f"R {ours.column_recall:.3f} F1 {ours.column_f1:.3f}"
    )
    for failure in ours.failures:
        print("  ariadne misses", json.dumps(failure))
    others = _other_engines(cases)
    for engine in ("sqllineage", "openlineage_sql"):
        predictions = others.get(engine)
        if predictions is None:
            out[f"{engine}_table_f1"] = out[f"{engine}_column_f1"] = None
            continue

        def predict(case: dict[str, Any], found: dict[str, Any] = predictions) -> Any:
            got = found.get(case["id"])
            if got is None:
                return None
            return set(got[0]), set(got[1]), {tuple(c) for c in got[2]}

        theirs: Score = score(cases, predict)
        out[f"{engine}_table_precision"] = round(theirs.table_precision, 4)
        out[f"{engine}_table_recall"] = round(theirs.table_recall, 4)
        out[f"{engine}_table_f1"] = round(theirs.table_f1, 4)
        out[f"{engine}_column_precision"] = round(theirs.column_precision, 4)
        out[f"{engine}_column_recall"] = round(theirs.column_recall, 4)
        out[f"{engine}_column_f1"] = round(theirs.column_f1, 4)
        out[f"table_f1_ratio_vs_{engine}"] = round(ours.table_f1 / theirs.table_f1, 3)
        out[f"column_f1_ratio_vs_{engine}"] = round(ours.column_f1 / theirs.column_f1, 3)
        print(
            f"{engine:<11} tables P {theirs.table_precision:.3f} R {theirs.table_recall:.3f} "
            f"F1 {theirs.table_f1:.3f} | columns P {theirs.column_precision:.3f} "
            f"R {theirs.column_recall:.3f} F1 {theirs.column_f1:.3f}"
        )
    return out


def _other_engines(cases: list[dict[str, Any]]) -> dict[str, Any]:
    if not COMPARE_PYTHON.exists():
        print(
            "(no .venv-compare: `make bench` creates it; sqllineage and openlineage-sql are "
            "not compared)"
        )
        return {}
    done = subprocess.run(
        [str(COMPARE_PYTHON), str(ROOT / "benchmarks" / "_compare_lineage.py")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- speed ----------------------------------------------------------------------------


def _view_sql(rng: random.Random, i: int) -> tuple[str, list[str]]:
    """A view definition (as pg_get_viewdef would give it) and its columns."""
    a, b = rng.randrange(BASE_TABLES), rng.randrange(BASE_TABLES)
    kind = i % 20
    if kind < 10:
        return f"SELECT c0, c1, c2 FROM raw.t{a} WHERE c3 > 0", ["c0", "c1", "c2"]
    if kind < 16:
        return (
            f"SELECT x.c0, y.c1 AS b1, x.c2 + y.c3 AS s FROM raw.t{a} x "
            f"JOIN raw.t{b} y ON x.c0 = y.c0",
            ["c0", "b1", "s"],
        )
    if kind < 19:
        return (
            f"WITH agg AS (SELECT c0, sum(c1) AS total FROM raw.t{a} GROUP BY c0) "
            f"SELECT agg.c0, agg.total, t.c2 FROM agg JOIN raw.t{b} t ON t.c0 = agg.c0",
            ["c0", "total", "c2"],
        )
    branches = []
    for k in range(4):
        table = rng.randrange(BASE_TABLES)
        branches.append(
            f"SELECT c0 AS id,\n  CASE WHEN c1 > {k} THEN c2 ELSE c3 END AS v,\n"
            f"  row_number() OVER (PARTITION BY c4 ORDER BY c5) AS rn,\n"
            f"  c6 * 2 AS w\nFROM raw.t{table}\nWHERE c7 IS NOT NULL"
        )
    return "\nUNION ALL\n".join(branches), ["id", "v", "rn", "w"]


def seed(url: str) -> uuid.UUID:
    rng = random.Random(11)
    source_id = uuid.uuid4()
    tables, fields = io.StringIO(), io.StringIO()
    for i in range(BASE_TABLES):
        table_id = uuid.uuid4()
        tables.write(f"{table_id}\t{source_id}\traw\tt{i}\twh.raw.t{i}\ttable\t\\N\n")
        for c in range(COLUMNS):
            fields.write(f"{uuid.uuid4()}\t{table_id}\tc{c}\twh.raw.t{i}.c{c}\t{c + 1}\n")
    for i in range(VIEWS):
        table_id = uuid.uuid4()
        sql, columns = _view_sql(rng, i)
        escaped = sql.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        tables.write(f"{table_id}\t{source_id}\tmart\tv{i}\twh.mart.v{i}\tview\t{escaped}\n")
        for position, column in enumerate(columns, 1):
            fields.write(
                f"{uuid.uuid4()}\t{table_id}\t{column}\twh.mart.v{i}.{column}\t{position}\n"
            )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO data_sources (id, name, type) VALUES (%s, 'wh', 'postgresql')",
            (source_id,),
        )
        with conn.cursor() as cursor:
            with cursor.copy(
                "COPY metadata_tables (id, source_id, schema_name, name, qualified_name, "
                "table_type, view_definition) FROM STDIN"
            ) as copy:
                copy.write(tables.getvalue())
            with cursor.copy(
                "COPY metadata_fields (id, table_id, name, qualified_name, ordinal_position) "
                "FROM STDIN"
            ) as copy:
                copy.write(fields.getvalue())
    vacuum_analyze(url)
    return source_id


def statement_200_lines() -> str:
    lines = ["INSERT INTO mart.v0 (c0, c1, c2)", "WITH"]
    for k in range(12):
        lines += [
            f"  s{k} AS (",
            f"    SELECT t.c0, t.c1 + t.c2 AS c1, CASE WHEN t.c3 > {k} THEN t.c4",
            "         ELSE t.c5 END AS c2",
            f"    FROM raw.t{k} t",
            f"    JOIN raw.t{k + 100} u ON u.c0 = t.c0",
            "    WHERE t.c6 IS NOT NULL",
            "      AND u.c7 > 0",
            "  ),",
        ]
    lines[-1] = "  )"
    for k in range(12):
        if k:
            lines.append("UNION ALL")
        lines += [
            f"SELECT s{k}.c0,",
            f"       sum(s{k}.c1) OVER (PARTITION BY s{k}.c0) AS c1,",
            f"       s{k}.c2",
            f"FROM s{k}",
            f"WHERE s{k}.c0 > 0",
        ]
    while len(lines) < 200:
        lines.append("-- padding comment line to reach two hundred lines")
    return "\n".join(lines)


def speed() -> dict[str, Any]:
    url = fresh_database("bench_infer")
    try:
        started = time.perf_counter()
        source_id = seed(url)
        print(
            f"seeded {BASE_TABLES:,} tables and {VIEWS:,} views in {time.perf_counter() - started:.0f} s"
        )
        engine = engine_for(url)
        started = time.perf_counter()
        with session_scope(engine) as session:
            first = infer_source(session, source_id)
        views_s = time.perf_counter() - started
        print(
            f"inferred {VIEWS:,} views in {views_s:.1f} s: {first.created:,} edges, "
            f"{first.parse_failures} parse failures, {first.unresolved} unresolved"
        )
        started = time.perf_counter()
        with session_scope(engine) as session:
            again = infer_source(session, source_id)
        noop_s = time.perf_counter() - started
        print(f"no-op re-run in {noop_s:.1f} s ({again.skipped_unchanged:,} origins skipped)")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            jwt_secret="bench-" + "s" * 40,
            home=Path(f"/tmp/ariadne-bench-{uuid.uuid4().hex[:6]}"),
        )
        token = viewer_token(url, settings)
        env = {
            "ARIADNE_DATABASE_URL": url,
            "ARIADNE_JWT_SECRET": settings.jwt_secret or "",
            "ARIADNE_HOME": str(settings.home),
            "ARIADNE_LOG_LEVEL": "WARNING",
            "ARIADNE_DEMO": "0",
        }
        body = json.dumps(
            {"sql": statement_200_lines(), "source": "wh", "dialect": "postgres"}
        ).encode()
        latencies = []
        with ApiServer(env, workers=1) as server:
            for attempt in range(65):
                request = urllib.request.Request(
                    f"{server.url}/api/v1/lineage/infer",
                    data=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    method="POST",
                )
                begin = time.perf_counter()
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.loads(response.read())
                if attempt >= 5:
                    latencies.append((time.perf_counter() - begin) * 1000)
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"POST /lineage/infer (200 lines, {len(answer['proposals'])} proposals): "
            f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"
        )
        return {
            "views": VIEWS,
            "views_10k_s": round(views_s, 2),
            "views_edges_written": first.created,
            "noop_rerun_s": round(noop_s, 2),
            "infer_api_p50_ms": round(statistics.median(latencies), 1),
            "infer_api_p95_ms": round(p95, 1),
        }
    finally:
        drop_database(url)


def main() -> None:
    results = {
        **quality(),
        **speed(),
        "targets": {
            "table_precision": 0.99,
            "table_recall": 0.97,
            "column_precision": 0.96,
            "column_recall": 0.90,
            "views_10k_s": 60,
            "noop_rerun_s": 10,
            "infer_api_p95_ms": 200,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "inference.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS / 'inference.json'}")


if __name__ == "__main__":
    main()
