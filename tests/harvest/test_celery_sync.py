"""Scale-out: with ARIADNE_DAGSTER_EXECUTOR=celery, a sync's step runs on a real
dagster-celery worker, through a real Redis broker (the test redis-server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import SourceType, SyncJob
from tests.conftest import REPO_ROOT
from tests.harvest.conftest import TEST_KEYS, make_source, pg_config

LAUNCH = """
import json, sys
from dagster import DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableRepository

source_id = sys.argv[1]
instance = DagsterInstance.get()
instance.add_dynamic_partitions("data_sources", [source_id])
repo = ReconstructableRepository.for_module("ariadne_pipelines.definitions", "defs")
job = repo.get_reconstructable_job("source_metadata_job")
result = execute_job(job, instance=instance, tags={"dagster/partition": source_id})
print("RESULT " + json.dumps({"success": result.success, "run_id": result.run_id}))
"""


def _wait_for(
    path: Path, text: str, seconds: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"'{text}' did not appear in {path}:\n{path.read_text()[-3000:]}")


def test_a_sync_runs_on_a_real_celery_worker(
    catalog_engine: Engine, keyring: Any, shop_source_url: str, redis_url: str, tmp_path: Path
) -> None:
    source_id = make_source(
        catalog_engine, keyring, "celery_src", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ARIADNE_")},
        "DAGSTER_HOME": str(dagster_home),
        "ARIADNE_DAGSTER_EXECUTOR": "celery",
        "ARIADNE_CELERY_BROKER_URL": redis_url.rsplit("/", 1)[0] + "/7",
        "ARIADNE_DATABASE_URL": catalog_engine.url.render_as_string(hide_password=False),
        "ARIADNE_ENCRYPTION_KEYS": TEST_KEYS,
        "ARIADNE_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"  # the worker runs `celery` from the venv
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                str(bin_dir / "dagster-celery"),
                "worker",
                "start",
                "-A",
                "dagster_celery.app",
                "-y",
                str(REPO_ROOT / "celery.yaml"),
                "-n",
                f"ariadne-test-{uuid.uuid4().hex[:6]}@%h",
                "-l",
                "info",
            ],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(log, "ready.", 120, worker)
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCH, str(source_id)],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        line = next((x for x in launched.stdout.splitlines() if x.startswith("RESULT ")), None)
        assert line is not None, launched.stdout[-3000:] + launched.stderr[-3000:]
        result = json.loads(line.removeprefix("RESULT "))
        assert result["success"], launched.stderr[-3000:]
        # The step ran on the worker: the worker logged the task and the step's events.
        _wait_for(log, 'Started execution of step "source_metadata"', 30)
        assert "Task execute_plan[" in log.read_text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    with session_scope(catalog_engine) as session:
        job = session.scalar(select(SyncJob).where(SyncJob.source_id == source_id))
        assert job is not None and job.status == "succeeded"
        assert job.counts["added"] >= 5
