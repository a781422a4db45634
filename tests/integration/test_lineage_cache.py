"""The lineage cache on real Redis: hits are served, and a change is seen at once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_api.main import create_app
from ariadne_core.config import Settings
from ariadne_core.db import migrate
from ariadne_core.db.engine import engine_for
from ariadne_core.db.models import User, UserRole
from ariadne_core.runtime.ports import free_port
from ariadne_core.security.tokens import issue_token


@pytest.fixture
def committed_app(
    make_database: Any, tmp_path: Path, redis_url: str, password_hash: str
) -> tuple[Settings, str]:
    url = make_database("ariadne_cache")
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        session.add(User(email="ed@example.com", password_hash=password_hash, role=UserRole.ADMIN))
        session.commit()
    settings = Settings(
        _env_file=None,
        home=tmp_path,
        database_url=url,  # type: ignore[call-arg]
        jwt_secret="cache-" + "c" * 40,
        redis_url=redis_url,
    )
    return settings, url


def _names(body: dict[str, Any]) -> set[str]:
    return {n["qualified_name"] for n in body["nodes"]}


def _names_within(
    client: TestClient, path: str, headers: dict[str, str], expected: set[str]
) -> set[str]:
    """The names ``path`` answers once they are ``expected``, or after 5 s (a write by
    another process reaches this one when PostgreSQL's notification does)."""
    deadline = time.monotonic() + 5
    seen = _names(client.get(path, headers=headers).json())
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = _names(client.get(path, headers=headers).json())
    return seen


def test_cached_reads_and_immediate_invalidation(
    committed_app: tuple[Settings, str], redis_url: str
) -> None:
    settings, url = committed_app
    token = issue_token(settings, subject="ed@example.com", role="admin").access_token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        src = client.post(
            "/api/v1/sources", json={"name": "c", "type": "manual"}, headers=headers
        ).json()
        ids = {
            n: client.post(
                "/api/v1/tables", headers=headers, json={"source_id": src["id"], "name": n}
            ).json()["id"]
            for n in ("a", "b", "c", "d")
        }

        def declare(a: str, b: str) -> dict[str, Any]:
            resp = client.post(
                "/api/v1/lineage/table",
                headers=headers,
                json={"source_table_id": ids[a], "target_table_id": ids[b]},
            )
            assert resp.status_code == 201, resp.text
            return dict(resp.json())

        declare("a", "b")
        downstream = f"/api/v1/lineage/table/{ids['a']}/downstream"
        assert _names(client.get(downstream, headers=headers).json()) == {"c.a", "c.b"}
        keys = redis.Redis.from_url(redis_url).keys("ariadne:lineage:r*")
        assert keys, "the traversal was not stored in Redis"

        again = client.get(downstream, headers=headers)
        assert again.headers["X-Graph-Backend"] == "cache", "the second read was not a hit"
        assert _names(again.json()) == {"c.a", "c.b"}

        # A write by another process (a Dagster import, the CLI, another API worker):
        # PostgreSQL announces the commit, and the cached answer is not served again.
        with engine_for(url).begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO table_lineage (id, source_table_id, target_table_id, lineage_source,"
                    " origin) VALUES (:id, :a, :b, 'manual', 'manual')"
                ),
                {"id": uuid.uuid4(), "a": ids["b"], "b": ids["d"]},
            )
        seen = _names_within(client, downstream, headers, {"c.a", "c.b", "c.d"})
        assert seen == {"c.a", "c.b", "c.d"}, "an outside write was never seen"

        # Any change through Ariadne invalidates: the very next read sees the new graph.
        edge = declare("b", "c")
        assert _names(client.get(downstream, headers=headers).json()) == {
            "c.a",
            "c.b",
            "c.c",
            "c.d",
        }
        client.delete(f"/api/v1/lineage/{edge['id']}", headers=headers)
        assert _names(client.get(downstream, headers=headers).json()) == {"c.a", "c.b", "c.d"}
        impact = client.get(
            f"/api/v1/lineage/impact/{ids['a']}", params={"change_type": "drop"}, headers=headers
        ).json()
        assert {t["qualified_name"] for t in impact["tables"]} == {"c.b", "c.d"}


def test_redis_down_falls_back_to_the_in_process_cache(committed_app: tuple[Settings, str]) -> None:
    settings, _ = committed_app
    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    token = issue_token(dead, subject="ed@example.com", role="admin").access_token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(dead)) as client:
        src = client.post(
            "/api/v1/sources", json={"name": "d", "type": "manual"}, headers=headers
        ).json()
        a, b = (
            client.post(
                "/api/v1/tables", headers=headers, json={"source_id": src["id"], "name": n}
            ).json()["id"]
            for n in "ab"
        )
        client.post(
            "/api/v1/lineage/table",
            headers=headers,
            json={"source_table_id": a, "target_table_id": b},
        )
        url = f"/api/v1/lineage/table/{a}/downstream"
        assert _names(client.get(url, headers=headers).json()) == {"d.a", "d.b"}
        assert _names(client.get(url, headers=headers).json()) == {"d.a", "d.b"}
        assert client.get("/readyz").json()["status"] == "degraded"


def test_a_field_edge_written_elsewhere_is_seen_by_cached_field_reads(
    committed_app: tuple[Settings, str],
) -> None:
    """Field lineage announces its changes too (migration 0009): a column-level read kept
    in the cache is not served after another process writes a field edge."""
    settings, url = committed_app
    token = issue_token(settings, subject="ed@example.com", role="admin").access_token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        src = client.post(
            "/api/v1/sources", json={"name": "f", "type": "manual"}, headers=headers
        ).json()
        table = client.post(
            "/api/v1/tables", headers=headers, json={"source_id": src["id"], "name": "t"}
        ).json()["id"]
        fields = {
            n: client.post(
                "/api/v1/fields",
                headers=headers,
                json={"table_id": table, "name": n, "data_type": "int"},
            ).json()["id"]
            for n in ("x", "y")
        }
        downstream = f"/api/v1/lineage/field/{fields['x']}/downstream"
        assert _names(client.get(downstream, headers=headers).json()) == {"f.t.x"}
        assert client.get(downstream, headers=headers).headers["X-Graph-Backend"] == "cache"
        with engine_for(url).begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO field_lineage (id, source_field_id, target_field_id, "
                    "lineage_source, origin) VALUES (:id, :a, :b, 'manual', 'manual')"
                ),
                {"id": uuid.uuid4(), "a": fields["x"], "b": fields["y"]},
            )
        seen = _names_within(client, downstream, headers, {"f.t.x", "f.t.y"})
        assert seen == {"f.t.x", "f.t.y"}, "the field edge written elsewhere was never seen"
