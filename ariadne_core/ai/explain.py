"""Lineage explained in plain language: how data reaches (or leaves) a table or column.

The facts come from the traversal: the tables grouped by the system (data source) they
live in, each edge with its transformation, and the edges separated into approved,
manual and inferred ones. Without an LLM the explanation is a deterministic template over
those facts, every sentence from a cited edge. With one (ARIADNE_LLM_BASE_URL or
OPENAI_API_KEY), the model writes the prose from the same facts, and nothing else: the
qualified names, transformations and trust of the cited edges are what leaves the
machine. The response cites the same nodes and edges either way; when the model fails,
the explanation is the template and its notes say why.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ariadne_core.ai.agent import LLMFailed, llm_configured, write_from_facts
from ariadne_core.ai.assistant import Cited, CitedEdge, cite_edges
from ariadne_core.config import Settings
from ariadne_core.db.engine import driver_connection
from ariadne_core.db.plans import run
from ariadne_core.graph.store import Direction, EdgeFilter, Kind
from ariadne_core.lineage.traversal import TraversalQuery, traversal_plan

DEFAULT_DEPTH = 3
TRUST = ("approved", "manual", "inferred")
TRUST_WORDS = {
    "approved": "approved by a data steward",
    "manual": "declared by people, not yet approved",
    "inferred": "inferred from code and not reviewed: treat as a lead, not a fact",
}


@dataclass
class Explanation:
    root: Cited
    direction: Direction
    depth: int
    mode: str  # template or llm
    summary: str
    systems: dict[str, list[str]] = field(default_factory=dict)  # source name -> tables
    by_trust: dict[str, list[str]] = field(default_factory=dict)  # lineage_source -> edges
    explanation: str = ""
    nodes: list[Cited] = field(default_factory=list)
    edges: list[CitedEdge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


MAX_FACTS = 12_000  # characters of facts sent to a model; the rest is said to be left out
INSTRUCTIONS = (
    "You explain data lineage to analysts and data stewards. Using only the facts given, "
    "write a short plain-language explanation (at most three paragraphs) of how data "
    "{verb} the {kind} {name}: name the transformations, group the tables by the system "
    "they live in, and keep apart what a steward approved, what people declared (manual) "
    "and what was inferred from code and not reviewed; say plainly when a part rests on "
    "inferred edges. Use the qualified names exactly as given. Never add a table, column, "
    "edge or transformation that is not in the facts."
)


def explain_lineage(
    session: Session,
    settings: Settings,
    *,
    table_id: uuid.UUID,
    direction: Direction,
    depth: int | None = None,
    field_id: uuid.UUID | None = None,
) -> Explanation:
    kind: Kind = "field" if field_id else "table"
    query = TraversalQuery(
        root=field_id or table_id,
        kind=kind,
        direction=direction,
        depth=depth or min(DEFAULT_DEPTH, settings.lineage_max_depth),
        edge_filter=EdgeFilter(),
    )
    result = run(driver_connection(session), traversal_plan(settings, query))
    names = {n.id: n.qualified_name for n in result.nodes}
    root = Cited(kind, query.root, names[query.root])
    edges = cite_edges(result.edges, names, kind)
    systems = _systems(session, kind, [n.id for n in result.nodes if n.id != query.root])
    by_trust: dict[str, list[str]] = {t: [] for t in TRUST}
    for e, raw in zip(edges, result.edges, strict=True):
        how = f" ({raw.transformation_type})" if raw.transformation_type else ""
        by_trust[e.lineage_source].append(f"{e.source} -> {e.target}{how}")
    out = Explanation(
        root,
        direction,
        query.depth,
        "template",
        "",
        systems=systems,
        by_trust={k: v for k, v in by_trust.items() if v},
        nodes=[Cited(kind, n.id, n.qualified_name) for n in result.nodes],
        edges=edges,
    )
    out.summary, out.explanation = _template(out, result.truncated)
    if out.edges and llm_configured(settings):
        _write_with_llm(out, settings)
    return out


def _write_with_llm(out: Explanation, settings: Settings) -> None:
    """The model's prose over the template's facts; the template stays on failure."""
    kind = "column" if out.root.type == "field" else "table"
    verb = "reaches" if out.direction == "upstream" else "leaves"
    facts = out.explanation
    if len(facts) > MAX_FACTS:
        facts = facts[:MAX_FACTS] + "\n(more edges were left out of these facts)"
    instructions = INSTRUCTIONS.format(verb=verb, kind=kind, name=out.root.qualified_name)
    try:
        out.explanation = write_from_facts(settings, instructions, facts)
        out.mode = "llm"
    except LLMFailed as failure:
        out.notes.append(f"The LLM did not answer ({failure}); this explanation is the template.")


def _systems(session: Session, kind: Kind, ids: list[uuid.UUID]) -> dict[str, list[str]]:
    """Names grouped by the data source they live in."""
    if not ids:
        return {}
    table_of = "f.table_id" if kind == "field" else "e.id"
    join = "JOIN metadata_fields f ON f.id = e.id " if kind == "field" else ""
    entity = "metadata_fields" if kind == "field" else "metadata_tables"
    rows = (
        driver_connection(session)
        .execute(
            f"SELECT s.name, e.qualified_name FROM {entity} e {join}"
            f"JOIN metadata_tables t ON t.id = {table_of} JOIN data_sources s ON s.id = t.source_id "
            "WHERE e.id = ANY(%s) ORDER BY s.name, e.qualified_name",
            (ids,),
        )
        .fetchall()
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for system, name in rows:
        grouped[system].append(name)
    return dict(grouped)


def _template(out: Explanation, truncated: bool) -> tuple[str, str]:
    name = out.root.qualified_name
    if not out.edges:
        text = f"No lineage is recorded {out.direction} of {name} within {out.depth} hops."
        return text, text
    others = sum(len(v) for v in out.systems.values())
    verb = "reaches" if out.direction == "upstream" else "leaves"
    summary = (
        f"Data {verb} {name} through {len(out.edges)} edge(s) connecting {others} "
        f"{'column' if out.root.type == 'field' else 'table'}(s) in "
        f"{len(out.systems)} system(s), within {out.depth} hops."
    )
    lines = [summary]
    where = "comes from" if out.direction == "upstream" else "goes to"
    for system, members in out.systems.items():
        lines.append(
            f"From system {system}" if out.direction == "upstream" else f"Into system {system}"
        )
        lines[-1] += f": {', '.join(members)}."
    for trust in TRUST:
        if trust in out.by_trust:
            edges = out.by_trust[trust]
            lines.append(f"{trust.capitalize()} ({TRUST_WORDS[trust]}): " + "; ".join(edges) + ".")
    if "inferred" in out.by_trust:
        lines.append(f"Part of what {name} {where} rests on inferred edges.")
    if truncated:
        lines.append("The walk stopped at the node budget: there is more.")
    return summary, "\n".join(lines)
