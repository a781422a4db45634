"""Bulk Import/Export API: preview, execute, job status, error report, templates, export.

Imports need `editor`; templates and export need any logged-in user. The logic lives
in `ariadne_core.importing` and `ariadne_core.exporting`; this module moves files.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from ariadne_api.deps import CurrentUser, Editor, KeyringDep, ServicesDep, SessionDep
from ariadne_api.launcher import ImportLauncher
from ariadne_api.schemas.common import error_responses
from ariadne_api.schemas.imports import (
    ImportJobResponse,
    ImportJobStatusResponse,
    ValidationResponse,
)
from ariadne_core.catalog.tables import check_tags_exist
from ariadne_core.db.engine import driver_connection, session_scope
from ariadne_core.db.models import ImportJob
from ariadne_core.errors import NotFound, ValidationFailed
from ariadne_core.exporting.rows import export_rows
from ariadne_core.exporting.stream import file_kind, stream
from ariadne_core.exporting.templates import template
from ariadne_core.importing import jobs
from ariadne_core.importing.formats import FORMATS
from ariadne_core.importing.service import check_file_name, check_import_type, run_import
from ariadne_core.importing.spec import IMPORT_TYPES
from ariadne_core.runtime.fallback import runner_of

router = APIRouter(tags=["import/export"])
Format = Literal["csv", "xlsx", "json", "yaml"]
UPLOAD = File(
    description="The file: .csv, .xlsx, .json, .yaml or .yml (.sql, .zip, .ndjson for the "
    "types that take them)"
)
IMPORT_TYPE = Form(
    description="sources, tables, fields, table_lineage, field_lineage, workbook (an "
    "Excel, JSON or YAML file with one sheet or key per type), or sql (a .sql file or a "
    ".zip of them, read by lineage inference: experimental, see docs/inference.md), or "
    "openlineage (OpenLineage events as .json or .ndjson, see docs/openlineage.md), "
    "datahub_lineage (DataHub's lineage YAML), or dbt (a manifest.json, or a .zip of "
    "manifest.json and catalog.json); see docs/import.md",
    examples=["table_lineage"],
)


@contextmanager
def _saved(upload: UploadFile, import_type: str) -> Iterator[tuple[Path, str]]:
    """The upload as a file on disk (readers need to seek and re-read), and its name."""
    name = Path(upload.filename or "").name
    if not name:
        raise ValidationFailed(
            "The upload has no file name, so its format is unknown. Send it as a file.",
            details={"field": "file"},
        )
    check_file_name(name, import_type)
    with tempfile.TemporaryDirectory(prefix="ariadne-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        yield path, name


@router.post(
    "/api/v1/import/validate",
    response_model=ValidationResponse,
    summary="Preview an import: check every row and show its effect, writing nothing",
    description="A file over a limit that protects the server is refused: 413 for its size "
    "(JSON 64 MB, YAML 16 MB, Excel unpacking to 1 GB or to 64 MB of texts), 422 for its "
    "shape (nested deeper than 32 levels, more than 100 columns, more than 50 YAML aliases, "
    "more than 20 sheets).",
    responses=error_responses(401, 403, 413, 422),
)
def validate_import(
    keyring: KeyringDep,
    session: SessionDep,
    user: Editor,
    file: Annotated[UploadFile, UPLOAD],
    import_type: Annotated[str, IMPORT_TYPE],
    replace: Annotated[bool, Form(description="Preview replace=true as well")] = False,
) -> dict[str, object]:
    with _saved(file, import_type) as (path, name):
        report = run_import(
            session,
            path,
            file_name=name,
            import_type=import_type,
            actor=user.actor,
            keyring=keyring,
            commit=False,
            replace=replace,
            limits_raise=True,
        )
    return report.as_dict()


@router.post(
    "/api/v1/import/execute",
    response_model=ImportJobResponse,
    status_code=202,
    summary="Import a file as a job (the Dagster job bulk_import); poll the job for progress",
    responses=error_responses(401, 403, 413, 422, 503),
)
def execute_import(
    services: ServicesDep,
    user: Editor,
    file: Annotated[UploadFile, UPLOAD],
    import_type: Annotated[str, IMPORT_TYPE],
    mode: Annotated[
        Literal["all_or_nothing", "skip_errors"],
        Form(
            description="all_or_nothing: any error means nothing is written; skip_errors: "
            "the valid rows are written and the rest reported"
        ),
    ] = "all_or_nothing",
    skip_errors: Annotated[bool, Form(description="Same as mode=skip_errors")] = False,
    replace: Annotated[
        bool,
        Form(
            description="Retire (deprecate) manual edges into the file's targets that the "
            "file no longer lists; approved edges are never touched"
        ),
    ] = False,
) -> ImportJobResponse:
    settings = services.settings
    # The job is committed on its own before the runner, which has its own connection,
    # looks for it.
    with _saved(file, import_type) as (path, name), session_scope(services.engine) as own:
        job = jobs.create_job(
            own,
            settings,
            upload=path,
            file_name=name,
            import_type=check_import_type(import_type),
            mode="skip_errors" if skip_errors else mode,
            replace=replace,
            actor=user.actor,
        )
    run_id = services.imports.launch(job.id)
    return ImportJobResponse(
        job_id=job.id,
        status=job.status.value,
        dagster_run_id=run_id,
        runner=runner_of(run_id),
        status_url=f"/api/v1/import/jobs/{job.id}",
    )


def _job_response(launcher: ImportLauncher, job: ImportJob) -> ImportJobStatusResponse:
    return ImportJobStatusResponse(
        id=job.id,
        import_type=job.import_type,
        mode=job.mode,
        replace=job.replace,
        status=job.status.value,
        stage=job.stage,
        progress_percent=job.progress_percent,
        file_name=job.file_name,
        counts=job.counts,
        errors=job.errors,  # type: ignore[arg-type]
        report=job.report,
        error_message=job.error_message,
        error_report_url=(
            f"/api/v1/import/jobs/{job.id}/error-report" if job.error_report_path else None
        ),
        dagster_run_id=job.dagster_run_id,
        dagster_run_url=launcher.dagster_url(job.dagster_run_id) if job.dagster_run_id else None,
        runner=job.runner,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.get(
    "/api/v1/import/jobs/{job_id}",
    response_model=ImportJobStatusResponse,
    summary="Status, progress, counts and problems of an import job",
    responses=error_responses(401, 403, 404, 422),
)
def get_import_job(
    services: ServicesDep, session: SessionDep, user: Editor, job_id: uuid.UUID
) -> ImportJobStatusResponse:
    return _job_response(services.imports, jobs.get_job(session, job_id, user.actor))


@router.get(
    "/api/v1/import/jobs/{job_id}/error-report",
    summary="Download your file with an `error` column added to each row with a problem",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **error_responses(401, 403, 404, 422),
    },
)
def get_error_report(session: SessionDep, user: Editor, job_id: uuid.UUID) -> FileResponse:
    job = jobs.get_job(session, job_id, user.actor)
    if not job.error_report_path or not Path(job.error_report_path).exists():
        raise NotFound(
            f"Import job {job_id} has no error report: no row had a problem.",
            details={"job_id": str(job_id)},
        )
    path = Path(job.error_report_path)
    return FileResponse(path, filename=path.name)


@router.get(
    "/api/v1/import/templates/{import_type}",
    summary="Download an empty import template with one example row and column descriptions",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 422)},
)
def get_template(
    user: CurrentUser,
    import_type: str,
    format: Annotated[Format, Query(description="csv, xlsx, json or yaml")] = "csv",
) -> Response:
    kind = check_import_type(import_type)
    content, media_type, name = template(kind, format)
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/api/v1/export/metadata",
    summary="Export sources, tables, fields and lineage in the import format (streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 422)},
)
def export_metadata(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    source_ids: Annotated[list[uuid.UUID] | None, Query(description="Only these sources")] = None,
    tags: Annotated[
        list[str] | None, Query(description="Only tables with any of these tags")
    ] = None,
    format: Annotated[
        Format, Query(description="csv (a zip of one CSV per type), xlsx, json or yaml")
    ] = "csv",
    types: Annotated[
        list[str] | None,
        Query(description="Which import types to export; all five by default"),
    ] = None,
) -> StreamingResponse:
    chosen = [check_import_type(t) for t in types] if types else list(IMPORT_TYPES)
    if "workbook" in chosen:
        chosen = list(IMPORT_TYPES)
    chosen = [t for t in IMPORT_TYPES if t in chosen]
    if tags:
        check_tags_exist(driver_connection(session), tags)
    factory = services.sessions

    def body() -> Iterator[bytes]:
        with factory() as reader:
            yield from stream(format, chosen, lambda t: export_rows(reader, t, source_ids, tags))

    media_type, ext = file_kind(format, chosen)
    name = f"ariadne-export-{datetime.now(UTC):%Y%m%d-%H%M%S}.{ext}"
    return StreamingResponse(
        body(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


assert set(FORMATS) == {"csv", "xlsx", "json", "yaml"}  # the Format literal above
