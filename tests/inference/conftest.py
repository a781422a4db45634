"""Inference tests run real syncs and commit, on catalog databases of their own."""

from tests.harvest.conftest import (  # noqa: F401 - fixtures shared with the harvest tests
    api,
    catalog_db,
    catalog_engine,
    dagster_env,
    elasticsearch_port,
    ferretdb_port,
    keyring,
)
