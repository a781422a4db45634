"""Lineage inference as a Dagster asset: `inferred_lineage`, one partition per source,
downstream of `source_metadata`, so every sync re-infers that source; a weekly schedule
re-infers everything from scratch. The work is ``ariadne_core.inference.service``.
"""

import uuid

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    Backoff,
    Config,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    RunRequest,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    schedule,
)

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.inference.service import infer_source, inferred_writes_on_declared_edges
from ariadne_pipelines.assets.harvest import (
    scheduled_partitions,
    source_metadata,
    source_partitions,
)
from ariadne_pipelines.resources import CatalogDatabase

PRECEDENCE_CHECK = "inference_left_declared_edges_alone"
PARSE_CHECK = "parse_failure_rate"

# Reading the catalog can meet a lost connection or a lock timeout: 5 s, 10 s, 20 s.
INFERENCE_RETRY = RetryPolicy(
    max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


class InferenceConfig(Config):
    force: bool = False  # re-read every origin even when its SQL did not change


@asset(
    partitions_def=source_partitions,
    deps=[source_metadata],
    retry_policy=INFERENCE_RETRY,
    automation_condition=AutomationCondition.eager(),
    group_name="lineage",
    kinds={"postgres", "sql"},
    check_specs=[
        AssetCheckSpec(
            PRECEDENCE_CHECK,
            asset="inferred_lineage",
            description="No inferred write changed a manual or approved edge.",
        ),
        AssetCheckSpec(
            PARSE_CHECK,
            asset="inferred_lineage",
            description="The share of the source's statements that failed to parse is under "
            "ARIADNE_INFERENCE_FAILURE_WARN.",
        ),
    ],
    description="(Experimental) Lineage proposed from one source's views, materialized "
    "views, MongoDB view pipelines and Elasticsearch aliases, written as inferred / "
    "pending_review edges with their evidence for stewards to review. Unchanged SQL is "
    "skipped; edges whose evidence disappeared are deprecated; manual and approved edges "
    "are never changed. ARIADNE_INFERENCE=false turns it off.",
)
def inferred_lineage(
    context: AssetExecutionContext, config: InferenceConfig, catalog_db: CatalogDatabase
) -> MaterializeResult:
    settings = get_settings()
    if not settings.inference:
        context.log.info("ARIADNE_INFERENCE is false: nothing inferred")
        return MaterializeResult(
            metadata={"disabled": MetadataValue.bool(True)},
            check_results=[
                AssetCheckResult(check_name=PRECEDENCE_CHECK, passed=True),
                AssetCheckResult(check_name=PARSE_CHECK, passed=True),
            ],
        )
    source_id = uuid.UUID(context.partition_key)
    with catalog_db.session() as session:
        report = infer_source(session, source_id, force=config.force)
    with catalog_db.session() as session:
        touched = inferred_writes_on_declared_edges(session)
    rate = report.parse_failures / report.statements if report.statements else 0.0
    context.log.info(f"inferred lineage: {report.as_dict()}")
    return MaterializeResult(
        metadata={
            "origins": MetadataValue.int(report.origins),
            "skipped_unchanged": MetadataValue.int(report.skipped_unchanged),
            "statements_parsed": MetadataValue.int(report.statements),
            "parse_failures": MetadataValue.int(report.parse_failures),
            "parse_failure_examples": MetadataValue.json(report.failure_examples),
            "edges_proposed": MetadataValue.int(report.created),
            "edges_updated": MetadataValue.int(report.updated + report.reopened),
            "edges_retired": MetadataValue.int(report.retired),
            "declared_edges_confirmed": MetadataValue.int(report.confirmed),
            "rejections_kept": MetadataValue.int(report.kept_rejected),
            "unresolved_names": MetadataValue.int(report.unresolved),
            "duration_s": MetadataValue.float(round(report.duration_s, 3)),
        },
        check_results=[
            AssetCheckResult(
                check_name=PRECEDENCE_CHECK,
                passed=touched == 0,
                severity=AssetCheckSeverity.ERROR,
                metadata={"audit_events": MetadataValue.int(touched)},
            ),
            AssetCheckResult(
                check_name=PARSE_CHECK,
                passed=rate <= settings.inference_failure_warn,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "failure_rate": MetadataValue.float(round(rate, 4)),
                    "threshold": MetadataValue.float(settings.inference_failure_warn),
                    "examples": MetadataValue.json(report.failure_examples),
                },
            ),
        ],
    )


# Declarative automation: a materialized source_metadata partition makes the same
# partition of inferred_lineage eager to run.
inference_after_sync = AutomationConditionSensorDefinition(
    "inference_after_sync",
    target=[inferred_lineage],
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Re-infers a source's lineage after each of its syncs.",
)

inferred_lineage_job = define_asset_job(
    names.INFERENCE_JOB,
    selection=[inferred_lineage],
    description="Infer lineage for one data source (choose the source's partition).",
)


@schedule(
    job=inferred_lineage_job,
    cron_schedule=get_settings().inference_cron,
    execution_timezone=get_settings().harvest_timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Re-infers every active source from scratch (ARIADNE_INFERENCE_CRON).",
)
def full_inference(
    context: ScheduleEvaluationContext, catalog_db: CatalogDatabase
) -> list[RunRequest]:
    if not get_settings().inference:
        return []
    ids, day = scheduled_partitions(context, catalog_db)
    return [
        RunRequest(
            run_key=f"infer:{source_id}:{day}",
            partition_key=source_id,
            run_config={"ops": {"inferred_lineage": {"config": {"force": True}}}},
        )
        for source_id in ids
    ]
