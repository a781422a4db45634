"""Datasets are matched to tables by OpenLineage's naming conventions, from each source's
sealed connection (host, port, database), its namespace aliases, or the `ariadne`
namespace; what matches nothing is left unmatched, never guessed."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ariadne_core.catalog.naming import normalize_namespace
from ariadne_core.catalog.sources import SourceInput, create_source, update_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.db.models import SourceType
from ariadne_core.errors import ValidationFailed
from ariadne_core.observed.events import Dataset
from ariadne_core.observed.namespaces import Matcher, derived_namespace
from ariadne_core.security.secrets import Keyring


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse("k:" + base64.b64encode(os.urandom(32)).decode())


def _source(session: Session, keyring: Keyring, name: str, kind: SourceType, **kw: Any) -> Any:
    return create_source(
        session,
        keyring,
        SourceInput(name=name, type=kind, connection_config=kw.pop("config", None), **kw),
        actor="t@example.com",
    )


def _table(session: Session, source: Any, schema: str | None, name: str) -> Any:
    return create_table(
        session, TableInput(source_id=source.id, schema_name=schema, name=name), actor="t"
    ).id


def test_datasets_match_by_connection_alias_and_qualified_name(
    db_session: Session, keyring: Keyring
) -> None:
    pg = _source(
        db_session,
        keyring,
        "shop_pg",
        SourceType.POSTGRESQL,
        config={
            "host": "DB.Example",
            "port": 5433,
            "database": "shop",
            "username": "u",
            "password": "p",
        },
    )
    other_db = _source(
        db_session,
        keyring,
        "other_pg",
        SourceType.POSTGRESQL,
        config={"host": "db.example", "port": 5433, "database": "crm", "username": "u"},
    )
    mongo = _source(
        db_session,
        keyring,
        "events_mongo",
        SourceType.MONGODB,
        config={"host": "mongo.example", "database": "events"},
    )
    files = _source(
        db_session, keyring, "lake", SourceType.MANUAL, namespace_aliases=["S3://Lake-Bucket/"]
    )
    orders = _table(db_session, pg, "public", "orders")
    crm_orders = _table(db_session, other_db, "public", "orders")
    clicks = _table(db_session, mongo, "events", "clicks")
    upper = _table(db_session, pg, "SALES", "REVENUE")
    lake = _table(db_session, files, None, "raw_orders")
    ns = "postgres://db.example:5433"
    resolved = Matcher(db_session, keyring).resolve(
        [
            Dataset(ns, "shop.public.orders"),
            Dataset("postgresql://DB.EXAMPLE:5433/", "crm.public.orders"),  # same host, other db
            Dataset(ns, "shop.sales.revenue"),  # Oracle-style upper case in the catalog
            Dataset("mongodb://mongo.example:27017", "events.clicks"),  # default port
            Dataset("s3://lake-bucket", "raw_orders"),
            Dataset("ariadne", "shop_pg.public.orders"),
            Dataset(ns, "warehouse.public.orders"),  # a database no source has
            Dataset("postgres://elsewhere:5432", "shop.public.orders"),
            Dataset(ns, "shop.public.missing"),
        ]
    )
    assert resolved == {
        Dataset(ns, "shop.public.orders"): orders,
        Dataset("postgresql://DB.EXAMPLE:5433/", "crm.public.orders"): crm_orders,
        Dataset(ns, "shop.sales.revenue"): upper,
        Dataset("mongodb://mongo.example:27017", "events.clicks"): clicks,
        Dataset("s3://lake-bucket", "raw_orders"): lake,
        Dataset("ariadne", "shop_pg.public.orders"): orders,
    }
    # an alias added later is used by the next match
    update_source(
        db_session,
        keyring,
        pg.id,
        {"namespace_aliases": ["postgres://elsewhere:5432"]},
        actor="t",
    )
    again = Matcher(db_session, keyring).resolve(
        [Dataset("postgres://elsewhere:5432", "shop.public.orders")]
    )
    assert list(again.values()) == [orders]


def test_namespaces_and_aliases_are_normalized_and_bounded(
    db_session: Session, keyring: Keyring
) -> None:
    assert normalize_namespace(" PostgreSQL://Host:5432/ ") == "postgres://host:5432"
    assert normalize_namespace("s3://Bucket/Path/Keep-Case") == "s3://bucket/Path/Keep-Case"
    assert derived_namespace(SourceType.ORACLE, {"host": "ora", "service_name": "X"}) == (
        "oracle://ora:1521"
    )
    assert derived_namespace(SourceType.MANUAL, {}) is None
    with pytest.raises(ValidationFailed) as bad:
        _source(db_session, keyring, "x", SourceType.MANUAL, namespace_aliases=["a" * 600])
    assert bad.value.details["field"] == "namespace_aliases[0]"
    with pytest.raises(ValidationFailed) as many:
        _source(
            db_session,
            keyring,
            "y",
            SourceType.MANUAL,
            namespace_aliases=[f"ns{i}://h" for i in range(21)],
        )
    assert many.value.details["field"] == "namespace_aliases"


def test_unmatched_datasets_become_external_tables_when_a_source_is_set(
    db_session: Session, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from ariadne_core.config import get_settings
    from ariadne_core.db.models import MetadataTable, ObservedDataset, TableLineage
    from ariadne_core.observed.process import DrainReport, process_events

    files = _source(db_session, keyring, "lake", SourceType.MANUAL, namespace_aliases=["s3://lake"])
    known = _table(db_session, files, None, "orders")
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-01T04:00:00Z",
        "producer": "https://example.com/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "01937f3c-0000-7000-8000-000000000001"},
        "job": {"namespace": "spark", "name": "export"},
        "inputs": [{"namespace": "s3://lake", "name": "orders"}],
        "outputs": [{"namespace": "kafka://broker:9092", "name": "orders.v1"}],
    }
    # unset: the unknown dataset waits for an admin, nothing is created
    monkeypatch.delenv("ARIADNE_OPENLINEAGE_EXTERNAL_SOURCE", raising=False)
    get_settings.cache_clear()
    report = DrainReport()
    process_events(db_session, keyring, [(1, event)], report)
    assert report.external_tables_created == 0
    waiting = db_session.scalar(select(ObservedDataset).where(ObservedDataset.name == "orders.v1"))
    assert waiting is not None and waiting.table_id is None

    monkeypatch.setenv("ARIADNE_OPENLINEAGE_EXTERNAL_SOURCE", "external")
    get_settings.cache_clear()
    try:
        report = DrainReport()
        process_events(db_session, keyring, [(2, event)], report)
    finally:
        get_settings.cache_clear()
    assert report.external_tables_created == 1
    table = db_session.scalar(
        select(MetadataTable).where(
            MetadataTable.qualified_name == "external.kafka://broker:9092.orders_v1"
        )
    )
    assert table is not None and table.table_type == "external"
    assert table.properties["openlineage"] == {
        "namespace": "kafka://broker:9092",
        "name": "orders.v1",
    }
    db_session.refresh(waiting)
    assert waiting.table_id == table.id
    edge = db_session.scalar(
        select(TableLineage).where(
            TableLineage.source_table_id == known, TableLineage.target_table_id == table.id
        )
    )
    assert edge is not None and edge.origin.value == "observed"
