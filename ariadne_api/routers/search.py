"""Full-text search over tables and fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ariadne_api.deps import CurrentUser, SessionDep
from ariadne_api.schemas.catalog import SearchResult
from ariadne_api.schemas.common import Page, PageParams, error_responses
from ariadne_core.search.fulltext import MAX_QUERY_LENGTH, search_catalog

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get(
    "",
    summary="Search table and field names, descriptions and tags",
    response_model=Page[SearchResult],
    responses=error_responses(401, 422),
)
def search(
    session: SessionDep,
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
) -> Page[SearchResult]:
    hits, total = search_catalog(
        session, q, kind=type, source_ids=source_ids, offset=paging.offset, limit=paging.size
    )
    items = [
        SearchResult(
            type=h.kind,
            id=h.id,
            name=h.name,
            qualified_name=h.qualified_name,
            description=h.description,
            tags=h.tags,
            source_id=h.source_id,
            table_id=h.table_id,
            score=h.score,
        )
        for h in hits
    ]
    return Page[SearchResult].build(items, total=total, params=paging)
