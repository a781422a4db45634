"""The API skeleton: health, readiness, errors, body limits, CORS, metrics, OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from ariadne_api.main import create_app
from ariadne_core.config import Settings
from ariadne_core.runtime.ports import free_port


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_with_only_the_database(client: TestClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["neo4j"]["status"] == "not_configured"
    assert body["checks"]["redis"]["status"] == "not_configured"


def test_readyz_checks_real_neo4j_and_redis(
    settings: Settings, engine: Any, neo4j_service: dict[str, Any], redis_url: str
) -> None:
    configured = settings.model_copy(
        update={
            "neo4j_uri": neo4j_service["uri"],
            "neo4j_password": neo4j_service["password"],
            "redis_url": redis_url,
        }
    )
    with TestClient(create_app(configured, engine)) as client:
        body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["checks"]["neo4j"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


def test_readyz_is_degraded_with_a_wrong_neo4j_password(
    settings: Settings, engine: Any, neo4j_service: dict[str, Any]
) -> None:
    configured = settings.model_copy(
        update={
            "neo4j_uri": neo4j_service["uri"],
            "neo4j_password": "definitely-wrong",
        }
    )
    with TestClient(create_app(configured, engine)) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["checks"]["neo4j"]["status"] == "failed"
    assert "ARIADNE_NEO4J_PASSWORD" in body["checks"]["neo4j"]["detail"]


def test_readyz_is_503_when_the_database_is_down(settings: Settings) -> None:
    dead = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
        connect_args={"connect_timeout": 2},
    )
    with TestClient(create_app(settings, dead)) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["status"] == "unavailable"


def test_unknown_route_is_unified_404(client: TestClient) -> None:
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_invalid_json_is_unified_422(client: TestClient) -> None:
    resp = client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert "not valid JSON" in error["message"]


def test_missing_fields_are_named_in_422(client: TestClient) -> None:
    resp = client.post("/api/v1/auth/login", json={"email": "a@b.c"})
    assert resp.status_code == 422
    fields = [e["field"] for e in resp.json()["error"]["details"]["errors"]]
    assert fields == ["password"]


def test_oversized_body_is_unified_413(client: TestClient, settings: Settings) -> None:
    resp = client.post(
        "/api/v1/auth/login",
        content=b"x" * (settings.max_request_bytes + 1),
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_cors_allows_the_configured_origin_only(client: TestClient) -> None:
    ok = client.options(
        "/api/v1/auth/login",
        headers={"Origin": "http://frontend.example", "Access-Control-Request-Method": "POST"},
    )
    assert ok.headers.get("access-control-allow-origin") == "http://frontend.example"
    other = client.options(
        "/api/v1/auth/login",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_metrics_counts_requests(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'ariadne_http_requests_total{method="GET",route="/healthz",status="200"}' in text


def test_openapi_documents_every_route_with_a_summary(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Ariadne API"
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
    assert "/api/v1/auth/login" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_every_json_response_and_body_has_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    components = spec["components"]["schemas"]

    def has_example(schema: dict[str, Any]) -> bool:
        if schema.get("type") == "array":  # a JSON list: its items carry the example
            return has_example(schema["items"])
        if "$ref" in schema:
            target = components[schema["$ref"].rsplit("/", 1)[1]]
            if "example" in target or "examples" in target:
                return True
            items = target.get("properties", {}).get("items", {}).get("items")
            return bool(items) and has_example(items)  # Page[...]: its items carry one
        return "example" in schema or "examples" in schema

    missing = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for status, response in op["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and schema and not has_example(schema):
                    missing.append(f"{method.upper()} {path} -> {status}")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body and not has_example(body["schema"]):
                missing.append(f"{method.upper()} {path} request body")
    assert missing == []


def test_an_unreachable_database_is_a_503_on_sync_and_async_routes(settings: Settings) -> None:
    """No database: a clear 503 in the unified body, on a sync route (SQLAlchemy) and on
    a hot read (the asyncio pool, which gives up after its timeout), never a 500."""
    from ariadne_core.db.plans import AsyncReader
    from ariadne_core.security.tokens import issue_token

    gone = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    down = settings.model_copy(update={"database_url": gone})
    app = create_app(down, create_engine(gone.replace("postgresql://", "postgresql+psycopg://")))
    services = app.state.services
    services.reader = services.catalog.reader = AsyncReader(gone, max_size=1, timeout=0.5)
    token = issue_token(down, subject="ada@example.com", role="viewer").access_token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        for path in (
            "/api/v1/tables/00000000-0000-0000-0000-000000000001/history",  # sync
            "/api/v1/tables",  # async, on the pool
        ):
            resp = client.get(path, headers=headers)
            assert resp.status_code == 503, (path, resp.text)
            error = resp.json()["error"]
            assert error["code"] == "SERVICE_UNAVAILABLE"
            assert "/readyz" in error["message"]
