"""Inference on real document stores: Elasticsearch aliases (real Elasticsearch 7.10) and
MongoDB view pipelines over collections harvested from FerretDB.

FerretDB does not implement views (``create`` with ``viewOn`` answers NotImplemented,
code 238), so the view's catalog entry is written as the MongoDB connector stores a
view it harvests from MongoDB itself: ``{"viewOn": …, "pipeline": […]}`` with the
view's sampled fields. The collections it reads are harvested from FerretDB for real.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from sqlalchemy import Engine, text

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import SourceType
from ariadne_core.harvest.service import run_sync
from ariadne_core.inference.service import infer_source
from tests.harvest.conftest import make_source


def _edges(engine: Engine, table: str) -> dict[tuple[str, str], tuple[str, str, float, str]]:
    end = "metadata_tables" if table == "table_lineage" else "metadata_fields"
    cols = (
        ("source_table_id", "target_table_id")
        if table == "table_lineage"
        else ("source_field_id", "target_field_id")
    )
    with session_scope(engine) as session:
        rows = session.execute(
            text(
                f"SELECT s.qualified_name, t.qualified_name, e.lineage_source, e.status, "
                f"e.confidence, coalesce(e.transformation_type, '') FROM {table} e "
                f"JOIN {end} s ON s.id = e.{cols[0]} JOIN {end} t ON t.id = e.{cols[1]}"
            )
        ).all()
    return {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}


@pytest.fixture(scope="module")
def es_indices(elasticsearch_port: int) -> Iterator[str]:
    base = f"http://127.0.0.1:{elasticsearch_port}"
    stem = f"logs_{uuid.uuid4().hex[:6]}"
    mapping = {"properties": {"host": {"type": "keyword"}, "bytes": {"type": "long"}}}
    with httpx.Client(base_url=base, timeout=30) as client:
        for day in ("d1", "d2"):
            client.put(
                f"/{stem}_{day}",
                json={"mappings": mapping, "settings": {"number_of_replicas": 0}},
            ).raise_for_status()
        client.post(
            "/_aliases",
            json={
                "actions": [
                    {"add": {"index": f"{stem}_d1", "alias": f"{stem}_all"}},
                    {"add": {"index": f"{stem}_d2", "alias": f"{stem}_all"}},
                ]
            },
        ).raise_for_status()
        yield stem
        client.delete(f"/{stem}_d1,{stem}_d2")


def test_an_elasticsearch_alias_is_inferred_from_its_indices(
    catalog_engine: Engine, keyring: Any, elasticsearch_port: int, es_indices: str
) -> None:
    source_id = make_source(
        catalog_engine,
        keyring,
        "es",
        SourceType.ELASTICSEARCH,
        {"host": "127.0.0.1", "port": elasticsearch_port},
    )
    run_sync(catalog_engine, source_id, keyring)
    with session_scope(catalog_engine) as session:
        report = infer_source(session, source_id)
    assert report.parse_failures == 0
    tables = _edges(catalog_engine, "table_lineage")
    alias = f"es.{es_indices}_all"
    for day in ("d1", "d2"):
        assert tables[(f"es.{es_indices}_{day}", alias)][:2] == ("inferred", "pending_review")
        fields = _edges(catalog_engine, "field_lineage")
        assert fields[(f"es.{es_indices}_{day}.bytes", f"{alias}.bytes")][3] == "copy"
    # the alias is moved off one index: that index's inferred edges are retired
    with httpx.Client(base_url=f"http://127.0.0.1:{elasticsearch_port}") as client:
        client.post(
            "/_aliases",
            json={
                "actions": [{"remove": {"index": f"{es_indices}_d1", "alias": f"{es_indices}_all"}}]
            },
        ).raise_for_status()
    run_sync(catalog_engine, source_id, keyring)
    with session_scope(catalog_engine) as session:
        infer_source(session, source_id)
    tables = _edges(catalog_engine, "table_lineage")
    assert tables[(f"es.{es_indices}_d1", alias)][1] == "deprecated"
    assert tables[(f"es.{es_indices}_d2", alias)][1] == "pending_review"


@pytest.fixture(scope="module")
def shop_db(ferretdb_port: int) -> Iterator[str]:
    name = f"shop_{uuid.uuid4().hex[:8]}"
    client: MongoClient[Any] = MongoClient("127.0.0.1", ferretdb_port)
    db = client[name]
    db.orders.insert_many(
        [{"status": "paid", "amount": i, "customer_id": i % 3, "note": "x"} for i in range(20)]
    )
    db.customers.insert_many([{"_id": i, "name": f"c{i}"} for i in range(3)])
    yield name
    client.drop_database(name)
    client.close()


def test_a_mongodb_view_pipeline_is_followed_to_its_fields(
    catalog_engine: Engine, keyring: Any, ferretdb_port: int, shop_db: str
) -> None:
    source_id = make_source(
        catalog_engine,
        keyring,
        "mongo",
        SourceType.MONGODB,
        {"host": "127.0.0.1", "port": ferretdb_port, "database": shop_db},
    )
    run_sync(catalog_engine, source_id, keyring)
    pipeline = [
        {"$match": {"status": "paid"}},
        {
            "$lookup": {
                "from": "customers",
                "localField": "customer_id",
                "foreignField": "_id",
                "as": "customer",
            }
        },
        {
            "$project": {
                "customer_id": 1,
                "amount": 1,
                "amount_cents": {"$multiply": ["$amount", 100]},
            }
        },
    ]
    with session_scope(catalog_engine) as session:
        view = create_table(
            session,
            TableInput(
                source_id=source_id,
                schema_name=shop_db,
                name="paid_orders",
                table_type="view",
            ),
            actor="connector",
        )
        view.view_definition = json.dumps({"viewOn": "orders", "pipeline": pipeline})
        for position, name in enumerate(["_id", "customer_id", "amount", "amount_cents"], 1):
            create_field(
                session,
                FieldInput(table_id=view.id, name=name, ordinal_position=position),
                actor="connector",
            )
    with session_scope(catalog_engine) as session:
        report = infer_source(session, source_id)
    assert report.parse_failures == 0
    tables = _edges(catalog_engine, "table_lineage")
    view_name = f"mongo.{shop_db}.paid_orders"
    assert tables[(f"mongo.{shop_db}.orders", view_name)][2] == 0.9
    assert tables[(f"mongo.{shop_db}.customers", view_name)][2] == 0.8  # a $lookup
    fields = _edges(catalog_engine, "field_lineage")
    orders = f"mongo.{shop_db}.orders"
    assert fields[(f"{orders}.amount", f"{view_name}.amount")][3] == "copy"
    assert fields[(f"{orders}.amount", f"{view_name}.amount_cents")][3] == "expression"
    assert fields[(f"{orders}.customer_id", f"{view_name}.customer_id")][3] == "copy"
    assert (f"{orders}.note", f"{view_name}.note") not in fields  # projected away
