"""Fixed-window counters for rate limits: in Redis when one is configured (shared by every
API process), in this process otherwise."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol


class Counters(Protocol):
    async def count(self, key: str) -> tuple[int, int]:
        """The hits on ``key`` in its current window and the seconds left in it."""
        ...

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        """Count one hit; returns the hits so far and the seconds left in the window."""
        ...

    async def reset(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryCounters:
    _MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._windows.get(key)
        if entry is not None and entry[1] <= now:
            del self._windows[key]
            return None
        return entry

    async def count(self, key: str) -> tuple[int, int]:
        now = time.monotonic()
        entry = self._live(key, now)
        return (0, 0) if entry is None else (entry[0], int(entry[1] - now) + 1)

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = time.monotonic()
        async with self._lock:
            if len(self._windows) >= self._MAX_KEYS:  # bounded memory under a spray
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
                if len(self._windows) >= self._MAX_KEYS:
                    self._windows.clear()
            entry = self._live(key, now) or (0, now + window)
            self._windows[key] = (entry[0] + 1, entry[1])
            return entry[0] + 1, int(entry[1] - now) + 1

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def close(self) -> None:
        return None


class RedisCounters:
    def __init__(self, url: str, prefix: str = "ariadne:rl:") -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    async def count(self, key: str) -> tuple[int, int]:
        name = self._prefix + key
        value, ttl = await self._redis.pipeline().get(name).ttl(name).execute()
        return (int(value or 0), max(int(ttl), 0))

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        name = self._prefix + key
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window, nx=True)
        pipe.ttl(name)
        value, _, ttl = await pipe.execute()
        return int(value), max(int(ttl), 1)

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        await self._redis.aclose()


def counters_for(redis_url: str | None) -> Counters:
    return RedisCounters(redis_url) if redis_url else MemoryCounters()
