"""Make an app answer inside a test's transaction: every request sees the test's
uncommitted rows, and nothing a request writes outlives the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session


def share_test_transaction(
    application: FastAPI,
    db_session: Session,
    after_request: Callable[[Request], None] | None = None,
) -> None:
    from ariadne_api.deps import get_catalog_reader, get_read_session, get_session
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
        if after_request is not None:
            after_request(request)

    class _TestReader:
        """The read plans, run on the test's own connection and transaction."""

        async def run(self, make_plan: Callable[[], Any]) -> Any:
            return run_plan(driver_connection(db_session), make_plan())

    async def _test_reader() -> _TestReader:
        return _TestReader()

    application.dependency_overrides[get_session] = _test_session
    # Reads see the test's uncommitted writes too (the real read session is autocommit).
    application.dependency_overrides[get_read_session] = _test_session
    application.dependency_overrides[get_catalog_reader] = _test_reader
