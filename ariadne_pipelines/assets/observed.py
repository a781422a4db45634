"""Observed lineage in Dagster (docs/openlineage.md).

- `observed_lineage` processes the OpenLineage events the API stored and has not
  processed yet (the API does it right away; this is what is left after a crash, with
  the API's drainer off, or events stored by another process), and matches the
  datasets still unmatched. The sensor `observed_lineage_pending` runs it when events
  have waited a minute. The work is ``ariadne_core.observed.process``.
- `lineage_verification`, one partition per source, holds the source's declared lineage
  against what jobs report; its check `declared_lineage_observed` warns when more edges
  than ARIADNE_VERIFICATION_WARN_AT are unobserved or undeclared. A daily schedule
  refreshes every source.
"""

import uuid

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Backoff,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    schedule,
    sensor,
)
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.observed.process import drain, pending_count, rematch
from ariadne_core.observed.reads import VerificationQuery, verification
from ariadne_pipelines.assets.harvest import scheduled_partitions, source_partitions
from ariadne_pipelines.resources import CatalogDatabase, SourceKeyring

VERIFICATION_CHECK = "declared_lineage_observed"
WAITED_SECONDS = 60  # events older than this were not processed by an API

OBSERVED_RETRY = RetryPolicy(
    max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


@asset(
    group_name="lineage",
    retry_policy=OBSERVED_RETRY,
    kinds={"postgres"},
    description="OpenLineage events received by POST /api/v1/lineage, processed into "
    "observations and observed edges (inferred / pending_review, origin observed); "
    "declared and approved edges only gain observation fields. Also matches datasets "
    "that were unmatched (a table harvested since, an alias or a mapping added).",
)
def observed_lineage(
    context: AssetExecutionContext, catalog_db: CatalogDatabase, source_keyring: SourceKeyring
) -> MaterializeResult:
    engine = catalog_db.engine()
    keyring = source_keyring.keyring()
    report = drain(lambda: Session(engine), keyring)
    with Session(engine) as session:
        rematched = rematch(session, keyring, report)
        session.commit()
        left = pending_count(session)
        unmatched = session.execute(
            text("SELECT count(*) FROM observed_datasets WHERE table_id IS NULL")
        ).scalar_one()
    context.log.info(f"observed lineage: {report.as_dict()}, rematched {rematched}")
    return MaterializeResult(
        metadata={
            "events_processed": MetadataValue.int(report.events),
            "events_failed": MetadataValue.int(report.failed_events),
            "observations": MetadataValue.int(report.observations),
            "edges_created": MetadataValue.int(report.edges_created),
            "edges_confirmed": MetadataValue.int(report.edges_confirmed),
            "sql_read_by_inference": MetadataValue.int(report.sql_read),
            "sql_unusable": MetadataValue.int(report.sql_unusable),
            "datasets_rematched": MetadataValue.int(rematched),
            "datasets_unmatched": MetadataValue.int(int(unmatched)),
            "events_pending": MetadataValue.int(left),
            "another_drainer_busy": MetadataValue.bool(report.busy),
            "duration_s": MetadataValue.float(round(report.duration_s, 3)),
        }
    )


observed_lineage_job = define_asset_job(
    names.OBSERVED_JOB,
    selection=[observed_lineage],
    description="Process stored OpenLineage events and match unmatched datasets.",
)


@sensor(
    job=observed_lineage_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs observed_lineage when OpenLineage events have waited more than a "
    "minute (the API processes them at once when ARIADNE_OPENLINEAGE_DRAIN_IN_API is on).",
)
def observed_lineage_pending(
    context: SensorEvaluationContext, catalog_db: CatalogDatabase
) -> RunRequest | SkipReason:
    with catalog_db.session() as session:
        oldest = session.execute(
            text(
                "SELECT min(id) FROM openlineage_events WHERE processed_at IS NULL AND "
                "received_at < now() - make_interval(secs => :s)"
            ),
            {"s": WAITED_SECONDS},
        ).scalar_one()
    if oldest is None:
        return SkipReason("no OpenLineage event is waiting")
    return RunRequest(run_key=f"observed:{oldest}")


def _verification_counts(session: Session, source_id: uuid.UUID, window: int) -> dict[str, int]:
    found = verification(
        session, VerificationQuery(window_days=window, source_id=source_id, limit=1)
    )
    return {k: int(found[k]["total"]) for k in ("confirmed", "unobserved", "undeclared")}


@asset(
    partitions_def=source_partitions,
    deps=[observed_lineage],
    group_name="lineage",
    retry_policy=OBSERVED_RETRY,
    kinds={"postgres"},
    check_specs=[
        AssetCheckSpec(
            VERIFICATION_CHECK,
            asset="lineage_verification",
            description="At most ARIADNE_VERIFICATION_WARN_AT of the source's table edges are "
            "unobserved (declared, not reported by the jobs that write their target) or "
            "undeclared (reported, not declared or approved).",
        )
    ],
    description="One source's declared lineage held against what running jobs report "
    "(GET /api/v1/lineage/verification): confirmed, unobserved and undeclared table edges.",
)
def lineage_verification(
    context: AssetExecutionContext, catalog_db: CatalogDatabase
) -> MaterializeResult:
    settings = get_settings()
    window = settings.verification_window_days
    with catalog_db.session() as session:
        counts = _verification_counts(session, uuid.UUID(context.partition_key), window)
    worst = max(counts["unobserved"], counts["undeclared"])
    return MaterializeResult(
        metadata={
            **{k: MetadataValue.int(v) for k, v in counts.items()},
            "window_days": MetadataValue.int(window),
        },
        check_results=[
            AssetCheckResult(
                check_name=VERIFICATION_CHECK,
                passed=worst <= settings.verification_warn_at,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "unobserved": MetadataValue.int(counts["unobserved"]),
                    "undeclared": MetadataValue.int(counts["undeclared"]),
                    "threshold": MetadataValue.int(settings.verification_warn_at),
                },
            )
        ],
    )


lineage_verification_job = define_asset_job(
    names.VERIFICATION_JOB,
    selection=[lineage_verification],
    description="Verify one source's declared lineage against observed lineage.",
)


@schedule(
    job=lineage_verification_job,
    cron_schedule="30 6 * * *",
    execution_timezone=get_settings().harvest_timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Refreshes the verification of every active source each morning.",
)
def daily_lineage_verification(
    context: ScheduleEvaluationContext, catalog_db: CatalogDatabase
) -> list[RunRequest]:
    ids, day = scheduled_partitions(context, catalog_db)
    return [RunRequest(run_key=f"verify:{s}:{day}", partition_key=s) for s in ids]
