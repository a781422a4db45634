"""Questions about the catalog and its lineage, answered from Ariadne's own services.

The retrieval-only assistant (no LLM configured) works out what is asked from the words
of the question, finds the table it is about, and calls the same services the API
serves: search (hybrid when vectors exist), upstream and downstream traversal, impact
analysis and the review queue. Its answer is a sentence built from those results only
(never invented prose), says `mode: "retrieval_only"`, and cites every table, field and
edge it used, with each edge's `lineage_source`; an answer that relies on inferred edges
says so.

A question that names no table ("and what breaks if I drop it?") is about the table the
conversation's last answer was about (memory kept in PostgreSQL by conversation id,
`ariadne_core.ai.conversations`).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.models import FieldLineage, TableLineage
from ariadne_core.db.plans import run
from ariadne_core.errors import ValidationFailed
from ariadne_core.graph.store import Direction, EdgeFilter, GraphEdge
from ariadne_core.lineage import edges as edge_service
from ariadne_core.lineage.audit import Edge, edge_kind
from ariadne_core.lineage.impact import impact_plan
from ariadne_core.lineage.traversal import TraversalQuery, traversal_plan
from ariadne_core.search.fulltext import search_catalog
from ariadne_core.search.hybrid import hybrid_plan

Intent = Literal["find", "upstream", "downstream", "impact", "review"]
MAX_QUESTION = 2000
LIST_AT_MOST = 10  # names spelled out in the answer sentence; all are cited

_IDENTIFIER = re.compile(
    r"`([^`]{1,300})`|\b([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)+)\b|\b([a-z]+_[\w]+)\b"
)
_PRONOUN = re.compile(r"\b(it|its|this table|that table|them|this one|that one)\b", re.I)
_INTENTS: list[tuple[Intent, re.Pattern[str]]] = [
    (
        "review",
        re.compile(
            r"\b(unreviewed|not (yet )?reviewed|pending|review queue|to review|unapproved)\b", re.I
        ),
    ),
    (
        "impact",
        re.compile(
            r"\b(break|breaks|broken|impact|affected|affects?|if i (drop|rename|change|remove|delete))\b",
            re.I,
        ),
    ),
    (
        "upstream",
        re.compile(
            r"\b(come from|comes from|came from|upstream|sources? of|fed by|feeds? into|derived from|origin|built from|where does)\b",
            re.I,
        ),
    ),
    (
        "downstream",
        re.compile(
            r"\b(downstream|depends? on|consumers?|consumes?|who uses|what uses|used by|read by)\b",
            re.I,
        ),
    ),
]
_CHANGE = [
    ("rename", re.compile(r"\brenam", re.I)),
    ("type_change", re.compile(r"\b(type|cast|datatype)\b", re.I)),
    ("schema_change", re.compile(r"\bschema\b", re.I)),
]


@dataclass
class Cited:
    type: str  # table or field
    id: uuid.UUID
    qualified_name: str


@dataclass
class CitedEdge:
    id: uuid.UUID
    type: str  # table or field lineage
    source: str
    target: str
    lineage_source: str  # inferred, manual or approved
    status: str
    confidence: float


@dataclass
class AssistantAnswer:
    question: str
    mode: str  # retrieval_only or llm
    intent: Intent
    answer: str
    tables: list[Cited] = field(default_factory=list)
    fields: list[Cited] = field(default_factory=list)
    edges: list[CitedEdge] = field(default_factory=list)
    relies_on_inferred: bool = False
    conversation_id: uuid.UUID | None = None
    notes: list[str] = field(default_factory=list)  # e.g. why an LLM answer fell back


def check_question(question: str) -> str:
    text = question.strip()
    if not text or len(question) > MAX_QUESTION:
        raise ValidationFailed(
            f"question must be 1 to {MAX_QUESTION} characters, not {len(question)}.",
            details={"field": "question", "length": len(question)},
        )
    return text


def intent_of(question: str) -> Intent:
    for intent, pattern in _INTENTS:
        if pattern.search(question):
            return intent
    return "find"


def change_type_of(question: str) -> str:
    for change, pattern in _CHANGE:
        if pattern.search(question):
            return change
    return "drop"


def _identifiers(question: str) -> list[str]:
    out = []
    for quoted, dotted, snake in _IDENTIFIER.findall(question):
        out.append((quoted or dotted or snake).strip())
    return out


def _find_table(session: Session, question: str) -> Cited | None:
    """The table a question names: an exact qualified name, else a table name, else a
    dotted name's last parts; the most specific mention wins."""
    conn = driver_connection(session)
    for name in _identifiers(question):
        row = conn.execute(
            "SELECT id, qualified_name FROM metadata_tables WHERE NOT is_deleted AND "
            "(lower(qualified_name) = lower(%(n)s) OR lower(name) = lower(%(n)s) "
            " OR lower(qualified_name) LIKE '%%.' || lower(%(n)s)) "
            "ORDER BY lower(qualified_name) = lower(%(n)s) DESC, length(qualified_name), id "
            "LIMIT 1",
            {"n": name},
        ).fetchone()
        if row is not None:
            return Cited("table", row[0], row[1])
    return None


def _search(
    session: Session,
    settings: Settings,
    text: str,
    vector: str | None,
    model: str,
    source_ids: list[uuid.UUID] | None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    conn = driver_connection(session)
    if vector is not None:
        body = run(conn, hybrid_plan(text, vector, model, source_ids=source_ids, limit=limit)).items
    else:
        body = run(conn, search_catalog(_keywords(text), source_ids=source_ids, limit=limit)).items
    hits: list[dict[str, Any]] = json.loads(body)
    return hits


_STOP = set(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "show",
        "tell",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "all",
        "table",
        "tables",
        "column",
        "columns",
        "field",
        "fields",
        "hold",
        "holds",
        "contain",
        "contains",
        "stored",
        "store",
        "list",
        "find",
        "give",
    ]
)


def _keywords(text: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9_]+", text.lower()) if w not in _STOP]
    return " ".join(words[:8]) or text[:200]


def cite_edges(edges: list[GraphEdge], names: dict[uuid.UUID, str], kind: str) -> list[CitedEdge]:
    return [
        CitedEdge(
            e.id,
            kind,
            names.get(e.source, str(e.source)),
            names.get(e.target, str(e.target)),
            e.lineage_source.value,
            e.status.value,
            round(e.confidence, 3),
        )
        for e in edges
    ]


def _trust(edges: list[CitedEdge]) -> str:
    counts = {
        s: sum(1 for e in edges if e.lineage_source == s)
        for s in ("approved", "manual", "inferred")
    }
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    return ", ".join(parts) if parts else "no edges"


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LIST_AT_MOST])
    return shown + (f" and {len(names) - LIST_AT_MOST} more" if len(names) > LIST_AT_MOST else "")


@dataclass
class Context:
    """What the assistant may use: a read session, the settings, the question's vector."""

    session: Session
    settings: Settings
    vector: str | None  # pgvector's text form (QueryVectors.literal)
    model: str
    source_ids: list[uuid.UUID] | None
    last_table: Cited | None  # what the conversation was last about


def answer_by_retrieval(question: str, ctx: Context) -> AssistantAnswer:
    text = check_question(question)
    intent = intent_of(text)
    if intent == "find":
        return answer_find(text, ctx)
    if intent == "review":
        return answer_review(text, ctx)
    table = _find_table(ctx.session, text)
    if table is None and _PRONOUN.search(text):
        table = ctx.last_table
    if table is None:
        hits = [
            h
            for h in _search(ctx.session, ctx.settings, text, ctx.vector, ctx.model, ctx.source_ids)
            if h["type"] == "table"
        ]
        if hits:
            table = Cited("table", uuid.UUID(hits[0]["id"]), hits[0]["qualified_name"])
    if table is None:
        return AssistantAnswer(
            text,
            "retrieval_only",
            intent,
            "I could not tell which table the question is about, and no table matched its "
            "words. Name it as schema.table (for example `shop.public.orders`).",
        )
    if intent == "impact":
        return answer_impact(text, table, ctx)
    return answer_walk(text, table, intent, ctx)


def resolve_table(ctx: Context, text: str) -> Cited | None:
    """The table ``text`` names; else, for "it", the conversation's; else the best
    search match."""
    table = _find_table(ctx.session, text)
    if table is None and _PRONOUN.search(text):
        table = ctx.last_table
    if table is None:
        hits = _search(ctx.session, ctx.settings, text, ctx.vector, ctx.model, ctx.source_ids)
        tables = [h for h in hits if h["type"] == "table"]
        if tables:
            table = Cited("table", uuid.UUID(tables[0]["id"]), tables[0]["qualified_name"])
    return table


def answer_find(text: str, ctx: Context) -> AssistantAnswer:
    hits = _search(ctx.session, ctx.settings, text, ctx.vector, ctx.model, ctx.source_ids)
    answer = AssistantAnswer(text, "retrieval_only", "find", "")
    for hit in hits:
        cited = Cited(hit["type"], uuid.UUID(hit["id"]), hit["qualified_name"])
        (answer.tables if hit["type"] == "table" else answer.fields).append(cited)
    how = "by meaning and by name" if ctx.vector is not None else "by name (no embeddings yet)"
    if not hits:
        answer.answer = "No table or field matched the question."
    else:
        parts = []
        if answer.tables:
            parts.append(f"tables {_listed([t.qualified_name for t in answer.tables])}")
        if answer.fields:
            parts.append(f"columns {_listed([f.qualified_name for f in answer.fields])}")
        answer.answer = f"Best matches, found {how}: " + "; ".join(parts) + "."
    return answer


def answer_walk(text: str, table: Cited, intent: Intent, ctx: Context) -> AssistantAnswer:
    direction: Direction = "upstream" if intent == "upstream" else "downstream"
    query = TraversalQuery(
        root=table.id,
        kind="table",
        direction=direction,
        depth=min(3, ctx.settings.lineage_max_depth),
        edge_filter=EdgeFilter(),
    )
    result = run(driver_connection(ctx.session), traversal_plan(ctx.settings, query))
    names = {n.id: n.qualified_name for n in result.nodes}
    others = [n for n in result.nodes if n.id != table.id]
    answer = AssistantAnswer(text, "retrieval_only", intent, "", tables=[table])
    answer.tables += [Cited("table", n.id, n.qualified_name) for n in others]
    answer.edges = cite_edges(result.edges, names, "table")
    answer.relies_on_inferred = any(e.lineage_source == "inferred" for e in answer.edges)
    if not others:
        answer.answer = (
            f"No lineage is recorded {direction} of {table.qualified_name} (within 3 hops)."
        )
        return answer
    verb = "is fed by" if direction == "upstream" else "feeds"
    nearest = [n.qualified_name for n in others if n.depth == 1]
    answer.answer = (
        f"{table.qualified_name} {verb} {len(others)} table(s) within {query.depth} hops; "
        f"directly: {_listed(nearest)}. Edges used: {_trust(answer.edges)}."
    )
    if answer.relies_on_inferred:
        answer.answer += " Part of this relies on inferred lineage that a steward has not approved."
    return answer


def answer_impact(text: str, table: Cited, ctx: Context) -> AssistantAnswer:
    change = change_type_of(text)
    result = run(
        driver_connection(ctx.session),
        impact_plan(ctx.settings, table_id=table.id, change_type=change),
    )
    answer = AssistantAnswer(text, "retrieval_only", "impact", "", tables=[table])
    answer.tables += [Cited("table", a.id, a.qualified_name) for a in result.tables]
    answer.fields += [Cited("field", a.id, a.qualified_name) for a in result.fields]
    edge_ids = {i for a in result.tables + result.fields for i in a.path_edge_ids}
    answer.edges = _edges_by_id(ctx.session, edge_ids)
    answer.relies_on_inferred = any(a.via_inferred for a in result.tables + result.fields)
    if not result.tables and not result.fields:
        answer.answer = f"Nothing downstream of {table.qualified_name} is recorded: a {change} affects no other table."
        return answer
    worst = [a.qualified_name for a in result.tables if a.severity in ("critical", "high")]
    answer.answer = (
        f"A {change} of {table.qualified_name} affects {len(result.tables)} table(s) and "
        f"{len(result.fields)} column(s) downstream"
        + (f"; critical or high: {_listed(worst)}" if worst else "")
        + (
            f". Owners to notify: {', '.join(result.owners_to_notify)}"
            if result.owners_to_notify
            else ""
        )
        + f". Edges used: {_trust(answer.edges)}."
    )
    if result.truncated:
        answer.answer += " The list stops at the node budget: more is affected."
    if answer.relies_on_inferred:
        answer.answer += " Some paths go through inferred lineage that a steward has not approved."
    return answer


def _edges_by_id(session: Session, ids: set[uuid.UUID]) -> list[CitedEdge]:
    """The edges with these ids, cited: one query per kind of edge, not one per edge."""
    if not ids:
        return []
    edges: list[Edge] = []
    for model in (TableLineage, FieldLineage):
        edges += session.scalars(select(model).where(model.id.in_(ids)))
    edges.sort(key=lambda e: e.id)
    return _cite_orm_edges(session, edges)


def _cite_orm_edges(session: Session, edges: list[Edge]) -> list[CitedEdge]:
    """Stored edges as cited, with the qualified names of their ends (two queries)."""
    names = edge_service.endpoint_names_of(session, edges)
    return [
        CitedEdge(
            e.id,
            edge_kind(e),
            names[e.id][0],
            names[e.id][1],
            e.lineage_source.value,
            e.status.value,
            round(e.confidence, 3),
        )
        for e in edges
    ]


def answer_review(text: str, ctx: Context) -> AssistantAnswer:
    """Pending edges touching the table the question names, else those whose ends match
    its words ("into the finance marts"), else the whole queue, least confident first."""
    table = _find_table(ctx.session, text)
    edges, total = edge_service.review_queue(
        ctx.session, source_id=None, table_id=table.id if table else None, offset=0, limit=200
    )
    everything = _cite_orm_edges(ctx.session, edges)
    words = [w for w in _keywords(text).split() if len(w) > 2 and w not in _REVIEW_WORDS]
    cited, where = everything, f" touching {table.qualified_name}" if table else ""
    if table is None and words:
        matching = [
            e for e in everything if any(w in f"{e.source} {e.target}".lower() for w in words)
        ]
        if matching:
            cited, where = matching, f" matching '{' '.join(words)}'"
    answer = AssistantAnswer(text, "retrieval_only", "review", "", edges=cited)
    answer.relies_on_inferred = any(e.lineage_source == "inferred" for e in cited)
    if table:
        answer.tables.append(table)
    if not cited:
        answer.answer = f"No lineage{where} is waiting for review."
        return answer
    answer.answer = (
        f"{len(cited)} edge(s){where} wait for a steward's review"
        + (f" (of {total} in the whole queue)" if len(cited) < total else "")
        + ": "
        + _listed([f"{e.source} -> {e.target} ({e.lineage_source})" for e in cited])
        + "."
    )
    return answer


_REVIEW_WORDS = {"lineage", "unreviewed", "reviewed", "review", "pending", "still", "yet", "not"}
