"""The FastAPI application factory: `uvicorn ariadne_api.main:create_app --factory`."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from ariadne_api.errors import install_error_handlers
from ariadne_api.explorer import mount_explorer
from ariadne_api.middleware import BodySizeLimit, Metrics, RequestLog, SecurityHeaders
from ariadne_api.routers import (
    ai,
    api_keys,
    auth,
    fields,
    graph,
    health,
    imports,
    lineage,
    observed,
    schema_changes,
    search,
    sources,
    tables,
    users,
)
from ariadne_api.services import AppServices
from ariadne_core import __version__
from ariadne_core.config import Settings, get_settings
from ariadne_core.db.engine import engine_for, get_engine
from ariadne_core.importing.rowcheck import warm_up
from ariadne_core.logs import configure_logging
from ariadne_core.security.tokens import signing_secret

DESCRIPTION = """
Ariadne is a metadata catalog and data-lineage platform.

Log in with `POST /api/v1/auth/login`, then send the token as `Authorization: Bearer <token>`
(the **Authorize** button above). Every error has the body
`{"error": {"code", "message", "details"}}`; every list has `{total, page, size, pages, items}`.
"""


_frozen = threading.Event()


def _warm_up_and_freeze() -> None:
    """Load Great Expectations, then take everything loaded so far out of the garbage
    collector's sight (`gc.freeze`), once per process.

    GX, pandas and their friends leave hundreds of thousands of long-lived objects.
    Without the freeze, full collections walk them all: pauses of 150-350 ms, about once
    a second under load, which set the API's p95 latency. Frozen objects are never
    collected, and a module-level object is never garbage anyway.
    """
    warm_up()
    if not _frozen.is_set():
        gc.collect()
        gc.freeze()
        _frozen.set()


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    engine = engine or (
        engine_for(settings.database_url, settings.db_pool_size)
        if settings.database_url
        else get_engine(settings)
    )

    signing_secret(settings)  # refuse to start with a weak or published secret
    services = AppServices.build(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Fewer worker threads than the default 40: sync routes hold the GIL for most of
        # their time, and many threads mostly fight over it. Requests beyond the limit wait
        # in the event loop instead.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        # Great Expectations takes seconds to import: load it before serving, so neither
        # the first upload nor the first seconds of traffic pay for it.
        await anyio.to_thread.run_sync(_warm_up_and_freeze)
        await services.start()
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Ariadne API",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    app.state.services = services  # read only by ariadne_api.deps

    install_error_handlers(app)
    # A request is matched against every route of the routers before its own, in this
    # order: the busiest routes first. POST /api/v1/lineage (OpenLineage events) first,
    # then the reads the explorer makes on every click (traversal, tables, search).
    app.include_router(observed.router)
    app.include_router(graph.router)  # before lineage: its paths are more specific
    app.include_router(tables.router)
    app.include_router(search.router)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(sources.router)
    app.include_router(fields.router)
    app.include_router(lineage.router)
    app.include_router(imports.router)
    app.include_router(ai.router)
    app.include_router(api_keys.router)
    app.include_router(schema_changes.router)
    mount_explorer(app, settings.explorer_dir)  # the web page at / (docs/explorer.md)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        overrides={"/api/v1/import/": settings.import_max_bytes},
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Metrics, registry=services.metrics)
    app.add_middleware(RequestLog)
    return app
