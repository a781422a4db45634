"""The assistant's reads: one method per question, like the other read services.

    semantic_search   nearest tables and fields to a question    (pgvector IVFFlat)
    ask               a question about the catalog or its lineage (retrieval, or an LLM)
    explain           how data reaches or leaves a table, in plain language

The embedding provider is loaded on first use (the local model takes about half a
second and some 100 MB), and an unusable provider (OpenAI chosen without a key) is a
503 that says which setting to set, not a failed startup: the rest of the API works.
How far the embeddings are is counted by one search at a time while they are being built,
and in the background every `COVERAGE_SECONDS` once they are complete (embedding writes
do not move the catalog generation).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

import anyio
from sqlalchemy.orm import Session

from ariadne_core.ai.agent import answer_with_llm, llm_configured
from ariadne_core.ai.assistant import AssistantAnswer, Context, answer_by_retrieval, check_question
from ariadne_core.ai.conversations import (
    answer_from_json,
    answer_to_json,
    history,
    last_table,
    open_conversation,
    record,
)
from ariadne_core.ai.explain import Explanation, explain_lineage
from ariadne_core.ai.semantic import (
    Coverage,
    SemanticQuery,
    SemanticResult,
    coverage_plan,
    nearest_plan,
)
from ariadne_core.cache import LineageCache
from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.plans import PlanRunner
from ariadne_core.embedding.providers import EmbeddingProvider, embedding_provider
from ariadne_core.embedding.query import QueryVectors
from ariadne_core.errors import ConfigurationError, NotFound, ServiceUnavailable
from ariadne_core.graph.store import Direction

COVERAGE_SECONDS = 30.0
logger = logging.getLogger(__name__)
ANSWER_TTL = 3600  # seconds an identical first question is answered from the cache


class AIReads:
    def __init__(
        self, settings: Settings, *, reader: PlanRunner, answers: LineageCache | None = None
    ) -> None:
        self.settings, self.reader = settings, reader
        # First questions of a conversation, answered in the last hour, until the catalog
        # changes (the lineage cache's generation moves): an identical question costs no
        # LLM call.
        self.answers = answers
        self._vectors: QueryVectors | None = None
        self._lock = threading.Lock()
        self._coverage: tuple[float, Coverage] | None = None
        self._embedded: tuple[float, str] | None = None  # when vectors of a model were seen
        self._counting = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    def query_vectors(self) -> QueryVectors:
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

    async def query_vectors_async(self) -> QueryVectors:
        """`query_vectors` for the event loop: loading the provider the first time runs
        in a worker thread, and every later call returns in place."""
        if self._vectors is not None:
            return self._vectors
        return await anyio.to_thread.run_sync(self.query_vectors)

    async def semantic_search(self, query: SemanticQuery) -> SemanticResult:
        query.check()
        vectors = await self.query_vectors_async()
        vector = await vectors.literal_async(query.query)
        model = vectors.provider.model
        hits = await self.reader.run(lambda: nearest_plan(vector, model, query))
        return SemanticResult(query.query, model, hits, await self.coverage(model))

    async def coverage(self, model: str) -> Coverage:
        """How far the embeddings are. Counting takes some 100 ms at 200,000 vectors, so
        it is never run by many requests at once: while the embeddings are incomplete one
        request counts and those waiting meanwhile share its answer; once complete, the
        count is kept and refreshed in the background every `COVERAGE_SECONDS`."""
        kept = self._coverage
        if kept is not None and kept[1].model == model and kept[1].complete:
            if time.monotonic() - kept[0] >= COVERAGE_SECONDS and self._refresh is None:
                self._refresh = asyncio.create_task(self._recount(model))
            return kept[1]
        asked = time.monotonic()
        async with self._counting:
            kept = self._coverage
            if kept is not None and kept[1].model == model and kept[0] >= asked:
                return kept[1]  # counted while this request waited
            return await self._count(model)

    async def _count(self, model: str) -> Coverage:
        counted = await self.reader.run(lambda: coverage_plan(model))
        self._coverage = (time.monotonic(), counted)
        return counted

    async def _recount(self, model: str) -> None:
        try:
            async with self._counting:
                await self._count(model)
        except Exception:  # the next search tries again; this one already has its answer
            logger.warning("Counting the embeddings failed", exc_info=True)
        finally:
            self._refresh = None

    def ask(
        self,
        session: Session,
        question: str,
        *,
        user_email: str,
        conversation_id: uuid.UUID | None = None,
        source_ids: list[uuid.UUID] | None = None,
    ) -> AssistantAnswer:
        """Answered on ``session`` (the caller's; blocking), which also keeps the turn in
        the conversation. Without an LLM the answer is retrieval only, and says so."""
        text = check_question(question)
        conversation = open_conversation(session, conversation_id, user_email)
        first_turn = conversation_id is None  # a new conversation: no turns to read back
        vector, model = self._vector_if_embedded(session, text)
        about = None if first_turn else last_table(session, conversation)
        context = Context(session, self.settings, vector, model, source_ids, about)
        key = self._answer_key(text, source_ids) if first_turn and self.answers else ""
        if key and self.answers and (kept := self.answers.get(key)) is not None:
            answer = answer_from_json(kept)
        elif llm_configured(self.settings):
            turns = [] if first_turn else history(session, conversation)
            answer = answer_with_llm(text, context, self.settings, turns)
        else:
            answer = answer_by_retrieval(text, context)
        if key and self.answers and not answer.notes:
            self.answers.set(key, answer_to_json(answer), ttl=ANSWER_TTL)
        answer.conversation_id = conversation.id
        record(session, conversation, answer)
        return answer

    def _answer_key(self, text: str, source_ids: list[uuid.UUID] | None) -> str:
        assert self.answers is not None
        model = self.settings.llm_model or "" if llm_configured(self.settings) else "retrieval"
        params = {
            "q": " ".join(text.lower().split()),
            "sources": sorted(map(str, source_ids or [])),
        }
        return self.answers.key(f"ai-answer:{model}", params)

    def _vector_if_embedded(self, session: Session, text: str) -> tuple[str | None, str]:
        """The question's vector (pgvector's text form) when the catalog has vectors of the
        model; else (None, "") and the assistant finds by name only (also when no
        provider is usable)."""
        try:
            vectors = self.query_vectors()
        except ServiceUnavailable:
            return None, ""
        model = vectors.provider.model
        seen = self._embedded
        if seen is None or seen[1] != model or time.monotonic() - seen[0] >= COVERAGE_SECONDS:
            row = (
                driver_connection(session)
                .execute("SELECT EXISTS (SELECT 1 FROM embeddings WHERE model = %s)", (model,))
                .fetchone()
            )
            if not row or not row[0]:
                return None, model
            # Asked again after COVERAGE_SECONDS, not per question: a stale yes (the
            # vectors being embedded again) costs nothing, as the search still finds by
            # name.
            self._embedded = (time.monotonic(), model)
        return vectors.literal(text), model

    def explain(
        self,
        session: Session,
        *,
        table_id: uuid.UUID,
        direction: Direction,
        depth: int | None = None,
        field_id: uuid.UUID | None = None,
    ) -> Explanation:
        """The explanation (the LLM's when one is configured, else the template), on the
        caller's session (blocking). A field must belong to the table."""
        if field_id is not None:
            row = (
                driver_connection(session)
                .execute(
                    "SELECT table_id FROM metadata_fields WHERE id = %s AND NOT is_deleted",
                    (field_id,),
                )
                .fetchone()
            )
            if row is None or row[0] != table_id:
                raise NotFound(
                    f"The field {field_id} is not a field of table {table_id}.",
                    details={"field_id": str(field_id), "table_id": str(table_id)},
                )
        return explain_lineage(
            session,
            self.settings,
            table_id=table_id,
            direction=direction,
            depth=depth,
            field_id=field_id,
        )
