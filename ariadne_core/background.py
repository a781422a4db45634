"""A background thread that does one piece of work when poked and every ``interval``
seconds regardless: how the API keeps Neo4j following PostgreSQL (graph.sync.Relay) and
processes stored OpenLineage events (observed.ingest.Drainer) without a request waiting."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("ariadne.runtime")


class PokedThread:
    def __init__(
        self,
        name: str,
        work: Callable[[], object],
        *,
        interval: float,
        failure: str,
        settle: float = 0.0,
    ) -> None:
        # settle: after a poke, wait this long for more pokes, so a burst is one piece of work
        self.work, self.interval, self.failure, self.settle = work, interval, failure, settle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._wake.wait(self.interval) and self.settle:
                self._stop.wait(self.settle)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.work()
            except Exception as exc:  # a store is away: the next poke or tick tries again
                log.warning("%s: %s", self.failure, exc)
