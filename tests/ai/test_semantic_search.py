"""POST /api/v1/ai/search on the real database with the real local model."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ariadne_core.db.engine import driver_connection
from ariadne_core.embedding.index import embed_catalog
from ariadne_core.embedding.providers import LocalEmbeddings


def _search(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    response = client.post("/api/v1/ai/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_meaning_finds_tables_whose_words_differ(
    client: TestClient,
    auth_headers: Any,
    db_session: Session,
    shop: dict[str, Any],
    local_model: LocalEmbeddings,
) -> None:
    headers = auth_headers("viewer")
    before = _search(client, headers, query="customer e-mail addresses")
    assert before["index"]["complete"] is False and "still being built" in before["message"]

    embed_catalog(driver_connection(db_session), local_model)
    found = _search(client, headers, query="customer e-mail addresses", limit=5, threshold=0)
    assert found["index"]["complete"] is True and found["message"] is None
    assert found["mode"] == "semantic" and found["model"] == local_model.model
    names = [hit["qualified_name"] for hit in found["results"]]
    assert names[0] == shop["customers.email_address"].qualified_name, names
    scores = [hit["score"] for hit in found["results"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert "e-mail address" in found["results"][0]["matched_text"]

    weather = _search(client, headers, query="rainfall and temperature", type="table", limit=3)
    assert weather["results"][0]["id"] == str(shop["weather_observations"].id)
    assert {hit["type"] for hit in weather["results"]} == {"table"}

    # A high threshold keeps only close matches; another source's filter keeps nothing.
    strict = _search(client, headers, query="rainfall and temperature", threshold=0.99)
    assert strict["results"] == []
    other = _search(
        client,
        headers,
        query="rainfall",
        source_ids=["00000000-0000-0000-0000-000000000001"],
    )
    assert other["results"] == []


def test_bad_requests_are_4xx_and_anonymous_is_401(client: TestClient, auth_headers: Any) -> None:
    headers = auth_headers("viewer")
    for body in (
        {"query": ""},
        {"query": "x" * 501},
        {"query": "x", "limit": 0},
        {"query": "x", "limit": 101},
        {"query": "x", "threshold": 1.5},
        {"query": "x", "type": "view"},
        {"query": "x", "surprise": 1},
        {"query": "x", "source_ids": ["not-a-uuid"]},
    ):
        response = client.post("/api/v1/ai/search", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
    assert client.post("/api/v1/ai/search", json={"query": "x"}).status_code == 401


def test_an_unusable_provider_is_a_503_that_names_the_setting(
    client: TestClient, auth_headers: Any, app: Any
) -> None:
    services = app.state.services
    services.ai.settings = services.ai.settings.model_copy(
        update={"embedding_provider": "openai", "openai_api_key": None, "llm_base_url": None}
    )
    services.ai._vectors = None
    response = client.post(
        "/api/v1/ai/search", json={"query": "orders"}, headers=auth_headers("viewer")
    )
    assert response.status_code == 503, response.text
    assert "OPENAI_API_KEY" in response.json()["error"]["message"]


def test_hybrid_search_finds_by_meaning_and_by_misspelling(
    client: TestClient,
    auth_headers: Any,
    db_session: Session,
    shop: dict[str, Any],
    local_model: LocalEmbeddings,
) -> None:
    headers = auth_headers("viewer")
    embed_catalog(driver_connection(db_session), local_model)

    def names(mode: str, q: str, **params: Any) -> list[str]:
        response = client.get(
            "/api/v1/search", params={"q": q, "mode": mode, **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [hit["qualified_name"] for hit in response.json()["items"]]

    ltv = shop["agg_customer_ltv"].qualified_name
    # Hybrid finds the table by what its name means, among the first three.
    assert ltv in names("hybrid", "customer lifetime value", size=3)
    # A misspelling still finds by trigrams in hybrid mode.
    assert shop["weather_observations"].qualified_name in names(
        "hybrid", "wether observatons", size=3
    )
    # Filters hold in both rankings.
    only_fields = client.get(
        "/api/v1/search",
        params={"q": "customer", "mode": "hybrid", "type": "field"},
        headers=headers,
    ).json()["items"]
    assert only_fields and {hit["type"] for hit in only_fields} == {"field"}
    assert (
        client.get(
            "/api/v1/search", params={"q": "x", "mode": "semantic"}, headers=headers
        ).status_code
        == 422
    )
