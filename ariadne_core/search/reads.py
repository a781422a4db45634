"""Search reads: full-text and trigram search over tables and fields, kept per catalog
generation, with one computation per distinct question at a time (`SingleFlight`)."""

from __future__ import annotations

import uuid

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.plans import PlanRunner
from ariadne_core.runtime.singleflight import SingleFlight
from ariadne_core.search.fulltext import EntityKind, search_catalog, search_key


class SearchReads:
    def __init__(self, *, reader: PlanRunner, cache: GenerationCache) -> None:
        self.reader, self.cache = reader, cache
        self.single_flight = SingleFlight()

    async def search(
        self,
        q: str,
        *,
        kind: EntityKind | None = None,
        source_ids: list[uuid.UUID] | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[str, int]:
        """One page of matches as a JSON array (text), best first, and their number."""
        key = search_key(q, kind, source_ids, offset, limit)
        async with self.single_flight(key):
            return await self.reader.run(
                lambda: search_catalog(
                    q,
                    kind=kind,
                    source_ids=source_ids,
                    offset=offset,
                    limit=limit,
                    cache=self.cache,
                )
            )
