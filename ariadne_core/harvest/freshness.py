"""How fresh each harvested source is: the time of its last successful sync."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.db.models import DataSource, SourceType, SyncJob


@dataclass(frozen=True)
class SourceFreshness:
    source_id: uuid.UUID
    name: str
    last_success_at: datetime | None  # None: never synced successfully
    age_hours: float | None

    @property
    def label(self) -> str:
        if self.age_hours is None:
            return f"{self.name}: never synced successfully"
        return f"{self.name}: last successful sync {self.age_hours:.1f} h ago"


def source_freshness(session: Session, now: datetime) -> list[SourceFreshness]:
    """Every active harvested source (manual ones are never synced), stalest first."""
    last = (
        select(SyncJob.source_id, func.max(SyncJob.finished_at).label("at"))
        .where(SyncJob.status == "succeeded")
        .group_by(SyncJob.source_id)
        .subquery()
    )
    rows = session.execute(
        select(DataSource.id, DataSource.name, last.c.at)
        .outerjoin(last, last.c.source_id == DataSource.id)
        .where(DataSource.is_active, DataSource.type != SourceType.MANUAL)
    ).all()
    out = [
        SourceFreshness(
            source_id=r[0],
            name=r[1],
            last_success_at=r[2],
            age_hours=None if r[2] is None else (now - r[2]) / timedelta(hours=1),
        )
        for r in rows
    ]
    return sorted(out, key=lambda f: (f.age_hours is not None, -(f.age_hours or 0), f.name))


def stale(freshness: list[SourceFreshness], max_age_hours: float) -> list[SourceFreshness]:
    return [f for f in freshness if f.age_hours is None or f.age_hours > max_age_hours]
