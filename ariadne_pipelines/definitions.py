"""The one Definitions of Ariadne's code location (see workspace.yaml)."""

from __future__ import annotations

from typing import Any

from dagster import (
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    multiprocess_executor,
)

from ariadne_core.config import get_settings
from ariadne_pipelines.assets.catalog import catalog_summary
from ariadne_pipelines.assets.embeddings import (
    embeddings_after_catalog_change,
    hourly_embeddings,
    metadata_embeddings,
    metadata_embeddings_job,
)
from ariadne_pipelines.assets.harvest import (
    data_source_partitions,
    hourly_source_freshness,
    nightly_harvest,
    source_freshness_job,
    source_metadata,
    source_metadata_job,
    sources_are_fresh,
)
from ariadne_pipelines.assets.inference import (
    full_inference,
    inference_after_sync,
    inferred_lineage,
    inferred_lineage_job,
)
from ariadne_pipelines.assets.lineage import lineage_graph
from ariadne_pipelines.assets.observed import (
    daily_lineage_verification,
    lineage_verification,
    lineage_verification_job,
    observed_lineage,
    observed_lineage_job,
    observed_lineage_pending,
)
from ariadne_pipelines.assets.schema_changes import (
    notifications_job,
    schema_change_notifications,
    schema_changes,
    schema_changes_after_sync,
    schema_changes_job,
)
from ariadne_pipelines.jobs.bulk_import import bulk_import
from ariadne_pipelines.resources import default_resources

catalog_summary_job = define_asset_job("catalog_summary_job", selection=[catalog_summary])


def executor() -> Any:
    """multiprocess by default; ARIADNE_DAGSTER_EXECUTOR=celery sends steps to dagster-celery
    workers on the ARIADNE_CELERY_BROKER_URL broker (see celery.yaml)."""
    if get_settings().dagster_executor == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "ARIADNE_CELERY_BROKER_URL"},
                "backend": {"env": "ARIADNE_CELERY_BROKER_URL"},
            }
        )
    return multiprocess_executor


defs = Definitions(
    assets=[
        catalog_summary,
        lineage_graph,
        source_metadata,
        inferred_lineage,
        metadata_embeddings,
        observed_lineage,
        lineage_verification,
        schema_changes,
        schema_change_notifications,
    ],
    asset_checks=[sources_are_fresh],
    jobs=[
        catalog_summary_job,
        bulk_import,
        source_metadata_job,
        source_freshness_job,
        inferred_lineage_job,
        metadata_embeddings_job,
        observed_lineage_job,
        lineage_verification_job,
        schema_changes_job,
        notifications_job,
    ],
    schedules=[
        ScheduleDefinition(
            name="hourly_catalog_summary",
            job=catalog_summary_job,
            cron_schedule="0 * * * *",
            description="Refresh the catalog counts every hour.",
        ),
        nightly_harvest,
        hourly_source_freshness,
        full_inference,
        hourly_embeddings,
        daily_lineage_verification,
        ScheduleDefinition(
            name="notification_retries",
            job=notifications_job,
            cron_schedule="*/10 * * * *",
            description="Sends schema-change digests whose retry is due (failed attempts "
            "back off 30 s, 2 min, 10 min, 1 h, 6 h).",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
    ],
    sensors=[
        data_source_partitions,
        inference_after_sync,
        embeddings_after_catalog_change,
        observed_lineage_pending,
        schema_changes_after_sync,
    ],
    executor=executor(),
    resources=default_resources(),
)
