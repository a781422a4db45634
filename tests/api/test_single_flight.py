"""Concurrent cache misses for one answer are computed once at a time, per key."""

from __future__ import annotations

import asyncio

from ariadne_core.runtime.singleflight import SingleFlight


def test_one_computation_per_key_at_a_time_and_no_leftover_locks() -> None:
    flights = SingleFlight()
    cache: dict[str, int] = {}
    computed: list[str] = []
    running: dict[str, int] = {"a": 0, "b": 0}
    overlap: list[str] = []

    async def get(key: str) -> int:
        async with flights(key):
            if key in cache:
                return cache[key]
            running[key] += 1
            if running[key] > 1:
                overlap.append(key)
            computed.append(key)
            await asyncio.sleep(0.01)
            running[key] -= 1
            cache[key] = ord(key)
            return cache[key]

    async def main() -> list[int]:
        return list(await asyncio.gather(*(get("a" if i % 2 else "b") for i in range(20))))

    results = asyncio.run(main())
    assert sorted(computed) == ["a", "b"], "each key computed exactly once"
    assert overlap == []
    assert sorted(set(results)) == [ord("a"), ord("b")]
    assert flights._locks == {}
