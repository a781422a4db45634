"""Start an import job (the Dagster job `bulk_import`) or a sync job (the partitioned asset
`source_metadata`) through the Dagster webserver, or in a thread of the API.

With ``ARIADNE_IMPORT_RUNNER=dagster`` (the default) the job is submitted to the Dagster
webserver, so the run appears in the Dagster UI with its validation results. When the
webserver does not answer, the import still runs, in a thread here, and the job says so
(``dagster_run_id`` stays empty).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, update

from ariadne_core import pipeline_names as names
from ariadne_core.config import Settings
from ariadne_core.db.models import ImportJob, ImportStatus, SyncJob
from ariadne_core.errors import ServiceUnavailable
from ariadne_core.harvest.service import run_sync
from ariadne_core.importing.jobs import run_job
from ariadne_core.runtime.fallback import API_THREAD, DAGSTER, ApiThreadRunner
from ariadne_core.schema_changes.process import after_sync
from ariadne_core.security import submissions
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.launcher")


def dagster_run_config(settings: Settings, job_id: uuid.UUID) -> dict[str, object]:
    """The run config of an import the API submits: the job and its signature (the run
    acts as the job's creator only when the signature checks)."""
    return names.import_run_config(job_id, submissions.sign(settings, "import", str(job_id)))


def dagster_client(settings: Settings) -> Any:
    from dagster_graphql import DagsterGraphQLClient

    url = urlsplit(settings.dagster_base_url)
    return DagsterGraphQLClient(
        url.hostname or "127.0.0.1",
        port_number=url.port or (443 if url.scheme == "https" else 80),
        use_https=url.scheme == "https",
        timeout=10,
    )


class _Launcher:
    model: Any  # the job table: ImportJob or SyncJob

    def __init__(
        self, settings: Settings, engine: Engine, keyring: Keyring, fallback: ApiThreadRunner
    ) -> None:
        self.settings, self.engine, self.keyring = settings, engine, keyring
        self.fallback = fallback

    def dagster_url(self, run_id: str) -> str:
        return f"{self.settings.dagster_base_url}/runs/{run_id}"

    def _start(
        self,
        what: str,
        job_id: uuid.UUID,
        use_dagster: bool,
        submit: Callable[[], str],
        run_here: Callable[[], None],
    ) -> str | None:
        """Submit to Dagster; returns the run id, or None when the job runs in a thread of
        the API (bounded: ServiceUnavailable when full, and the job is marked failed). The
        job records which runner took it (and the Dagster run id)."""
        if use_dagster:
            try:
                run_id = submit()
                self._record(job_id, runner=DAGSTER, dagster_run_id=run_id)
                return run_id
            except Exception as exc:
                log.warning(
                    "Dagster did not take %s job %s (%s); running it in the API instead",
                    what,
                    job_id,
                    type(exc).__name__,
                )
        try:
            self.fallback.submit(what, job_id, run_here)
        except ServiceUnavailable as refused:
            self._record(job_id, runner=API_THREAD, **self._refused(refused.message))
            raise
        self._record(job_id, runner=API_THREAD)
        return None

    def _refused(self, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def _record(self, job_id: uuid.UUID, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(self.model).where(self.model.id == job_id).values(**values))


class ImportLauncher(_Launcher):
    model = ImportJob

    def _refused(self, message: str) -> dict[str, Any]:
        return {
            "status": ImportStatus.FAILED,
            "stage": "not started",
            "error_message": message,
            "finished_at": datetime.now(UTC),
        }

    def launch(self, job_id: uuid.UUID) -> str | None:
        """Start the job; returns the Dagster run id, or None when it runs in a thread."""
        return self._start(
            "import",
            job_id,
            self.settings.import_runner == "dagster",
            lambda: self._submit(job_id),
            lambda: self._run_here(job_id),
        )

    def _submit(self, job_id: uuid.UUID) -> str:
        client = dagster_client(self.settings)
        run_id = client.submit_job_execution(
            names.IMPORT_JOB,
            repository_location_name=names.LOCATION,
            run_config=dagster_run_config(self.settings, job_id),
            tags=names.import_tags(job_id),
        )
        return str(run_id)

    def _run_here(self, job_id: uuid.UUID) -> None:
        try:
            run_job(self.engine, job_id, self.keyring)
        except Exception:  # recorded on the job by run_job; keep the thread quiet
            log.debug("import job %s failed", job_id, exc_info=True)


ADD_PARTITION = """
mutation Add($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
    __typename
  }
}
"""


class SyncLauncher(_Launcher):
    """Launches `source_metadata` for one source's partition, like ImportLauncher."""

    model = SyncJob

    def _refused(self, message: str) -> dict[str, Any]:
        return {"status": "failed", "error_message": message, "finished_at": datetime.now(UTC)}

    def launch(self, job_id: uuid.UUID, source_id: uuid.UUID, full_sync: bool) -> str | None:
        return self._start(
            "sync",
            job_id,
            self.settings.sync_runner == "dagster",
            lambda: self._submit(job_id, source_id, full_sync),
            lambda: self._run_here(job_id, source_id, full_sync),
        )

    def _submit(self, job_id: uuid.UUID, source_id: uuid.UUID, full_sync: bool) -> str:
        client = dagster_client(self.settings)
        # The sensor adds partitions every 30 s; a source created a moment ago may not
        # have one yet, so add it here (an existing partition answers with an error type).
        client._execute(
            ADD_PARTITION,
            {
                "selector": {
                    "repositoryLocationName": names.LOCATION,
                    "repositoryName": names.REPOSITORY,
                },
                "name": names.SOURCE_PARTITIONS,
                "key": str(source_id),
            },
        )
        run_id: str = client.submit_job_execution(
            names.SYNC_JOB,
            repository_location_name=names.LOCATION,
            run_config=names.sync_run_config(job_id, full_sync),
            tags=names.sync_tags(job_id, source_id, "api"),
        )
        return run_id

    def _run_here(self, job_id: uuid.UUID, source_id: uuid.UUID, full_sync: bool) -> None:
        try:
            run_sync(self.engine, source_id, self.keyring, full_sync=full_sync, job_id=job_id)
        except Exception:  # recorded on the job and the source by run_sync
            log.debug("sync job %s failed", job_id, exc_info=True)
            return
        try:  # what the schema_changes assets do after a sync in Dagster
            after_sync(self.engine, self.keyring, self.settings, source_id)
        except Exception:  # the events stay pending; the next run takes them
            log.exception("schema changes of sync job %s were not processed", job_id)
