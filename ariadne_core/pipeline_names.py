"""The names the API and the Dagster definitions share, in one place.

The API launches Dagster runs by name through the webserver (ariadne_api.launcher), and
the definitions in ariadne_pipelines declare those names: a job renamed on one side and
not the other fails only at run time, in production. Both sides import them from here,
and tests/pipelines/test_pipeline_names.py launches through these builders.
"""

from __future__ import annotations

import uuid
from typing import Any

# The code location (workspace.yaml) and the repository Dagster names implicitly.
LOCATION = "ariadne"
REPOSITORY = "__repository__"

# Bulk import: the job and the op whose config carries the API's signed job id.
IMPORT_JOB = "bulk_import"
IMPORT_OP = "validate_import"

# Harvesting: the partitioned asset, its job, and its partitions (one per data source).
SYNC_ASSET = "source_metadata"
SYNC_JOB = "source_metadata_job"
SOURCE_PARTITIONS = "data_sources"

# Lineage inference (docs/inference.md).
INFERENCE_JOB = "inferred_lineage_job"
EMBEDDINGS_JOB = "metadata_embeddings_job"

# Observed lineage (docs/openlineage.md).
OBSERVED_JOB = "observed_lineage_job"
VERIFICATION_JOB = "lineage_verification_job"

# Schema-change alerts (docs/schema-changes.md).
SCHEMA_CHANGES_JOB = "schema_changes_job"
NOTIFICATIONS_JOB = "schema_change_notifications_job"

# Run tags.
KIND_TAG = "ariadne/kind"
IMPORT_JOB_TAG = "ariadne/import_job"
SYNC_JOB_TAG = "ariadne/sync_job"
TRIGGER_TAG = "ariadne/trigger"
PARTITION_TAG = "dagster/partition"  # Dagster's own


def import_run_config(job_id: uuid.UUID, submission: str) -> dict[str, Any]:
    """The run config of an import the API submits: the job and its signature (the run
    acts as the job's creator only when the signature checks)."""
    return {"ops": {IMPORT_OP: {"config": {"job_id": str(job_id), "submission": submission}}}}


def import_tags(job_id: uuid.UUID) -> dict[str, str]:
    return {IMPORT_JOB_TAG: str(job_id)}


def sync_run_config(job_id: uuid.UUID, full_sync: bool) -> dict[str, Any]:
    return {"ops": {SYNC_ASSET: {"config": {"full_sync": full_sync, "job_id": str(job_id)}}}}


def sync_tags(job_id: uuid.UUID, source_id: uuid.UUID, trigger: str) -> dict[str, str]:
    return {PARTITION_TAG: str(source_id), SYNC_JOB_TAG: str(job_id), TRIGGER_TAG: trigger}
