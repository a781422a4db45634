"""MongoDB, against a real wire-protocol server: FerretDB (SQLite backend), started by
`make services`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient
from sqlalchemy import Engine, select

from ariadne_core.connectors.mongodb import MongoConnector, SchemaSampler
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import ChangeHistory, MetadataField, SourceType
from ariadne_core.harvest.service import check_connection, run_sync
from tests.harvest.conftest import make_source


@pytest.fixture(scope="module")
def store_db(ferretdb_port: int) -> Iterator[str]:
    name = f"store_{uuid.uuid4().hex[:8]}"
    client: MongoClient[Any] = MongoClient("127.0.0.1", ferretdb_port)
    db = client[name]
    db.customers.insert_many(
        [
            {
                "_id": ObjectId(),
                "name": f"customer {i}",
                "age": i if i % 4 else None,
                "address": {"city": "Lyon", "geo": {"lat": 45.7, "lon": 4.8}},
                "orders": [{"sku": "A-1", "qty": 2}],
                "joined": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                **({"vip": True} if i % 2 else {}),
            }
            for i in range(40)
        ]
    )
    db.events.insert_many([{"kind": "click", "n": i} for i in range(2500)])
    yield name
    client.drop_database(name)
    client.close()


def test_schema_is_inferred_from_a_sample_with_dotted_paths(
    store_db: str, ferretdb_port: int
) -> None:
    connector = MongoConnector(
        {"host": "127.0.0.1", "port": ferretdb_port, "database": store_db, "sample_size": 1000}
    )
    assert connector.test_connection().success
    assert connector.list_namespaces() == [store_db]
    assert {(n, kind) for _, n, kind in connector.list_objects()} == {
        ("customers", "collection"),
        ("events", "collection"),
    }
    objects = {o.name: o for o in connector.harvest()}
    fields = {f.name: f for f in objects["customers"].fields}
    assert {
        "_id",
        "name",
        "age",
        "address",
        "address.city",
        "address.geo.lat",
        "orders",
        "orders.sku",
        "joined",
        "vip",
    } <= set(fields)
    assert fields["_id"].is_primary_key and fields["_id"].data_type == "objectId"
    assert fields["address.geo.lat"].data_type == "double"
    assert fields["joined"].data_type == "date"
    assert fields["orders"].data_type == "array"
    assert fields["vip"].properties["presence"] == 0.5 and fields["vip"].is_nullable
    assert fields["age"].properties["types"] == {"int": 0.75, "null": 0.25}
    assert fields["age"].data_type == "int" and fields["age"].is_nullable
    assert fields["name"].properties == {"types": {"string": 1.0}, "presence": 1.0}
    assert objects["customers"].row_count_estimate == 40


def test_big_collections_are_sampled_not_read_whole(store_db: str, ferretdb_port: int) -> None:
    connector = MongoConnector(
        {"host": "127.0.0.1", "port": ferretdb_port, "database": store_db, "sample_size": 100}
    )
    events = next(o for o in connector.harvest() if o.name == "events")
    assert events.row_count_estimate == 2500
    assert events.properties["sample_size"] == 100


def test_mixed_types_are_reported_with_their_share() -> None:
    sampler = SchemaSampler()
    for value in ("a", "b", 3, None):
        sampler.add({"v": value})
    (column,) = sampler.fields()
    assert column.data_type == "mixed(string,int)"
    assert column.properties["types"] == {"string": 0.5, "int": 0.25, "null": 0.25}


def test_unreachable_server_is_reported() -> None:
    result = check_connection(SourceType.MONGODB, {"host": "127.0.0.1", "port": 1})
    assert not result["success"] and result["message"] == "host unreachable: 127.0.0.1:1"


def test_sync_of_a_mongodb_source_is_incremental(
    catalog_engine: Engine, keyring: Any, store_db: str, ferretdb_port: int
) -> None:
    source_id = make_source(
        catalog_engine,
        keyring,
        "store",
        SourceType.MONGODB,
        {"host": "127.0.0.1", "port": ferretdb_port, "database": store_db},
    )
    first = run_sync(catalog_engine, source_id, keyring)
    assert first.counts.added == 2
    assert "FerretDB" in (first.server_version or "")
    again = run_sync(catalog_engine, source_id, keyring)
    assert again.counts.unchanged == 2 and again.counts.history_rows == 0

    MongoClient("127.0.0.1", ferretdb_port)[store_db].customers.insert_one(
        {"name": "new", "loyalty": {"tier": "gold"}}
    )
    changed = run_sync(catalog_engine, source_id, keyring)
    assert changed.counts.changed == 1 and changed.counts.fields_added == 2
    with session_scope(catalog_engine) as session:
        tier = session.scalar(
            select(MetadataField).where(
                MetadataField.qualified_name == f"store.{store_db}.customers.loyalty.tier"
            )
        )
        assert tier is not None and tier.data_type == "string"
        created = session.scalar(select(ChangeHistory).where(ChangeHistory.entity_id == tier.id))
        assert created is not None and created.action == "create"
