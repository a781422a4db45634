"""The assistant with an LLM, against a real local server that speaks the OpenAI protocol
(tests/ai/fake_openai.py): tool calls run Ariadne's services, answers cite what the
tools found, memory is sent back, failures fall back to retrieval and say so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ariadne_core.cache import LineageCache
from ariadne_core.db.engine import driver_connection
from ariadne_core.embedding.index import embed_catalog
from ariadne_core.embedding.providers import OpenAIEmbeddings
from tests.ai.fake_openai import FakeOpenAI
from tests.ai.test_ask import lineage  # noqa: F401  (fixture)

KEY = "sk-test-" + "k" * 24


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_app(app: Any, fake: FakeOpenAI) -> Any:
    ai = app.state.services.ai
    ai.settings = ai.settings.model_copy(
        update={
            "llm_base_url": fake.base_url,
            "llm_model": "fake-model",
            "openai_api_key": KEY,
            "ai_max_retries": 0,
            "llm_timeout_seconds": 5,
        }
    )
    return app


def _post(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1/ai/{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _ask(client: TestClient, headers: dict[str, str], question: str, **extra: Any) -> Any:
    return _post(client, headers, "query", {"question": question, **extra})


def test_the_model_calls_ariadnes_tools_and_the_answer_cites_what_they_found(
    llm_app: Any,
    client: TestClient,
    auth_headers: Any,
    fake: FakeOpenAI,
    shop: dict[str, Any],
    lineage: dict[str, Any],  # noqa: F811
) -> None:
    said = "agg_customer_ltv is built from shop.public.orders and, inferred, shop.public.customers."
    fake.script({"tool_calls": [("upstream", {"table": "agg_customer_ltv"})]}, {"content": said})
    answer = _ask(client, auth_headers("viewer"), "Where does the customer LTV come from?")
    assert answer["mode"] == "llm" and answer["answer"] == said and answer["notes"] == []
    assert {e["id"] for e in answer["edges"]} == {
        str(lineage["manual"].id),
        str(lineage["inferred"].id),
    }
    assert answer["relies_on_inferred"] is True
    first, second = fake.chat_requests()
    assert {t["function"]["name"] for t in first["tools"]} == {
        "search_catalog",
        "upstream",
        "downstream",
        "impact",
        "review_queue",
    }
    assert first["model"] == "fake-model"
    tool_result = next(m for m in second["messages"] if m["role"] == "tool")["content"]
    assert shop["orders"].qualified_name in tool_result and '"inferred"' in tool_result
    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"

    # The conversation is sent back with the next question.
    fake.script({"content": "It feeds nothing else."})
    follow = _ask(
        client,
        auth_headers("viewer"),
        "and downstream?",
        conversation_id=answer["conversation_id"],
    )
    sent = [m["content"] for m in fake.chat_requests()[-1]["messages"]]
    assert "Where does the customer LTV come from?" in sent and said in sent
    assert follow["conversation_id"] == answer["conversation_id"]


@pytest.mark.parametrize(
    "script",
    [
        [{"status": 500}],
        [{"status": 429}],
        [{"delay": 2.0, "content": "too late"}],
        [{"tool_calls": [("search_catalog", {"query": "x"})]}] * 7,  # never a final answer
    ],
)
def test_a_failing_llm_falls_back_to_retrieval_and_says_why(
    llm_app: Any,
    client: TestClient,
    auth_headers: Any,
    fake: FakeOpenAI,
    shop: dict[str, Any],
    lineage: dict[str, Any],  # noqa: F811
    script: list[dict[str, Any]],
) -> None:
    ai = llm_app.state.services.ai
    ai.settings = ai.settings.model_copy(update={"llm_timeout_seconds": 1})
    fake.script(*script)
    answer = _ask(client, auth_headers("viewer"), "Where does agg_customer_ltv come from?")
    assert answer["mode"] == "retrieval_only" and len(answer["notes"]) == 1
    assert "LLM did not answer" in answer["notes"][0]
    assert KEY not in answer["notes"][0]
    assert shop["orders"].qualified_name in answer["answer"]


def test_an_identical_first_question_is_answered_from_the_cache(
    llm_app: Any, client: TestClient, auth_headers: Any, fake: FakeOpenAI, shop: dict[str, Any]
) -> None:
    llm_app.state.services.ai.answers = LineageCache(None)
    fake.script({"content": "Orders are in shop.public.orders."}, {"content": "second"})
    first = _ask(client, auth_headers("viewer"), "Where are orders kept?")
    again = _ask(client, auth_headers("editor"), "where are  ORDERS kept?")
    assert len(fake.chat_requests()) == 1
    assert again["answer"] == first["answer"]
    assert again["conversation_id"] != first["conversation_id"]


def test_the_fake_server_streams_like_openai(fake: FakeOpenAI) -> None:
    import openai

    fake.script({"content": "one two three"})
    client = openai.OpenAI(base_url=fake.base_url, api_key=KEY)
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    pieces = [
        c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content
    ]
    assert " ".join(pieces) == "one two three"


def test_openai_embeddings_through_the_same_indexer(
    fake: FakeOpenAI, settings: Any, db_session: Session, shop: dict[str, Any]
) -> None:
    provider = OpenAIEmbeddings(
        settings.model_copy(
            update={
                "embedding_provider": "openai",
                "embedding_base_url": fake.base_url,
                "openai_api_key": KEY,
                "embedding_dimensions": 384,
                "embedding_batch_size": 5,
            }
        )
    )
    report = embed_catalog(driver_connection(db_session), provider)
    assert report.embedded == report.live > 0
    calls = [r for r in fake.requests if r["path"].endswith("/embeddings")]
    assert len(calls) == -(-report.live // 5)  # batches of 5
    assert all(c["body"]["dimensions"] == 384 for c in calls)
    assert all(c["body"]["model"] == "text-embedding-3-small" for c in calls)


def _explain(client: TestClient, headers: dict[str, str], table_id: Any) -> Any:
    body = {"table_id": str(table_id), "direction": "upstream"}
    return _post(client, headers, "explain-lineage", body)


def test_the_model_writes_the_explanation_from_the_cited_facts_only(
    llm_app: Any,
    client: TestClient,
    auth_headers: Any,
    fake: FakeOpenAI,
    shop: dict[str, Any],
    lineage: dict[str, Any],  # noqa: F811
) -> None:
    prose = "Customer LTV is aggregated from orders (declared) and customers (inferred)."
    fake.script({"content": prose})
    body = _explain(client, auth_headers("viewer"), shop["agg_customer_ltv"].id)
    assert body["mode"] == "llm" and body["explanation"] == prose and body["notes"] == []
    assert {e["id"] for e in body["edges"]} == {
        str(lineage["manual"].id),
        str(lineage["inferred"].id),
    }
    (asked,) = fake.chat_requests()
    assert "tools" not in asked  # one call, no tools: the facts are all it gets
    system, facts = (m["content"] for m in asked["messages"])
    assert "Never add a table" in system and shop["agg_customer_ltv"].qualified_name in system
    # The facts are the template's: both edges with their trust, the systems, the warning.
    for table in ("orders", "customers"):
        assert shop[table].qualified_name in facts
    assert "(aggregation)" in facts and "Inferred (" in facts and "Manual (" in facts


def test_a_failing_llm_leaves_the_template_explanation_and_says_why(
    llm_app: Any,
    client: TestClient,
    auth_headers: Any,
    fake: FakeOpenAI,
    shop: dict[str, Any],
    lineage: dict[str, Any],  # noqa: F811
) -> None:
    fake.script({"status": 500})
    body = _explain(client, auth_headers("viewer"), shop["agg_customer_ltv"].id)
    assert body["mode"] == "template" and len(body["notes"]) == 1
    assert "LLM did not answer" in body["notes"][0] and KEY not in body["notes"][0]
    assert "not reviewed" in body["explanation"]
    # No lineage, no model call: there is nothing for it to explain.
    fake.requests.clear()
    none = _explain(client, auth_headers("viewer"), shop["weather_observations"].id)
    assert none["mode"] == "template" and fake.chat_requests() == []
