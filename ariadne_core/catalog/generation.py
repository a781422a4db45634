"""The catalog generation: a number that moves whenever the catalog changes, in any process.

Counting 10,000 tables or ranking a search costs PostgreSQL more than everything else in
a read, and the catalog is read far more often than it changes. List totals, pages,
table details and searches stay the same until a data source, table, field, table edge
or history row changes, so the API keeps them in memory for the generation they were
computed in (`GenerationCache`), the way a search engine caches requests until its next
refresh.

The generation is exact because PostgreSQL says when the catalog changed: triggers
(migrations 0005 and 0006) send `NOTIFY ariadne_catalog` from every writing statement on
those tables, and the
notification arrives only when that transaction commits, whoever wrote. A listener thread
bumps the generation for each one. A value is read before the work that is cached under
it, so an answer computed while a change committed is filed under the old generation and
never served again.

While the listener is not connected the generation is unknown (`None`) and nothing is
served from the caches. Each process also bumps its own generation right after it commits
(`bump`), so a client reads its own writes at once; another process sees them as soon as
its listener has the notification, normally well under a millisecond later.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "ariadne_catalog"


class CatalogGeneration:
    def __init__(self, libpq_url: str, *, retry_seconds: float = 2.0) -> None:
        self._url = libpq_url
        self._retry = retry_seconds
        self._value = 0
        self._listening = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscribers: list[Callable[[], None]] = []

    def current(self) -> int | None:
        """The generation now, or None while changes could go unnoticed."""
        return self._value if self._listening else None

    def subscribe(self, changed: Callable[[], None]) -> None:
        """Call ``changed`` after every bump: the one signal a cache or a projection
        that depends on the catalog or its lineage invalidates itself on, whoever wrote
        (this process, another API process, a Dagster run, the CLI)."""
        self._subscribers.append(changed)

    def bump(self) -> None:
        with self._lock:
            self._value += 1
        for changed in self._subscribers:
            try:
                changed()
            except Exception:  # a subscriber must never break a write or the listener
                log.exception("a catalog-change subscriber failed")

    def start(self, wait_seconds: float = 5.0) -> None:
        """Start listening; wait (briefly) for the first attempt to connect and LISTEN."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._listen, name="catalog-generation", daemon=True
            )
            self._thread.start()
        self._connected.wait(wait_seconds)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.bump()  # whatever changed while nobody listened
                    self._listening = True
                    self._connected.set()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.bump()
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("catalog change listener lost its connection: %s", exc)
            finally:
                self._listening = False
                self._connected.set()  # the first attempt is over, whatever its outcome
            self._stop.wait(self._retry)


class GenerationCache:
    """Answers kept for the generation they were computed in, least recently used first
    out.

    Bounded by an approximate size in bytes (``max_bytes``; 0 turns the cache off). An
    answer from an older generation is dropped when it is next looked up.
    """

    def __init__(self, generation: CatalogGeneration, max_bytes: int = 64 << 20) -> None:
        self.generation = generation
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def lookup(self, key: Hashable) -> tuple[int | None, Any]:
        """The generation now and the value kept for it, or None. Read the generation
        before doing the work, and `store` the result under it: see the module docstring.

        The generation is None (nothing can be kept) while the cache is off or the
        listener is not connected."""
        generation = self.generation.current() if self.max_bytes > 0 else None
        if generation is None:
            return None, None
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return generation, None
            if hit[0] != generation:
                del self._entries[key]
                self._bytes -= hit[2]
                return generation, None
            self._entries.move_to_end(key)
            return generation, hit[1]

    def store(self, key: Hashable, generation: int | None, value: Any, size: int = 512) -> None:
        """Keep ``value`` for ``generation``; ``size`` is roughly what it takes in bytes."""
        if generation is None or size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._entries[key] = (generation, value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
