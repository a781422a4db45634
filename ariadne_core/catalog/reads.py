"""Catalog reads: one method per question, each owning its cache and how it runs.

    list_tables, table_detail   plans on the asyncio pool, kept per catalog generation
    table_history, table_fields  the ORM on an autocommit session, in a worker thread

List and detail are the API's hottest reads: they run as plans (ariadne_core.db.plans) on
asyncio connections, with no thread, and PostgreSQL writes their JSON. What they answer
is kept in a `GenerationCache` until the catalog changes (ariadne_core.catalog.generation:
PostgreSQL announces every committed change, so invalidation needs no hook here).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy.orm import Session

from ariadne_core.catalog import fields as field_service
from ariadne_core.catalog import tables as table_service
from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.models import ChangeHistory, MetadataField
from ariadne_core.db.plans import PlanRunner, in_read_session

T = TypeVar("T")


class CatalogReads:
    def __init__(
        self,
        *,
        reader: PlanRunner,
        read_sessions: Callable[[], AbstractContextManager[Session]],
        cache: GenerationCache,
    ) -> None:
        self.reader, self.read_sessions, self.cache = reader, read_sessions, cache

    async def list_tables(
        self,
        *,
        source_id: uuid.UUID | None = None,
        search: str | None = None,
        tags: list[str] | None = None,
        table_type: str | None = None,
        sort: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[str, int]:
        """One page of live tables as a JSON array (text), and the number of matches."""
        return await self.reader.run(
            lambda: table_service.list_tables(
                source_id=source_id,
                search=search,
                tags=tags,
                table_type=table_type,
                sort=sort,
                offset=offset,
                limit=limit,
                cache=self.cache,
            )
        )

    async def table_detail(self, table_id: uuid.UUID) -> str:
        """The table with its fields, live edge counts and last change, as JSON text."""
        return await self.reader.run(lambda: table_service.table_detail(table_id, self.cache))

    async def table_history(
        self, table_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[ChangeHistory], int]:
        return await in_read_session(
            self.read_sessions,
            lambda s: table_service.table_history(s, table_id, offset=offset, limit=limit),
        )

    async def table_fields(
        self, table_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[MetadataField], int]:
        return await in_read_session(
            self.read_sessions,
            lambda s: field_service.list_fields(s, table_id, offset=offset, limit=limit),
        )
