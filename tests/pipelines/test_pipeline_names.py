"""The names the API launches Dagster runs by exist in the definitions, and the run
configs the API builds are valid for the jobs they name."""

from __future__ import annotations

import uuid

import pytest
from dagster import validate_run_config

from ariadne_core import pipeline_names as names
from ariadne_pipelines.definitions import defs


def test_every_shared_name_is_defined() -> None:
    repo = defs.get_repository_def()
    bulk = repo.get_job(names.IMPORT_JOB)
    assert names.IMPORT_OP in {node.name for node in bulk.nodes_in_topological_order}
    assert bulk.tags[names.KIND_TAG] == "import"
    sync = repo.get_job(names.SYNC_JOB)
    assert sync.partitions_def is not None
    assert sync.partitions_def.name == names.SOURCE_PARTITIONS  # type: ignore[attr-defined]
    assert names.SYNC_ASSET in {
        key.to_user_string() for key in sync.asset_layer.executable_asset_keys
    }
    assert repo.get_job(names.INFERENCE_JOB) is not None


def test_the_api_run_configs_are_valid_for_their_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARIADNE_DATABASE_URL", "postgresql://u@127.0.0.1:1/x")  # never used
    repo = defs.get_repository_def()
    job_id = uuid.uuid4()
    validate_run_config(repo.get_job(names.IMPORT_JOB), names.import_run_config(job_id, "s" * 64))
    for full_sync in (True, False):
        validate_run_config(repo.get_job(names.SYNC_JOB), names.sync_run_config(job_id, full_sync))
    tags = names.sync_tags(job_id, uuid.uuid4(), "api")
    assert set(tags) == {names.PARTITION_TAG, names.SYNC_JOB_TAG, names.TRIGGER_TAG}
