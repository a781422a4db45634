"""The explorer's browser tests run against a live API (uvicorn on a free port) over a
committed, migrated database, as the observed-lineage tests do."""

from tests.observed.conftest import live_api, live_settings

__all__ = ["live_api", "live_settings"]
