"""Bulk import end to end: parse, validate (GX suites, references, rules), preview, commit.

    make bench        (or: .venv/bin/python benchmarks/import.py)

A fresh database gets 50,000 tables in 50 sources. Then, each in a process of its own
so that peak memory is measured per run (ru_maxrss):

- preview of a 10,000-row table_lineage CSV (run_import with commit=False);
- commit of a 100,000-row table_lineage CSV in one transaction, with an audit event
  per edge, and the preview of the same file;
- the preview of 1,000,000 rows, to show memory stays bounded (skipped with --quick).

Great Expectations is imported before the clock starts (the API warms it up at start).
Targets: preview of 10k rows < 2 s, commit of 100k rows < 20 s, peak RSS < 1.5 GB.
Writes benchmarks/results/import.json with preview_10k_s, commit_100k_s and
peak_rss_100k_mb.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import RESULTS, drop_database, fresh_database

TABLES = 50_000
SOURCES = 50


def seed(url: str) -> list[str]:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from ariadne_core.db.engine import engine_for
    from ariadne_core.db.models import DataSource, MetadataTable, SourceType

    names: list[str] = []
    with Session(engine_for(url)) as session:
        for s in range(SOURCES):
            source = DataSource(id=uuid.uuid4(), name=f"src{s}", type=SourceType.MANUAL)
            session.add(source)
            session.flush()
            rows = []
            for t in range(TABLES // SOURCES):
                name = f"src{s}.sch{t % 10}.table_{t}"
                names.append(name)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "source_id": source.id,
                        "schema_name": f"sch{t % 10}",
                        "name": f"table_{t}",
                        "qualified_name": name,
                    }
                )
            session.execute(insert(MetadataTable), rows)
        session.commit()
    return names


def write_csv(path: Path, names: list[str], rows: int, seed_value: int) -> None:
    rnd = random.Random(seed_value)
    seen: set[tuple[int, int]] = set()
    hubs = list(range(0, len(names), 997))  # a few tables feed very many
    with path.open("w") as out:
        out.write("source_table,target_table,transformation_type,lineage_source,confidence\n")
        while len(seen) < rows:
            a = rnd.choice(hubs) if rnd.random() < 0.05 else rnd.randrange(len(names))
            b = rnd.randrange(len(names))
            if a == b or (a, b) in seen:
                continue
            seen.add((a, b))
            source = "inferred" if rnd.random() < 0.2 else "manual"
            confidence = f"{rnd.uniform(0.3, 0.9):.2f}" if source == "inferred" else ""
            out.write(f"{names[a]},{names[b]},etl,{source},{confidence}\n")


def _run(url: str, path: str, commit: bool, queue: Any) -> None:
    from sqlalchemy.orm import Session

    from ariadne_core.config import Settings
    from ariadne_core.db.engine import engine_for
    from ariadne_core.db.models import UserRole
    from ariadne_core.importing.rowcheck import warm_up
    from ariadne_core.importing.service import run_import
    from ariadne_core.lineage.edges import Actor
    from ariadne_core.security.secrets import keyring_for

    warm_up()
    settings = Settings(
        _env_file=None, home=Path(tempfile.mkdtemp()), database_url=url, jwt_secret="x" * 40
    )
    start = time.perf_counter()
    with Session(engine_for(url)) as session:
        report = run_import(
            session,
            Path(path),
            file_name=Path(path).name,
            import_type="table_lineage",
            actor=Actor("bench@example.com", UserRole.STEWARD),
            keyring=keyring_for(settings),
            commit=commit,
        )
        session.commit()
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "seconds": elapsed,
            "peak_rss_mb": peak_mb,
            "counts": report.counts(),
            "committed": report.committed,
        }
    )


def measure(url: str, path: Path, commit: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(url, str(path), commit, queue))
    process.start()
    result = queue.get()
    process.join()
    return dict(result)


def main() -> None:
    quick = "--quick" in sys.argv
    url = fresh_database("bench_import")
    results: dict[str, float] = {}
    try:
        started = time.perf_counter()
        names = seed(url)
        print(f"seeded {len(names)} tables in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as folder:
            files = {}
            for label, rows in (("10k", 10_000), ("100k", 100_000), ("1m", 1_000_000)):
                if quick and label == "1m":
                    continue
                files[label] = Path(folder) / f"lineage_{label}.csv"
                write_csv(files[label], names, rows, seed_value=rows)
            runs = [
                ("preview_10k", "10k", False),
                ("preview_100k", "100k", False),
                ("commit_100k", "100k", True),
            ]
            if not quick:
                runs.append(("preview_1m", "1m", False))
            for name, label, commit in runs:
                outcome = measure(url, files[label], commit)
                counts = outcome["counts"]
                assert counts["error"] == 0, counts
                assert outcome["committed"] is commit
                print(
                    f"{name:14s} {outcome['seconds']:7.2f} s   peak RSS "
                    f"{outcome['peak_rss_mb']:7.0f} MB   rows {counts['rows']}"
                )
                results[f"{name}_s"] = round(outcome["seconds"], 2)
                results[f"peak_rss_{name.split('_')[1]}_{name.split('_')[0]}_mb"] = round(
                    outcome["peak_rss_mb"]
                )
    finally:
        drop_database(url)
    summary = {
        "preview_10k_s": results["preview_10k_s"],
        "commit_100k_s": results["commit_100k_s"],
        "peak_rss_100k_mb": max(
            results["peak_rss_100k_commit_mb"], results["peak_rss_100k_preview_mb"]
        ),
        **{k: v for k, v in results.items() if k not in ("preview_10k_s", "commit_100k_s")},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print("targets: preview_10k_s < 2, commit_100k_s < 20, peak_rss_100k_mb < 1500")


if __name__ == "__main__":
    main()
