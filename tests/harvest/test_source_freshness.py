"""The hourly freshness check names every active source whose metadata is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import SourceType, SyncJob
from ariadne_pipelines.definitions import defs
from tests.harvest.conftest import make_source

CONFIG = {"host": "127.0.0.1", "port": 5432, "database": "x", "username": "u"}


def _synced(engine: Engine, source_id: Any, hours_ago: float, status: str = "succeeded") -> None:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    with session_scope(engine) as session:
        session.add(SyncJob(source_id=source_id, status=status, started_at=at, finished_at=at))


def _check(catalog_db: Any) -> Any:
    job = defs.resolve_job_def("source_freshness_job")
    result = job.execute_in_process(resources={"catalog_db": catalog_db})
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_stale_and_never_synced_sources_fail_the_check(
    dagster_env: None, catalog_engine: Engine, keyring: Any, catalog_db: Any
) -> None:
    fresh = make_source(catalog_engine, keyring, "fresh", SourceType.POSTGRESQL, CONFIG)
    _synced(catalog_engine, fresh, 1)
    make_source(catalog_engine, keyring, "by_hand", SourceType.MANUAL, {})  # never synced
    evaluation = _check(catalog_db)
    assert evaluation.passed, evaluation.description

    old = make_source(catalog_engine, keyring, "old", SourceType.POSTGRESQL, CONFIG)
    _synced(catalog_engine, old, 40)
    _synced(catalog_engine, old, 2, status="failed")  # a failed sync is not fresh data
    never = make_source(catalog_engine, keyring, "never", SourceType.POSTGRESQL, CONFIG)
    assert never is not None
    evaluation = _check(catalog_db)
    assert not evaluation.passed
    assert "never: never synced successfully" in evaluation.description
    assert "old: last successful sync 40" in evaluation.description
    assert "fresh" not in evaluation.description
    sources = evaluation.metadata["sources"].value
    assert set(sources) == {"fresh", "old", "never"}  # the manual source is not harvested
    assert sources["old"]["stale"] and not sources["fresh"]["stale"]
    assert evaluation.metadata["stale_sources"].value == 2
