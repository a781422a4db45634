"""The assistant's reads: one method per question, like the other read services.

    semantic_search   nearest tables and fields to a question    (pgvector HNSW)

The embedding provider is loaded on first use (the local model takes about half a
second and some 100 MB), and an unusable provider (OpenAI chosen without a key) is a
503 that says which setting to set, not a failed startup: the rest of the API works.
How far the embeddings are is counted on every search while they are being built, and
at most every `COVERAGE_SECONDS` once they are complete (embedding writes do not move
the catalog generation).
"""

from __future__ import annotations

import threading
import time

import anyio

from ariadne_core.ai.embeddings import EmbeddingProvider, embedding_provider
from ariadne_core.ai.semantic import (
    Coverage,
    QueryVectors,
    SemanticQuery,
    SemanticResult,
    coverage_plan,
    nearest_plan,
)
from ariadne_core.config import Settings
from ariadne_core.db.plans import PlanRunner
from ariadne_core.errors import ConfigurationError, ServiceUnavailable

COVERAGE_SECONDS = 5.0


class AIReads:
    def __init__(self, settings: Settings, *, reader: PlanRunner) -> None:
        self.settings, self.reader = settings, reader
        self._vectors: QueryVectors | None = None
        self._lock = threading.Lock()
        self._coverage: tuple[float, Coverage] | None = None

    def _query_vectors(self) -> QueryVectors:
        with self._lock:
            if self._vectors is None:
                try:
                    provider: EmbeddingProvider = embedding_provider(self.settings)
                except ConfigurationError as exc:
                    raise ServiceUnavailable(
                        f"Semantic search is not available: {exc}",
                        details={"setting": "ARIADNE_EMBEDDING_PROVIDER"},
                    ) from None
                self._vectors = QueryVectors(provider)
            return self._vectors

    async def semantic_search(self, query: SemanticQuery) -> SemanticResult:
        query.check()
        vectors = await anyio.to_thread.run_sync(self._query_vectors)
        vector = await anyio.to_thread.run_sync(vectors.vector, query.query)
        model = vectors.provider.model
        hits = await self.reader.run(lambda: nearest_plan(vector, model, query))
        return SemanticResult(query.query, model, hits, await self.coverage(model))

    async def coverage(self, model: str) -> Coverage:
        kept = self._coverage
        if (
            kept is not None
            and kept[1].model == model
            and time.monotonic() - kept[0] < COVERAGE_SECONDS
        ):
            return kept[1]
        counted = await self.reader.run(lambda: coverage_plan(model))
        # Kept only once complete: while the embeddings are being built, every answer says
        # how far they are, and the first answer after they are done says so.
        self._coverage = (time.monotonic(), counted) if counted.complete else None
        return counted
