"""Make an app answer inside a test's transaction: every request sees the test's
uncommitted rows, and nothing a request writes outlives the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session


def share_test_transaction(application: FastAPI, db_session: Session) -> None:
    from ariadne_api.deps import get_session, is_write
    from ariadne_core.db.engine import driver_connection
    from ariadne_core.db.plans import run as run_plan

    async def _test_session(request: Request) -> AsyncIterator[Session]:
        # Like the real dependency, a failed request leaves nothing behind: each request
        # runs in a savepoint of the test's transaction.
        savepoint = db_session.begin_nested()
        try:
            yield db_session
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        if is_write(request):
            services.generation.bump()  # as the real dependency does after its commit

    class _TestReader:
        """The read plans, run on the test's own connection and transaction."""

        async def run(self, make_plan: Callable[[], Any]) -> Any:
            return run_plan(driver_connection(db_session), make_plan())

        async def open(self) -> None:
            pass

        async def close(self) -> None:
            pass

    @contextmanager
    def _test_read_session() -> Iterator[Session]:
        savepoint = db_session.begin_nested()
        try:
            yield db_session
        finally:
            savepoint.rollback()  # a read leaves nothing behind

    services = application.state.services
    application.dependency_overrides[get_session] = _test_session
    # Reads see the test's uncommitted writes too (the real read session is autocommit):
    # the read services are given the test's connection in place of their own.
    reader = _TestReader()
    services.reader = reader
    for reads in (services.catalog, services.search, services.lineage, services.ai, services.inbox):
        reads.reader = reader
    for reads in (services.catalog, services.lineage):
        reads.read_sessions = _test_read_session
