"""Lineage request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ariadne_api.schemas.observed import Observation
from ariadne_core.db.models import EdgeOrigin, LineageAction, LineageSource, LineageStatus

_EDGE_ID = "0b7f2c1e-5d4a-4b9e-8f3c-2a1d0e9c8b7a"
_TS = "2026-11-25T10:00:00Z"


class _EdgeCommon(BaseModel):
    transformation_type: str | None = Field(None, max_length=100, examples=["ETL"])
    transformation_logic: str | None = Field(None, max_length=100_000)
    lineage_source: LineageSource = Field(
        LineageSource.MANUAL,
        description="manual (default); inferred for machine exports (pending review); "
        "approved only for stewards",
    )
    confidence: float | None = Field(None, ge=0, le=1, description="default 1.0 (0.5 if inferred)")
    metadata: dict[str, Any] = Field(default_factory=dict)


class TableLineageCreateRequest(_EdgeCommon):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "source_table": "prod.sales.orders",
                "target_table": "dwh.core.fact_orders",
                "transformation_type": "ETL",
                "transformation_logic": "INSERT INTO fact_orders SELECT * FROM orders WHERE ...",
                "lineage_source": "manual",
                "metadata": {},
            }
        }
    )
    source_table_id: uuid.UUID | None = None
    source_table: str | None = Field(None, max_length=700, description="or the qualified name")
    target_table_id: uuid.UUID | None = None
    target_table: str | None = Field(None, max_length=700, description="or the qualified name")

    @model_validator(mode="after")
    def _ends_given(self) -> TableLineageCreateRequest:
        for end in ("source", "target"):
            if getattr(self, f"{end}_table_id") is None and not getattr(self, f"{end}_table"):
                raise ValueError(f"give {end}_table_id or {end}_table (a qualified name)")
        return self


class FieldLineageCreateRequest(_EdgeCommon):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "source_field": "prod.sales.orders.total",
                "target_field": "dwh.core.fact_orders.amount",
                "transformation_type": "ETL",
                "transformation_logic": "total * fx_rate",
            }
        }
    )
    source_field_id: uuid.UUID | None = None
    source_field: str | None = Field(None, max_length=1000, description="or the qualified name")
    target_field_id: uuid.UUID | None = None
    target_field: str | None = Field(None, max_length=1000, description="or the qualified name")

    @model_validator(mode="after")
    def _ends_given(self) -> FieldLineageCreateRequest:
        for end in ("source", "target"):
            if getattr(self, f"{end}_field_id") is None and not getattr(self, f"{end}_field"):
                raise ValueError(f"give {end}_field_id or {end}_field (a qualified name)")
        return self


class LineageUpdateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "transformation_logic": "INSERT INTO fact_orders SELECT ... WHERE status = 'paid'",
                "version": 3,
                "comment": "filter on paid orders only",
            }
        }
    )
    transformation_type: str | None = Field(None, max_length=100)
    transformation_logic: str | None = Field(None, max_length=100_000)
    confidence: float | None = Field(None, ge=0, le=1)
    metadata: dict[str, Any] | None = None
    comment: str | None = Field(None, max_length=5000)
    version: int | None = Field(None, ge=1, description="the version you read; 409 if it moved on")


class LineageApprovalRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"approved": True, "comment": "Verified, lineage is correct"}}
    )
    approved: bool
    comment: str = Field(min_length=1, max_length=5000)
    version: int | None = Field(None, ge=1, description="the version you reviewed")


class LineageReopenRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"comment": "The source changed; please review again"}}
    )
    comment: str = Field(min_length=1, max_length=5000)


class BulkDecisionRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "ids": [_EDGE_ID],
                "approved": True,
                "comment": "Checked against the ETL code",
            }
        }
    )
    ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    approved: bool
    comment: str = Field(min_length=1, max_length=5000)


class LineageResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": _EDGE_ID,
                "kind": "table",
                "source_id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                "target_id": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22",
                "source_name": "prod.sales.orders",
                "target_name": "dwh.core.fact_orders",
                "table_lineage_id": None,
                "transformation_type": "ETL",
                "transformation_logic": None,
                "lineage_source": "approved",
                "origin": "inferred",
                "origin_detail": None,
                "status": "active",
                "confidence": 1.0,
                "metadata": {},
                "created_by": "ada@example.com",
                "created_at": _TS,
                "updated_at": _TS,
                "approved_by": "steward@example.com",
                "approved_at": _TS,
                "version": 2,
            }
        }
    )
    id: uuid.UUID
    kind: Literal["table", "field"]
    source_id: uuid.UUID
    target_id: uuid.UUID
    source_name: str
    target_name: str
    table_lineage_id: uuid.UUID | None = Field(description="for field edges: their table edge")
    transformation_type: str | None
    transformation_logic: str | None
    lineage_source: LineageSource
    origin: EdgeOrigin = Field(
        description="how the edge came to be: the lineage_source it was created with, or "
        "`observed` when a running job's OpenLineage events first showed it"
    )
    origin_detail: str | None
    status: LineageStatus
    confidence: float
    metadata: dict[str, Any]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    version: int
    evidence: list[EvidenceEntry] | None = Field(
        None,
        description="(GET /lineage/{id} only) what inference saw of this edge: the view, "
        "alias or SQL, with its fingerprint; `gone` once that origin stopped showing it",
    )
    observation: Observation | None = Field(
        None,
        description="what running jobs reported of this edge in OpenLineage events: first "
        "and last time, runs, jobs (absent when no job reported it)",
    )


class EvidenceEntry(BaseModel):
    origin: str = Field(description="view:<table id>, mongo-view:…, alias:…, sql:<label>")
    fingerprint: str
    detail: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    gone: bool
    gone_at: datetime | None


class LineageInferRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "sql": "INSERT INTO mart.daily_revenue SELECT order_date, sum(amount) AS "
                "revenue FROM sales.orders GROUP BY order_date",
                "dialect": "postgres",
                "source": "warehouse",
                "default_schema": "public",
                "submit": False,
            }
        }
    )
    sql: str = Field(min_length=1, max_length=1_000_000, description="one statement or a script")
    dialect: str | None = Field(
        None,
        max_length=40,
        description="postgres, oracle, snowflake, bigquery, tsql, mysql, spark, hive, redshift, "
        "duckdb, ansi, …; default: the source's own, else ansi",
    )
    source_id: uuid.UUID | None = Field(None, description="where unqualified names live")
    source: str | None = Field(None, max_length=200, description="or the source's name")
    default_schema: str | None = Field(None, max_length=200)
    label: str | None = Field(
        None,
        max_length=200,
        description="names this SQL in evidence (for example a script's path); "
        "re-submitting the same label replaces what it proposed before",
    )
    submit: bool = Field(False, description="write the proposals as inferred / pending_review")


class InferredStatement(BaseModel):
    line: int
    kind: str
    target: str | None
    sources: list[str]
    error: str | None
    unresolved: list[str]
    confidence: float


class InferredEdge(BaseModel):
    kind: Literal["table", "field"]
    source: str
    target: str
    source_id: uuid.UUID
    target_id: uuid.UUID
    transformation_type: str | None
    expression: str | None
    confidence: float
    line: int | None
    state: str = Field(
        description="new; exists: inferred, <status>; kept: already manual/approved (inference "
        "never changes those)"
    )


class InferredColumn(BaseModel):
    source: str
    target: str
    transformation_type: str
    expression: str | None


class LineageInferResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "experimental": True,
                "dialect": "postgres",
                "statements": [
                    {
                        "line": 1,
                        "kind": "insert",
                        "target": "mart.daily_revenue",
                        "sources": ["sales.orders"],
                        "error": None,
                        "unresolved": [],
                        "confidence": 0.9,
                    }
                ],
                "sources": ["sales.orders"],
                "targets": ["mart.daily_revenue"],
                "intermediates": [],
                "column_lineage": [
                    {
                        "source": "sales.orders.amount",
                        "target": "mart.daily_revenue.revenue",
                        "transformation_type": "aggregate",
                        "expression": "SUM(amount)",
                    }
                ],
                "proposals": [
                    {
                        "kind": "table",
                        "source": "warehouse.sales.orders",
                        "target": "warehouse.mart.daily_revenue",
                        "source_id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "target_id": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22",
                        "transformation_type": None,
                        "expression": None,
                        "confidence": 0.9,
                        "line": 1,
                        "state": "new",
                    }
                ],
                "unresolved": [],
                "graph_effect": {"table_edges_added": 1, "field_edges_added": 2},
                "submitted": None,
            }
        }
    )
    experimental: bool = True
    dialect: str
    statements: list[InferredStatement]
    sources: list[str] = Field(description="tables the SQL reads (as written)")
    targets: list[str]
    intermediates: list[str] = Field(description="written then read within the script")
    column_lineage: list[InferredColumn] = Field(description="as written, before resolving")
    proposals: list[InferredEdge] = Field(description="resolved against the catalog")
    unresolved: list[str] = Field(description="names the catalog does not know")
    graph_effect: dict[str, Any]
    submitted: dict[str, Any] | None = Field(
        None, description="with submit=true: created, updated, reopened, kept_rejected, …"
    )


class LineageAuditEntry(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": 7,
                "action": "approve",
                "actor": "steward@example.com",
                "occurred_at": _TS,
                "before": {"lineage_source": "manual"},
                "after": {"lineage_source": "approved"},
                "comment": "Verified",
            }
        },
    )
    id: int
    action: LineageAction
    actor: str | None
    occurred_at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str | None


class GraphNode(BaseModel):
    id: uuid.UUID
    qualified_name: str
    type: Literal["table", "field"]
    depth: int


class GraphEdgeOut(BaseModel):
    id: uuid.UUID
    source: uuid.UUID
    target: uuid.UUID
    lineage_source: LineageSource
    confidence: float
    status: LineageStatus
    transformation_type: str | None


class LineageGraphResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "root_id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                "direction": "upstream",
                "depth": 3,
                "nodes": [
                    {
                        "id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "qualified_name": "dwh.core.fact_orders",
                        "type": "table",
                        "depth": 0,
                    },
                    {
                        "id": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22",
                        "qualified_name": "prod.sales.orders",
                        "type": "table",
                        "depth": 1,
                    },
                ],
                "edges": [
                    {
                        "id": _EDGE_ID,
                        "source": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22",
                        "target": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "lineage_source": "approved",
                        "confidence": 1.0,
                        "status": "active",
                        "transformation_type": "ETL",
                    }
                ],
                "truncated": False,
                "next_cursor": None,
                "total_nodes": 2,
            }
        }
    )
    root_id: uuid.UUID
    direction: Literal["upstream", "downstream"]
    depth: int
    nodes: list[GraphNode] = Field(description="distinct nodes at their shortest depth")
    edges: list[GraphEdgeOut]
    truncated: bool = Field(description="true when more nodes than the node budget were found")
    next_cursor: str | None = Field(description="pass as `cursor` to get the next nodes")
    total_nodes: int


class ImpactedItem(BaseModel):
    id: uuid.UUID
    qualified_name: str
    type: Literal["table", "field"]
    distance: int
    severity: Literal["critical", "high", "medium", "low"]
    via_inferred: bool = Field(description="the shortest path uses an inferred edge")
    path: list[str] = Field(description="qualified names from the changed object to this one")
    path_edge_ids: list[uuid.UUID]
    owner: str | None


class ImpactAnalysisResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "root_id": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22",
                "change_type": "drop",
                "field_id": None,
                "depth": 10,
                "tables": [
                    {
                        "id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "qualified_name": "dwh.core.fact_orders",
                        "type": "table",
                        "distance": 1,
                        "severity": "critical",
                        "via_inferred": False,
                        "path": ["prod.sales.orders", "dwh.core.fact_orders"],
                        "path_edge_ids": [_EDGE_ID],
                        "owner": "dwh-team@example.com",
                    }
                ],
                "fields": [],
                "owners_to_notify": ["dwh-team@example.com"],
                "truncated": False,
            }
        }
    )
    root_id: uuid.UUID
    change_type: Literal["drop", "rename", "type_change", "schema_change"]
    field_id: uuid.UUID | None
    depth: int
    tables: list[ImpactedItem]
    fields: list[ImpactedItem]
    owners_to_notify: list[str]
    truncated: bool = Field(
        description="true when the walk stopped at the node budget (ARIADNE_LINEAGE_NODE_BUDGET "
        "tables, and as many fields): more is affected than listed, nearest first"
    )
