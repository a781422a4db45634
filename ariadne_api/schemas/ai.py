"""Bodies of the assistant's routes (/api/v1/ai)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    query: str
    mode: Literal["semantic"] = "semantic"
    model: str
    results: list[SemanticHitOut]
    index: EmbeddingCoverage
    message: str | None = Field(None, description="says when the embeddings are still being built")
