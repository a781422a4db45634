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
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ariadne_core.background import PokedThread
from ariadne_core.db.plans import Plan, PlanRunner
from ariadne_core.observed.process import drain
from ariadne_core.security.secrets import Keyring


def _insert_plan(rows: str) -> Plan[None]:
    """One statement on an autocommit connection: one commit for the whole batch. The
    rows travel as one JSON array (`[{"b": who, "e": event}, ...]`): a text[] parameter
    would cost psycopg an escaping pass over every event in Python."""
    yield (
        "WITH stored AS (INSERT INTO openlineage_events (submitted_by, event) SELECT "
        "x->>'b', x->'e' FROM jsonb_array_elements(%(rows)s::jsonb) AS x RETURNING 1) "
        "SELECT count(*) FROM stored",
        {"rows": rows},
    )


def _touch_plan(key_ids: list[uuid.UUID]) -> Plan[None]:
    yield (
        "WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE id = ANY(%(ids)s) "
        "RETURNING 1) SELECT count(*) FROM used",
        {"ids": key_ids},
    )


TOUCH_EVERY = 60.0  # seconds: an API key's last_used_at is this precise


class EventInbox:
    def __init__(self, reader: PlanRunner, on_stored: Callable[[], None]) -> None:
        self.reader, self.on_stored = reader, on_stored
        self._waiting: list[tuple[list[str], str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._touched: dict[uuid.UUID, float] = {}  # key id -> when last_used_at was set
        self._used: set[uuid.UUID] = set()

    async def put(
        self, events: list[dict[str, Any]], submitted_by: str, key_id: uuid.UUID | None = None
    ) -> None:
        """Store ``events``; returns when they are committed (raises if they are not)."""
        if key_id is not None and time.monotonic() - self._touched.get(key_id, -1e9) >= TOUCH_EVERY:
            self._used.add(key_id)
        who = orjson.dumps(submitted_by).decode()
        texts = [f'{{"b":{who},"e":{orjson.dumps(e).decode()}}}' for e in events]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((texts, submitted_by, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._insert([t for texts, _, _ in batch for t in texts])
                outcomes: list[Exception | None] = [None] * len(batch)
            except Exception:
                # whatever one request sent must not fail the others: each on its own
                outcomes = []
                for texts, _, _ in batch:
                    try:
                        await self._insert(texts)
                        outcomes.append(None)
                    except Exception as exc:
                        outcomes.append(exc)
            for (_, _, done), error in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)
            self.on_stored()
            if self._used:
                used, self._used = list(self._used), set()
                now = time.monotonic()
                try:
                    await self.reader.run(partial(_touch_plan, used))
                    self._touched.update(dict.fromkeys(used, now))
                except Exception:  # only a timestamp: the next request tries again
                    pass

    async def _insert(self, texts: list[str]) -> None:
        await self.reader.run(partial(_insert_plan, "[" + ",".join(texts) + "]"))


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
            # a burst of events is processed in a few large batches, not one per request:
            # the thread shares the process (and its GIL) with the requests
            settle=1.0,
        )

    def _drain(self) -> None:
        drain(self.sessions, self.keyring)
