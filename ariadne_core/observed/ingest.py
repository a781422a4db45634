"""Accepting OpenLineage events fast without losing one.

`EventInbox.put` returns once the events are stored in `openlineage_events` (committed),
so an acknowledged event survives the process dying. Requests that arrive together are
stored together: one writer inserts whatever is waiting in one statement (group
commit), which is what lets a burst of small POSTs cost one commit per batch instead of
one per event. After each stored batch the `Drainer` thread is woken to process it
(ariadne_core.observed.process); the Dagster asset `observed_lineage` drains whatever
it left, so processing needs neither this process nor Dagster to stay up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from ariadne_core.background import PokedThread
from ariadne_core.db.plans import Plan, PlanRunner
from ariadne_core.observed.process import drain
from ariadne_core.security.secrets import Keyring


def _insert_plan(by: list[str], events: list[str]) -> Plan[None]:
    """One statement on an autocommit connection: one commit for the whole batch."""
    yield (
        "WITH stored AS (INSERT INTO openlineage_events (submitted_by, event) SELECT b, "
        "e::jsonb FROM unnest(%(b)s::text[], %(e)s::text[]) AS x(b, e) RETURNING 1) "
        "SELECT count(*) FROM stored",
        {"b": by, "e": events},
    )


class EventInbox:
    def __init__(self, reader: PlanRunner, on_stored: Callable[[], None]) -> None:
        self.reader, self.on_stored = reader, on_stored
        self._waiting: list[tuple[list[str], str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, events: list[dict[str, Any]], submitted_by: str) -> None:
        """Store ``events``; returns when they are committed (raises if they are not)."""
        texts = [json.dumps(e, separators=(",", ":")) for e in events]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((texts, submitted_by, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            by = [b for texts, b, _ in batch for _ in texts]
            events = [t for texts, _, _ in batch for t in texts]
            try:
                await self.reader.run(partial(_insert_plan, by, events))
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)
            self.on_stored()


class Drainer(PokedThread):
    """A thread that processes stored events soon after they arrive (and every
    ``interval`` seconds regardless, for events stored by another process)."""

    def __init__(
        self, sessions: Callable[[], Session], keyring: Keyring, *, interval: float = 30.0
    ) -> None:
        self.sessions, self.keyring = sessions, keyring
        super().__init__(
            "ariadne-openlineage",
            self._drain,
            interval=interval,
            failure="processing OpenLineage events failed; will retry",
        )

    def _drain(self) -> None:
        drain(self.sessions, self.keyring)
