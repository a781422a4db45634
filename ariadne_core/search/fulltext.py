"""Full-text search over table and field names, descriptions and tags.

Names are indexed with `_` and `.` turned into spaces, and each query word is a prefix,
so `cust` finds `dim_customer`. When no word matches, trigram word similarity (pg_trgm)
catches typos such as `custmer`. Both conditions are served by GIN indexes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.jsonsql import json_array, json_object
from ariadne_core.db.plans import Plan
from ariadne_core.errors import ValidationFailed

EntityKind = Literal["table", "field"]
_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_QUERY_LENGTH = 200


def prefix_query(q: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(q)][:16]
    return " & ".join(f"{w}:*" for w in words) if words else None


def _branch(kind: EntityKind, fuzzy: bool, filter_sources: bool) -> str:
    """Matches of one kind: by words (full text, each word a prefix) or, ``fuzzy``, by
    trigram similarity of the name. The rank adds the name's word similarity either way."""
    if fuzzy:
        match = "(e.name %% %(q)s OR %(q)s <%% e.name)"
        rank = "word_similarity(%(q)s, e.name)"
    else:
        match = "e.search_vector @@ query.tsq"
        rank = "word_similarity(%(q)s, e.name) + ts_rank(e.search_vector, query.tsq)"
    if kind == "table":
        source = "e.source_id"
        return (
            f"SELECT 'table' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
            f"e.source_id, NULL::uuid AS table_id, {rank} AS score "
            f"FROM metadata_tables e, query WHERE NOT e.is_deleted AND {match}"
            + (f" AND {source} = ANY(%(source_ids)s)" if filter_sources else "")
        )
    return (
        f"SELECT 'field' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
        f"t.source_id, e.table_id, {rank} AS score "
        f"FROM metadata_fields e JOIN metadata_tables t ON t.id = e.table_id, query "
        f"WHERE NOT e.is_deleted AND NOT t.is_deleted AND {match}"
        + (" AND t.source_id = ANY(%(source_ids)s)" if filter_sources else "")
    )


HIT_JSON = json_object(
    "hits",
    ("id", "name", "qualified_name", "description", "tags", "source_id", "table_id"),
    extra={"type": "hits.kind", "score": "round(hits.score::numeric, 4)"},
)
HIT_ORDER = "hits.score DESC, hits.qualified_name, hits.id"


def checked_query(q: str) -> str:
    q = q.strip()
    if not q:
        raise ValidationFailed("Type something to search for.", details={"field": "q"})
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            f"The search text is longer than {MAX_QUERY_LENGTH} characters.",
            details={"field": "q", "length": len(q)},
        )
    return q


def query_cte(tsq: str | None) -> str:
    """The `query` CTE the branches read the parsed words from."""
    if tsq:
        return (
            "WITH query AS (SELECT (to_tsquery('simple', %(tsq)s) || "
            "to_tsquery('english', %(tsq)s)) AS tsq) "
        )
    return "WITH query AS (SELECT 1) "


def lexical_branches(kind: EntityKind | None, has_fts: bool, filter_sources: bool) -> str:
    """The lexical matches, as one subquery: by words when any match, else by trigrams.

    Trigram matching is for typos (`custmer`), and it is the expensive part: a short
    word's trigrams are shared by thousands of names (`cust` with every `country`,
    `currency` and `city` column), each read back and compared. So it runs only when no
    name, description or tag matches by its words; PostgreSQL skips the fuzzy branch
    with a one-time filter otherwise."""
    kinds: list[EntityKind] = [kind] if kind else ["table", "field"]

    def union(fuzzy: bool) -> str:
        return " UNION ALL ".join(_branch(k, fuzzy, filter_sources) for k in kinds)

    if not has_fts:  # no words to match (only punctuation, say): similarity alone
        return union(fuzzy=True)
    return (
        f"WITH words AS MATERIALIZED ({union(fuzzy=False)}) SELECT * FROM words "
        f"UNION ALL SELECT * FROM ({union(fuzzy=True)}) typos "
        "WHERE NOT EXISTS (SELECT 1 FROM words)"
    )


def search_key(
    q: str, kind: str | None, source_ids: list[uuid.UUID] | None, offset: int, limit: int
) -> tuple[Any, ...]:
    """What identifies a search in the cache: equal keys give equal answers."""
    return ("search", q.strip(), kind, tuple(sorted(set(source_ids or ()))), offset, limit)


def search_catalog(
    q: str,
    *,
    kind: EntityKind | None = None,
    source_ids: list[uuid.UUID] | None = None,
    offset: int = 0,
    limit: int = 20,
    cache: GenerationCache | None = None,
) -> Plan[tuple[str, int]]:
    """One page of ranked hits as a JSON array (text), and the number of hits.

    With ``cache``, an identical search is answered from memory until the catalog changes.
    """
    q = checked_query(q)
    ids = sorted(set(source_ids or ()))
    key = search_key(q, kind, ids, offset, limit)
    generation, known = cache.lookup(key) if cache is not None else (None, None)
    if known is not None:
        result: tuple[str, int] = known
        return result
    tsq = prefix_query(q)
    branches = lexical_branches(kind, tsq is not None, bool(ids))
    cte = query_cte(tsq)
    params: dict[str, Any] = {"q": q, "tsq": tsq, "offset": offset, "limit": limit}
    if ids:
        params["source_ids"] = ids
    # The total comes with the page (a window count), so the matches are found only once.
    row = yield (
        cte + f", hits AS (SELECT *, count(*) OVER () AS total FROM ({branches}) found "
        "ORDER BY score DESC, qualified_name, id OFFSET %(offset)s LIMIT %(limit)s) "
        f"SELECT (SELECT total FROM hits LIMIT 1), {json_array(HIT_JSON, HIT_ORDER)}::text "
        "FROM hits",
        params,
    )
    if row is not None and row[0] is not None:
        result = (str(row[1]), int(row[0]))
    else:  # a page past the end has no row to carry the total, so count separately
        counted = yield (cte + f"SELECT count(*) FROM ({branches}) found", params)
        result = ("[]", int(counted[0]) if counted else 0)
    if cache is not None:
        cache.store(key, generation, result)
    return result
