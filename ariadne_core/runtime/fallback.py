"""Jobs run in the API process when Dagster does not answer, on a bounded pool.

An import or a sync normally runs in Dagster. When the webserver cannot be reached, the
API runs the job itself so that nothing is lost, on at most ``workers`` threads with at
most ``queue`` more waiting; beyond that the request is refused (503) instead of piling
up threads. Jobs that ran this way say `runner: "api-thread"`, and /readyz reports it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ariadne_core.errors import ServiceUnavailable

API_THREAD = "api-thread"
DAGSTER = "dagster"


def runner_of(dagster_run_id: str | None) -> str:
    """Who took a job a launcher just started: Dagster gave it a run id, or the API."""
    return DAGSTER if dagster_run_id else API_THREAD


@dataclass(frozen=True)
class FallbackState:
    active: int  # running or waiting
    capacity: int


class ApiThreadRunner:
    def __init__(self, workers: int = 2, queue: int = 8) -> None:
        self.workers, self.queue = workers, queue
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ariadne-job")
        self._lock = threading.Lock()
        self._active = 0

    def submit(self, what: str, job_id: uuid.UUID, work: Callable[[], None]) -> None:
        """Run ``work`` on the pool, or ServiceUnavailable when it is full."""
        with self._lock:
            if self._active >= self.workers + self.queue:
                raise ServiceUnavailable(
                    f"Dagster is not answering and {self._active} jobs already run or wait in "
                    f"the API, its limit; the {what} job {job_id} was not started. Try again "
                    "in a few minutes, and check the Dagster webserver (/readyz).",
                    details={"job_id": str(job_id), "runner": API_THREAD},
                )
            self._active += 1

        def run() -> None:
            try:
                work()
            finally:
                with self._lock:
                    self._active -= 1

        self._pool.submit(run)

    def state(self) -> FallbackState:
        with self._lock:
            return FallbackState(self._active, self.workers + self.queue)
