"""Import jobs: the stored file, its status and progress, and the run that executes it.

The API (and the Dagster launchpad) create a job; a runner (the Dagster job
`bulk_import`, or a thread when Dagster is not reachable) executes it with `run_job`.
Progress is written in short transactions of its own, so it is visible while the
import's single transaction is still open.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import ImportJob, ImportStatus, UserRole
from ariadne_core.errors import NotFound, PermissionDenied, ValidationFailed
from ariadne_core.importing.report import write_error_report
from ariadne_core.importing.service import (
    ImportReport,
    check_import_type,
    check_mode,
    check_upload,
    run_import,
)
from ariadne_core.importing.spec import normalize_type_name
from ariadne_core.lineage.edges import Actor
from ariadne_core.security.roles import has_role
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.import.jobs")
MAX_STORED_PROBLEMS = 1_000


def imports_dir(settings: Settings) -> Path:
    return settings.home / "imports"


def create_job(
    session: Session,
    settings: Settings,
    *,
    upload: Path,
    file_name: str,
    import_type: str,
    mode: str,
    replace: bool,
    actor: Actor,
) -> ImportJob:
    """Keep a copy of the upload under ARIADNE_HOME/imports/<job id>/ and record the job.
    A file over a size limit is refused here, before anything is stored."""
    check_upload(upload, file_name, normalize_type_name(import_type))
    job = ImportJob(
        id=uuid.uuid4(),
        import_type=check_import_type(import_type),
        mode=check_mode(mode),
        replace=replace,
        file_name=Path(file_name).name,
        created_by=actor.email,
        actor_role=actor.role.value,
        stage="queued",
        status=ImportStatus.PENDING,
    )
    folder = imports_dir(settings) / str(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / Path(file_name).name
    shutil.copyfile(upload, stored)
    job.file_path = str(stored)
    session.add(job)
    session.flush()
    return job


def drop_file(settings: Settings, file_path: str) -> Path:
    """A file given by path (the Dagster launchpad), accepted only inside the drop folder:
    a run must not read whatever the Dagster host can read."""
    folder = settings.drop_dir.resolve()
    if not file_path or "\x00" in file_path:
        raise ValidationFailed(
            f"Give file_path: the path of a file in the drop folder {folder}.",
            details={"field": "file_path"},
        )
    path = Path(file_path)
    path = (path if path.is_absolute() else folder / path).resolve()
    if not path.is_relative_to(folder):
        raise PermissionDenied(
            f"file_path '{file_path}' is outside the drop folder {folder}. Copy the file into "
            "that folder (ARIADNE_IMPORT_DROP_DIR) and give its path there.",
            details={"field": "file_path", "value": file_path},
        )
    if not path.is_file():
        raise ValidationFailed(
            f"file_path '{file_path}' is not a file in the drop folder {folder}.",
            details={"field": "file_path", "value": file_path},
        )
    return path


def get_job(session: Session, job_id: uuid.UUID, reader: Actor | None = None) -> ImportJob:
    """The job; with ``reader``, only when they may see it: its creator, stewards and
    admins (an import's rows and problems may show data the others should not see)."""
    job = session.get(ImportJob, job_id)
    if job is None or (reader is not None and not may_read(job, reader)):
        raise NotFound(f"Import job {job_id} does not exist.", details={"job_id": str(job_id)})
    return job


def may_read(job: ImportJob, reader: Actor) -> bool:
    return job.created_by == reader.email or has_role(reader.role, UserRole.STEWARD)


class _ProgressWriter:
    """Writes the job's stage and percent at most every half second."""

    def __init__(self, engine: Engine, job_id: uuid.UUID, low: float, high: float) -> None:
        self.engine, self.job_id, self.low, self.high = engine, job_id, low, high
        self.last = 0.0

    def __call__(self, stage: str, percent: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and percent < 100:
            return
        self.last = now
        value = round(self.low + (self.high - self.low) * percent / 100, 1)
        with self.engine.begin() as conn:
            conn.execute(
                update(ImportJob)
                .where(ImportJob.id == self.job_id)
                .values(stage=stage, progress_percent=value)
            )


def _finish(engine: Engine, job_id: uuid.UUID, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


def run_job(
    engine: Engine,
    job_id: uuid.UUID,
    keyring: Keyring,
    *,
    commit: bool = True,
    dagster_run_id: str | None = None,
    progress_range: tuple[float, float] = (0.0, 100.0),
) -> ImportReport:
    """Validate (``commit=False``) or execute the job's file; the job row tells how it went."""
    with session_scope(engine) as session:
        job = get_job(session, job_id)
        path, file_name = Path(str(job.file_path)), str(job.file_name)
        import_type, mode, replace = job.import_type, job.mode, job.replace
        actor = Actor(str(job.created_by), UserRole(job.actor_role or UserRole.EDITOR.value))
    start: dict[str, Any] = {
        "status": ImportStatus.RUNNING,
        "started_at": func.coalesce(ImportJob.started_at, datetime.now(UTC)),
    }
    if dagster_run_id:
        start["dagster_run_id"] = dagster_run_id
    _finish(engine, job_id, **start)
    progress = _ProgressWriter(engine, job_id, *progress_range)
    try:
        with session_scope(engine) as session:
            report = run_import(
                session,
                path,
                file_name=file_name,
                import_type=import_type,
                actor=actor,
                keyring=keyring,
                commit=commit,
                mode=mode,
                replace=replace,
                progress=progress,
            )
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        _finish(
            engine,
            job_id,
            status=ImportStatus.FAILED,
            stage="failed",
            finished_at=datetime.now(UTC),
            error_message=(
                f"The import stopped unexpectedly ({type(exc).__name__}); nothing was written. "
                "Try again, and tell an administrator if it happens again."
            ),
        )
        raise
    problems = report.all_problems()
    report_path = None
    if any(p.row is not None for p in problems) and report.format:
        suffix = Path(file_name).suffix or f".{report.format}"
        target = path.parent / f"errors-{Path(file_name).stem}{suffix}"
        headers = {s.name: s.header_row for s in report.sheets}
        try:
            report_path = str(write_error_report(path, target, report.format, problems, headers))
        except Exception:  # the report is a convenience; the job result stands without it
            log.exception("could not write the error report of import job %s", job_id)
    # A validation-only pass (the first op of the Dagster job) ends the job when nothing
    # could be committed anyway; otherwise the commit pass finishes it.
    finished = commit or not report.can_commit()
    if commit:
        status = ImportStatus.SUCCEEDED if report.committed else ImportStatus.FAILED
    else:
        status = ImportStatus.RUNNING if report.can_commit() else ImportStatus.FAILED
    summary = report.as_dict(max_rows=0, max_problems=0)
    values: dict[str, Any] = {
        "status": status,
        "counts": report.counts(),
        "errors": [p.as_dict() for p in problems[:MAX_STORED_PROBLEMS]],
        "report": {k: summary[k] for k in ("valid", "committed", "sheets", "graph", "format")},
        "error_report_path": report_path,
    }
    if finished:
        values.update(
            finished_at=datetime.now(UTC),
            progress_percent=100.0,
            stage="committed" if report.committed else "nothing written",
        )
        if status is ImportStatus.FAILED:
            values["error_message"] = _failure_message(report)
    _finish(engine, job_id, **values)
    return report


def _failure_message(report: ImportReport) -> str:
    counts = report.counts()
    if report.file_errors:
        return f"The file could not be imported: {report.file_errors[0].message}"
    return (
        f"{counts['error']} of {counts['rows']} rows have errors, and in all_or_nothing mode "
        "nothing is written then. Download the error report, fix the rows, and upload the "
        "file again (or import with skip_errors to write the valid rows)."
    )
