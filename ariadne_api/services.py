"""Everything the API holds for its lifetime, built once at startup (`AppServices.build`)
and handed to routers through the dependencies in `ariadne_api.deps`, never read from
`app.state` by a router.

The read services own caching, the choice of backend and fallback:
`CatalogReads` (tables), `SearchReads` (search), `LineageReads` (traversal, impact,
edges, review queue). Writes go through an ORM session per request (`deps.SessionDep`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ariadne_api.launcher import ImportLauncher, SyncLauncher
from ariadne_core.ai.reads import AIReads
from ariadne_core.cache import LineageCache
from ariadne_core.catalog.generation import CatalogGeneration, GenerationCache
from ariadne_core.catalog.reads import CatalogReads
from ariadne_core.config import Settings
from ariadne_core.db import vectors
from ariadne_core.db.engine import (
    connection_options,
    driver_connection,
    libpq_url,
    read_session_factory,
    session_factory,
)
from ariadne_core.db.plans import AsyncReader
from ariadne_core.graph.routing import GraphRouter
from ariadne_core.lineage.reads import LineageReads
from ariadne_core.observed.ingest import Drainer, EventInbox
from ariadne_core.runtime.fallback import ApiThreadRunner
from ariadne_core.search.reads import SearchReads
from ariadne_core.security.ratelimit import counters_for
from ariadne_core.security.secrets import Keyring, keyring_for
from ariadne_core.users.sessions import Logins

log = logging.getLogger("ariadne.api")


@dataclass
class AppServices:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]  # one per writing request
    reader: AsyncReader  # asyncio pool for read plans
    search_reader: AsyncReader  # the same for search, with plans made once (generic)
    generation: CatalogGeneration  # moves on every committed catalog change
    accounts: GenerationCache  # who holds which role, until the users table changes
    keyring: Keyring
    logins: Logins
    jobs: ApiThreadRunner  # imports and syncs when Dagster does not answer
    imports: ImportLauncher
    syncs: SyncLauncher
    graph: GraphRouter
    metrics: CollectorRegistry
    catalog: CatalogReads
    search: SearchReads
    lineage: LineageReads
    ai: AIReads
    inbox: EventInbox  # accepted OpenLineage events, stored before they are acknowledged
    drainer: Drainer | None  # processes them soon after (ARIADNE_OPENLINEAGE_DRAIN_IN_API)

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> AppServices:
        conninfo = libpq_url(engine.url.render_as_string(hide_password=False))
        options = connection_options(settings.db_statement_timeout_ms, settings.ivfflat_probes)
        reader = AsyncReader(
            conninfo,
            max_size=settings.db_read_pool_size,
            options=options,
        )
        # A search's statement (a dozen bounded branches) takes PostgreSQL longer to plan
        # for each question than to run: its own pool plans each statement once.
        search_reader = AsyncReader(
            conninfo,
            max_size=settings.db_read_pool_size,
            options=options,
            generic_plans=True,
            name="ariadne-search",
        )
        generation = CatalogGeneration(conninfo)
        catalog_cache = GenerationCache(generation, max_bytes=settings.catalog_cache_mb << 20)
        read_sessions = read_session_factory(engine)
        keyring = keyring_for(settings)
        jobs = ApiThreadRunner(settings.api_job_threads, settings.api_job_queue)
        graph = GraphRouter(settings, engine)
        lineage_cache = LineageCache(settings.redis_url) if settings.lineage_cache else None
        # The assistant's nearest-vector statement stays on custom plans: generically
        # planned, with its LIMIT a parameter, it walks no index (29 ms against 2).
        ai = AIReads(settings, reader=reader, answers=lineage_cache)
        sessions = session_factory(engine)
        drainer = Drainer(sessions, keyring) if settings.openlineage_drain_in_api else None
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            reader=reader,
            search_reader=search_reader,
            generation=generation,
            # Kept even with the catalog cache off, so checking a token never costs a
            # query on the read path.
            accounts=GenerationCache(generation, max_bytes=4 << 20),
            keyring=keyring,
            logins=Logins(settings, counters_for(settings.redis_url)),
            jobs=jobs,
            imports=ImportLauncher(settings, engine, keyring, jobs),
            syncs=SyncLauncher(settings, engine, keyring, jobs),
            graph=graph,
            metrics=CollectorRegistry(),
            catalog=CatalogReads(reader=reader, read_sessions=read_sessions, cache=catalog_cache),
            search=SearchReads(
                reader=search_reader, cache=catalog_cache, vectors=ai.query_vectors_async
            ),
            lineage=LineageReads(
                settings,
                reader=reader,
                read_sessions=read_sessions,
                graph=graph,
                generation=generation,
                cache=lineage_cache,
            ),
            ai=ai,
            inbox=EventInbox(reader, drainer.poke if drainer else lambda: None),
            drainer=drainer,
        )

    async def start(self) -> None:
        await anyio.to_thread.run_sync(self._check_vector_column)
        self.graph.start()
        await anyio.to_thread.run_sync(self.generation.start)
        await self.reader.open()
        await self.search_reader.open()
        if self.drainer is not None:
            self.drainer.start()
            self.drainer.poke()  # what an earlier process stored and did not process

    def _check_vector_column(self) -> None:
        """A vector column of another size than the configured model's stops startup. A
        database that does not answer yet does not: /readyz says so, and requests get 503."""
        try:
            with Session(self.engine) as session:
                vectors.check(driver_connection(session), self.settings)
        except OperationalError as exc:
            log.warning("could not check the embeddings column at startup: %s", exc.orig)

    async def close(self) -> None:
        if self.drainer is not None:
            await anyio.to_thread.run_sync(self.drainer.stop)
        await self.reader.close()
        await self.search_reader.close()
        self.generation.close()
        await self.graph.aclose()
        self.graph.close()
        await self.logins.counters.close()
