"""The Dagster asset metadata_embeddings on a database of its own (real commits), with the
real local model: run metadata, the no-op re-run, and the sensor that reacts to changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dagster import build_sensor_context, materialize
from sqlalchemy import Engine, create_engine

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.db import migrate
from ariadne_core.db.engine import session_scope, sqlalchemy_url
from ariadne_core.db.models import SourceType
from ariadne_core.embedding.providers import LocalEmbeddings
from ariadne_core.security.secrets import Keyring
from ariadne_pipelines.assets.embeddings import (
    embeddings_after_catalog_change,
    metadata_embeddings,
)
from ariadne_pipelines.resources import CatalogDatabase, EmbeddingModel

KEYS = "k1:" + "A" * 43 + "="


class LocalModel(EmbeddingModel):
    """The real local model, loaded once for the module (the resource is swappable)."""

    def provider(self) -> LocalEmbeddings:
        return _model()


_loaded: list[LocalEmbeddings] = []


def _model() -> LocalEmbeddings:
    if not _loaded:
        _loaded.append(LocalEmbeddings())
    return _loaded[0]


@pytest.fixture(scope="module")
def catalog_engine(make_database: Any) -> Iterator[Engine]:
    url = str(make_database("ariadne_embed"))
    migrate.upgrade(url)
    engine = create_engine(sqlalchemy_url(url), pool_size=2)
    with session_scope(engine) as session:
        source = create_source(
            session, Keyring.parse(KEYS), SourceInput(name="crm", type=SourceType.MANUAL), "seed"
        )
        for name in ("accounts", "invoices"):
            table = create_table(
                session, TableInput(source_id=source.id, schema_name="public", name=name), "seed"
            )
            for column in ("id", "amount"):
                create_field(session, FieldInput(table_id=table.id, name=column), "seed")
    yield engine
    engine.dispose()


def test_the_asset_embeds_what_changed_and_reports_it(catalog_engine: Engine) -> None:
    catalog_db = CatalogDatabase(
        database_url=catalog_engine.url.render_as_string(hide_password=False)
    )
    resources = {"catalog_db": catalog_db, "embedding_model": LocalModel()}
    first = materialize([metadata_embeddings], resources=resources)
    assert first.success
    meta = first.asset_materializations_for_node("metadata_embeddings")[0].metadata
    assert meta["live_rows"].value == 6 and meta["embedded"].value == 6
    assert meta["texts_per_s"].value > 0

    again = materialize([metadata_embeddings], resources=resources)
    meta = again.asset_materializations_for_node("metadata_embeddings")[0].metadata
    assert (meta["embedded"].value, meta["unchanged"].value) == (0, 6)

    # The sensor asks for a run when the catalog changed since its cursor, not otherwise.
    def tick(cursor: str | None) -> tuple[Any, str | None]:
        with build_sensor_context(cursor=cursor, resources={"catalog_db": catalog_db}) as context:
            return embeddings_after_catalog_change(context), context.cursor

    first_tick, cursor = tick(None)
    assert first_tick.run_key.startswith("embed:")
    quiet_tick, cursor = tick(cursor)
    assert quiet_tick.skip_message
    with catalog_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE metadata_tables SET description = 'bills', updated_at = now()")
    changed_tick, _ = tick(cursor)
    assert changed_tick.run_key
