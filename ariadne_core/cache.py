"""Result cache for lineage reads: Redis when configured, an in-process cache otherwise.

Entries live 15 minutes and are keyed by a generation counter (shared through Redis by
every API process). `ariadne_core.lineage.reads.LineageReads` bumps it on every catalog
generation change (`CatalogGeneration.subscribe`): PostgreSQL announces each committed
change to the catalog or its lineage, whoever wrote it, so a read that starts after a
change never sees a result computed before it. When Redis fails, the cache falls back to
the in-process one for that call instead of failing the request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

log = logging.getLogger("ariadne.cache")

TTL_SECONDS = 15 * 60
GENERATION_KEY = "ariadne:lineage:generation"


class InProcessCache:
    """A bounded LRU with expiry, safe across threads."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            self._data.move_to_end(key)
            return item[1]

    def set(self, key: str, value: bytes, ttl: int = TTL_SECONDS) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def generation(self) -> int:
        with self._lock:
            return self._counters.get(GENERATION_KEY, 0)

    def bump(self) -> int:
        with self._lock:
            self._counters[GENERATION_KEY] = self._counters.get(GENERATION_KEY, 0) + 1
            return self._counters[GENERATION_KEY]


class LineageCache:
    """Redis first, the in-process cache when Redis is not configured or not answering."""

    def __init__(self, redis_url: str | None = None) -> None:
        self.local = InProcessCache()
        self.redis: Any = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(
                redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )

    def _redis_call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return getattr(self.redis, name)(*args, **kwargs)
        except redis.RedisError as exc:
            log.warning("redis unavailable for the lineage cache (%s); using in-process", exc)
            raise _Fallback from None

    def generation(self) -> str:
        if self.redis is not None:
            try:
                return "r" + str(int(self._redis_call("get", GENERATION_KEY) or 0))
            except _Fallback:
                pass
        return "l" + str(self.local.generation())

    def bump(self) -> None:
        self.local.bump()
        if self.redis is not None:
            with contextlib.suppress(_Fallback):
                self._redis_call("incr", GENERATION_KEY)

    def key(self, kind: str, params: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
        return f"ariadne:lineage:{self.generation()}:{kind}:{digest.hexdigest()[:32]}"

    def get(self, key: str) -> bytes | None:
        if self.redis is not None and key.startswith("ariadne:lineage:r"):
            try:
                value = self._redis_call("get", key)
                return bytes(value) if value is not None else None
            except _Fallback:
                return None
        return self.local.get(key)

    def set(self, key: str, value: bytes, ttl: int = TTL_SECONDS) -> None:
        if self.redis is not None and key.startswith("ariadne:lineage:r"):
            try:
                self._redis_call("set", key, value, ex=ttl)
                return
            except _Fallback:
                return
        self.local.set(key, value, ttl)


class _Fallback(Exception):
    pass
