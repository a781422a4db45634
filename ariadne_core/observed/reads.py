"""What observations say about edges: the observation fields every edge response shows,
declared-versus-observed verification, the unmatched datasets an admin maps, and the
decisions a steward takes on all edges of one job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.db.models import LineageSource, LineageStatus, ObservedDataset, UserRole
from ariadne_core.errors import NotFound, ValidationFailed
from ariadne_core.lineage.audit import Edge
from ariadne_core.lineage.edges import Actor, decide_many
from ariadne_core.security.roles import require_role
from ariadne_core.security.secrets import Keyring

EdgeKindName = Literal["table", "field"]


def ingest_status(session: Session) -> dict[str, int]:
    row = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE processed_at IS NULL) AS pending, count(*) FILTER "
            "(WHERE error IS NOT NULL) AS failed, count(*) FILTER (WHERE processed_at IS NOT "
            "NULL) AS processed FROM openlineage_events"
        )
    ).one()
    return {"pending": row.pending, "failed": row.failed, "processed": row.processed}


# -- verification --------------------------------------------------------------------------

DECLARED = (LineageSource.MANUAL.value, LineageSource.APPROVED.value)
LIVE = "e.status NOT IN ('rejected', 'deprecated')"


@dataclass(frozen=True)
class VerificationQuery:
    window_days: int = 30
    source_id: uuid.UUID | None = None
    owner: str | None = None
    kind: EdgeKindName = "table"
    limit: int = 100

    def check(self) -> None:
        if not 1 <= self.window_days <= 3650:
            raise ValidationFailed(
                f"window_days {self.window_days} is out of range: use 1 to 3650.",
                details={"field": "window_days", "value": self.window_days},
            )


def _ends(kind: EdgeKindName) -> tuple[str, str]:
    """The edge table, and the SQL joining each end's table as s and t."""
    if kind == "table":
        return "table_lineage", (
            "JOIN metadata_tables s ON s.id = e.source_table_id "
            "JOIN metadata_tables t ON t.id = e.target_table_id"
        )
    return "field_lineage", (
        "JOIN metadata_fields sf ON sf.id = e.source_field_id "
        "JOIN metadata_fields tf ON tf.id = e.target_field_id "
        "JOIN metadata_tables s ON s.id = sf.table_id "
        "JOIN metadata_tables t ON t.id = tf.table_id"
    )


def verification(session: Session, query: VerificationQuery) -> dict[str, Any]:
    """Three lists, each with its count: declared or approved edges observed in the
    window (confirmed), declared or approved edges into a table that jobs report writing
    but not observed in the window (unobserved: possibly stale), and observed edges
    nobody declared or approved (undeclared)."""
    query.check()
    since = datetime.now(UTC) - timedelta(days=query.window_days)
    table, joins = _ends(query.kind)
    names = (
        "s.qualified_name AS source_name, t.qualified_name AS target_name"
        if query.kind == "table"
        else "sf.qualified_name AS source_name, tf.qualified_name AS target_name"
    )
    target_table = "e.target_table_id" if query.kind == "table" else "tf.table_id"
    filters = ""
    params: dict[str, Any] = {
        "k": query.kind,
        "since": since,
        "declared": list(DECLARED),
        "limit": query.limit,
    }
    if query.source_id is not None:
        filters += " AND (s.source_id = :source OR t.source_id = :source)"
        params["source"] = query.source_id
    if query.owner:
        filters += " AND (s.owner = :owner OR t.owner = :owner)"
        params["owner"] = query.owner
    observed = (
        "SELECT edge_id, min(first_observed_at) AS first, max(last_observed_at) AS last, "
        "sum(observation_count) AS runs, (array_agg(DISTINCT job_namespace || '/' || "
        "job_name))[1:10] AS jobs FROM lineage_observations WHERE edge_kind = :k AND "
        "edge_id IS NOT NULL GROUP BY edge_id"
    )
    columns = (
        f"e.id, e.lineage_source::text AS lineage_source, e.status::text AS status, "
        f"e.confidence, {names}, o.first, o.last, o.runs, o.jobs"
    )
    covered = (
        "SELECT DISTINCT d.table_id FROM lineage_observations lo JOIN observed_datasets d "
        "ON d.id = lo.target_dataset_id WHERE lo.last_observed_at >= :since "
        "AND d.table_id IS NOT NULL"
    )
    lists = {
        "confirmed": (
            f"FROM {table} e {joins} JOIN ({observed}) o ON o.edge_id = e.id WHERE "
            f"e.lineage_source::text = ANY(:declared) AND {LIVE} AND o.last >= :since{filters}",
            "o.last DESC, e.id",
        ),
        "unobserved": (
            f"FROM {table} e {joins} LEFT JOIN ({observed}) o ON o.edge_id = e.id WHERE "
            f"e.lineage_source::text = ANY(:declared) AND {LIVE} AND (o.last IS NULL OR "
            f"o.last < :since) AND {target_table} IN ({covered}){filters}",
            "o.last ASC NULLS FIRST, e.id",
        ),
        "undeclared": (
            f"FROM {table} e {joins} JOIN ({observed}) o ON o.edge_id = e.id WHERE "
            f"e.lineage_source = 'inferred' AND {LIVE} AND o.last >= :since{filters}",
            "o.last DESC, e.id",
        ),
    }
    out: dict[str, Any] = {
        "window_days": query.window_days,
        "since": since,
        "kind": query.kind,
    }
    for name, (body, order) in lists.items():
        total = session.execute(text(f"SELECT count(*) {body}"), params).scalar_one()
        rows = session.execute(
            text(f"SELECT {columns} {body} ORDER BY {order} LIMIT :limit"), params
        ).mappings()
        out[name] = {
            "total": int(total),
            "items": [
                {
                    "id": r["id"],
                    "source_name": r["source_name"],
                    "target_name": r["target_name"],
                    "lineage_source": r["lineage_source"],
                    "status": r["status"],
                    "confidence": r["confidence"],
                    "first_observed_at": r["first"],
                    "last_observed_at": r["last"],
                    "observation_count": int(r["runs"] or 0),
                    "jobs": list(r["jobs"] or []),
                }
                for r in rows
            ],
        }
    return out


# -- datasets an admin maps -----------------------------------------------------------------


def datasets(
    session: Session, *, matched: bool | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    where = (
        ""
        if matched is None
        else ("WHERE table_id IS NOT NULL" if matched else "WHERE table_id IS NULL")
    )
    total = session.execute(text(f"SELECT count(*) FROM observed_datasets {where}")).scalar_one()
    rows = session.execute(
        text(
            "SELECT d.id, d.namespace, d.name, d.table_id, t.qualified_name AS table_name, "
            "d.mapped_by, d.last_job, d.seen_count, d.first_seen_at, d.last_seen_at FROM "
            f"observed_datasets d LEFT JOIN metadata_tables t ON t.id = d.table_id {where} "
            "ORDER BY d.last_seen_at DESC, d.id LIMIT :limit OFFSET :offset"
        ),
        {"limit": limit, "offset": offset},
    ).mappings()
    return [dict(r) for r in rows], int(total)


def map_dataset(
    session: Session, keyring: Keyring, dataset_id: int, table_id: uuid.UUID, actor: Actor
) -> dict[str, Any]:
    """An admin says which table a dataset is; the observations it held back become
    edges now, and later events of the dataset land on that table."""
    from ariadne_core.observed.process import DrainReport, link_unlinked

    require_role(actor.role, UserRole.ADMIN)
    dataset = session.get(ObservedDataset, dataset_id, with_for_update=True)
    if dataset is None:
        raise NotFound(f"Observed dataset {dataset_id} not found.", details={"id": dataset_id})
    exists = session.execute(
        text("SELECT 1 FROM metadata_tables WHERE id = :t AND NOT is_deleted"), {"t": table_id}
    ).first()
    if exists is None:
        raise NotFound(
            f"Table {table_id} not found (or deleted). Map the dataset to a live table.",
            details={"field": "table_id", "value": str(table_id)},
        )
    # observations linked through the old table would now be wrong: relink them
    session.execute(
        text(
            "UPDATE lineage_observations SET edge_id = NULL WHERE source_dataset_id = :d "
            "OR target_dataset_id = :d"
        ),
        {"d": dataset_id},
    )
    dataset.table_id, dataset.mapped_by = table_id, actor.email
    session.flush()
    report = DrainReport()
    link_unlinked(session, [dataset_id], report)
    return {
        "dataset_id": dataset_id,
        "table_id": table_id,
        "edges_created": report.edges_created,
        "edges_linked": report.edges_confirmed,
    }


# -- a job's edges, decided at once ---------------------------------------------------------

MAX_JOB_EDGES = 5000


def job_pending_edges(session: Session, job_namespace: str, job_name: str) -> list[uuid.UUID]:
    """The pending (not yet decided) edges one job's observations stand for: tables first,
    then fields."""
    ids = [
        r[1]
        for r in session.execute(
            text(
                "SELECT DISTINCT o.edge_kind, o.edge_id FROM lineage_observations o JOIN ("
                "SELECT id, status FROM table_lineage UNION ALL SELECT id, status FROM "
                "field_lineage) e ON e.id = o.edge_id WHERE o.job_namespace = :ns AND "
                "o.job_name = :name AND e.status = :pending ORDER BY o.edge_kind DESC, o.edge_id"
            ),
            {"ns": job_namespace, "name": job_name, "pending": LineageStatus.PENDING_REVIEW.value},
        ).all()
    ]
    return ids


def decide_job(
    session: Session,
    job_namespace: str,
    job_name: str,
    *,
    approved: bool,
    comment: str,
    actor: Actor,
) -> list[Edge]:
    """Approve (or reject) every pending edge one job reported, all or nothing."""
    require_role(actor.role, UserRole.STEWARD)
    ids = job_pending_edges(session, job_namespace, job_name)
    if not ids:
        raise NotFound(
            f"Job {job_namespace}/{job_name} has no pending observed edges. Check the job's "
            "namespace and name as its OpenLineage events give them.",
            details={"job_namespace": job_namespace, "job_name": job_name},
        )
    if len(ids) > MAX_JOB_EDGES:
        raise ValidationFailed(
            f"Job {job_namespace}/{job_name} has {len(ids)} pending edges; at most "
            f"{MAX_JOB_EDGES} are decided at once. Decide them in pages from the review queue.",
            details={"limit": MAX_JOB_EDGES},
        )
    return decide_many(session, ids, approved=approved, comment=comment, actor=actor)
