"""Table, field, history and search bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ariadne_api.schemas.common import Page

_TABLE_ID = "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1"
_SOURCE_ID = "3f6c1f0e-8a57-4d0e-9d7a-2f0c6f1f5b10"
_FIELD_ID = "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22"
_TS = "2026-11-25T10:00:00Z"
Tag = str


class FieldCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "table_id": _TABLE_ID,
                "name": "customer_id",
                "data_type": "NUMBER(12)",
                "is_nullable": False,
                "is_primary_key": False,
                "ordinal_position": 2,
                "description": "Who placed the order",
                "tags": ["pii"],
            }
        }
    )
    table_id: uuid.UUID
    name: str = Field(min_length=1, max_length=300)
    data_type: str | None = Field(None, max_length=200)
    is_nullable: bool = True
    is_primary_key: bool = False
    ordinal_position: int | None = Field(None, ge=0, le=100_000)
    description: str | None = Field(None, max_length=20_000)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    properties: dict[str, Any] = Field(default_factory=dict)


class FieldUpdateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "description": "Customer who placed the order (FK to crm.customers)",
                "tags": ["pii", "fk"],
            }
        }
    )
    name: str | None = Field(None, min_length=1, max_length=300)
    data_type: str | None = Field(None, max_length=200)
    is_nullable: bool | None = None
    is_primary_key: bool | None = None
    ordinal_position: int | None = Field(None, ge=0, le=100_000)
    description: str | None = Field(None, max_length=20_000)
    tags: list[Tag] | None = Field(None, max_length=50)
    properties: dict[str, Any] | None = None


class FieldResponse(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": _FIELD_ID,
                "table_id": _TABLE_ID,
                "name": "customer_id",
                "qualified_name": "prod.sales.orders.customer_id",
                "data_type": "NUMBER(12)",
                "is_nullable": False,
                "is_primary_key": False,
                "ordinal_position": 2,
                "description": "Who placed the order",
                "tags": ["pii"],
                "properties": {},
                "created_at": _TS,
                "updated_at": _TS,
            }
        },
    )
    id: uuid.UUID
    table_id: uuid.UUID
    name: str
    qualified_name: str
    data_type: str | None
    is_nullable: bool
    is_primary_key: bool
    ordinal_position: int | None
    description: str | None
    tags: list[str]
    properties: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class TableCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "source_id": _SOURCE_ID,
                "schema_name": "sales",
                "name": "orders",
                "table_type": "table",
                "description": "One row per customer order",
                "owner": "sales-data@example.com",
                "tags": ["finance", "gold"],
            }
        }
    )
    source_id: uuid.UUID
    schema_name: str | None = Field(None, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    table_type: str = Field(
        "table",
        description="table, view, materialized_view, collection, "
        "index, data_stream, alias, external or file",
    )
    description: str | None = Field(None, max_length=20_000)
    owner: str | None = Field(None, max_length=320)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    row_count_estimate: int | None = Field(None, ge=0, le=2**63 - 1)
    properties: dict[str, Any] = Field(default_factory=dict)


class TableUpdateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "description": "One row per confirmed customer order",
                "owner": "orders-team@example.com",
                "tags": ["finance", "gold", "sla-daily"],
            }
        }
    )
    schema_name: str | None = Field(None, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=200)
    table_type: str | None = None
    description: str | None = Field(None, max_length=20_000)
    owner: str | None = Field(None, max_length=320)
    tags: list[Tag] | None = Field(None, max_length=50)
    row_count_estimate: int | None = Field(None, ge=0, le=2**63 - 1)
    properties: dict[str, Any] | None = None


class TableResponse(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": _TABLE_ID,
                "source_id": _SOURCE_ID,
                "source_name": "prod",
                "schema_name": "sales",
                "name": "orders",
                "qualified_name": "prod.sales.orders",
                "table_type": "table",
                "description": "One row per customer order",
                "owner": "sales-data@example.com",
                "tags": ["finance"],
                "row_count_estimate": 120000,
                "properties": {},
                "created_at": _TS,
                "updated_at": _TS,
            }
        },
    )
    id: uuid.UUID
    source_id: uuid.UUID
    source_name: str
    schema_name: str | None
    name: str
    qualified_name: str
    table_type: str
    description: str | None
    owner: str | None
    tags: list[str]
    row_count_estimate: int | None
    properties: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class LastChange(BaseModel):
    action: str
    changed_by: str | None
    changed_at: datetime


class RecentSchemaChange(BaseModel):
    id: uuid.UUID
    change_type: str
    severity: str
    field_name: str | None
    status: str
    detected_at: datetime
    affected_count: int


class TableDetailResponse(TableResponse):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                **TableResponse.model_config["json_schema_extra"]["example"],  # type: ignore[index]
                "fields": [FieldResponse.model_config["json_schema_extra"]["example"]],  # type: ignore[index]
                "upstream_count": 2,
                "downstream_count": 5,
                "last_change": {
                    "action": "update",
                    "changed_by": "ada@example.com",
                    "changed_at": _TS,
                },
                "recent_schema_changes": [],
            }
        }
    )
    fields: list[FieldResponse]
    upstream_count: int = Field(
        description="table edges into this table, not rejected or deprecated"
    )
    downstream_count: int = Field(
        description="table edges out of this table, not rejected or deprecated"
    )
    last_change: LastChange | None
    recent_schema_changes: list[RecentSchemaChange] = Field(
        description="The last 5 schema changes syncs saw in this table (all of them: "
        "GET /api/v1/schema-changes?table_id=...)"
    )


class HistoryEntry(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": 42,
                "entity_type": "table",
                "entity_id": _TABLE_ID,
                "action": "update",
                "changed_by": "ada@example.com",
                "changed_at": _TS,
                "changes": {"owner": {"before": None, "after": "orders-team@example.com"}},
            }
        },
    )
    id: int
    entity_type: Literal["source", "table", "field"]
    entity_id: uuid.UUID
    action: str = Field(description="create, update, delete or restore")
    changed_by: str | None
    changed_at: datetime
    changes: dict[str, Any] = Field(description='{"field": {"before": ..., "after": ...}}')


class SearchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "table",
                "id": _TABLE_ID,
                "name": "dim_customer",
                "qualified_name": "dwh.core.dim_customer",
                "description": "One row per customer",
                "tags": ["gold"],
                "source_id": _SOURCE_ID,
                "table_id": None,
                "score": 1.06,
            }
        }
    )
    type: Literal["table", "field"]
    id: uuid.UUID
    name: str
    qualified_name: str
    description: str | None
    tags: list[str]
    source_id: uuid.UUID
    table_id: uuid.UUID | None = Field(description="the field's table; null for tables")
    score: float


class SearchPage(Page[SearchResult]):
    """A page of search hits. A search counts and ranks at most 200 matches (whole-name
    matches first; ariadne_core.search.fulltext.MAX_MATCHES); past that, `total` is 200
    and `total_exact` is false."""

    total_exact: bool = Field(
        description="false when more match than `total`: add words or filters to narrow"
    )
