"""Pick the database: the configured server, or the embedded PostgreSQL under ARIADNE_HOME."""

from __future__ import annotations

from dataclasses import dataclass

from ariadne_core.config import Settings
from ariadne_core.db.engine import check_database
from ariadne_core.runtime.postgres import EmbeddedPostgres, embedded_for


@dataclass
class ResolvedDatabase:
    url: str
    embedded: EmbeddedPostgres | None = None
    started_here: bool = False

    def release(self) -> None:
        """Stop the embedded server if this process started it."""
        if self.embedded is not None and self.started_here:
            self.embedded.stop()


def resolve_database(settings: Settings) -> ResolvedDatabase:
    if settings.database_url:
        check_database(settings.database_url)
        return ResolvedDatabase(url=settings.database_url)
    embedded = embedded_for(settings.home, settings.embedded_pg_port)
    started = embedded.start()
    return ResolvedDatabase(url=embedded.url(), embedded=embedded, started_here=started)
