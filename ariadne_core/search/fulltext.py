"""Full-text search over table and field names, descriptions and tags.

Names are indexed with `_` and `.` turned into spaces, and each query word is a prefix,
so `cust` finds `dim_customer`. Trigram word similarity (pg_trgm) catches typos such as
`custmer`. Both conditions are served by GIN indexes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from ariadne_core.errors import ValidationFailed

EntityKind = Literal["table", "field"]
_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_QUERY_LENGTH = 200


@dataclass
class SearchHit:
    kind: EntityKind
    id: uuid.UUID
    name: str
    qualified_name: str
    description: str | None
    tags: list[str]
    source_id: uuid.UUID
    table_id: uuid.UUID | None
    score: float


def prefix_query(q: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(q)][:16]
    return " & ".join(f"{w}:*" for w in words) if words else None


def _branch(kind: EntityKind, has_fts: bool, filter_sources: bool) -> str:
    match = (
        "(e.name % :q OR :q <% e.name"
        + (" OR e.search_vector @@ query.tsq" if has_fts else "")
        + ")"
    )
    rank = "word_similarity(:q, e.name)" + (
        " + ts_rank(e.search_vector, query.tsq)" if has_fts else ""
    )
    if kind == "table":
        source = "e.source_id"
        return (
            f"SELECT 'table' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
            f"e.source_id, NULL::uuid AS table_id, {rank} AS score "
            f"FROM metadata_tables e, query WHERE NOT e.is_deleted AND {match}"
            + (f" AND {source} = ANY(:source_ids)" if filter_sources else "")
        )
    return (
        f"SELECT 'field' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
        f"t.source_id, e.table_id, {rank} AS score "
        f"FROM metadata_fields e JOIN metadata_tables t ON t.id = e.table_id, query "
        f"WHERE NOT e.is_deleted AND NOT t.is_deleted AND {match}"
        + (" AND t.source_id = ANY(:source_ids)" if filter_sources else "")
    )


def search_catalog(
    session: Session,
    q: str,
    *,
    kind: EntityKind | None = None,
    source_ids: list[uuid.UUID] | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[SearchHit], int]:
    q = q.strip()
    if not q:
        raise ValidationFailed("Type something to search for.", details={"field": "q"})
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            f"The search text is longer than {MAX_QUERY_LENGTH} characters.",
            details={"field": "q", "length": len(q)},
        )
    tsq = prefix_query(q)
    kinds: list[EntityKind] = [kind] if kind else ["table", "field"]
    branches = " UNION ALL ".join(_branch(k, tsq is not None, bool(source_ids)) for k in kinds)
    cte = (
        "WITH query AS (SELECT (to_tsquery('simple', :tsq) || to_tsquery('english', :tsq)) AS tsq) "
        if tsq
        else "WITH query AS (SELECT 1) "
    )
    params: dict[str, Any] = {"q": q, "tsq": tsq, "offset": offset, "limit": limit}
    binds = []
    if source_ids:
        params["source_ids"] = source_ids
        binds.append(bindparam("source_ids", type_=ARRAY(UUID(as_uuid=True))))
    # The total comes with the page (a window count), so the matches are found only once.
    page = text(
        cte + f"SELECT *, count(*) OVER () AS total FROM ({branches}) hits "
        "ORDER BY score DESC, qualified_name, id OFFSET :offset LIMIT :limit"
    )
    count = text(cte + f"SELECT count(*) FROM ({branches}) hits")
    if binds:
        page, count = page.bindparams(*binds), count.bindparams(*binds)
    rows = session.execute(page, params).mappings().all()
    # A page past the end has no row to carry the total, so count separately then.
    total = int(rows[0]["total"]) if rows else int(session.execute(count, params).scalar_one())
    hits = [
        SearchHit(
            kind=r["kind"],
            id=r["id"],
            name=r["name"],
            qualified_name=r["qualified_name"],
            description=r["description"],
            tags=list(r["tags"] or []),
            source_id=r["source_id"],
            table_id=r["table_id"],
            score=round(float(r["score"]), 4),
        )
        for r in rows
    ]
    return hits, total
