"""The Dagster job `bulk_import`: validate a file with the GX suites, then commit it.

The API launches it for every `POST /import/execute` (config: the import job id and the
API's signature of it; the run acts as the user who uploaded the file). From the Dagster
launchpad, give `file_path` (a file in the drop folder, ARIADNE_IMPORT_DROP_DIR) and
`import_type` instead: a job is created for the file, acting as ARIADNE_DAGSTER_ACTOR with
the role ARIADNE_DAGSTER_ACTOR_ROLE (editor at most: never approved lineage or sources). Either way the run's metadata shows the counts, the problems and the
effect on the lineage graph, and `GET /api/v1/import/jobs/{id}` follows its progress.
"""

import uuid
from typing import Any

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Out, job, op

from ariadne_core import pipeline_names as names
from ariadne_core.config import get_settings
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import UserRole
from ariadne_core.errors import AriadneError
from ariadne_core.importing import jobs
from ariadne_core.importing.service import ImportReport
from ariadne_core.lineage.edges import Actor
from ariadne_core.security import submissions
from ariadne_pipelines.resources import CatalogDatabase, SourceKeyring

SHOWN_PROBLEMS = 50


class ImportFileConfig(Config):
    job_id: str = ""
    submission: str = ""  # the API's signature of job_id; launchpad runs leave both empty
    file_path: str = ""
    import_type: str = "table_lineage"
    mode: str = "all_or_nothing"
    replace: bool = False


def _metadata(report: ImportReport) -> dict[str, Any]:
    counts = report.counts()
    problems = report.all_problems()
    lines = ["| sheet | row | column | code | message |", "|---|---|---|---|---|"]
    for found in problems[:SHOWN_PROBLEMS]:
        message = found.message.replace("|", "/")
        lines.append(
            f"| {found.sheet or ''} | {found.row or ''} | {found.column or ''} | "
            f"{found.code} | {message} |"
        )
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"| | | | | … and {len(problems) - SHOWN_PROBLEMS} more |")
    graph = report.graph.as_dict()
    return {
        **{f"rows_{k}": MetadataValue.int(v) for k, v in counts.items()},
        "problems": MetadataValue.md("\n".join(lines) if problems else "No problems."),
        "graph_effect": MetadataValue.json(graph),
        "committed": MetadataValue.bool(report.committed),
    }


def _job_from_file(engine: Any, config: ImportFileConfig) -> uuid.UUID:
    settings = get_settings()
    try:
        path = jobs.drop_file(settings, config.file_path)
    except AriadneError as exc:
        raise Failure(description=exc.message) from None
    with session_scope(engine) as session:
        created = jobs.create_job(
            session,
            settings,
            upload=path,
            file_name=path.name,
            import_type=config.import_type,
            mode=config.mode,
            replace=config.replace,
            actor=Actor(settings.dagster_actor, UserRole(settings.dagster_actor_role)),
        )
        return created.id


def _submitted_job(config: ImportFileConfig) -> uuid.UUID:
    if not submissions.verify(get_settings(), "import", config.job_id, config.submission):
        raise Failure(
            description="job_id can only be given by the Ariadne API, which signs it. To import "
            "a file from the launchpad, give file_path (a file in the drop folder) and "
            "import_type instead."
        )
    return uuid.UUID(config.job_id)


@op(
    out=Out(str, description="The import job id"),
    description="Parse the file and check every row (Great Expectations suites, references, "
    "duplicates, business rules). Writes nothing; fails the run when nothing could be "
    "committed.",
)
def validate_import(
    context: OpExecutionContext,
    config: ImportFileConfig,
    catalog_db: CatalogDatabase,
    source_keyring: SourceKeyring,
) -> str:
    engine = catalog_db.engine()
    job_id = _submitted_job(config) if config.job_id else _job_from_file(engine, config)
    report = jobs.run_job(
        engine,
        job_id,
        source_keyring.keyring(),
        commit=False,
        dagster_run_id=context.run_id,
        progress_range=(0.0, 45.0),
    )
    context.add_output_metadata(
        {
            "import_job_id": str(job_id),
            "explorer": MetadataValue.url(get_settings().explorer_url(f"/import/{job_id}")),
            **_metadata(report),
        }
    )
    for found in report.all_problems()[:SHOWN_PROBLEMS]:
        context.log.info(f"{found.code}: {found.message} {found.hint}")
    if not report.can_commit():
        raise Failure(
            description=f"{report.counts()['problems']} problems; nothing was written "
            f"(mode {report.mode}). See GET /api/v1/import/jobs/{job_id}.",
            metadata=_metadata(report),
        )
    return str(job_id)


@op(description="Write the valid rows in one transaction (all of them, or none).")
def commit_import(
    context: OpExecutionContext,
    job_id: str,
    catalog_db: CatalogDatabase,
    source_keyring: SourceKeyring,
) -> None:
    report = jobs.run_job(
        catalog_db.engine(),
        uuid.UUID(job_id),
        source_keyring.keyring(),
        commit=True,
        dagster_run_id=context.run_id,
        progress_range=(45.0, 100.0),
    )
    context.add_output_metadata(_metadata(report))
    if not report.committed:
        raise Failure(description="The import was not committed; see the job's problems.")


@job(
    name=names.IMPORT_JOB,
    description="Bulk import of sources, tables, fields and lineage from a CSV, Excel, JSON "
    "or YAML file: validate, then commit all-or-nothing (or skip the bad rows).",
    tags={names.KIND_TAG: "import"},
)
def bulk_import() -> None:
    commit_import(validate_import())
