"""Bodies of the assistant's routes (/api/v1/ai)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ariadne_core.ai.assistant import MAX_QUESTION
from ariadne_core.ai.semantic import MAX_LIMIT, MAX_QUERY_CHARS, MAX_SOURCES


class SemanticSearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"query": "customer order data", "limit": 10, "threshold": 0.3}
        },
    )
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    threshold: float = Field(
        0.3, ge=0.0, le=1.0, description="lowest cosine similarity returned (0 to 1)"
    )
    type: Literal["table", "field"] | None = Field(None, description="only tables or fields")
    source_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_SOURCES)


class SemanticHitOut(BaseModel):
    type: Literal["table", "field"]
    id: uuid.UUID
    name: str
    qualified_name: str
    table_id: uuid.UUID | None = Field(description="a field's table; null for a table")
    source_id: uuid.UUID | None
    score: float = Field(description="cosine similarity to the query, 0 to 1")
    matched_text: str = Field(description="the text of this table or field that was embedded")


class EmbeddingCoverage(BaseModel):
    model: str
    live: int = Field(description="tables and fields that should have a vector")
    embedded: int = Field(description="of those, with a vector of the current model")
    complete: bool = Field(
        description="false while metadata_embeddings is still embedding: results may be "
        "missing what is not embedded yet"
    )


class SemanticSearchResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "query": "customer e-mail addresses",
                "mode": "semantic",
                "model": "all-MiniLM-L6-v2-onnx-int8",
                "results": [
                    {
                        "type": "field",
                        "id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "name": "email",
                        "qualified_name": "shop.public.customers.email",
                        "table_id": "7d3e9f22-8c2d-4f71-8a4e-0c1b51f42a0b",
                        "source_id": "7d3e9f22-8c2d-4f71-8a4e-0c1b51f42a0b",
                        "score": 0.71,
                        "matched_text": "email (column shop.public.customers.email, varchar)",
                    }
                ],
                "index": {
                    "model": "all-MiniLM-L6-v2-onnx-int8",
                    "live": 475,
                    "embedded": 475,
                    "complete": True,
                },
                "message": None,
            }
        }
    )
    query: str
    mode: Literal["semantic"] = "semantic"
    model: str
    results: list[SemanticHitOut]
    index: EmbeddingCoverage
    message: str | None = Field(None, description="says when the embeddings are still being built")


class QueryFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_SOURCES)


class AIQueryRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "question": "Where does monthly_revenue come from?",
                "conversation_id": None,
                "filters": {},
            }
        },
    )
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    conversation_id: uuid.UUID | None = Field(
        None, description="continue a conversation (leave out to start one)"
    )
    filters: QueryFilters = Field(default_factory=QueryFilters)


class CitedOut(BaseModel):
    type: Literal["table", "field"]
    id: uuid.UUID
    qualified_name: str


class CitedEdgeOut(BaseModel):
    id: uuid.UUID
    type: Literal["table", "field"]
    source: str
    target: str
    lineage_source: Literal["inferred", "manual", "approved"]
    status: str
    confidence: float


class AIQueryResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "question": "Where does agg_monthly_revenue come from?",
                "mode": "retrieval_only",
                "intent": "upstream",
                "answer": "warehouse.marts.agg_monthly_revenue is fed by 12 table(s) within "
                "3 hops; directly: warehouse.marts.agg_daily_sales, "
                "warehouse.marts.fct_returns. Edges used: 14 manual, 1 inferred.",
                "tables": [
                    {
                        "type": "table",
                        "id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                        "qualified_name": "warehouse.marts.agg_monthly_revenue",
                    }
                ],
                "fields": [],
                "edges": [
                    {
                        "id": "7d3e9f22-8c2d-4f71-8a4e-0c1b51f42a0b",
                        "type": "table",
                        "source": "warehouse.marts.agg_daily_sales",
                        "target": "warehouse.marts.agg_monthly_revenue",
                        "lineage_source": "manual",
                        "status": "active",
                        "confidence": 1.0,
                    }
                ],
                "relies_on_inferred": True,
                "conversation_id": "7d3e9f22-8c2d-4f71-8a4e-0c1b51f42a0b",
                "notes": [],
            }
        }
    )
    question: str
    mode: Literal["retrieval_only", "llm"] = Field(
        description="retrieval_only: no LLM is configured; the answer is built from the "
        "cited results only"
    )
    intent: Literal["find", "upstream", "downstream", "impact", "review"]
    answer: str
    tables: list[CitedOut]
    fields: list[CitedOut]
    edges: list[CitedEdgeOut] = Field(description="every edge the answer relies on")
    relies_on_inferred: bool = Field(
        description="the answer depends on inferred edges no steward has approved"
    )
    conversation_id: uuid.UUID
    notes: list[str] = Field(
        default_factory=list,
        description="for example why an LLM answer fell back to retrieval",
    )


class ExplainLineageRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"table_id": "8c2d51f4-2a0b-4f71-8a4e-0c1b7d3e9f22", "direction": "upstream"}
        },
    )
    table_id: uuid.UUID
    direction: Literal["upstream", "downstream"]
    depth: int | None = Field(
        None, ge=1, description="hops (default 3, capped by ARIADNE_LINEAGE_MAX_DEPTH)"
    )
    field_id: uuid.UUID | None = Field(None, description="explain one column of the table")


class LineageExplanationResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "root": {
                    "type": "table",
                    "id": "5b1e7c1a-0d6f-4c61-9a51-7f4de2a0c9a1",
                    "qualified_name": "warehouse.marts.agg_customer_ltv",
                },
                "direction": "upstream",
                "depth": 3,
                "mode": "template",
                "summary": "Data reaches warehouse.marts.agg_customer_ltv through 2 edge(s) "
                "connecting 2 table(s) in 1 system(s), within 3 hops.",
                "explanation": "…",
                "systems": {"warehouse": ["warehouse.marts.fct_orders"]},
                "by_trust": {
                    "manual": ["warehouse.marts.fct_orders -> warehouse.marts.agg_customer_ltv"]
                },
                "nodes": [],
                "edges": [],
                "notes": [],
            }
        }
    )
    root: CitedOut
    direction: Literal["upstream", "downstream"]
    depth: int
    mode: Literal["template", "llm"] = Field(
        description="template: no LLM is configured (or it failed, see notes); every "
        "sentence comes from a cited edge. llm: written by the configured model from the "
        "same facts; the cited nodes and edges are the same"
    )
    summary: str
    explanation: str
    systems: dict[str, list[str]] = Field(description="data source name -> tables (or columns)")
    by_trust: dict[str, list[str]] = Field(
        description="approved / manual / inferred -> the edges, each with its transformation"
    )
    nodes: list[CitedOut]
    edges: list[CitedEdgeOut]
    notes: list[str] = Field(
        description="what to know about this explanation, such as an LLM failure"
    )
