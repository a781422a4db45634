"""The assistant: semantic search, questions, and lineage explanations."""

from __future__ import annotations

from fastapi import APIRouter

from ariadne_api.deps import AIReadsDep, CurrentUser, SessionDep
from ariadne_api.schemas.ai import (
    AIQueryRequest,
    AIQueryResponse,
    EmbeddingCoverage,
    ExplainLineageRequest,
    LineageExplanationResponse,
    SemanticHitOut,
    SemanticSearchRequest,
    SemanticSearchResponse,
)
from ariadne_api.schemas.common import error_responses
from ariadne_core.ai.semantic import SemanticQuery

router = APIRouter(prefix="/api/v1/ai", tags=["ai"])


@router.post(
    "/search",
    summary="Semantic search: tables and fields nearest in meaning to a question",
    response_model=SemanticSearchResponse,
    responses=error_responses(401, 422, 503),
)
async def semantic_search(
    body: SemanticSearchRequest, reads: AIReadsDep, _: CurrentUser
) -> SemanticSearchResponse:
    result = await reads.semantic_search(
        SemanticQuery(body.query, body.limit, body.threshold, body.type, tuple(body.source_ids))
    )
    index = result.index
    return SemanticSearchResponse(
        query=result.query,
        model=result.model,
        results=[
            SemanticHitOut.model_validate(hit, from_attributes=True) for hit in result.results
        ],
        index=EmbeddingCoverage(
            model=index.model, live=index.live, embedded=index.embedded, complete=index.complete
        ),
        message=None
        if index.complete
        else f"Embeddings are still being built ({index.embedded} of {index.live} tables "
        "and fields so far): results may miss what is not embedded yet.",
    )


@router.post(
    "/query",
    summary="Ask about the catalog and its lineage; the answer cites what it used",
    response_model=AIQueryResponse,
    responses=error_responses(401, 404, 422),
)
def ask(
    body: AIQueryRequest, reads: AIReadsDep, session: SessionDep, user: CurrentUser
) -> AIQueryResponse:
    answer = reads.ask(
        session,
        body.question,
        user_email=user.email,
        conversation_id=body.conversation_id,
        source_ids=body.filters.source_ids or None,
    )
    return AIQueryResponse.model_validate(answer, from_attributes=True)


@router.post(
    "/explain-lineage",
    summary="How data reaches or leaves a table (or column), in plain language, with sources",
    response_model=LineageExplanationResponse,
    responses=error_responses(401, 404, 422),
)
def explain(
    body: ExplainLineageRequest, reads: AIReadsDep, session: SessionDep, _: CurrentUser
) -> LineageExplanationResponse:
    explanation = reads.explain(
        session,
        table_id=body.table_id,
        direction=body.direction,
        depth=body.depth,
        field_id=body.field_id,
    )
    return LineageExplanationResponse.model_validate(explanation, from_attributes=True)
