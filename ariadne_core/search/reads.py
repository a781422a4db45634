"""Search reads: full-text and trigram search over tables and fields, kept per catalog
generation, with one computation per distinct question at a time, its answer shared by
the requests that asked meanwhile (`SingleFlight`); and
hybrid search, which fuses those matches with the nearest vectors (not kept: the
vectors change without the catalog generation moving)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.plans import PlanRunner
from ariadne_core.embedding.query import QueryVectors
from ariadne_core.errors import ServiceUnavailable
from ariadne_core.runtime.singleflight import SingleFlight
from ariadne_core.search.fulltext import (
    EntityKind,
    SearchPage,
    checked_query,
    search_catalog,
    search_key,
)
from ariadne_core.search.hybrid import hybrid_plan

SearchMode = Literal["fts", "hybrid"]


class SearchReads:
    def __init__(
        self,
        *,
        reader: PlanRunner,
        cache: GenerationCache,
        vectors: Callable[[], Awaitable[QueryVectors]] | None = None,
    ) -> None:
        self.reader, self.cache, self.vectors = reader, cache, vectors
        self.single_flight = SingleFlight()

    async def search(
        self,
        q: str,
        *,
        kind: EntityKind | None = None,
        source_ids: list[uuid.UUID] | None = None,
        offset: int = 0,
        limit: int = 20,
        mode: SearchMode = "fts",
    ) -> SearchPage:
        """One page of matches as a JSON array (text), best first, their number, and
        whether that number is exact."""
        if mode == "hybrid":
            return await self._hybrid(q, kind, source_ids, offset, limit)
        return await self.single_flight.run(
            search_key(q, kind, source_ids, offset, limit),
            lambda: self.reader.run(
                lambda: search_catalog(
                    q,
                    kind=kind,
                    source_ids=source_ids,
                    offset=offset,
                    limit=limit,
                    cache=self.cache,
                )
            ),
        )

    async def _hybrid(
        self,
        q: str,
        kind: EntityKind | None,
        source_ids: list[uuid.UUID] | None,
        offset: int,
        limit: int,
    ) -> SearchPage:
        checked_query(q)  # a bad query is a 422 before any model runs
        if self.vectors is None:
            raise ServiceUnavailable("Hybrid search needs the embedding provider.")
        vectors = await self.vectors()
        vector = await vectors.literal_async(q)
        model = vectors.provider.model
        return await self.single_flight.run(
            ("hybrid", *search_key(q, kind, source_ids, offset, limit)),
            lambda: self.reader.run(
                lambda: hybrid_plan(
                    q,
                    vector,
                    model,
                    kind=kind,
                    source_ids=source_ids,
                    offset=offset,
                    limit=limit,
                )
            ),
        )
