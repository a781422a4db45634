"""Full-text search over tables and fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from ariadne_api.deps import CatalogReaderDep, CurrentUser
from ariadne_api.schemas.catalog import SearchResult
from ariadne_api.schemas.common import Page, PageParams, error_responses, page_response
from ariadne_core.search.fulltext import MAX_QUERY_LENGTH, search_catalog, search_key

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get(
    "",
    summary="Search table and field names, descriptions and tags",
    response_model=Page[SearchResult],
    responses=error_responses(401, 422),
)
async def search(
    request: Request,
    reader: CatalogReaderDep,
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
) -> Response:
    key = search_key(q, type, source_ids, paging.offset, paging.size)
    async with request.app.state.single_flight(key):
        items, total = await reader.run(
            lambda: search_catalog(
                q,
                kind=type,
                source_ids=source_ids,
                offset=paging.offset,
                limit=paging.size,
                cache=request.app.state.catalog_cache,
            )
        )
    return page_response(items, total=total, params=paging)
