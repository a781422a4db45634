"""Start an import job: as the Dagster job `bulk_import`, or in a thread of the API.

With ``ARIADNE_IMPORT_RUNNER=dagster`` (the default) the job is submitted to the Dagster
webserver, so the run appears in the Dagster UI with its validation results. When the
webserver does not answer, the import still runs, in a thread here, and the job says so
(``dagster_run_id`` stays empty).
"""

from __future__ import annotations

import logging
import threading
import uuid
from urllib.parse import urlsplit

from sqlalchemy import Engine, update

from ariadne_core.config import Settings
from ariadne_core.db.models import ImportJob
from ariadne_core.importing.jobs import run_job
from ariadne_core.security.secrets import Keyring

log = logging.getLogger("ariadne.import.launcher")
JOB_NAME = "bulk_import"
LOCATION = "ariadne"


def dagster_run_config(job_id: uuid.UUID) -> dict[str, object]:
    return {"ops": {"validate_import": {"config": {"job_id": str(job_id)}}}}


class ImportLauncher:
    def __init__(self, settings: Settings, engine: Engine, keyring: Keyring) -> None:
        self.settings, self.engine, self.keyring = settings, engine, keyring

    def dagster_url(self, run_id: str) -> str:
        return f"{self.settings.dagster_base_url}/runs/{run_id}"

    def launch(self, job_id: uuid.UUID) -> str | None:
        """Start the job; returns the Dagster run id, or None when it runs in a thread."""
        if self.settings.import_runner == "dagster":
            try:
                return self._submit(job_id)
            except Exception as exc:
                log.warning(
                    "Dagster did not take import job %s (%s); running it in the API instead",
                    job_id,
                    exc,
                )
        thread = threading.Thread(
            target=self._run_here, args=(job_id,), name=f"import-{job_id}", daemon=True
        )
        thread.start()
        return None

    def _submit(self, job_id: uuid.UUID) -> str:
        from dagster_graphql import DagsterGraphQLClient

        url = urlsplit(self.settings.dagster_base_url)
        client = DagsterGraphQLClient(
            url.hostname or "127.0.0.1",
            port_number=url.port or (443 if url.scheme == "https" else 80),
            use_https=url.scheme == "https",
            timeout=10,
        )
        run_id = client.submit_job_execution(
            JOB_NAME,
            repository_location_name=LOCATION,
            run_config=dagster_run_config(job_id),
            tags={"ariadne/import_job": str(job_id)},
        )
        with self.engine.begin() as conn:
            conn.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(dagster_run_id=run_id)
            )
        return run_id

    def _run_here(self, job_id: uuid.UUID) -> None:
        try:
            run_job(self.engine, job_id, self.keyring)
        except Exception:  # recorded on the job by run_job; keep the thread quiet
            log.debug("import job %s failed", job_id, exc_info=True)
