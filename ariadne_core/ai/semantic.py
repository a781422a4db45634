"""Semantic search: the catalog's vectors nearest to a question's, by the IVFFlat index.

The question is embedded by the configured provider (in a worker thread: the model runs
on the CPU, outside the GIL), and its vector is kept by text in a small LRU (the
query-side embedding cache, `ariadne_core.embedding.query.QueryVectors`). The search is
a read plan (ariadne_core.db.plans) on the API's asyncio pool: the nearest vectors of
the current model, filtered by kind and source, named from the catalog, answered as one
row of arrays.

Scores are cosine similarities (every vector is unit length; the index orders by inner
product, which is the same order). The index is approximate: how many of its lists a
search reads, `ivfflat.probes`, is set for every connection (ARIADNE_IVFFLAT_PROBES),
and benchmarks/ai.py measures the recall@10 it gives against an exact scan (docs/ai.md);
pgvector's iterative scan reads more lists when filters drop candidates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from ariadne_core.db.plans import Plan
from ariadne_core.embedding.index import LIVE_FIELDS
from ariadne_core.errors import ValidationFailed

EntityKind = Literal["table", "field"]
MAX_QUERY_CHARS = 500
MAX_LIMIT = 100
MAX_SOURCES = 100


@dataclass(frozen=True)
class SemanticQuery:
    query: str
    limit: int = 10
    threshold: float = 0.3
    kind: EntityKind | None = None
    source_ids: tuple[uuid.UUID, ...] = ()

    def check(self) -> None:
        text = self.query.strip()
        if not text or len(self.query) > MAX_QUERY_CHARS:
            raise ValidationFailed(
                f"query must be 1 to {MAX_QUERY_CHARS} characters, not {len(self.query)}.",
                details={"field": "query", "length": len(self.query)},
            )
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_LIMIT}, not {self.limit}.",
                details={"field": "limit", "value": self.limit},
            )
        if not 0.0 <= self.threshold <= 1.0:
            raise ValidationFailed(
                f"threshold is a cosine similarity between 0 and 1, not {self.threshold}.",
                details={"field": "threshold", "value": self.threshold},
            )
        if len(self.source_ids) > MAX_SOURCES:
            raise ValidationFailed(
                f"At most {MAX_SOURCES} source_ids, not {len(self.source_ids)}.",
                details={"field": "source_ids", "count": len(self.source_ids)},
            )


@dataclass
class SemanticHit:
    type: str
    id: uuid.UUID
    name: str
    qualified_name: str
    table_id: uuid.UUID | None  # a field's table
    source_id: uuid.UUID | None
    score: float
    matched_text: str


@dataclass
class Coverage:
    """How far the embeddings are: what semantic search tells its callers."""

    model: str
    live: int  # tables and fields that should have a vector
    embedded: int  # of those, with a vector of the current model

    @property
    def complete(self) -> bool:
        return self.embedded >= self.live


@dataclass
class SemanticResult:
    query: str
    model: str
    results: list[SemanticHit]
    index: Coverage


def nearest_plan(vector: str, model: str, query: SemanticQuery) -> Plan[list[SemanticHit]]:
    """The ``query.limit`` nearest tables and fields at or above the threshold, to
    ``vector`` (pgvector's text form, `QueryVectors.literal`)."""
    conditions = ["e.model = %(model)s"]
    params: dict[str, Any] = {
        "model": model,
        "q": vector,
        "k": query.limit,
        "threshold": query.threshold,
    }
    if query.kind:
        conditions.append("e.entity_type = %(kind)s")
        params["kind"] = query.kind
    if query.source_ids:
        conditions.append("e.source_id = ANY(%(sources)s)")
        params["sources"] = list(query.source_ids)
    row = yield (
        "WITH near AS MATERIALIZED ("
        "  SELECT e.entity_type, e.entity_id, e.source_id, e.content, "
        "         -(e.embedding <#> %(q)s::vector) AS score "
        f"  FROM embeddings e WHERE {' AND '.join(conditions)} "
        "  ORDER BY e.embedding <#> %(q)s::vector LIMIT %(k)s) "
        "SELECT array_agg(n.entity_type ORDER BY n.score DESC), "
        "array_agg(n.entity_id ORDER BY n.score DESC), "
        "array_agg(coalesce(t.name, f.name) ORDER BY n.score DESC), "
        "array_agg(coalesce(t.qualified_name, f.qualified_name) ORDER BY n.score DESC), "
        "array_agg(f.table_id ORDER BY n.score DESC), "
        "array_agg(n.source_id ORDER BY n.score DESC), "
        "array_agg(n.score ORDER BY n.score DESC), "
        "array_agg(n.content ORDER BY n.score DESC) "
        "FROM near n "
        "LEFT JOIN metadata_tables t ON n.entity_type = 'table' AND t.id = n.entity_id "
        "  AND NOT t.is_deleted "
        "LEFT JOIN metadata_fields f ON n.entity_type = 'field' AND f.id = n.entity_id "
        "  AND NOT f.is_deleted "
        "WHERE n.score >= %(threshold)s AND coalesce(t.id, f.id) IS NOT NULL",
        params,
    )
    if row is None or not row[0]:
        return []
    return [
        SemanticHit(kind, eid, name, qname, table_id, source_id, round(float(score), 4), text)
        for kind, eid, name, qname, table_id, source_id, score, text in zip(*row, strict=True)
    ]


def coverage_plan(model: str) -> Plan[Coverage]:
    row = yield (
        "SELECT (SELECT count(*) FROM metadata_tables WHERE NOT is_deleted) "
        f"+ (SELECT count(*) FROM {LIVE_FIELDS}), "
        "(SELECT count(*) FROM embeddings WHERE model = %(model)s)",
        {"model": model},
    )
    assert row is not None
    return Coverage(model, int(row[0]), min(int(row[1]), int(row[0])))
