"""Hybrid search: full-text and trigram matches fused with the nearest vectors.

Each ranking contributes its best `CANDIDATES` (names and descriptions by full-text
rank and trigram similarity, as `GET /search` ranks them; meaning by the IVFFlat index),
and every table or field gets the reciprocal rank fusion of its ranks,
sum(1 / (RRF_K + rank)): found by both near the top beats found by one. So
"customer lifetime value" finds `agg_customer_ltv` by meaning and `revnue` still finds
revenue tables by trigrams. Without vectors (embeddings not built yet, or no usable
provider) the semantic ranking is simply empty and the answer is the lexical one.

The same page shape as `GET /search`, written by PostgreSQL (ariadne_core.db.jsonsql);
`score` is the fused score and `total` counts the fused candidates (at most twice
`CANDIDATES`).
"""

from __future__ import annotations

import uuid
from typing import Any

from ariadne_core.db.jsonsql import json_array
from ariadne_core.db.plans import Plan
from ariadne_core.search.fulltext import (
    HIT_JSON,
    HIT_ORDER,
    EntityKind,
    SearchPage,
    checked_query,
    lexical_branches,
    lexical_params,
    prefix_query,
    query_cte,
)

CANDIDATES = 50
RRF_K = 60


def hybrid_plan(
    q: str,
    vector: str | None,
    model: str,
    *,
    kind: EntityKind | None = None,
    source_ids: list[uuid.UUID] | None = None,
    offset: int = 0,
    limit: int = 20,
) -> Plan[SearchPage]:
    """One page of fused hits as a JSON array (text), and the number of fused hits.
    ``vector`` is the question's in pgvector's text form (`QueryVectors.literal`)."""
    q = checked_query(q)
    ids = sorted(set(source_ids or ()))
    tsq = prefix_query(q)
    params: dict[str, Any] = {**lexical_params(q), "offset": offset, "limit": limit}
    ctes = [
        f"lexical AS (SELECT kind, id, row_number() OVER "
        f"(ORDER BY score DESC, qualified_name, id) AS r "
        f"FROM ({lexical_branches(kind, q, bool(ids))}) found "
        f"ORDER BY score DESC, qualified_name, id LIMIT {CANDIDATES})"
    ]
    ranked = "SELECT kind, id, r FROM lexical"
    if ids:
        params["source_ids"] = ids
    if vector is not None:
        conditions = ["e.model = %(model)s"]
        if kind:
            conditions.append("e.entity_type = %(kind)s")
            params["kind"] = kind
        if ids:
            conditions.append("e.source_id = ANY(%(source_ids)s)")
        params.update(model=model, vec=vector)
        ctes.append(
            "semantic AS (SELECT entity_type AS kind, entity_id AS id, "
            "row_number() OVER (ORDER BY d) AS r FROM (SELECT e.entity_type, e.entity_id, "
            "e.embedding <#> %(vec)s::vector AS d FROM embeddings e "
            f"WHERE {' AND '.join(conditions)} "
            f"ORDER BY e.embedding <#> %(vec)s::vector LIMIT {CANDIDATES}) near)"
        )
        ranked += " UNION ALL SELECT kind, id, r FROM semantic"
    ctes.append(
        f"fused AS (SELECT kind, id, sum(1.0 / ({RRF_K} + r)) AS score FROM ({ranked}) c "
        "GROUP BY kind, id)"
    )
    ctes.append(
        "hits AS (SELECT f.kind, f.id, coalesce(t.name, fl.name) AS name, "
        "coalesce(t.qualified_name, fl.qualified_name) AS qualified_name, "
        "coalesce(t.description, fl.description) AS description, "
        "coalesce(t.tags, fl.tags) AS tags, coalesce(t.source_id, ft.source_id) AS source_id, "
        "fl.table_id, f.score, count(*) OVER () AS total FROM fused f "
        "LEFT JOIN metadata_tables t ON f.kind = 'table' AND t.id = f.id AND NOT t.is_deleted "
        "LEFT JOIN metadata_fields fl ON f.kind = 'field' AND fl.id = f.id "
        "AND NOT fl.is_deleted "
        "LEFT JOIN metadata_tables ft ON ft.id = fl.table_id AND NOT ft.is_deleted "
        "WHERE t.id IS NOT NULL OR ft.id IS NOT NULL "
        "ORDER BY f.score DESC, qualified_name, f.id OFFSET %(offset)s LIMIT %(limit)s)"
    )
    row = yield (
        query_cte(tsq)
        + ", "
        + ", ".join(ctes)
        + f" SELECT (SELECT total FROM hits LIMIT 1), {json_array(HIT_JSON, HIT_ORDER)}::text "
        "FROM hits",
        params,
    )
    if row is None or row[0] is None:
        return SearchPage("[]", 0, True)
    return SearchPage(str(row[1]), int(row[0]), True)
