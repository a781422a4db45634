"""Sync jobs: create one, run it, and report it.

``run_sync`` is the one entry point the Dagster asset, the API's fallback thread and the
tests use. It reads the whole harvest first, applies it in one transaction, and keeps
the job row and the source's ``last_sync_*`` columns up to date, including on failure.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ariadne_core.catalog.sources import get_source, read_config
from ariadne_core.config import Settings, get_settings
from ariadne_core.connectors.base import Connector, ConnectorError, HarvestedObject, SourceTimeout
from ariadne_core.connectors.registry import connector_for
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import DataSource, SourceType, SyncJob
from ariadne_core.errors import Conflict, NotFound, ValidationFailed
from ariadne_core.harvest.sync import HARVESTER, SyncResult, apply_harvest
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.harvest")

UNFINISHED = ("queued", "running")
STALE_AFTER = timedelta(hours=2)  # an unfinished job older than this no longer blocks


class SyncFailed(Exception):
    """A sync that failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class JobView:
    id: uuid.UUID
    source_id: uuid.UUID
    status: str
    full_sync: bool
    trigger: str
    stage: str | None
    counts: dict[str, Any]
    error_message: str | None
    attempts: int
    dagster_run_id: str | None
    runner: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _view(job: SyncJob) -> JobView:
    """The job as plain values, read while its session is open."""
    values = {f.name: getattr(job, f.name) for f in fields(JobView)}
    values["counts"] = dict(values["counts"] or {})
    return JobView(**values)


def syncable_source(session: Session, source_id: uuid.UUID) -> DataSource:
    source = get_source(session, source_id)
    if source.type == SourceType.MANUAL:
        raise ValidationFailed(
            f"source '{source.name}' is a manual source: its tables are declared or imported "
            "by hand, so there is nothing to sync.",
            details={"field": "source_id", "value": str(source_id)},
        )
    if not source.is_active:
        raise ValidationFailed(
            f"source '{source.name}' is inactive; set is_active to true before syncing it.",
            details={"field": "is_active", "value": False},
        )
    return source


def create_sync_job(
    session: Session,
    source_id: uuid.UUID,
    *,
    full_sync: bool = False,
    trigger: str = "api",
    actor: str | None = None,
) -> JobView:
    """A queued job, or Conflict naming the job already queued or running for the source.

    The unique index `uq_sync_jobs_one_unfinished` decides between concurrent requests;
    the look-up first only gives the loser a message naming the winner's job."""
    source = syncable_source(session, source_id)
    now = datetime.now(UTC)
    session.execute(  # an unfinished job this old was abandoned (its process died)
        update(SyncJob)
        .where(
            SyncJob.source_id == source.id,
            SyncJob.status.in_(UNFINISHED),
            SyncJob.created_at <= now - STALE_AFTER,
        )
        .values(
            status="failed",
            finished_at=now,
            error_message=f"abandoned: still unfinished after {STALE_AFTER}",
        )
    )
    job = SyncJob(
        source_id=source.id, full_sync=full_sync, trigger=trigger, created_by=actor, status="queued"
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        running = session.scalar(
            select(SyncJob)
            .where(SyncJob.source_id == source.id, SyncJob.status.in_(UNFINISHED))
            .limit(1)
        )
        job_id, status = (running.id, running.status) if running else ("unknown", "queued")
        raise Conflict(
            f"a sync of '{source.name}' is already {status} (job {job_id}); "
            "follow it with GET /api/v1/sources/sync-jobs/{job_id}.",
            details={"job_id": str(job_id), "status": status},
        ) from None
    session.refresh(job)
    return _view(job)


def get_sync_job(session: Session, job_id: uuid.UUID) -> JobView:
    job = session.get(SyncJob, job_id)
    if job is None:
        raise NotFound(f"sync job {job_id} does not exist.", details={"job_id": str(job_id)})
    return _view(job)


def list_sync_jobs(session: Session, source_id: uuid.UUID, limit: int = 20) -> list[JobView]:
    get_source(session, source_id)
    jobs = session.scalars(
        select(SyncJob)
        .where(SyncJob.source_id == source_id)
        .order_by(SyncJob.created_at.desc())
        .limit(limit)
    )
    return [_view(job) for job in jobs]


def _update_job(engine: Engine, job_id: uuid.UUID | None, **values: Any) -> None:
    if job_id is None:
        return
    with engine.begin() as conn:
        conn.execute(update(SyncJob).where(SyncJob.id == job_id).values(**values))


def _record_source(engine: Engine, source_id: uuid.UUID, **values: Any) -> None:
    """Sync status is operational state, not an edit of the source: no history row."""
    with engine.begin() as conn:
        conn.execute(update(DataSource).where(DataSource.id == source_id).values(**values))


def bounded_harvest(
    objects: Iterable[HarvestedObject], settings: Settings
) -> list[HarvestedObject]:
    """The harvest, refused (not truncated: a partial harvest would delete the rest) when a
    source returns more than ARIADNE_HARVEST_MAX_OBJECTS objects or an object has more
    than ARIADNE_HARVEST_MAX_FIELDS fields. It is read one object at a time, so the
    refusal comes before the excess is held in memory."""
    out: list[HarvestedObject] = []
    for obj in objects:
        if len(out) >= settings.harvest_max_objects:
            raise SyncFailed(
                f"the source returned more than {settings.harvest_max_objects} objects, the "
                "limit of one sync; narrow it (schemas, owners or database in its connection "
                "config) or raise ARIADNE_HARVEST_MAX_OBJECTS",
                retryable=False,
            )
        if len(obj.fields) > settings.harvest_max_fields:
            raise SyncFailed(
                f"{obj.schema_name or ''}.{obj.name} has {len(obj.fields)} fields, more than "
                f"the limit of {settings.harvest_max_fields} (ARIADNE_HARVEST_MAX_FIELDS)",
                retryable=False,
            )
        out.append(obj)
    return out


def run_sync(
    engine: Engine,
    source_id: uuid.UUID,
    keyring: Keyring,
    *,
    full_sync: bool = False,
    job_id: uuid.UUID | None = None,
    actor: str = HARVESTER,
    final_attempt: bool = True,
    progress: Callable[[str], None] | None = None,
    connectors: Callable[[SourceType, dict[str, Any]], Connector] = connector_for,
) -> SyncResult:
    """Harvest a source and apply it. Raises SyncFailed with a message a person can act on.

    ``connectors`` opens the connector for the source's type and decrypted config (Dagster
    passes its `SourceConnectors` resource, which tests can swap).

    With ``final_attempt=False`` (a retry will follow) a failure leaves the job running
    and the source's status as ``retrying``; the last attempt records the failure.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        source = syncable_source(session, source_id)
        source_name, source_type = source.name, source.type
        config = read_config(keyring, source)
    _update_job(
        engine,
        job_id,
        status="running",
        stage="connecting",
        started_at=now,
        attempts=SyncJob.attempts + 1,
        error_message=None,
    )
    _record_source(engine, source_id, last_sync_status="running")

    def stage(text: str) -> None:
        _update_job(engine, job_id, stage=text)
        if progress:
            progress(text)

    timings: dict[str, float] = {}
    try:
        with connectors(source_type, config) as connector:
            t0 = time.perf_counter()
            server_version = connector.server_version()
            stage(f"harvesting {source_name} ({server_version})")
            reported = {"at": 0.0}

            def on_progress(done: int, total: int | None, what: str) -> None:
                if time.perf_counter() - reported["at"] > 1.0:
                    reported["at"] = time.perf_counter()
                    stage(f"{what}: {done}/{total}" if total else what)

            objects = bounded_harvest(connector.harvest(on_progress), get_settings())
            timings["harvest_s"] = round(time.perf_counter() - t0, 3)
        stage(f"applying {len(objects)} objects")
        t1 = time.perf_counter()
        with session_scope(engine) as session:
            current = session.get(DataSource, source_id)
            if current is None:
                raise SyncFailed("the source was deleted during the sync", retryable=False)
            counts = apply_harvest(
                session, current, objects, full_sync=full_sync, actor=actor, sync_id=job_id
            )
        timings["apply_s"] = round(time.perf_counter() - t1, 3)
    except (ConnectorError, SyncFailed) as exc:
        retryable = isinstance(exc, SourceTimeout) or (
            isinstance(exc, SyncFailed) and exc.retryable
        )
        _fail(engine, source_id, job_id, exc.message, final=final_attempt or not retryable)
        raise SyncFailed(exc.message, retryable=retryable) from None
    except Exception as exc:
        log.exception("sync of source %s failed", source_id)
        message = f"the sync failed unexpectedly ({type(exc).__name__}); see the Dagster run log"
        _fail(engine, source_id, job_id, message, final=final_attempt)
        raise SyncFailed(message, retryable=True) from exc

    duration = round(time.perf_counter() - started, 3)
    finished = datetime.now(UTC)
    _record_source(
        engine, source_id, last_sync_status="success", last_sync_at=finished, last_sync_error=None
    )
    _update_job(
        engine,
        job_id,
        status="succeeded",
        stage="done",
        counts={**counts.as_dict(), "objects": len(objects), "duration_s": duration},
        finished_at=finished,
    )
    return SyncResult(
        source_id=source_id,
        source_name=source_name,
        full_sync=full_sync,
        objects=len(objects),
        counts=counts,
        duration_s=duration,
        server_version=server_version,
        timings=timings,
    )


def _fail(
    engine: Engine, source_id: uuid.UUID, job_id: uuid.UUID | None, message: str, *, final: bool
) -> None:
    now = datetime.now(UTC)
    if final:
        _record_source(
            engine, source_id, last_sync_status="failed", last_sync_at=now, last_sync_error=message
        )
        _update_job(engine, job_id, status="failed", error_message=message, finished_at=now)
    else:
        _record_source(engine, source_id, last_sync_status="retrying", last_sync_error=message)
        _update_job(engine, job_id, stage=f"retrying after: {message}", error_message=message)


def check_connection(source_type: SourceType, config: dict[str, Any]) -> dict[str, Any]:
    """Connect with a config that is not saved yet; the result says what went wrong."""
    with connector_for(source_type, config) as connector:
        check = connector.test_connection()
    return {
        "success": check.success,
        "message": check.message,
        "latency_ms": check.latency_ms,
        "server_version": check.server_version,
    }
