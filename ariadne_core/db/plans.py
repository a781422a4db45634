"""Reads written once and run on either a blocking or an asyncio psycopg connection.

The API answers its busiest reads (table list and detail, search) from `async def`
handlers on an asyncio connection, so they never wait for a thread-pool thread and never
fight other threads for the GIL. Imports, tests and scripts run the same reads on a
blocking connection. So that the logic exists once, a read is a *plan*: a generator that
yields `(sql, params)` (a statement that returns rows), is sent back the first row of
the answer (or None), and returns
its result.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

import anyio
import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session

T = TypeVar("T")
Row = tuple[Any, ...]
Query = tuple[str, Mapping[str, Any]]
Plan = Generator[Query, Row | None, T]


def run(conn: psycopg.Connection[Any], plan: Plan[T]) -> T:
    try:
        query = next(plan)
        while True:
            query = plan.send(conn.execute(*query).fetchone())
    except StopIteration as done:
        result: T = done.value
        return result


async def _finish_async(conn: psycopg.AsyncConnection[Any], plan: Plan[T], query: Query) -> T:
    try:
        while True:
            cursor = await conn.execute(*query)
            query = plan.send(await cursor.fetchone())
    except StopIteration as done:
        result: T = done.value
        return result


class PlanRunner(Protocol):
    """Runs a plan to its result: `AsyncReader` in the API, or a test's own connection."""

    async def run(self, make_plan: Callable[[], Plan[T]]) -> T: ...


class AsyncReader:
    """Runs plans on a pool of asyncio connections in autocommit (no BEGIN, no COMMIT).

    A connection the server closed (a restart) fails its plan once; the plan, a read, is
    then run again on a fresh connection instead of failing the request.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        max_size: int = 20,
        timeout: float = 10,
        options: str = "",
        generic_plans: bool = False,
        name: str = "ariadne-reads",
    ) -> None:
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 5}
        if generic_plans:
            # Every statement prepared at its first run and planned once for any
            # parameters: for reads whose planning costs more than their execution.
            kwargs["prepare_threshold"] = 0
            options = f"{options} -c plan_cache_mode=force_generic_plan".strip()
        if options:
            kwargs["options"] = options  # the statement timeout, the vector index's probes
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            kwargs=kwargs,
            timeout=timeout,  # to wait for a connection; then the read fails (a 503)
            open=False,
            name=name,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, make_plan: Callable[[], Plan[T]]) -> T:
        for attempt in (1, 2):
            plan = make_plan()
            try:  # a plan answered from memory needs no connection
                query = next(plan)
            except StopIteration as done:
                result: T = done.value
                return result
            async with self.pool.connection() as conn:
                try:
                    return await _finish_async(conn, plan, query)
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.broken:
                        raise
        raise AssertionError("unreachable")


async def in_read_session(
    read_sessions: Callable[[], AbstractContextManager[Session]], read: Callable[[Session], T]
) -> T:
    """The other way a read service runs a read: ``read`` on a fresh (autocommit) read
    session, in a worker thread, for reads written with the ORM."""

    def run_read() -> T:
        with read_sessions() as session:
            return read(session)

    return await anyio.to_thread.run_sync(run_read)
