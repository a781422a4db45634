"""Round trips against the real Neo4j and Redis test servers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from ariadne_core.health import describe_neo4j_error


def test_neo4j_round_trip_over_bolt(neo4j_service: dict[str, Any]) -> None:
    marker = str(uuid.uuid4())
    with GraphDatabase.driver(
        neo4j_service["uri"], auth=(neo4j_service["user"], neo4j_service["password"])
    ) as driver:
        driver.execute_query("CREATE (:RoundTrip {id: $id, name: 'orders'})", id=marker)
        records, _, _ = driver.execute_query(
            "MATCH (n:RoundTrip {id: $id}) RETURN n.name AS name", id=marker
        )
        assert [r["name"] for r in records] == ["orders"]
        driver.execute_query("MATCH (n:RoundTrip {id: $id}) DELETE n", id=marker)
        records, _, _ = driver.execute_query(
            "MATCH (n:RoundTrip {id: $id}) RETURN count(n) AS n", id=marker
        )
        assert records[0]["n"] == 0


def test_neo4j_wrong_password_is_explained(neo4j_service: dict[str, Any]) -> None:
    with (
        GraphDatabase.driver(neo4j_service["uri"], auth=("neo4j", "wrong-password")) as driver,
        pytest.raises(AuthError) as caught,
    ):
        driver.verify_connectivity()
    message = describe_neo4j_error(caught.value)
    assert "ARIADNE_NEO4J_PASSWORD" in message


def test_redis_round_trip(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"ariadne-test:{uuid.uuid4()}"
    client.set(key, "lineage", ex=60)
    assert client.get(key) == b"lineage"
    client.delete(key)
    assert client.get(key) is None
