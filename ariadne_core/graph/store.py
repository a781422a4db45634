"""The GraphStore protocol: what traversal and impact analysis need from a backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ariadne_core.db.models import LineageSource, LineageStatus

Direction = Literal["upstream", "downstream"]
Kind = Literal["table", "field"]
DEFAULT_STATUSES = (LineageStatus.ACTIVE, LineageStatus.PENDING_REVIEW)


@dataclass(frozen=True)
class EdgeFilter:
    """Which edges a walk may follow. Rejected and deprecated edges are left out by default."""

    statuses: tuple[LineageStatus, ...] = DEFAULT_STATUSES
    lineage_sources: tuple[LineageSource, ...] = tuple(LineageSource)
    min_confidence: float = 0.0
    # only edges a running job reported in the last N days (lineage_observations); such
    # walks are PostgreSQL's: Neo4j does not hold observations
    observed_within_days: int | None = None


@dataclass(frozen=True)
class GraphEdge:
    id: uuid.UUID
    source: uuid.UUID
    target: uuid.UUID
    lineage_source: LineageSource
    confidence: float
    status: LineageStatus
    transformation_type: str | None


@dataclass(frozen=True)
class Currency:
    """How a walk read from a projection (Neo4j) proves it was current, checked by the
    PostgreSQL statement that names the walk's nodes rather than by a query of its own:
    ``columns`` (select-list items, with ``params``) must read ``expected`` there. They
    are read after the walk, so if nothing was committed since the projection was known
    to hold everything, nothing was at walk time either."""

    columns: str
    params: dict[str, Any]
    expected: tuple[Any, ...]


class StaleWalk(Exception):
    """The projection a walk came from has fallen behind PostgreSQL: walk again."""


# An edge as text, in GraphEdge's field order: how Neo4j hands edges over.
EdgeRow = tuple[str, str, str, str, float, str, "str | None"]
_SOURCES = {s.value: s for s in LineageSource}
_STATUSES = {s.value: s for s in LineageStatus}


def edges_from_rows(rows: Iterable[EdgeRow]) -> list[GraphEdge]:
    return [
        GraphEdge(
            id=uuid.UUID(r[0]),
            source=uuid.UUID(r[1]),
            target=uuid.UUID(r[2]),
            lineage_source=_SOURCES[r[3]],
            confidence=float(r[4]),
            status=_STATUSES[r[5]],
            transformation_type=r[6],
        )
        for r in rows
    ]


class Walk:
    """Distinct nodes at their shortest depth from the root, and the edges followed.

    A backend that receives its edges as text (Neo4j) hands them over as ``rows``: they
    become GraphEdges only when asked for, and `edges_within` makes only those a page
    shows. A walk into 12,000 tables shows 500 of them, and making all 13,500 edges took
    longer (130-300 ms of Python, in the API's event loop) than Neo4j took to walk."""

    def __init__(
        self,
        depths: dict[uuid.UUID, int] | None = None,
        edges: list[GraphEdge] | None = None,
        rows: list[EdgeRow] | None = None,
    ) -> None:
        self.depths = depths if depths is not None else {}
        self._edges = (edges or []) if rows is None else None
        self.rows = rows
        # Every node's qualified name, when the walk's own statement read them (a walk
        # within the node budget, in PostgreSQL); a node missing here is not in the
        # catalog. None: the caller names the nodes it shows.
        self.names: dict[uuid.UUID, str] | None = None

    def __repr__(self) -> str:
        return f"Walk({len(self.depths)} nodes)"

    @property
    def edges(self) -> list[GraphEdge]:
        if self._edges is None:
            self._edges = edges_from_rows(self.rows or ())
            self.rows = None
        return self._edges

    @edges.setter
    def edges(self, edges: list[GraphEdge]) -> None:
        self._edges, self.rows = edges, None

    def edges_within(self, shown: set[uuid.UUID], page: set[uuid.UUID]) -> list[GraphEdge]:
        """The edges between nodes in ``shown`` with an end in ``page``."""
        if self._edges is not None or self.rows is None:
            return [
                e
                for e in self.edges
                if e.source in shown
                and e.target in shown
                and (e.source in page or e.target in page)
            ]
        shown_ids, page_ids = {str(n) for n in shown}, {str(n) for n in page}
        return edges_from_rows(
            r
            for r in self.rows
            if r[1] in shown_ids and r[2] in shown_ids and (r[1] in page_ids or r[2] in page_ids)
        )


class GraphStore(Protocol):
    def walk(
        self,
        root: uuid.UUID,
        *,
        kind: Kind,
        direction: Direction,
        depth: int,
        edge_filter: EdgeFilter,
    ) -> Walk:
        """All nodes within ``depth`` hops of ``root``, each at its shortest depth."""
        ...
