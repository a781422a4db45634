"""The lineage explorer (frontend/, docs/explorer.md), served at `/` from its build
(`make frontend` writes frontend/dist). The OpenAPI docs stay at /docs. Without a build,
`/` says how to make one."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from ariadne_core.runtime import REPO_ROOT

DIST = REPO_ROOT / "frontend" / "dist"
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Ariadne</title></head><body><h1>Ariadne</h1>
<p>The explorer is not built in this installation: run <code>make frontend</code> (or
<code>make run</code>, which builds it). The API's documentation is at
<a href="/docs">/docs</a>.</p></body></html>"""


def mount_explorer(app: FastAPI, dist: Path | None = None) -> None:
    """`/` and `/assets/...` from the build (ARIADNE_EXPLORER_DIR, else frontend/dist);
    every other path stays the API's."""
    dist = dist or DIST
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="explorer-assets")

    @app.get("/", include_in_schema=False, response_model=None)
    def explorer() -> FileResponse | HTMLResponse:
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(NOT_BUILT)
