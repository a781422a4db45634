"""Lineage reads go to Neo4j when it is configured and current, and fall back to
PostgreSQL when it is not; the audit trail is the outbox that keeps Neo4j current."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import GraphDatabase
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.graph import sync
from ariadne_core.graph.neo4j_store import Neo4jGraphStore
from ariadne_core.runtime.ports import free_port
from tests.api.catalog_helpers import make_source, make_table
from tests.transaction import share_test_transaction


def _client(settings: Settings, engine: Any, db_session: Session) -> TestClient:
    from ariadne_api.main import create_app

    application = create_app(settings, engine)
    share_test_transaction(application, db_session)
    return TestClient(application)


@pytest.fixture
def neo4j_store(neo4j_service: dict[str, Any]) -> Iterator[Neo4jGraphStore]:
    driver = GraphDatabase.driver(
        neo4j_service["uri"], auth=(neo4j_service["user"], neo4j_service["password"])
    )
    store = Neo4jGraphStore(driver)
    store.clear()  # shared server: start from nothing, the relay cursor included
    store._run("MATCH (c:SyncCursor) DELETE c")
    yield store
    driver.close()


@pytest.fixture
def configured(settings: Settings, neo4j_service: dict[str, Any]) -> Settings:
    """The test settings with the test Neo4j configured."""
    return settings.model_copy(
        update={"neo4j_uri": neo4j_service["uri"], "neo4j_password": neo4j_service["password"]}
    )


def _chain(client: TestClient, auth_headers: Any) -> list[dict[str, Any]]:
    source = make_source(client, auth_headers("admin"))
    headers = auth_headers("editor")
    tables = [make_table(client, headers, source["id"], f"t{i}") for i in range(4)]
    for a, b in itertools.pairwise(tables):
        response = client.post(
            "/api/v1/lineage/table",
            json={"source_table_id": a["id"], "target_table_id": b["id"]},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    return tables


def _read_through_neo4j(
    client: TestClient, auth_headers: Any
) -> tuple[list[dict[str, Any]], str, Any, Any]:
    """A chain of four tables, read once upstream from the last (which brings Neo4j up to
    date and leaves its memo fresh): the tables, the read's path, its response and the
    app's graph router."""
    tables = _chain(client, auth_headers)
    path = f"/api/v1/lineage/table/{tables[-1]['id']}/upstream"
    first = client.get(path, headers=auth_headers("editor"))
    assert first.headers["X-Graph-Backend"] == "neo4j"
    return tables, path, first, client.app.state.services.graph  # type: ignore[attr-defined]


def test_reads_use_neo4j_and_see_every_committed_change(
    settings: Settings,
    configured: Settings,
    engine: Any,
    db_session: Session,
    users: Any,
    auth_headers: Any,
    neo4j_store: Neo4jGraphStore,
) -> None:
    headers = auth_headers("editor")
    with _client(configured, engine, db_session) as client:
        tables = _chain(client, auth_headers)
        last = tables[-1]["id"]
        first = client.get(f"/api/v1/lineage/table/{last}/upstream", headers=headers)
        assert first.status_code == 200
        assert first.headers["X-Graph-Backend"] == "neo4j"
        assert {n["depth"] for n in first.json()["nodes"]} == {0, 1, 2, 3}
        # The projection now holds the edges, and the cursor says it is current.
        assert sync.is_fresh(neo4j_store, db_session)
        # Retire the middle edge: the very next read through Neo4j no longer crosses it.
        middle = next(e for e in first.json()["edges"] if e["target"] == tables[2]["id"])
        assert client.delete(f"/api/v1/lineage/{middle['id']}", headers=headers).status_code == 200
        second = client.get(f"/api/v1/lineage/table/{last}/upstream", headers=headers)
        assert second.headers["X-Graph-Backend"] == "neo4j"
        assert {n["id"] for n in second.json()["nodes"]} == {last, tables[2]["id"]}
    with _client(settings, engine, db_session) as plain:  # the PostgreSQL answer agrees
        same = plain.get(f"/api/v1/lineage/table/{last}/upstream", headers=headers)
        assert same.headers["X-Graph-Backend"] == "postgres"
        assert same.json()["nodes"] == second.json()["nodes"]


def test_while_neo4j_is_current_reads_skip_the_blocking_path(
    configured: Settings,
    engine: Any,
    db_session: Session,
    users: Any,
    auth_headers: Any,
    neo4j_store: Neo4jGraphStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After one read has seen Neo4j current, the next ones walk Neo4j from the event loop
    (asyncio driver) without the thread, the ORM session or the Neo4j cursor read; a
    Neo4j failure there still answers, from PostgreSQL."""
    from neo4j.exceptions import ServiceUnavailable

    headers = auth_headers("editor")
    with _client(configured, engine, db_session) as client:
        _, path, first, router = _read_through_neo4j(client, auth_headers)
        blocking: list[str] = []

        def no_blocking_path(*args: Any) -> Any:
            blocking.append("store")
            raise AssertionError("took the blocking path")

        with monkeypatch.context() as patched:
            patched.setattr(router, "store", no_blocking_path)
            second = client.get(path, headers=headers)
        assert blocking == [] and second.status_code == 200, second.text
        assert second.headers["X-Graph-Backend"] == "neo4j"
        assert second.json() == first.json()

        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise ServiceUnavailable("gone")

        monkeypatch.setattr(Neo4jGraphStore, "walk_async", unavailable)
        third = client.get(path, headers=headers)
        assert third.status_code == 200
        assert third.headers["X-Graph-Backend"] == "postgres"
        assert third.json()["nodes"] == first.json()["nodes"]
        assert router.state.resting  # Neo4j is left alone for a while


def test_a_neo4j_that_stops_answering_holds_a_read_no_longer_than_the_read_timeout(
    configured: Settings,
    engine: Any,
    db_session: Session,
    users: Any,
    auth_headers: Any,
    neo4j_store: Neo4jGraphStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Neo4j that accepts a read and never answers (a long pause) cannot end the
    transaction itself: after ARIADNE_NEO4J_READ_TIMEOUT_MS the read is answered from
    PostgreSQL, and Neo4j is left alone for a while, as after a failure."""
    import asyncio
    import contextlib
    import time

    bounded = configured.model_copy(update={"neo4j_read_timeout_ms": 300})
    headers = auth_headers("editor")
    with _client(bounded, engine, db_session) as client:
        _, path, first, router = _read_through_neo4j(client, auth_headers)
        waited: list[float] = []

        class Silent:  # a session whose query is sent and never answered
            async def run(self, *args: Any, **kwargs: Any) -> Any:
                started = time.monotonic()
                try:
                    await asyncio.sleep(120)
                finally:
                    waited.append(time.monotonic() - started)

        class Driver:
            @contextlib.asynccontextmanager
            async def session(self, **kwargs: Any) -> Any:
                yield Silent()

        monkeypatch.setattr(router, "_async_driver", lambda: Driver())
        started = time.monotonic()
        second = client.get(path, headers=headers)
        elapsed = time.monotonic() - started
        assert second.status_code == 200, second.text
        assert second.headers["X-Graph-Backend"] == "postgres"
        assert second.json()["nodes"] == first.json()["nodes"]
        assert len(waited) == 1 and waited[0] < 10, waited  # stopped waiting, not 120 s
        assert elapsed < 30
        assert router.state.resting
        assert "did not answer a lineage read within 300 ms" in caplog.text


def test_neo4j_down_falls_back_to_postgres_and_readyz_says_degraded(
    settings: Settings, engine: Any, db_session: Session, users: Any, auth_headers: Any
) -> None:
    down = settings.model_copy(
        update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}", "neo4j_password": "whatever1"}
    )
    headers = auth_headers("editor")
    with _client(down, engine, db_session) as client:
        tables = _chain(client, auth_headers)
        response = client.get(f"/api/v1/lineage/table/{tables[-1]['id']}/upstream", headers=headers)
        assert response.status_code == 200
        assert response.headers["X-Graph-Backend"] == "postgres"
        assert len(response.json()["nodes"]) == 4
        impact = client.get(
            f"/api/v1/lineage/impact/{tables[0]['id']}",
            params={"change_type": "drop"},
            headers=headers,
        )
        assert impact.status_code == 200 and impact.headers["X-Graph-Backend"] == "postgres"
        ready = client.get("/readyz")
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["neo4j"]["status"] == "failed"


def test_a_late_commit_below_the_cursor_is_noticed(
    db_session: Session, neo4j_store: Neo4jGraphStore
) -> None:
    from ariadne_core.db.models import LineageAuditEvent

    def event(event_id: int | None = None) -> int:
        values: dict[str, Any] = {"edge_kind": "table", "edge_id": uuid.uuid4(), "action": "create"}
        if event_id is not None:
            values["id"] = event_id
        inserted = db_session.execute(
            LineageAuditEvent.__table__.insert().values(**values).returning(LineageAuditEvent.id)
        )
        return int(inserted.scalar_one())

    first = event()
    newest = event(first + 10)
    sync.relay(neo4j_store, db_session)
    assert sync.is_fresh(neo4j_store, db_session)
    assert sync.read_cursor(neo4j_store)[0] == newest
    # A transaction that took id first+5 commits after the relay: the newest id did not
    # move, but the projection is stale, and the relay picks the event up.
    event(first + 5)
    assert not sync.is_fresh(neo4j_store, db_session)
    sync.relay(neo4j_store, db_session)
    assert sync.is_fresh(neo4j_store, db_session)


def test_a_walk_from_neo4j_behind_postgresql_is_never_served(
    configured: Settings,
    engine: Any,
    db_session: Session,
    users: Any,
    auth_headers: Any,
    neo4j_store: Neo4jGraphStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The event-loop read walks Neo4j before PostgreSQL says whether Neo4j is current
    (the statement naming the nodes checks it). With the relay held back after a change,
    that walk is stale: it is thrown away and the blocking path brings Neo4j up to date."""
    headers = auth_headers("editor")
    with _client(configured, engine, db_session) as client:
        tables, path, first, router = _read_through_neo4j(client, auth_headers)
        last = tables[-1]["id"]
        monkeypatch.setattr(router.relay, "poke", lambda: None)  # Neo4j stays behind
        walked: list[int] = []
        walk_async = Neo4jGraphStore.walk_async

        async def counted(self: Neo4jGraphStore, *args: Any, **kwargs: Any) -> Any:
            walked.append(1)
            return await walk_async(self, *args, **kwargs)

        monkeypatch.setattr(Neo4jGraphStore, "walk_async", counted)
        blocking: list[int] = []
        store = router.store

        def spied(session: Session) -> Any:
            blocking.append(1)
            return store(session)

        monkeypatch.setattr(router, "store", spied)
        middle = next(e for e in first.json()["edges"] if e["target"] == tables[2]["id"])
        assert client.delete(f"/api/v1/lineage/{middle['id']}", headers=headers).status_code == 200
        second = client.get(path, headers=headers)
        assert second.status_code == 200, second.text
        assert walked == [1] and blocking == [1]  # walked stale, refused, walked again
        assert second.headers["X-Graph-Backend"] == "neo4j"
        assert {n["id"] for n in second.json()["nodes"]} == {last, tables[2]["id"]}
