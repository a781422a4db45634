"""What an import does to the table lineage graph: loops it closes, reach it adds.

The live table graph is read once, before the lineage sheets; the graph after is that
plus the edges the import creates or brings back, minus those it retires. Strongly
connected components (scipy, in C) find the new edges that
close a loop; breadth-first reach counts find the tables that will newly reach the most
downstream tables.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_CYCLES = 20
REACH_CANDIDATES = 50
TOP_AFFECTED = 10

Pair = tuple[str, str]


@dataclass
class GraphEffect:
    table_edges_added: int = 0
    field_edges_added: int = 0
    table_edges_added_for_field_edges: int = 0
    edges_updated: int = 0
    attribution_changes: int = 0
    edges_deprecated: int = 0
    cycles_created: int = 0
    cycles: list[dict[str, Any]] = field(default_factory=list)
    most_affected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "edges_added": self.table_edges_added + self.field_edges_added,
            "table_edges_added": self.table_edges_added,
            "field_edges_added": self.field_edges_added,
            "table_edges_added_for_field_edges": self.table_edges_added_for_field_edges,
            "edges_updated": self.edges_updated,
            "attribution_changes": self.attribution_changes,
            "edges_deprecated": self.edges_deprecated,
            "cycles_created": self.cycles_created,
            "cycles": self.cycles,
            "most_affected": self.most_affected,
        }


def load_edges(session: Session) -> list[Pair]:
    """Live table edges (what default traversal follows), as text ids."""
    rows = session.execute(
        text(
            "SELECT source_table_id::text, target_table_id::text FROM table_lineage "
            "WHERE status IN ('active', 'pending_review')"
        )
    )
    return [(s, t) for s, t in rows]


def load_edges_from(session: Session, starts: set[str]) -> list[Pair]:
    """The live table edges downstream of ``starts``: all that `measure` needs to judge
    new edges between those tables (a loop closes only through what a new target
    reaches; reach grows only below a new source), at a cost that follows the
    neighbourhood, not the catalog."""
    if not starts:
        return []
    rows = session.execute(
        text(
            "WITH RECURSIVE below(id) AS (SELECT unnest(CAST(:starts AS uuid[])) UNION "
            "SELECT e.target_table_id FROM table_lineage e JOIN below b ON "
            "e.source_table_id = b.id WHERE e.status IN ('active', 'pending_review')) "
            "SELECT e.source_table_id::text, e.target_table_id::text FROM table_lineage e "
            "JOIN below b ON e.source_table_id = b.id "
            "WHERE e.status IN ('active', 'pending_review')"
        ),
        {"starts": sorted(starts)},
    )
    return [(s, t) for s, t in rows]


class _Graph:
    def __init__(self, edges: list[Pair], index: dict[str, int]) -> None:
        import numpy as np
        from scipy.sparse import csr_matrix

        size = len(index)
        src = np.fromiter((index[s] for s, _ in edges), dtype=np.int64, count=len(edges))
        dst = np.fromiter((index[t] for _, t in edges), dtype=np.int64, count=len(edges))
        self.matrix = csr_matrix(
            (np.ones(len(edges), dtype=np.int8), (src, dst)), shape=(size, size)
        )

    def components(self) -> Any:
        from scipy.sparse.csgraph import connected_components

        return connected_components(self.matrix, directed=True, connection="strong")[1]

    def reach(self, node: int) -> int:
        from scipy.sparse.csgraph import breadth_first_order

        order = breadth_first_order(self.matrix, node, directed=True, return_predecessors=False)
        return len(order) - 1


def _path(matrix: Any, start: int, goal: int, allowed: Any, label: int) -> list[int]:
    """Shortest path start -> goal through nodes of one strongly connected component."""
    previous = {start: start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in matrix.indices[matrix.indptr[node] : matrix.indptr[node + 1]]:
            nxt = int(nxt)
            if nxt not in previous and allowed[nxt] == label:
                previous[nxt] = node
                queue.append(nxt)
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def measure(
    session: Session,
    before: list[Pair],
    new_pairs: dict[Pair, tuple[str | None, int | None]],
    effect: GraphEffect,
    retired: set[Pair] | None = None,
) -> list[tuple[str | None, int | None, list[str]]]:
    """Fill ``effect`` with loops and reach; returns (sheet, row, loop names) per new loop.

    The graph after is ``before`` plus ``new_pairs`` (created or brought back) minus
    ``retired`` (edges replace=true retires): an import changes the live table graph in
    no other way, so it is derived rather than read again, and a preview (which writes
    no lineage) gets the same answer as the import.
    """
    if not new_pairs:
        return []
    after_set = set(before)
    after_set.update(new_pairs)
    after_set.difference_update(retired or ())
    after = list(after_set)
    index: dict[str, int] = {}
    for s, t in after:
        index.setdefault(s, len(index))
        index.setdefault(t, len(index))
    for s, t in before:
        index.setdefault(s, len(index))
        index.setdefault(t, len(index))
    reverse = list(index)
    graph_after = _Graph(after, index)
    graph_before = _Graph(before, index)
    labels = graph_after.components()
    loops: list[tuple[str | None, int | None, list[int]]] = []
    looped: set[int] = set()  # one warning per loop (strongly connected component)
    for (s, t), (sheet, row) in new_pairs.items():
        if s in index and t in index and labels[index[s]] == labels[index[t]]:
            if labels[index[s]] in looped:
                continue
            looped.add(labels[index[s]])
            effect.cycles_created += 1
            if len(loops) < MAX_CYCLES:
                back = _path(graph_after.matrix, index[t], index[s], labels, labels[index[s]])
                loops.append((sheet, row, [index[s], *back]))
    # The tables that gain the most downstream reach, among the busiest new sources.
    busiest: dict[str, int] = {}
    for s, _ in new_pairs:
        busiest[s] = busiest.get(s, 0) + 1
    candidates = sorted(busiest, key=lambda k: -busiest[k])[:REACH_CANDIDATES]
    gains = []
    for table in candidates:
        node = index[table]
        gained = graph_after.reach(node) - graph_before.reach(node)
        if gained > 0:
            gains.append((gained, table))
    gains.sort(key=lambda item: -item[0])
    top = gains[:TOP_AFFECTED]
    ids = {table for _, table in top} | {reverse[n] for _, _, loop in loops for n in loop}
    names = _names(session, ids)
    effect.most_affected = [
        {"table_id": table, "table": names.get(table, table), "newly_reached_tables": gained}
        for gained, table in top
    ]
    out = []
    for sheet, row, loop in loops:
        loop_names = [names.get(reverse[n], reverse[n]) for n in loop]
        effect.cycles.append({"sheet": sheet, "row": row, "path": loop_names})
        out.append((sheet, row, loop_names))
    return out


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id::text, qualified_name FROM metadata_tables WHERE id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": list(ids)},
    )
    return dict(rows.all())
