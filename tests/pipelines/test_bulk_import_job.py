"""The Dagster job bulk_import, launched the way the launchpad does: on a file path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInvalidConfigError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_api.launcher import dagster_run_config
from ariadne_core import pipeline_names as names
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.config import get_settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import ImportJob, ImportStatus, SourceType, TableLineage
from ariadne_core.security.secrets import keyring_for
from ariadne_pipelines.jobs.bulk_import import bulk_import
from ariadne_pipelines.resources import CatalogDatabase, SourceKeyring


@pytest.fixture
def catalog_url(
    make_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("ARIADNE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    url = str(make_database("ariadne_bulk"))
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        keyring = keyring_for(get_settings())
        for name, schema, table in (("shop", "public", "orders"), ("dw", "marts", "revenue")):
            source = create_source(session, keyring, SourceInput(name, SourceType.MANUAL), "t")
            create_table(session, TableInput(source.id, table, schema_name=schema), "t")
        session.commit()
    yield url
    get_settings.cache_clear()


def _drop(tmp_path: Path, text: str, name: str = "lineage.csv") -> Path:
    """A file in the drop folder, the only place the launchpad may import from."""
    folder = get_settings().drop_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _run(url: str, path: Path | str, **config: Any) -> Any:
    return bulk_import.execute_in_process(
        run_config={
            "ops": {
                "validate_import": {
                    "config": {"file_path": str(path), "import_type": "table_lineage", **config}
                }
            }
        },
        resources={
            "catalog_db": CatalogDatabase(database_url=url),
            "source_keyring": SourceKeyring(),
        },
        raise_on_error=False,
    )


def _failure(result: Any) -> str:
    failures = [e for e in result.all_node_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "the run did not fail"
    return str(failures[0].event_specific_data.error_display_string)


def _job(url: str) -> ImportJob:
    with Session(engine_for(url)) as session:
        job = session.scalars(select(ImportJob).order_by(ImportJob.created_at.desc())).first()
        assert job is not None
        return job


def _edges(url: str) -> int:
    with Session(engine_for(url)) as session:
        return int(session.scalar(select(func.count()).select_from(TableLineage)) or 0)


def test_job_validates_then_commits_and_reports(catalog_url: str, tmp_path: Path) -> None:
    path = _drop(tmp_path, "source_table,target_table\nshop.public.orders,dw.marts.revenue\n")
    result = _run(catalog_url, path)
    assert result.success
    materialized = result.output_for_node("validate_import")
    job = _job(catalog_url)
    assert materialized == str(job.id)
    assert job.status is ImportStatus.SUCCEEDED and job.dagster_run_id == result.run_id
    assert job.progress_percent == 100.0 and job.counts["create"] == 1
    assert job.created_by == "dagster@ariadne.local" and job.actor_role == "editor"
    metadata = {
        event.step_key: event.event_specific_data.metadata  # type: ignore[union-attr]
        for event in result.all_node_events
        if event.event_type_value == "STEP_OUTPUT"
    }
    assert metadata["validate_import"]["rows_create"].value == 1
    # the Dagster UI links back to the explorer's page of this import
    assert metadata["validate_import"]["explorer"].value.endswith(f"/#/import/{job.id}")
    assert _edges(catalog_url) == 1


def test_job_with_errors_fails_the_run_and_writes_nothing(catalog_url: str, tmp_path: Path) -> None:
    path = _drop(
        tmp_path,
        "source_table,target_table\nshop.public.orders,dw.marts.revenue\nshop.public.x,dw.y.z\n",
    )
    result = _run(catalog_url, path)
    assert not result.success
    job = _job(catalog_url)
    assert job.status is ImportStatus.FAILED and job.finished_at is not None
    assert job.counts["error"] == 1 and "rows have errors" in (job.error_message or "")
    assert _edges(catalog_url) == 0
    commit_events = [e for e in result.all_node_events if e.step_key == "commit_import"]
    assert all(e.event_type_value != "STEP_SUCCESS" for e in commit_events)


def test_launchpad_config_cannot_choose_the_actor_or_role(catalog_url: str, tmp_path: Path) -> None:
    path = _drop(
        tmp_path,
        "source_table,target_table,lineage_source\nshop.public.orders,dw.marts.revenue,approved\n",
    )
    # The old config keys are gone: Dagster refuses them instead of acting on them.
    with pytest.raises(DagsterInvalidConfigError, match="actor_role"):
        _run(catalog_url, path, actor_role="admin", actor_email="boss@example.com")
    result = _run(catalog_url, path)
    assert not result.success
    job = _job(catalog_url)
    assert job.created_by == "dagster@ariadne.local"
    assert [e["code"] for e in job.errors] == ["APPROVED_NEEDS_STEWARD"]
    assert _edges(catalog_url) == 0


def test_launchpad_reads_files_only_in_the_drop_folder(catalog_url: str, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("source_table,target_table\nshop.public.orders,dw.marts.revenue\n")
    inside = _drop(tmp_path, "x")
    for path in (outside, "/etc/passwd", f"{inside.parent}/../../jwt-secret"):
        result = _run(catalog_url, path)
        assert not result.success
        assert "outside the drop folder" in _failure(result)
    assert _edges(catalog_url) == 0


def test_a_job_id_needs_the_apis_signature(catalog_url: str, tmp_path: Path) -> None:
    from ariadne_core.db.models import UserRole
    from ariadne_core.importing import jobs
    from ariadne_core.lineage.edges import Actor

    path = _drop(
        tmp_path,
        "source_table,target_table,lineage_source\nshop.public.orders,dw.marts.revenue,approved\n",
    )
    with Session(engine_for(catalog_url)) as session:
        job = jobs.create_job(
            session,
            get_settings(),
            upload=path,
            file_name=path.name,
            import_type="table_lineage",
            mode="all_or_nothing",
            replace=False,
            actor=Actor("steward@example.com", UserRole.STEWARD),
        )
        session.commit()
        job_id = str(job.id)
    for forged in ("", "0" * 64):
        result = bulk_import.execute_in_process(
            run_config={
                "ops": {"validate_import": {"config": {"job_id": job_id, "submission": forged}}}
            },
            resources={
                "catalog_db": CatalogDatabase(database_url=catalog_url),
                "source_keyring": SourceKeyring(),
            },
            raise_on_error=False,
        )
        assert not result.success and "signs it" in _failure(result)
    assert _edges(catalog_url) == 0
    # Exactly the run config and tags the API submits (ariadne_core.pipeline_names).
    result = bulk_import.execute_in_process(
        run_config=dagster_run_config(get_settings(), job.id),
        tags=names.import_tags(job.id),
        resources={
            "catalog_db": CatalogDatabase(database_url=catalog_url),
            "source_keyring": SourceKeyring(),
        },
        raise_on_error=False,
    )
    assert result.success
    assert _edges(catalog_url) == 1  # the steward's approved row, as the API submitted it


def test_the_launchpad_imports_sql_scripts_as_inferred_lineage(
    catalog_url: str, tmp_path: Path
) -> None:
    """Through the launchpad too, an sql import only ever proposes: inferred edges,
    pending review, whoever the launchpad acts as."""
    path = _drop(
        tmp_path,
        "INSERT INTO dw.marts.revenue SELECT * FROM shop.public.orders;\n",
        name="load.sql",
    )
    result = _run(catalog_url, path, import_type="sql")
    assert result.success
    assert _job(catalog_url).status is ImportStatus.SUCCEEDED
    with Session(engine_for(catalog_url)) as session:
        edge = session.scalars(select(TableLineage)).one()
    assert edge.lineage_source.value == "inferred" and edge.status.value == "pending_review"
    assert edge.edge_metadata["evidence"][0]["object"] == "load.sql"
