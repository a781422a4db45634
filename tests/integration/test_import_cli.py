"""`ariadne import` from the command line, a kill during the commit, and the demo workbook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import (
    DataSource,
    EdgeOrigin,
    FieldLineage,
    LineageAuditEvent,
    LineageSource,
    LineageStatus,
    MetadataTable,
    SourceType,
    TableLineage,
)
from ariadne_core.observed.reads import VerificationQuery, verification
from ariadne_core.runtime import REPO_ROOT

ARIADNE = str(Path(sys.executable).parent / "ariadne")


@pytest.fixture
def fresh(make_database: Any, tmp_path: Path) -> tuple[str, dict[str, str]]:
    url = str(make_database("ariadne_cli"))
    migrate.upgrade(url)
    env = {
        **os.environ,
        "ARIADNE_DATABASE_URL": url,
        "ARIADNE_HOME": str(tmp_path / "home"),
        "ARIADNE_JWT_SECRET": "x" * 40,
    }
    return url, env


def _seed(url: str, tables: int) -> list[str]:
    with Session(engine_for(url)) as session:
        source = DataSource(name="big", type=SourceType.MANUAL)
        session.add(source)
        session.flush()
        names = [f"big.s.t{i}" for i in range(tables)]
        session.execute(
            insert(MetadataTable),
            [
                {
                    "id": uuid.uuid4(),
                    "source_id": source.id,
                    "schema_name": "s",
                    "name": f"t{i}",
                    "qualified_name": name,
                }
                for i, name in enumerate(names)
            ],
        )
        session.commit()
    return names


def _count(url: str, model: Any) -> int:
    with Session(engine_for(url)) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_cli_preview_prints_the_same_messages_then_imports(
    fresh: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = fresh
    _seed(url, 3)
    path = tmp_path / "table_lineage.csv"
    path.write_text("from,to\nbig.s.t0,big.s.t1\nbig.s.t0,big.s.t9\n")
    preview = subprocess.run(
        [ARIADNE, "import", str(path), "--preview"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert preview.returncode == 1, preview.stderr
    assert "Row 3: the target table 'big.s.t9' is not in the catalog." in preview.stdout
    assert "Fix the name, or import the table first." in preview.stdout
    assert "preview: nothing was written" in preview.stdout
    assert _count(url, TableLineage) == 0
    report = tmp_path / "errors.csv"
    done = subprocess.run(
        [ARIADNE, "import", str(path), "--mode", "skip_errors", "--error-report", str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported" in done.stdout
    assert _count(url, TableLineage) == 1
    assert "Row 3: the target table" in report.read_text(encoding="utf-8-sig")


def test_killing_the_import_during_the_commit_leaves_nothing(
    fresh: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = fresh
    names = _seed(url, 3000)
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write("source_table,target_table\n")
        for i in range(60_000):
            a, b = i % 3000, (i * 7 + 1 + i // 3000) % 3000
            if a != b:
                out.write(f"{names[a]},{names[b]}\n")
    process = subprocess.Popen(
        [ARIADNE, "import", str(path), "--type", "table_lineage"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dbname = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    seen = False
    deadline = time.monotonic() + 120
    with psycopg.connect(admin, autocommit=True) as conn:
        while time.monotonic() < deadline and process.poll() is None:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND (query ILIKE 'INSERT INTO table_lineage%%' "
                "OR query ILIKE 'INSERT INTO lineage_audit_events%%')",
                (dbname,),
            ).fetchone()
            if row and row[0]:
                seen = True
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    process.wait(timeout=30)
    assert seen, "the import finished before it could be killed during its writes"
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # the server notices the dead client and rolls its transaction back
    assert _count(url, TableLineage) == 0
    assert _count(url, LineageAuditEvent) == 0


def test_demo_workbook_loads_through_the_import(
    fresh: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from ariadne_core.demo import load_demo

    url, _ = fresh
    settings = Settings(
        _env_file=None,
        home=tmp_path / "home",
        database_url=url,  # type: ignore[call-arg]
        jwt_secret="x" * 40,
    )
    report = load_demo(url, settings)
    assert report is not None and report.committed, report and report.all_problems()[:3]
    assert (tmp_path / "home" / "demo" / "retail-demo.xlsx").exists()
    with Session(engine_for(url)) as session:
        assert session.scalar(select(func.count()).select_from(DataSource)) == 3
        tables = session.scalar(select(func.count()).select_from(MetadataTable)) or 0
        assert 60 <= tables <= 75
        edges = session.scalar(select(func.count()).select_from(TableLineage)) or 0
        assert 140 <= edges <= 160
        assert (session.scalar(select(func.count()).select_from(FieldLineage)) or 0) > edges
        pending = session.scalars(
            select(TableLineage).where(TableLineage.status == LineageStatus.PENDING_REVIEW)
        ).all()
        assert all(e.lineage_source is LineageSource.INFERRED for e in pending)
        inferred = [e for e in pending if e.origin is EdgeOrigin.INFERRED]
        assert len(inferred) >= 5
        # the review queue is filled by the inference engine from the demo's ETL scripts
        assert {e.edge_metadata["evidence"][0]["object"] for e in inferred} == {
            "demo_etl/campaign_touches.sql",
            "demo_etl/churn_signals.sql",
            "demo_etl/loyalty_and_gift_cards.sql",
            "demo_etl/product_feedback.sql",
        }
        pending_fields = session.scalars(
            select(FieldLineage).where(FieldLineage.status == LineageStatus.PENDING_REVIEW)
        ).all()
        assert len(pending_fields) >= 6
        assert {e.transformation_type for e in pending_fields} >= {"copy", "expression"}
        # and by a few days of observed runs: all three verification lists have edges
        observed = [e for e in pending if e.origin is EdgeOrigin.OBSERVED]
        assert observed and all(
            e.edge_metadata["observed_by"]["job"].startswith("demo-scheduler/") for e in observed
        )
        found = verification(session, VerificationQuery())
        assert all(found[k]["total"] > 0 for k in ("confirmed", "unobserved", "undeclared"))
    assert load_demo(url, settings) is None  # a second start keeps what is there


def test_cli_help_names_the_import_command() -> None:
    out = subprocess.run(
        [ARIADNE, "import", "--help"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert "--preview" in out.stdout and "--mode" in out.stdout


def test_cli_reads_a_sql_script_by_its_name(
    fresh: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A .sql file is the sql import type without --type; problems name their line and
    the error report is the script with the problem above its statement."""
    _, env = fresh
    script = tmp_path / "nightly.sql"
    script.write_text(
        "-- dialect: postgres\nINSERT INTO mart.t (a) SELECT x FROM raw.s;\nINSERT INTO b SELEC;\n"
    )
    report = tmp_path / "nightly.errors.sql"
    done = subprocess.run(
        [ARIADNE, "import", str(script), "--preview", "--error-report", str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "(sql)" in done.stdout, done.stdout + done.stderr
    assert "[nightly.sql]" in done.stdout and "Line 3:" in done.stdout
    lines = report.read_text().splitlines()
    assert lines[2].startswith("-- ariadne: Line 3:") and lines[3] == "INSERT INTO b SELEC;"
