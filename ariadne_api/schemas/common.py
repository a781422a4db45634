"""The unified error body and the pagination envelope of the product plan."""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

MAX_PAGE_SIZE = 100

# `runner` of import and sync jobs.
JobRunner = Annotated[
    str | None,
    Field(
        description="who runs the job: dagster, or api-thread when the Dagster webserver did "
        "not answer and the API ran it itself"
    ),
]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["RESOURCE_NOT_FOUND"])
    message: str = Field(examples=["Table ID does not exist"])
    details: dict[str, Any] = Field(default_factory=dict, examples=[{"table_id": "invalid-uuid"}])


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "error": {
                    "code": "RESOURCE_NOT_FOUND",
                    "message": "Table ID does not exist",
                    "details": {"table_id": "invalid-uuid"},
                }
            }
        }
    )
    error: ErrorDetail


class PageParams(BaseModel):
    page: int = Field(1, ge=1, description="1-based page number")
    size: int = Field(
        20, ge=1, le=MAX_PAGE_SIZE, description=f"items per page, at most {MAX_PAGE_SIZE}"
    )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class Page(BaseModel, Generic[T]):
    """Pagination envelope: ``{total, page, size, pages, items}``."""

    total: int = Field(examples=[1500])
    page: int = Field(examples=[1])
    size: int = Field(examples=[20])
    pages: int = Field(examples=[75])
    items: list[T]

    @classmethod
    def build(cls, items: list[T], *, total: int, params: PageParams) -> Page[T]:
        return cls(
            total=total,
            page=params.page,
            size=params.size,
            pages=page_count(total, params.size),
            items=items,
        )


def page_count(total: int, size: int) -> int:
    return math.ceil(total / size) if total else 0


def json_response(body: str) -> Response:
    """Pass JSON that PostgreSQL wrote (ariadne_core.db.jsonsql) straight through."""
    return Response(content=body.encode(), media_type="application/json")


def page_response(
    items_json: str, *, total: int, params: PageParams, total_exact: bool | None = None
) -> Response:
    """The `Page` envelope around a JSON array of items written by PostgreSQL
    (`SearchPage`'s, with ``total_exact``)."""
    exact = "" if total_exact is None else f',"total_exact":{"true" if total_exact else "false"}'
    return json_response(
        f'{{"total":{total}{exact},"page":{params.page},"size":{params.size},'
        f'"pages":{page_count(total, params.size)},"items":{items_json}}}'
    )


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can return."""
    return {code: {"model": ErrorResponse} for code in codes}
