"""Concurrent requests for one answer share one computation, per key."""

from __future__ import annotations

import asyncio

import pytest

from ariadne_core.runtime.singleflight import SingleFlight


def test_one_computation_per_key_shared_by_every_waiter_and_nothing_left_over() -> None:
    flights = SingleFlight()
    computed: list[str] = []

    async def compute(key: str) -> int:
        computed.append(key)
        await asyncio.sleep(0.01)
        return ord(key)

    async def main() -> list[int]:
        return list(
            await asyncio.gather(*(flights.run(k, lambda k=k: compute(k)) for k in ["a", "b"] * 10))
        )

    results = asyncio.run(main())
    assert sorted(computed) == ["a", "b"], "each key computed exactly once, no cache needed"
    assert results == [ord("a"), ord("b")] * 10
    assert flights._flights == {}
    # Once landed, the next request computes again (nothing is cached here).
    asyncio.run(flights.run("a", lambda: compute("a")))
    assert computed.count("a") == 2


def test_an_error_reaches_every_waiter_and_a_waiter_giving_up_stops_nobody() -> None:
    flights = SingleFlight()

    async def failing() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("the query failed")

    async def errors() -> list[BaseException | int]:
        return list(
            await asyncio.gather(
                *(flights.run("k", failing) for _ in range(3)), return_exceptions=True
            )
        )

    outcomes = asyncio.run(errors())
    assert all(isinstance(o, ValueError) for o in outcomes)

    async def slow() -> int:
        await asyncio.sleep(0.05)
        return 7

    async def one_gives_up() -> int:
        quitter = asyncio.ensure_future(flights.run("s", slow))
        stayer = asyncio.ensure_future(flights.run("s", slow))
        await asyncio.sleep(0.01)
        quitter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await quitter
        return await stayer

    assert asyncio.run(one_gives_up()) == 7
    assert flights._flights == {}
