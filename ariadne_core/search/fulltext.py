"""Full-text search over table and field names, descriptions and tags.

Names are indexed with `_` and `.` turned into spaces, and each query word is a prefix,
so `cust` finds `dim_customer`. When no word matches, typos such as `custmer` are
corrected against the vocabulary of name words (`search_words`, migration 0016): each
query word is replaced by its closest words by trigram similarity (pg_trgm), and the
names holding them are found by the full-text index. Every condition is served by a GIN
index.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal, NamedTuple

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.db.jsonsql import json_array, json_object
from ariadne_core.db.models import name_key
from ariadne_core.db.plans import Plan
from ariadne_core.errors import ValidationFailed

EntityKind = Literal["table", "field"]


class SearchPage(NamedTuple):
    items: str  # a JSON array written by PostgreSQL
    total: int
    total_exact: bool  # false: more than `total` match


_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_QUERY_LENGTH = 200
# Matches a search ranks at most: past this many, `total` says "at least" (total_exact
# false), and the ranking covers whole-name matches first, then the first word matches.
MAX_MATCHES = 200


def query_words(q: str) -> list[str]:
    """The words a search looks for: letters and digits, lower case, at most 16."""
    return [w.lower() for w in _WORD.findall(q)][:16]


def prefix_query(q: str, join: str = " & ") -> str | None:
    """Every query word as a prefix, all required (or, with ``join=" | "``, any)."""
    words = query_words(q)
    return join.join(f"{w}:*" for w in words) if words else None


def _many_words(q: str) -> bool:
    return len(_WORD.findall(q)) > 1


# Cheap to compute for every candidate: word rank (names weigh most), plus 1 for the
# whole name, plus 0.5 for a name that starts with the query.
_E_KEY = name_key("e.name")
_Q_KEY = name_key("%(q)s::text")
_NAME_BONUS = (
    f"CASE WHEN {_E_KEY} = {_Q_KEY} THEN 1.0 WHEN starts_with({_E_KEY}, {_Q_KEY}) THEN 0.5 "
    "ELSE 0.0 END"
)


def _branch(kind: EntityKind, how: str, filter_sources: bool) -> str:
    """At most `MAX_MATCHES` + 1 matches of one kind, found one way (``how``):

    exact  the whole name is the query, read from the name-key index in qualified-name
           order (so a popular name such as `email` costs its first rows, not all);
    words  every query word, each a prefix, in names, descriptions and tags (GIN);
    some   any of the query words, ranked by how many and where (GIN);
    typos  every query word's closest vocabulary words (`fixes`), by the full-text
           index, ranked by word similarity of the name to the query;
    some_typos  the same with any of the query words' closest words;
    names  trigram similarity of the whole name (GIN), for a query with no word at all
           (only punctuation or letters outside A-Z), ranked by word similarity.
    """
    tables = "query, fixes" if how in ("typos", "some_typos") else "query"
    if how == "names":
        match = "(e.name %% %(q)s OR %(q)s <%% e.name)"
        score, order = "word_similarity(%(q)s, e.name)", ""
    elif how in ("typos", "some_typos"):
        fixed = "fixes.tsq" if how == "typos" else "fixes.tsq_any"
        match = f"e.search_vector @@ {fixed}"
        score = f"ts_rank(e.search_vector, {fixed}) + word_similarity(%(q)s, e.name)"
        order = ""
    else:
        words = "query.tsq_any" if how == "some" else "query.tsq"
        score = f"ts_rank(e.search_vector, {words}) + {_NAME_BONUS}"
        if how == "exact":
            match, order = f"{_E_KEY} = {_Q_KEY}", f" ORDER BY {_E_KEY}, e.qualified_name"
        else:
            match, order = f"e.search_vector @@ {words}", ""
    if kind == "table":
        sql = (
            "SELECT 'table' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
            f"e.source_id, NULL::uuid AS table_id, {score} AS score "
            f"FROM metadata_tables e, {tables} WHERE NOT e.is_deleted AND {match}"
            + (" AND e.source_id = ANY(%(source_ids)s)" if filter_sources else "")
        )
    else:
        sql = (
            "SELECT 'field' AS kind, e.id, e.name, e.qualified_name, e.description, e.tags, "
            f"t.source_id, e.table_id, {score} AS score "
            f"FROM metadata_fields e JOIN metadata_tables t ON t.id = e.table_id, {tables} "
            f"WHERE NOT e.is_deleted AND NOT t.is_deleted AND {match}"
            + (" AND t.source_id = ANY(%(source_ids)s)" if filter_sources else "")
        )
    return f"({sql}{order} LIMIT {MAX_MATCHES + 1})"


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
    """The `query` CTE the branches read the parsed words from: all of them (`tsq`) and
    any of them (`tsq_any`), each in the simple and the English configuration."""
    if tsq:
        return (
            "WITH query AS (SELECT (to_tsquery('simple', %(tsq)s) || "
            "to_tsquery('english', %(tsq)s)) AS tsq, (to_tsquery('simple', %(tsq_any)s) || "
            "to_tsquery('english', %(tsq_any)s)) AS tsq_any) "
        )
    return "WITH query AS (SELECT 1) "


def lexical_branches(kind: EntityKind | None, q: str, filter_sources: bool) -> str:
    """The lexical matches, each once, as one subquery; bounded, so a search costs the
    same whether 10 or 100,000 names match.

    Whole names and all the words first; when nothing has all the words (a question
    such as "which tables hold revenue by region"), any of them; when nothing has any,
    typos. Trigram matching (`custmer`) is the expensive part: a short word's trigrams
    are shared by thousands of names (`cust` with every `country`, `currency` and `city`
    column), each read back and compared. Each later way runs only when the earlier
    found nothing; PostgreSQL skips it with a one-time filter otherwise."""
    kinds: list[EntityKind] = [kind] if kind else ["table", "field"]

    def union(*ways: str) -> str:
        return " UNION ALL ".join(_branch(k, how, filter_sources) for how in ways for k in kinds)

    if prefix_query(q) is None:  # no words to match (only punctuation, say)
        return union("names")
    # Whole-name matches outrank word matches (score + 1), so when more than
    # `MAX_MATCHES` names are the query the word matches cannot reach the ranking.
    sql = (
        f"WITH fixes AS MATERIALIZED ({FIXES}), "
        f"exact AS MATERIALIZED ({union('exact')}), "
        f"words AS MATERIALIZED (SELECT * FROM exact UNION ALL SELECT * FROM "
        f"({union('words')}) w WHERE (SELECT count(*) FROM exact) <= {MAX_MATCHES})"
    )
    found = "words"
    many_words = _many_words(q)
    if many_words:
        sql += (
            f", any_words AS MATERIALIZED (SELECT * FROM words UNION ALL SELECT * FROM "
            f"({union('some')}) s WHERE NOT EXISTS (SELECT 1 FROM words))"
        )
        found = "any_words"
    sql += (
        f", typos AS MATERIALIZED (SELECT * FROM ({union('typos')}) t "
        f"WHERE NOT EXISTS (SELECT 1 FROM {found}))"
    )
    last = ""
    if many_words:  # as with words: when nothing has every corrected word, any
        last = (
            f" UNION ALL SELECT * FROM ({union('some_typos')}) st "
            f"WHERE NOT EXISTS (SELECT 1 FROM {found}) AND NOT EXISTS (SELECT 1 FROM typos)"
        )
    return f"{sql} SELECT DISTINCT ON (kind, id) * FROM {found} UNION ALL SELECT * FROM typos{last}"


# Up to this many vocabulary words stand in for each query word a typo search corrects.
FIXES_PER_WORD = 5
# The corrected question: for each query word, its closest vocabulary words (trigram
# similarity at least pg_trgm's threshold, 0.3), any of them as a prefix; every query
# word that has one (`tsq`), or any of them (`tsq_any`). Read only when a typo search runs (a CTE is computed when scanned);
# NULL when no word has a close one, which matches nothing.
FIXES = (
    "SELECT to_tsquery('simple', string_agg(alternatives, ' & ')) AS tsq, "
    "to_tsquery('simple', string_agg(alternatives, ' | ')) AS tsq_any FROM ("
    "SELECT '(' || string_agg(close.word || ':*', ' | ') || ')' AS alternatives "
    "FROM unnest(%(words)s::text[]) AS typed(word) CROSS JOIN LATERAL ("
    "SELECT v.word FROM search_words v WHERE v.word %% typed.word "
    f"ORDER BY similarity(v.word, typed.word) DESC, v.word LIMIT {FIXES_PER_WORD}) close "
    "GROUP BY typed.word) corrected"
)


def lexical_params(q: str) -> dict[str, Any]:
    return {
        "q": q,
        "tsq": prefix_query(q),
        "tsq_any": prefix_query(q, " | "),
        "words": query_words(q),
    }


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
) -> Plan[SearchPage]:
    """One page of ranked hits as a JSON array (text), the number of hits, and whether
    that number is exact (at most `MAX_MATCHES` are counted and ranked).

    With ``cache``, an identical search is answered from memory until the catalog changes.
    """
    q = checked_query(q)
    ids = sorted(set(source_ids or ()))
    key = search_key(q, kind, ids, offset, limit)
    generation, known = cache.lookup(key) if cache is not None else (None, None)
    if known is not None:
        result: SearchPage = known
        return result
    branches = lexical_branches(kind, q, bool(ids))
    params: dict[str, Any] = {**lexical_params(q), "offset": offset, "limit": limit}
    if ids:
        params["source_ids"] = ids
    row = yield (
        query_cte(params["tsq"]) + f", found AS MATERIALIZED ({branches}), "
        "counted AS (SELECT count(*) AS n FROM found), "
        f"best AS (SELECT * FROM found ORDER BY score DESC, qualified_name, id "
        f"LIMIT {MAX_MATCHES}), "
        "hits AS (SELECT * FROM best ORDER BY score DESC, qualified_name, id "
        "OFFSET %(offset)s LIMIT %(limit)s) "
        f"SELECT (SELECT n FROM counted), {json_array(HIT_JSON, HIT_ORDER)}::text FROM hits",
        params,
    )
    assert row is not None  # an aggregate: always one row
    matched = int(row[0])
    result = SearchPage(str(row[1]), min(matched, MAX_MATCHES), matched <= MAX_MATCHES)
    if cache is not None:
        cache.store(key, generation, result)
    return result
