"""The one Definitions of Ariadne's code location (see workspace.yaml)."""

from __future__ import annotations

from dagster import Definitions, ScheduleDefinition, define_asset_job

from ariadne_pipelines.assets.catalog import catalog_summary
from ariadne_pipelines.assets.lineage import lineage_graph
from ariadne_pipelines.jobs.bulk_import import bulk_import
from ariadne_pipelines.resources import default_resources

catalog_summary_job = define_asset_job("catalog_summary_job", selection=[catalog_summary])

defs = Definitions(
    assets=[catalog_summary, lineage_graph],
    jobs=[catalog_summary_job, bulk_import],
    schedules=[
        ScheduleDefinition(
            name="hourly_catalog_summary",
            job=catalog_summary_job,
            cron_schedule="0 * * * *",
            description="Refresh the catalog counts every hour.",
        )
    ],
    resources=default_resources(),
)
