"""The evidence behind an edge: what inference read that shows it (`inference_evidence`,
written by ariadne_core.inference.service). Lineage reads it; inference writes it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def evidence_of(session: Session, edge_kind: str, edge_id: uuid.UUID) -> list[dict[str, Any]]:
    """The evidence behind one edge, newest first, gone evidence marked."""
    rows = session.execute(
        text(
            "SELECT origin, fingerprint, detail, first_seen_at, last_seen_at, gone_at FROM "
            "inference_evidence WHERE edge_kind = :k AND edge_id = :id ORDER BY last_seen_at "
            "DESC, origin LIMIT 50"
        ),
        {"k": edge_kind, "id": edge_id},
    ).mappings()
    return [
        {
            "origin": r["origin"],
            "fingerprint": r["fingerprint"],
            "detail": r["detail"],
            "first_seen_at": r["first_seen_at"],
            "last_seen_at": r["last_seen_at"],
            "gone": r["gone_at"] is not None,
            "gone_at": r["gone_at"],
        }
        for r in rows
    ]
