"""Table Metadata API. Reads need `viewer`; writes need `editor`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from ariadne_api.deps import (
    CatalogReadsDep,
    CurrentUser,
    Editor,
    SessionDep,
)
from ariadne_api.schemas.catalog import (
    FieldResponse,
    HistoryEntry,
    TableCreateRequest,
    TableDetailResponse,
    TableResponse,
    TableUpdateRequest,
)
from ariadne_api.schemas.common import (
    Page,
    PageParams,
    error_responses,
    json_response,
    page_response,
)
from ariadne_core import deletion
from ariadne_core.catalog import tables as service
from ariadne_core.db.models import MetadataTable

router = APIRouter(prefix="/api/v1/tables", tags=["tables"])
DEPRECATED_HEADER = "X-Deprecated-Lineage-Edges"


def _columns(table: MetadataTable) -> dict[str, object]:
    # getattr, not __dict__: it reloads columns the flush expired (updated_at).
    return {
        name: getattr(table, name) for name in TableResponse.model_fields if name != "source_name"
    }


def table_response(table: MetadataTable, source_name: str) -> TableResponse:
    return TableResponse.model_validate({**_columns(table), "source_name": source_name})


@router.get(
    "",
    summary="List tables",
    response_model=Page[TableResponse],
    responses=error_responses(401, 422),
)
async def list_tables(
    reads: CatalogReadsDep,
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
    source_id: Annotated[uuid.UUID | None, Query(description="only this source")] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="text in the name or description")
    ] = None,
    tags: Annotated[
        list[str] | None, Query(description="repeatable; a table must carry all")
    ] = None,
    type: Annotated[str | None, Query(description="table type, e.g. table or view")] = None,
    sort: Annotated[
        str | None,
        Query(description="name, qualified_name, created_at or updated_at; '-' for descending"),
    ] = None,
) -> Response:
    items, total = await reads.list_tables(
        source_id=source_id,
        search=search,
        tags=tags,
        table_type=type,
        sort=sort,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_response(items, total=total, params=paging)


@router.post(
    "",
    status_code=201,
    summary="Declare a table by hand",
    response_model=TableResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def create_table(body: TableCreateRequest, session: SessionDep, user: Editor) -> TableResponse:
    table = service.create_table(session, service.TableInput(**body.model_dump()), actor=user.email)
    return table_response(table, service.source_name(session, table.source_id))


@router.get(
    "/{table_id}",
    summary="Table details with fields, edge counts and last change",
    response_model=TableDetailResponse,
    responses=error_responses(401, 404, 422),
)
async def get_table(table_id: uuid.UUID, reads: CatalogReadsDep, _: CurrentUser) -> Response:
    return json_response(await reads.table_detail(table_id))


@router.put(
    "/{table_id}",
    summary="Update a table",
    response_model=TableResponse,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_table(
    table_id: uuid.UUID, body: TableUpdateRequest, session: SessionDep, user: Editor
) -> TableResponse:
    table = service.update_table(
        session, table_id, body.model_dump(exclude_unset=True), actor=user.email
    )
    return table_response(table, service.source_name(session, table.source_id))


@router.delete(
    "/{table_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a table; its lineage becomes deprecated, never erased",
    responses={
        204: {
            "description": "Deleted. The header says how many lineage edges "
            "(table and field) became deprecated.",
            "headers": {DEPRECATED_HEADER: {"schema": {"type": "integer"}}},
        },
        **error_responses(401, 403, 404, 422),
    },
)
def delete_table(table_id: uuid.UUID, session: SessionDep, user: Editor) -> Response:
    affected = deletion.delete_table(session, table_id, actor=user.email)
    return Response(status_code=204, headers={DEPRECATED_HEADER: str(affected)})


@router.get(
    "/{table_id}/history",
    summary="Change history of a table and its fields, newest first",
    response_model=Page[HistoryEntry],
    responses=error_responses(401, 404, 422),
)
async def table_history(
    table_id: uuid.UUID,
    reads: CatalogReadsDep,
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
) -> Page[HistoryEntry]:
    rows, total = await reads.table_history(table_id, offset=paging.offset, limit=paging.size)
    return Page[HistoryEntry].build(
        [HistoryEntry.model_validate(r) for r in rows], total=total, params=paging
    )


@router.get(
    "/{table_id}/fields",
    summary="Fields of a table, in ordinal order",
    response_model=Page[FieldResponse],
    responses=error_responses(401, 404, 422),
)
async def table_fields(
    table_id: uuid.UUID,
    reads: CatalogReadsDep,
    _: CurrentUser,
    paging: Annotated[PageParams, Query()],
) -> Page[FieldResponse]:
    rows, total = await reads.table_fields(table_id, offset=paging.offset, limit=paging.size)
    return Page[FieldResponse].build(
        [FieldResponse.model_validate(f) for f in rows], total=total, params=paging
    )
