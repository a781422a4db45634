"""Elasticsearch, against a real one-node Elasticsearch 7.10 (codelibs cluster runner,
OSS modules) started by `make services`. Data streams need X-Pack, which the OSS build
lacks, so they are tested on a recorded `_data_stream` answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ariadne_core.connectors.elasticsearch import ElasticsearchConnector, flatten_mapping
from ariadne_core.db.models import SourceType
from ariadne_core.harvest.service import check_connection, run_sync
from tests.harvest.conftest import make_source

MAPPING = {
    "_meta": {"description": "Products in the web shop"},
    "properties": {
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "price": {"type": "scaled_float", "scaling_factor": 100},
        "brand": {"properties": {"name": {"type": "keyword"}, "country": {"type": "keyword"}}},
        "reviews": {
            "type": "nested",
            "properties": {"stars": {"type": "byte"}, "text": {"type": "text"}},
        },
        "added": {"type": "date", "format": "strict_date_optional_time"},
    },
}


@pytest.fixture(scope="module")
def es(elasticsearch_port: int) -> Iterator[dict[str, Any]]:
    base = f"http://127.0.0.1:{elasticsearch_port}"
    index = f"products_{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=base, timeout=30) as client:
        client.put(
            f"/{index}", json={"mappings": MAPPING, "settings": {"number_of_replicas": 0}}
        ).raise_for_status()
        client.post(
            f"/{index}/_doc?refresh=true", json={"name": "Lamp", "price": 19.99}
        ).raise_for_status()
        client.post(
            "/_aliases", json={"actions": [{"add": {"index": index, "alias": f"{index}_current"}}]}
        ).raise_for_status()
        yield {"index": index, "port": elasticsearch_port, "base": base}
        client.delete(f"/{index}")


def test_mappings_are_flattened_with_objects_nested_and_multi_fields(es: dict[str, Any]) -> None:
    connector = ElasticsearchConnector({"host": "127.0.0.1", "port": es["port"]})
    check = connector.test_connection()
    assert check.success and check.server_version == "elasticsearch 7.10.2"
    objects = {o.name: o for o in connector.harvest()}
    product = objects[es["index"]]
    assert product.table_type == "index" and product.row_count_estimate == 1
    assert product.description == "Products in the web shop"
    fields = {f.name: f for f in product.fields}
    assert fields["name"].data_type == "text"
    assert fields["name.keyword"].data_type == "keyword"
    assert fields["name.keyword"].properties == {"multi_field_of": "name"}
    assert fields["brand"].data_type == "object" and fields["brand.country"].data_type == "keyword"
    assert fields["reviews"].data_type == "nested" and fields["reviews.stars"].data_type == "byte"
    assert fields["price"].data_type == "scaled_float"  # kept verbatim
    assert fields["added"].properties["format"] == "strict_date_optional_time"
    alias = objects[f"{es['index']}_current"]
    assert alias.table_type == "alias" and alias.properties["indices"] == [es["index"]]
    assert {f.name for f in alias.fields} == set(fields)
    assert (None, f"{es['index']}_current", "alias") in connector.list_objects("aliases")


def test_data_streams_from_a_recorded_answer() -> None:
    answers = {
        "/_mapping": {
            ".ds-logs-web-000001": {
                "mappings": {
                    "properties": {"@timestamp": {"type": "date"}, "message": {"type": "text"}}
                }
            }
        },
        "/_cat/indices": [
            {"index": ".ds-logs-web-000001", "docs.count": "1200", "pri": "1", "rep": "0"}
        ],
        "/_alias": {".ds-logs-web-000001": {"aliases": {}}},
        "/_data_stream": {
            "data_streams": [
                {
                    "name": "logs-web",
                    "timestamp_field": {"name": "@timestamp"},
                    "indices": [{"index_name": ".ds-logs-web-000001"}],
                    "template": "logs",
                }
            ]
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path])

    connector = ElasticsearchConnector({"host": "es.example.com"})
    connector._client = httpx.Client(
        base_url="http://es.example.com:9200", transport=httpx.MockTransport(handler)
    )
    objects = list(connector.harvest())
    assert [(o.name, o.table_type) for o in objects] == [("logs-web", "data_stream")]
    stream = objects[0]
    assert stream.row_count_estimate == 1200
    assert [f.name for f in stream.fields] == ["@timestamp", "message"]
    assert stream.properties["timestamp_field"] == "@timestamp"


def test_flatten_keeps_unknown_types_and_depth() -> None:
    columns = flatten_mapping(
        {
            "geo": {"type": "geo_shape"},
            "a": {"properties": {"b": {"properties": {"c": {"type": "keyword"}}}}},
        }
    )
    assert [(c.name, c.data_type) for c in columns] == [
        ("geo", "geo_shape"),
        ("a", "object"),
        ("a.b", "object"),
        ("a.b.c", "keyword"),
    ]


def test_failures_are_actionable() -> None:
    result = check_connection(SourceType.ELASTICSEARCH, {"host": "127.0.0.1", "port": 1})
    assert not result["success"] and result["message"] == "host unreachable: http://127.0.0.1:1"

    def denied(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "unauthorized"})

    connector = ElasticsearchConnector(
        {"host": "es.example.com", "username": "reader", "password": "x"}
    )
    connector._client = httpx.Client(
        base_url="http://es.example.com:9200", transport=httpx.MockTransport(denied)
    )
    check = connector.test_connection()
    assert check.message == "authentication failed for user reader"


def test_sync_of_an_elasticsearch_source(
    catalog_engine: Engine, keyring: Any, es: dict[str, Any]
) -> None:
    source_id = make_source(
        catalog_engine,
        keyring,
        "search",
        SourceType.ELASTICSEARCH,
        {"host": "127.0.0.1", "port": es["port"]},
    )
    first = run_sync(catalog_engine, source_id, keyring)
    assert first.counts.added >= 2
    again = run_sync(catalog_engine, source_id, keyring)
    assert again.counts.history_rows == 0 and again.counts.added == 0
