"""The GraphStore protocol: what traversal and impact analysis need from a backend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal, Protocol

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


@dataclass
class Walk:
    """Distinct nodes at their shortest depth from the root, and the edges followed."""

    depths: dict[uuid.UUID, int] = field(default_factory=dict)
    edges: list[GraphEdge] = field(default_factory=list)


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
