"""Which graph backend answers a read: Neo4j when configured and current, else PostgreSQL.

PostgreSQL is the source of truth. A read goes to Neo4j only when the projection has
every committed change (see `GraphRouter._ensure_current`; a stale projection is brought up to date
first). When Neo4j fails, before or during the read, the same read is answered by
PostgreSQL and `/readyz` reports `degraded`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.graph import sync
from ariadne_core.graph.neo4j_store import Neo4jGraphStore
from ariadne_core.graph.postgres import PostgresGraphStore
from ariadne_core.graph.store import (
    Currency,
    Direction,
    EdgeFilter,
    GraphStore,
    Kind,
    Walk,
)

log = logging.getLogger("ariadne.graph")

# How long a cursor seen in Neo4j is trusted without asking Neo4j again.
MEMO_SECONDS = 5.0
RETRY_AFTER_SECONDS = 30.0


@dataclass
class BackendState:
    """After a Neo4j failure, Neo4j is left alone for a while, so degraded reads do not
    each wait for a connection timeout first."""

    down_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self) -> None:
        with self.lock:
            self.down_until = time.monotonic() + RETRY_AFTER_SECONDS

    @property
    def resting(self) -> bool:
        return time.monotonic() < self.down_until


def _neo4j_errors() -> tuple[type[BaseException], ...]:
    from neo4j.exceptions import DriverError, Neo4jError

    return (Neo4jError, DriverError, OSError)


class WalkQuery(Protocol):
    @property
    def root(self) -> uuid.UUID: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def depth(self) -> int: ...
    @property
    def edge_filter(self) -> EdgeFilter: ...


class FallbackStore:
    """Neo4j first; any Neo4j failure answers the same call from PostgreSQL."""

    def __init__(
        self, primary: Neo4jGraphStore, fallback: PostgresGraphStore, state: BackendState
    ) -> None:
        self.primary, self.fallback, self.state = primary, fallback, state
        self.used = "neo4j"

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.used == "neo4j":
            try:
                return getattr(self.primary, name)(*args, **kwargs)
            except _neo4j_errors() as exc:
                log.warning("Neo4j failed during a lineage read (%s); using PostgreSQL", exc)
                self.used = "postgres"
                self.state.failed()
        return getattr(self.fallback, name)(*args, **kwargs)

    def walk(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        result: Walk = self._call(
            "walk", root, kind=kind, direction=direction, depth=depth, edge_filter=edge_filter
        )
        return result


def backend_name(store: GraphStore) -> str:
    """Who answered through ``store``: "neo4j", or "postgres" (also after a fallback)."""
    return str(getattr(store, "used", "postgres"))


class GraphRouter:
    """Built once per API process; hands each read the store it should use."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.read_timeout = settings.neo4j_read_timeout_ms / 1000
        self.state = BackendState()
        self.driver: Any = None
        self.relay: sync.Relay | None = None
        self._memo: tuple[float, int, int] | None = None  # (when, last event id, window)
        self._async: tuple[asyncio.AbstractEventLoop, Any] | None = None  # (loop, driver)
        if settings.neo4j_uri:
            from neo4j import GraphDatabase

            self.driver = GraphDatabase.driver(
                settings.neo4j_uri,
                auth=(settings.neo4j_user, settings.neo4j_password),
                connection_timeout=2,
                max_transaction_retry_time=2,
            )
            self.relay = sync.Relay(engine, Neo4jGraphStore(self.driver))

    def start(self) -> None:
        if self.relay is not None:
            self.relay.start()

    def close(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.driver is not None:
            self.driver.close()

    async def aclose(self) -> None:
        if self._async is not None and self._async[0] is asyncio.get_running_loop():
            await self._async[1].close()
        self._async = None

    def _async_driver(self) -> Any:
        """The asyncio driver for the running event loop (one per loop: an asyncio driver
        belongs to the loop it was first used on)."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            from neo4j import AsyncGraphDatabase

            self._async = (
                loop,
                AsyncGraphDatabase.driver(
                    str(self.settings.neo4j_uri),
                    auth=(self.settings.neo4j_user, self.settings.neo4j_password),
                    connection_timeout=2,
                    max_transaction_retry_time=2,
                ),
            )
        return self._async[1]

    async def current_walk(self, query: WalkQuery) -> tuple[Walk, Currency] | None:
        """The walk from Neo4j, in the event loop, when Neo4j was seen holding every
        committed change less than MEMO_SECONDS ago; with the proof of currency the
        statement naming its nodes must check (`sync.unmoved_since`: the outbox has not
        moved since). The check rides on that statement, so a Neo4j read costs one
        PostgreSQL round trip, not two. None when there is no fresh memo, and after a
        Neo4j failure: the caller then takes the blocking path (`store`), which brings
        Neo4j up to date or answers from PostgreSQL."""
        memo = self._memo
        if not self.neo4j_available() or memo is None:
            return None
        if time.monotonic() - memo[0] >= MEMO_SECONDS:
            return None
        try:
            walk = await Neo4jGraphStore(
                self._async_driver(), read_timeout=self.read_timeout
            ).walk_async(
                query.root,
                kind=query.kind,
                direction=query.direction,
                depth=query.depth,
                edge_filter=query.edge_filter,
            )
        except TimeoutError:
            log.warning(
                "Neo4j did not answer a lineage read within %d ms "
                "(ARIADNE_NEO4J_READ_TIMEOUT_MS); using PostgreSQL",
                self.settings.neo4j_read_timeout_ms,
            )
            self.state.failed()
            return None
        except _neo4j_errors() as exc:
            log.warning("Neo4j failed during a lineage read (%s); using PostgreSQL", exc)
            self.state.failed()
            return None
        return walk, sync.unmoved_since(memo[1], memo[2])

    def poke(self) -> None:
        if self.relay is not None:
            self.relay.poke()

    def _ensure_current(self, neo4j: Neo4jGraphStore, session: Session) -> None:
        """Make sure Neo4j holds every committed change before it answers.

        The cursor this process last saw in Neo4j is remembered for MEMO_SECONDS: while
        the outbox has not moved past it, the check is one PostgreSQL query and no Neo4j
        query. Once the outbox moves, or the memo is older (someone may have rebuilt or
        wiped the projection), Neo4j's own cursor is read and the relay runs if needed.
        """
        memo = self._memo
        if memo is not None and time.monotonic() - memo[0] < MEMO_SECONDS:
            newest, counted = sync.outbox_position(session, memo[1])
            if newest == memo[1] and counted == memo[2]:
                return
        last, window = sync.ensure_fresh(neo4j, session)
        self._memo = (time.monotonic(), last, window)

    def neo4j_available(self) -> bool:
        """Whether a read would try Neo4j now (configured, and not resting after a failure)."""
        return self.driver is not None and not self.state.resting

    def store(self, session: Session) -> GraphStore:
        """The store one read should use."""
        postgres = PostgresGraphStore(session)
        if not self.neo4j_available():
            return postgres
        neo4j = Neo4jGraphStore(self.driver, read_timeout=self.read_timeout)
        try:
            self._ensure_current(neo4j, session)
        except _neo4j_errors() as exc:
            log.warning("Neo4j is not answering (%s); lineage reads use PostgreSQL", exc)
            self.state.failed()
            return postgres
        return FallbackStore(neo4j, postgres, self.state)
