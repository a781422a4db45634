"""Full-text search over tables and fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ariadne_api.deps import CurrentUser, SearchReadsDep
from ariadne_api.schemas.catalog import SearchPage
from ariadne_api.schemas.common import PageParams, error_responses, page_response
from ariadne_core.search.fulltext import MAX_QUERY_LENGTH

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get(
    "",
    summary="Search table and field names, descriptions and tags",
    response_model=SearchPage,
    responses=error_responses(401, 422),
)
async def search(
    reads: SearchReadsDep,
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description="words or parts of names; typos are tolerated",
        ),
    ],
    type: Annotated[
        Literal["table", "field"] | None, Query(description="only tables or only fields")
    ] = None,
    source_ids: Annotated[list[uuid.UUID] | None, Query(description="repeatable")] = None,
    mode: Annotated[
        Literal["fts", "hybrid"],
        Query(
            description="fts: full-text and trigram matches; hybrid: those fused with "
            "semantic matches (reciprocal rank fusion, see docs/ai.md)"
        ),
    ] = "fts",
) -> Response:
    found = await reads.search(
        q, kind=type, source_ids=source_ids, offset=paging.offset, limit=paging.size, mode=mode
    )
    return page_response(
        found.items, total=found.total, params=paging, total_exact=found.total_exact
    )
