"""Harvesting: the partitioned asset `source_metadata`, the sensor that keeps one partition
per data source, the nightly schedule, and the hourly freshness check of every source.

The asset is thin: ``ariadne_core.harvest.service.run_sync`` does the work, the same
function the API's fallback thread and the tests call.
"""

import uuid
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSelection,
    Backoff,
    Config,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    asset,
    asset_check,
    define_asset_job,
    schedule,
    sensor,
)
from sqlalchemy import select

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.db.models import DataSource, SourceType
from ariadne_core.harvest.freshness import source_freshness, stale
from ariadne_core.harvest.service import SyncFailed, create_sync_job, run_sync
from ariadne_pipelines.resources import CatalogDatabase, SourceConnectors, SourceKeyring

PARTITIONS = names.SOURCE_PARTITIONS
MAX_RETRIES = 3
TRIGGER_TAG = names.TRIGGER_TAG
JOB_TAG = names.SYNC_JOB_TAG

source_partitions = DynamicPartitionsDefinition(name=PARTITIONS)

# Timeouts and lost connections are retried: 10 s, 20 s, 40 s, each ±50 %.
SYNC_RETRY = RetryPolicy(
    max_retries=MAX_RETRIES, delay=10, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


class SourceSyncConfig(Config):
    full_sync: bool = False
    job_id: str = ""  # set by POST /sources/{id}/sync; empty when started from Dagster


@asset(
    partitions_def=source_partitions,
    retry_policy=SYNC_RETRY,
    group_name="harvesting",
    kinds={"postgres"},
    description="Table and field metadata of one data source (one partition per source), "
    "harvested incrementally: only what changed writes history, vanished objects are "
    "marked deleted, and what people edited is kept.",
)
def source_metadata(
    context: AssetExecutionContext,
    config: SourceSyncConfig,
    catalog_db: CatalogDatabase,
    source_keyring: SourceKeyring,
    connectors: SourceConnectors,
) -> MaterializeResult:
    source_id = uuid.UUID(context.partition_key)
    engine = catalog_db.engine()
    job_id = uuid.UUID(config.job_id) if config.job_id else None
    if job_id is None:
        job_id = uuid.UUID(context.run.tags[JOB_TAG]) if JOB_TAG in context.run.tags else None
    if job_id is None:
        trigger = context.run.tags.get(TRIGGER_TAG, "dagster")
        with catalog_db.session() as session:
            job_id = create_sync_job(
                session, source_id, full_sync=config.full_sync, trigger=trigger, actor="dagster"
            ).id
    final = context.retry_number >= MAX_RETRIES
    try:
        result = run_sync(
            engine,
            source_id,
            source_keyring.keyring(),
            full_sync=config.full_sync,
            job_id=job_id,
            final_attempt=final,
            progress=context.log.info,
            connectors=connectors.open,
        )
    except SyncFailed as exc:
        raise Failure(
            description=exc.message,
            metadata={"retryable": MetadataValue.bool(exc.retryable)},
            allow_retries=exc.retryable,
        ) from None
    counts = result.counts.as_dict()
    context.log.info(f"synced {result.source_name}: {counts}")
    return MaterializeResult(
        metadata={
            "source": MetadataValue.text(result.source_name),
            "server_version": MetadataValue.text(result.server_version or "unknown"),
            "full_sync": MetadataValue.bool(result.full_sync),
            "objects": MetadataValue.int(result.objects),
            **{name: MetadataValue.int(value) for name, value in counts.items()},
            "duration_s": MetadataValue.float(result.duration_s),
            "sync_job_id": MetadataValue.text(str(job_id)),
            "explorer": MetadataValue.url(get_settings().explorer_url(f"/sources/{source_id}")),
        }
    )


source_metadata_job = define_asset_job(
    names.SYNC_JOB,
    selection=AssetSelection.assets(source_metadata).without_checks(),
    description="Sync one data source's metadata (choose the source's partition).",
)


def harvestable_source_ids(catalog_db: CatalogDatabase, *, active_only: bool) -> list[str]:
    stmt = select(DataSource.id).where(DataSource.type != SourceType.MANUAL)
    if active_only:
        stmt = stmt.where(DataSource.is_active)
    with catalog_db.session() as session:
        return sorted(str(source_id) for source_id in session.scalars(stmt))


@sensor(
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Adds a source_metadata partition when a data source is created and removes "
    "it when the source is deleted.",
)
def data_source_partitions(
    context: SensorEvaluationContext, catalog_db: CatalogDatabase
) -> SensorResult:
    wanted = set(harvestable_source_ids(catalog_db, active_only=False))
    present = set(context.instance.get_dynamic_partitions(PARTITIONS))
    requests = []
    if wanted - present:
        requests.append(source_partitions.build_add_request(sorted(wanted - present)))
    if present - wanted:
        requests.append(source_partitions.build_delete_request(sorted(present - wanted)))
    context.update_cursor(str(len(wanted)))
    return SensorResult(dynamic_partitions_requests=requests)


@schedule(
    job=source_metadata_job,
    cron_schedule=get_settings().harvest_cron,
    execution_timezone=get_settings().harvest_timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Syncs every active data source (ARIADNE_HARVEST_CRON, 02:00 by default).",
)
def nightly_harvest(
    context: ScheduleEvaluationContext, catalog_db: CatalogDatabase
) -> list[RunRequest]:
    ids, day = scheduled_partitions(context, catalog_db)
    return [
        RunRequest(
            run_key=f"{source_id}:{day}",
            partition_key=source_id,
            tags={TRIGGER_TAG: "schedule"},
        )
        for source_id in ids
    ]


def scheduled_partitions(
    context: ScheduleEvaluationContext, catalog_db: CatalogDatabase
) -> tuple[list[str], str]:
    """The active sources' partition keys (partitions created since the sensor last ran
    are added now) and the scheduled day, for a run key per source and day."""
    ids = harvestable_source_ids(catalog_db, active_only=True)
    present = set(context.instance.get_dynamic_partitions(PARTITIONS))
    missing = [source_id for source_id in ids if source_id not in present]
    if missing:
        context.instance.add_dynamic_partitions(PARTITIONS, missing)
    return ids, context.scheduled_execution_time.strftime("%Y-%m-%d")


FRESHNESS_CHECK = "every_source_synced_recently"


@asset_check(
    asset=source_metadata,
    name=FRESHNESS_CHECK,
    description="Every active harvested source had a successful sync within "
    "ARIADNE_SOURCE_FRESHNESS_HOURS (26 h by default); the stale ones are named.",
)
def sources_are_fresh(catalog_db: CatalogDatabase) -> AssetCheckResult:
    limit = get_settings().source_freshness_hours
    with catalog_db.session() as session:
        freshness = source_freshness(session, datetime.now(UTC))
    late = stale(freshness, limit)
    return AssetCheckResult(
        passed=not late,
        severity=AssetCheckSeverity.WARN,
        description=(
            f"All {len(freshness)} active sources synced within {limit:g} h."
            if not late
            else f"{len(late)} of {len(freshness)} sources are stale (limit {limit:g} h): "
            + "; ".join(f.label for f in late[:20])
        ),
        metadata={
            "stale_sources": MetadataValue.int(len(late)),
            "sources": MetadataValue.json(
                {
                    f.name: {
                        "last_success_at": f.last_success_at.isoformat()
                        if f.last_success_at
                        else None,
                        "age_hours": None if f.age_hours is None else round(f.age_hours, 2),
                        "stale": f in late,
                    }
                    for f in freshness
                }
            ),
        },
    )


source_freshness_job = define_asset_job(
    "source_freshness_job",
    selection=AssetSelection.checks(sources_are_fresh),
    description="Check that every active source synced recently.",
)


@schedule(
    job=source_freshness_job,
    cron_schedule="30 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour: is any source's metadata older than ARIADNE_SOURCE_FRESHNESS_HOURS?",
)
def hourly_source_freshness(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=context.scheduled_execution_time.isoformat())
