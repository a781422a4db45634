"""Read plans run the same on a blocking and an asyncio connection (real PostgreSQL), and
the API's asyncio pool survives a server-side disconnect without failing the read."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg_pool import PoolClosed, PoolTimeout

from ariadne_core.db.plans import AsyncReader, Plan, run


def _two_steps(n: int) -> Plan[tuple[int, int]]:
    first = yield ("SELECT %(n)s::int * 2", {"n": n})
    assert first is not None
    second = yield ("SELECT %(m)s::int + 1, pg_backend_pid()", {"m": first[0]})
    assert second is not None
    return int(second[0]), int(second[1])


def _nothing() -> Plan[Any]:
    row = yield ("SELECT 1 WHERE false", {})
    return row


def test_the_same_plan_on_a_blocking_and_an_asyncio_connection(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert run(conn, _two_steps(20))[0] == 41
        assert run(conn, _nothing()) is None

    async def main() -> tuple[int, Any]:
        reader = AsyncReader(database_url, max_size=1)
        await reader.open()
        try:
            return (await reader.run(lambda: _two_steps(20)))[0], await reader.run(_nothing)
        finally:
            await reader.close()

    assert asyncio.run(main()) == (41, None)


def test_a_read_survives_the_server_closing_its_connection(database_url: str) -> None:
    async def main() -> tuple[int, int]:
        reader = AsyncReader(database_url, max_size=1)
        await reader.open()
        try:
            _, first_pid = await reader.run(lambda: _two_steps(1))
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
            _, second_pid = await reader.run(lambda: _two_steps(1))
            return first_pid, second_pid
        finally:
            await reader.close()

    first_pid, second_pid = asyncio.run(main())
    assert second_pid != first_pid


def test_other_database_errors_are_not_retried(database_url: str) -> None:
    calls: list[int] = []

    def slow() -> Plan[Any]:
        calls.append(1)
        yield ("SELECT set_config('statement_timeout', '50', false)", {})
        row = yield ("SELECT pg_sleep(1)", {})
        return row

    async def main() -> None:
        reader = AsyncReader(database_url, max_size=1)
        await reader.open()
        try:
            await reader.run(slow)
        finally:
            await reader.close()

    with pytest.raises(psycopg.errors.QueryCanceled):
        asyncio.run(main())
    assert calls == [1]


def test_a_plan_answered_from_memory_takes_no_connection() -> None:
    """A cache hit must not wait for the pool: under load that wait was most of a cached
    search's time. The pool here points at nothing and is never opened, so taking a
    connection would fail."""

    def remembered() -> Plan[str]:
        return "kept"
        yield ("SELECT 1", {})  # a plan all the same

    def needs_the_database() -> Plan[Any]:
        row = yield ("SELECT 1", {})
        return row

    async def main() -> str:
        reader = AsyncReader("postgresql://nobody@127.0.0.1:1/none", max_size=1, timeout=0.5)
        answer: str = await reader.run(remembered)
        with pytest.raises((PoolClosed, PoolTimeout)):
            await reader.run(needs_the_database)
        return answer

    assert asyncio.run(main()) == "kept"
