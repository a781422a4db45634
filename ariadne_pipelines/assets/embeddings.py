"""Embeddings as a Dagster asset: `metadata_embeddings`, the vectors semantic and hybrid
search read. A sensor runs it soon after the catalog changes (a sync, an import, an edit
through the API), and an hourly schedule catches anything missed. Each run embeds only
what changed (ariadne_core.embedding.index.embed_catalog, which `ariadne embed` calls too).
"""

from typing import Any

from dagster import (
    AssetExecutionContext,
    Backoff,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    schedule,
    sensor,
)

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.embedding.index import EmbedReport, catalog_mark, embed_catalog
from ariadne_pipelines.resources import CatalogDatabase, EmbeddingModel

# A model server that answers 429 or 5xx, or a lost database connection: 10 s, 20 s, 40 s.
EMBEDDING_RETRY = RetryPolicy(
    max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


def _metadata(report: EmbedReport) -> dict[str, Any]:
    return {
        "model": MetadataValue.text(f"{report.model} {report.model_version}"),
        "live_rows": MetadataValue.int(report.live),
        "embedded": MetadataValue.int(report.embedded),
        "reused": MetadataValue.int(report.reused),
        "unchanged": MetadataValue.int(report.unchanged),
        "deleted": MetadataValue.int(report.deleted),
        "texts_per_s": MetadataValue.float(round(report.texts_per_s, 1)),
        "duration_s": MetadataValue.float(round(report.seconds, 3)),
    }


@asset(
    retry_policy=EMBEDDING_RETRY,
    group_name="ai",
    kinds={"postgres", "pgvector"},
    description="Vectors of every table and field (name, qualified name, description, tags, "
    "owner; a table's columns and types) for semantic and hybrid search. Only rows whose "
    "text changed are embedded again; deleted rows lose their vectors; a new model "
    "embeds everything again. The model is ARIADNE_EMBEDDING_PROVIDER's: the local one "
    "by default, so no text leaves the machine.",
)
def metadata_embeddings(
    context: AssetExecutionContext, catalog_db: CatalogDatabase, embedding_model: EmbeddingModel
) -> MaterializeResult:
    provider = embedding_model.provider()

    def progress(report: EmbedReport) -> None:
        context.log.info(
            f"embedded {report.embedded + report.reused} of "
            f"{report.live - report.unchanged} changed rows "
            f"({report.texts_per_s:.0f} texts/s)"
        )

    with catalog_db.session() as session:
        conn = driver_connection(session)
        session.commit()  # nothing pending: the run commits batch by batch itself
        conn.autocommit = True
        report = embed_catalog(
            conn,
            provider,
            batch_size=max(256, get_settings().embedding_batch_size),
            progress=progress,
        )
    context.log.info(f"embeddings: {report.as_dict()}")
    return MaterializeResult(metadata=_metadata(report))


metadata_embeddings_job = define_asset_job(
    names.EMBEDDINGS_JOB,
    selection=[metadata_embeddings],
    description="Embed the tables and fields whose text changed since the last run.",
)


@sensor(
    job=metadata_embeddings_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs metadata_embeddings when tables or fields were added, changed or "
    "deleted since its last run.",
)
def embeddings_after_catalog_change(
    context: SensorEvaluationContext, catalog_db: CatalogDatabase
) -> RunRequest | SkipReason:
    with catalog_db.session() as session:
        mark = catalog_mark(driver_connection(session))
    if mark == context.cursor:
        return SkipReason("the catalog has not changed")
    context.update_cursor(mark)
    return RunRequest(run_key=f"embed:{mark}")


@schedule(
    job=metadata_embeddings_job,
    cron_schedule="40 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Hourly catch-up of metadata_embeddings (a no-op when nothing changed).",
)
def hourly_embeddings() -> RunRequest:
    return RunRequest()
