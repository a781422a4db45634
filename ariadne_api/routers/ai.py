"""The assistant: semantic search (and, next, questions and lineage explanations)."""

from __future__ import annotations

from fastapi import APIRouter

from ariadne_api.deps import AIReadsDep, CurrentUser
from ariadne_api.schemas.ai import (
    EmbeddingCoverage,
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
