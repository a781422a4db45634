"""Hostile input to the assistant's routes gets a 4xx or a plain answer, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "question",
    [
        "where does a\u0000b come from?",
        "what breaks if I drop `" + "x" * 290 + "`?",
        "%' OR 1=1 -- which tables hold _%_ ?",
        "downstream of " + "a." * 200 + "b",
        "\U0001f600 \u202e reversed",
        "?" * 500,
    ],
)
def test_odd_questions_are_answered_or_refused_cleanly(
    client: TestClient, auth_headers: Any, question: str
) -> None:
    response = client.post(
        "/api/v1/ai/query", json={"question": question}, headers=auth_headers("viewer")
    )
    assert response.status_code in (200, 422), response.text
    search = client.post(
        "/api/v1/ai/search", json={"query": question[:500]}, headers=auth_headers("viewer")
    )
    assert search.status_code in (200, 422), search.text
    for mode in ("fts", "hybrid"):
        found = client.get(
            "/api/v1/search",
            params={"q": question[:200], "mode": mode},
            headers=auth_headers("viewer"),
        )
        assert found.status_code in (200, 422), (mode, found.text)
