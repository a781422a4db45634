"""Schema-change alerts in Dagster (docs/schema-changes.md): `schema_changes`, one
partition per source downstream of `source_metadata`, computes what each change a sync
recorded breaks downstream and plans the digests; its check `schema_change_alerts` fails
(red in the UI the morning after the nightly harvest) when an open breaking change hits
a critical table. `schema_change_notifications` sends the digests, as its own retried
step. The work is ``ariadne_core.schema_changes``."""

import uuid

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    Backoff,
    DefaultSensorStatus,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
    define_asset_job,
)
from sqlalchemy.orm import Session

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.schema_changes.notify import deliver_due
from ariadne_core.schema_changes.process import critical_hits, process_pending
from ariadne_pipelines.assets.harvest import source_metadata, source_partitions
from ariadne_pipelines.resources import CatalogDatabase, SourceKeyring

CRITICAL_CHECK = "schema_change_alerts"
RETRY = RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


@asset(
    partitions_def=source_partitions,
    deps=[source_metadata],
    retry_policy=RETRY,
    automation_condition=AutomationCondition.eager(),
    group_name="harvesting",
    kinds={"postgres"},
    check_specs=[
        AssetCheckSpec(
            CRITICAL_CHECK,
            asset="schema_changes",
            description="No open breaking schema change of this source reaches a table tagged "
            "ARIADNE_SCHEMA_CHANGE_CRITICAL_TAG or owned by ARIADNE_SCHEMA_CHANGE_CRITICAL_OWNERS.",
        )
    ],
    description="The breaking and risky schema changes the last sync of this source saw, "
    "each with its downstream impact (column level where field lineage exists), the "
    "lineage_source of every edge on the path and the owners to tell; one digest per "
    "owner is planned for delivery.",
)
def schema_changes(
    context: AssetExecutionContext, catalog_db: CatalogDatabase
) -> MaterializeResult:
    settings = get_settings()
    source_id = uuid.UUID(context.partition_key)
    with catalog_db.session() as session:
        report = process_pending(session, settings, source_id=source_id)
    with catalog_db.session() as session:
        hits = critical_hits(session, settings, source_id)
    context.log.info(f"schema changes: {report.as_dict()}; critical: {len(hits)}")
    return MaterializeResult(
        metadata={
            "events_processed": MetadataValue.int(report.events),
            "affected": MetadataValue.int(report.affected),
            "deliveries_planned": MetadataValue.int(report.deliveries),
        },
        check_results=[
            AssetCheckResult(
                check_name=CRITICAL_CHECK,
                passed=not hits,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "open_breaking_on_critical": MetadataValue.int(len(hits)),
                    "changes": MetadataValue.json(hits[:20]),
                },
            )
        ],
    )


@asset(
    deps=[schema_changes],
    retry_policy=RETRY,
    automation_condition=AutomationCondition.eager(),
    group_name="harvesting",
    kinds={"python"},
    description="Sends the schema-change digests that are due (webhooks signed with "
    "HMAC, Slack and Teams formats, e-mail through SMTP); each attempt is recorded, a "
    "failed one is retried with backoff and stays listed in "
    "GET /api/v1/notifications/deliveries.",
)
def schema_change_notifications(
    context: AssetExecutionContext, catalog_db: CatalogDatabase, source_keyring: SourceKeyring
) -> MaterializeResult:
    engine = catalog_db.engine()
    report = deliver_due(lambda: Session(engine), source_keyring.keyring(), get_settings())
    context.log.info(f"deliveries: {report}")
    if report["retrying"]:
        # the step fails so Dagster retries it; the rows say when each is due again
        raise Failure(
            description=f"{report['retrying']} deliveries failed and will be retried",
            metadata={k: MetadataValue.int(v) for k, v in report.items()},
            allow_retries=True,
        )
    return MaterializeResult(metadata={k: MetadataValue.int(v) for k, v in report.items()})


schema_changes_after_sync = AutomationConditionSensorDefinition(
    "schema_changes_after_sync",
    target=[schema_changes, schema_change_notifications],
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Computes a source's schema-change events after each of its syncs, then "
    "sends the digests.",
)

schema_changes_job = define_asset_job(
    names.SCHEMA_CHANGES_JOB,
    selection=[schema_changes],
    description="Compute the schema-change events of one source (choose its partition).",
)
notifications_job = define_asset_job(
    names.NOTIFICATIONS_JOB,
    selection=[schema_change_notifications],
    description="Send the schema-change digests that are due.",
)
