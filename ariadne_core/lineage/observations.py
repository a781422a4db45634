"""What running jobs reported of edges (`lineage_observations`, written by
ariadne_core.observed.process): the `observation` every edge response shows. Lineage
reads it; observed lineage writes it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.lineage.audit import Edge, edge_kind


def observation_summary(
    session: Session, kind: str, edge_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """For each observed edge among ``edge_ids``: first and last observation, number of
    runs, and the jobs that reported it (an unobserved edge is left out)."""
    if not edge_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT edge_id, min(first_observed_at) AS first, max(last_observed_at) AS last, "
            "sum(observation_count) AS runs, (array_agg(job_namespace || '/' || job_name "
            "ORDER BY last_observed_at DESC))[1:10] AS jobs FROM lineage_observations WHERE "
            "edge_kind = :k AND edge_id = ANY(:ids) GROUP BY edge_id"
        ),
        {"k": kind, "ids": edge_ids},
    ).all()
    return {
        r.edge_id: {
            "first_observed_at": r.first,
            "last_observed_at": r.last,
            "observation_count": int(r.runs),
            "jobs": list(dict.fromkeys(r.jobs)),
        }
        for r in rows
    }


def observations_of(session: Session, edges: list[Edge]) -> dict[uuid.UUID, dict[str, Any]]:
    """observation_summary for edges of both kinds."""
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for kind in ("table", "field"):
        ids = [e.id for e in edges if edge_kind(e) == kind]
        out.update(observation_summary(session, kind, ids))
    return out
