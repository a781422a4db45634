"""POST /api/v1/ai/query without an LLM: retrieval-only answers that cite what they used."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ariadne_core.db.models import LineageSource, UserRole
from ariadne_core.lineage.edges import Actor, EdgeInput, Endpoint, declare_table_edge

STEWARD = Actor("steward@example.com", UserRole.STEWARD)


@pytest.fixture
def lineage(db_session: Session, shop: dict[str, Any]) -> dict[str, Any]:
    """orders -> agg_customer_ltv (manual), customers -> agg_customer_ltv (inferred)."""
    ltv = shop["agg_customer_ltv"]
    manual = declare_table_edge(
        db_session,
        EdgeInput(Endpoint(shop["orders"].id), Endpoint(ltv.id), transformation_type="aggregation"),
        STEWARD,
    ).edge
    inferred = declare_table_edge(
        db_session,
        EdgeInput(
            Endpoint(shop["customers"].id),
            Endpoint(ltv.id),
            lineage_source=LineageSource.INFERRED,
            confidence=0.8,
        ),
        STEWARD,
    ).edge
    db_session.flush()
    return {"manual": manual, "inferred": inferred}


def _ask(client: TestClient, headers: dict[str, str], question: str, **extra: Any) -> Any:
    response = client.post(
        "/api/v1/ai/query", json={"question": question, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_where_does_it_come_from_cites_the_path_and_its_trust(
    client: TestClient, auth_headers: Any, shop: dict[str, Any], lineage: dict[str, Any]
) -> None:
    headers = auth_headers("viewer")
    ltv = shop["agg_customer_ltv"]
    answer = _ask(client, headers, "Where does agg_customer_ltv come from?")
    assert answer["mode"] == "retrieval_only" and answer["intent"] == "upstream"
    cited = {t["qualified_name"] for t in answer["tables"]}
    assert {
        ltv.qualified_name,
        shop["orders"].qualified_name,
        shop["customers"].qualified_name,
    } <= cited
    edges = {e["id"]: e["lineage_source"] for e in answer["edges"]}
    assert edges == {str(lineage["manual"].id): "manual", str(lineage["inferred"].id): "inferred"}
    assert answer["relies_on_inferred"] is True and "inferred" in answer["answer"]
    assert shop["orders"].qualified_name in answer["answer"]


def test_a_follow_up_about_it_keeps_the_table_of_the_conversation(
    client: TestClient, auth_headers: Any, shop: dict[str, Any], lineage: dict[str, Any]
) -> None:
    headers = auth_headers("viewer")
    first = _ask(client, headers, "What feeds into `shop.public.agg_customer_ltv`?")
    orders = shop["orders"].qualified_name
    follow = _ask(
        client,
        headers,
        f"And what breaks if I drop {orders}?",
        conversation_id=first["conversation_id"],
    )
    assert follow["intent"] == "impact" and follow["conversation_id"] == first["conversation_id"]
    assert [t["qualified_name"] for t in follow["tables"]][:2] == [
        orders,
        shop["agg_customer_ltv"].qualified_name,
    ]
    assert follow["relies_on_inferred"] is False  # the path is the manual edge
    it = _ask(client, headers, "what uses it downstream?", conversation_id=first["conversation_id"])
    assert it["tables"][0]["qualified_name"] == orders  # "it" is the last table asked about
    # Another user cannot continue this conversation.
    other = client.post(
        "/api/v1/ai/query",
        json={"question": "and it?", "conversation_id": first["conversation_id"]},
        headers=auth_headers("editor"),
    )
    assert other.status_code == 404


def test_finding_tables_and_the_review_queue(
    client: TestClient, auth_headers: Any, shop: dict[str, Any], lineage: dict[str, Any]
) -> None:
    headers = auth_headers("viewer")
    found = _ask(client, headers, "Which tables hold customer email addresses?")
    assert found["intent"] == "find"
    names = {c["qualified_name"] for c in found["tables"] + found["fields"]}
    assert shop["customers.email_address"].qualified_name in names
    review = _ask(client, headers, "Which lineage into agg_customer_ltv is still unreviewed?")
    assert review["intent"] == "review"
    assert [e["id"] for e in review["edges"]] == [str(lineage["inferred"].id)]
    assert review["relies_on_inferred"] is True


def test_nothing_is_invented_when_nothing_matches(
    client: TestClient, auth_headers: Any, shop: dict[str, Any]
) -> None:
    answer = _ask(client, auth_headers("viewer"), "What breaks if I drop zzqx_unknown_table?")
    assert answer["tables"] == [] and answer["edges"] == []
    assert "could not tell which table" in answer["answer"]


def test_bad_questions_are_422(client: TestClient, auth_headers: Any) -> None:
    headers = auth_headers("viewer")
    for body in (
        {"question": ""},
        {"question": "x" * 2001},
        {"question": "x", "filters": {"unknown": 1}},
        {"question": "x", "conversation_id": "nope"},
    ):
        assert client.post("/api/v1/ai/query", json=body, headers=headers).status_code == 422


def test_explain_lineage_groups_by_system_and_separates_trust(
    client: TestClient, auth_headers: Any, shop: dict[str, Any], lineage: dict[str, Any]
) -> None:
    ltv = shop["agg_customer_ltv"]
    response = client.post(
        "/api/v1/ai/explain-lineage",
        json={"table_id": str(ltv.id), "direction": "upstream"},
        headers=auth_headers("viewer"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "template" and body["root"]["qualified_name"] == ltv.qualified_name
    assert body["systems"] == {
        "shop": sorted([shop["customers"].qualified_name, shop["orders"].qualified_name])
    }
    assert set(body["by_trust"]) == {"manual", "inferred"}
    assert "(aggregation)" in body["by_trust"]["manual"][0]
    assert "inferred" in body["explanation"] and "not reviewed" in body["explanation"]
    assert {e["id"] for e in body["edges"]} == {
        str(lineage["manual"].id),
        str(lineage["inferred"].id),
    }

    down = client.post(
        "/api/v1/ai/explain-lineage",
        json={"table_id": str(shop["weather_observations"].id), "direction": "downstream"},
        headers=auth_headers("viewer"),
    ).json()
    assert down["edges"] == [] and "No lineage is recorded downstream" in down["summary"]


def test_explain_lineage_refuses_what_is_not_there(
    client: TestClient, auth_headers: Any, shop: dict[str, Any]
) -> None:
    headers = auth_headers("viewer")
    missing = client.post(
        "/api/v1/ai/explain-lineage",
        json={"table_id": "00000000-0000-0000-0000-000000000009", "direction": "upstream"},
        headers=headers,
    )
    assert missing.status_code == 404
    wrong_field = client.post(
        "/api/v1/ai/explain-lineage",
        json={
            "table_id": str(shop["orders"].id),
            "field_id": str(shop["customers.email_address"].id),
            "direction": "upstream",
        },
        headers=headers,
    )
    assert wrong_field.status_code == 404
    for body in (
        {"table_id": str(shop["orders"].id), "direction": "sideways"},
        {"table_id": str(shop["orders"].id), "direction": "upstream", "depth": 0},
        {"table_id": str(shop["orders"].id), "direction": "upstream", "depth": 99},
    ):
        response = client.post("/api/v1/ai/explain-lineage", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
