"""Upstream/downstream traversal and impact analysis through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ariadne_core.config import Settings
from tests.api.catalog_helpers import make_field, make_source, make_table


@pytest.fixture
def chain(client: TestClient, auth_headers: Any) -> dict[str, Any]:
    """raw -> stg -> fact -> report (manual), fact -> mart (inferred), report -> raw (rejected)."""
    admin, editor, steward = auth_headers("admin"), auth_headers("editor"), auth_headers("steward")
    src = make_source(client, admin, "w")
    t = {
        name: make_table(
            client, admin, src["id"], name, schema=None, owner=f"{name}-team@example.com"
        )
        for name in ("raw", "stg", "fact", "report", "mart")
    }
    f = {name: make_field(client, admin, t[name]["id"], "amount") for name in t}

    def link(a: str, b: str, **extra: Any) -> dict[str, Any]:
        resp = client.post(
            "/api/v1/lineage/field",
            headers=editor,
            json={"source_field_id": f[a]["id"], "target_field_id": f[b]["id"], **extra},
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    link("raw", "stg")
    link("stg", "fact")
    link("fact", "report")
    link("fact", "mart", lineage_source="inferred", confidence=0.3)
    back = client.post(
        "/api/v1/lineage/table",
        headers=editor,
        json={"source_table_id": t["report"]["id"], "target_table_id": t["raw"]["id"]},
    ).json()
    client.post(
        f"/api/v1/lineage/{back['id']}/approve",
        headers=steward,
        json={"approved": False, "comment": "not real"},
    )
    return {"t": t, "f": f, "viewer": auth_headers("viewer")}


def _names(body: dict[str, Any]) -> dict[str, int]:
    return {n["qualified_name"]: n["depth"] for n in body["nodes"]}


def test_downstream_and_upstream(client: TestClient, chain: dict[str, Any]) -> None:
    t, h = chain["t"], chain["viewer"]
    down = client.get(f"/api/v1/lineage/table/{t['raw']['id']}/downstream", headers=h).json()
    assert _names(down) == {"w.raw": 0, "w.stg": 1, "w.fact": 2, "w.report": 3, "w.mart": 3}
    assert down["truncated"] is False and down["root_id"] == t["raw"]["id"]
    assert {e["lineage_source"] for e in down["edges"]} == {"manual", "inferred"}
    up = client.get(
        f"/api/v1/lineage/table/{t['report']['id']}/upstream", params={"depth": 2}, headers=h
    ).json()
    assert _names(up) == {"w.report": 0, "w.fact": 1, "w.stg": 2}


def test_rejected_edges_are_hidden_unless_asked_for(
    client: TestClient, chain: dict[str, Any]
) -> None:
    t, h = chain["t"], chain["viewer"]
    default = client.get(f"/api/v1/lineage/table/{t['report']['id']}/downstream", headers=h).json()
    assert _names(default) == {"w.report": 0}
    with_rejected = client.get(
        f"/api/v1/lineage/table/{t['report']['id']}/downstream",
        params={"status": ["active", "rejected"]},
        headers=h,
    ).json()
    assert "w.raw" in _names(with_rejected)


def test_filters_by_lineage_source_and_confidence(
    client: TestClient, chain: dict[str, Any]
) -> None:
    t, h = chain["t"], chain["viewer"]
    url = f"/api/v1/lineage/table/{t['fact']['id']}/downstream"
    manual = client.get(url, params={"source_filter": "manual,approved"}, headers=h).json()
    assert _names(manual) == {"w.fact": 0, "w.report": 1}
    confident = client.get(url, params={"min_confidence": 0.5}, headers=h).json()
    assert "w.mart" not in _names(confident)


def test_include_fields_and_field_level_endpoints(
    client: TestClient, chain: dict[str, Any]
) -> None:
    t, f, h = chain["t"], chain["f"], chain["viewer"]
    body = client.get(
        f"/api/v1/lineage/table/{t['stg']['id']}/downstream",
        params={"include_fields": True},
        headers=h,
    ).json()
    fields = {n["qualified_name"]: n["depth"] for n in body["nodes"] if n["type"] == "field"}
    assert fields["w.stg.amount"] == 0 and fields["w.report.amount"] == 2
    up = client.get(f"/api/v1/lineage/field/{f['report']['id']}/upstream", headers=h).json()
    assert _names(up) == {
        "w.report.amount": 0,
        "w.fact.amount": 1,
        "w.stg.amount": 2,
        "w.raw.amount": 3,
    }


def test_node_budget_truncates_with_a_cursor(
    client: TestClient, chain: dict[str, Any], settings: Settings
) -> None:
    t, h = chain["t"], chain["viewer"]
    url = f"/api/v1/lineage/table/{t['raw']['id']}/downstream"
    settings.lineage_node_budget = 2  # the app reads this same settings object
    first = client.get(url, headers=h).json()
    assert first["truncated"] is True and len(first["nodes"]) == 2 and first["total_nodes"] == 5
    second = client.get(url, params={"cursor": first["next_cursor"]}, headers=h).json()
    third = client.get(url, params={"cursor": second["next_cursor"]}, headers=h).json()
    assert third["truncated"] is False and third["next_cursor"] is None
    seen = [n["qualified_name"] for page in (first, second, third) for n in page["nodes"]]
    assert sorted(seen) == sorted(["w.raw", "w.stg", "w.fact", "w.report", "w.mart"])
    bad = client.get(url, params={"cursor": "not-a-cursor"}, headers=h)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "params,fragment",
    [
        ({"depth": 11}, "depth 11 is outside 1..10"),
        ({"source_filter": "guessed"}, "'guessed' is not a lineage source"),
        ({"min_confidence": 2}, "min_confidence"),
    ],
)
def test_bad_traversal_parameters(
    client: TestClient, chain: dict[str, Any], params: dict[str, Any], fragment: str
) -> None:
    resp = client.get(
        f"/api/v1/lineage/table/{chain['t']['raw']['id']}/upstream",
        params=params,
        headers=chain["viewer"],
    )
    assert resp.status_code == 422
    assert fragment in resp.json()["error"]["message"] + str(resp.json()["error"]["details"])


def test_unknown_root_is_404(client: TestClient, chain: dict[str, Any]) -> None:
    resp = client.get(
        "/api/v1/lineage/table/00000000-0000-0000-0000-000000000000/upstream",
        headers=chain["viewer"],
    )
    assert resp.status_code == 404


def test_impact_of_dropping_a_table(client: TestClient, chain: dict[str, Any]) -> None:
    t, h = chain["t"], chain["viewer"]
    body = client.get(
        f"/api/v1/lineage/impact/{t['stg']['id']}", params={"change_type": "drop"}, headers=h
    ).json()
    tables = {x["qualified_name"]: x for x in body["tables"]}
    assert set(tables) == {"w.fact", "w.report", "w.mart"}
    assert tables["w.fact"]["severity"] == "critical" and tables["w.fact"]["distance"] == 1
    assert tables["w.report"]["path"] == ["w.stg", "w.fact", "w.report"]
    assert tables["w.report"]["severity"] == "high"
    assert tables["w.mart"]["via_inferred"] is True
    assert tables["w.mart"]["severity"] == "medium"  # further away and through an inferred edge
    assert {x["qualified_name"] for x in body["fields"]} == {
        "w.fact.amount",
        "w.report.amount",
        "w.mart.amount",
    }
    assert body["owners_to_notify"] == [
        "fact-team@example.com",
        "mart-team@example.com",
        "report-team@example.com",
    ]


def test_column_level_impact(client: TestClient, chain: dict[str, Any]) -> None:
    t, f, h = chain["t"], chain["f"], chain["viewer"]
    body = client.get(
        f"/api/v1/lineage/impact/{t['fact']['id']}",
        headers=h,
        params={"change_type": "type_change", "field_id": f["fact"]["id"]},
    ).json()
    assert {x["qualified_name"]: x["severity"] for x in body["fields"]} == {
        "w.report.amount": "high",
        "w.mart.amount": "medium",
    }
    assert {x["qualified_name"] for x in body["tables"]} == {"w.report", "w.mart"}
    # the tables and owners come from the fields reached (their tables named with them)
    assert {x["qualified_name"]: x["path"] for x in body["tables"]} == {
        "w.report": ["w.fact.amount", "w.report.amount"],
        "w.mart": ["w.fact.amount", "w.mart.amount"],
    }
    assert body["owners_to_notify"] == ["mart-team@example.com", "report-team@example.com"]
    wrong = client.get(
        f"/api/v1/lineage/impact/{t['fact']['id']}",
        headers=h,
        params={"change_type": "drop", "field_id": f["raw"]["id"]},
    )
    assert wrong.status_code == 404
    bad = client.get(
        f"/api/v1/lineage/impact/{t['fact']['id']}", headers=h, params={"change_type": "explode"}
    )
    assert bad.status_code == 422


def test_impact_stops_walking_at_the_node_budget(
    client: TestClient, chain: dict[str, Any], settings: Settings
) -> None:
    """raw reaches stg, fact, report, mart: with a budget of 2 the walk stops at the two
    nearest and says so, instead of walking everything and trimming."""
    t, h = chain["t"], chain["viewer"]
    url = f"/api/v1/lineage/impact/{t['raw']['id']}"
    whole = client.get(url, params={"change_type": "drop"}, headers=h).json()
    assert whole["truncated"] is False and len(whole["tables"]) == 4
    settings.lineage_node_budget = 2  # the app reads this same settings object
    cut = client.get(url, params={"change_type": "drop", "depth": 9}, headers=h).json()
    assert cut["truncated"] is True
    assert [a["qualified_name"] for a in cut["tables"]] == ["w.stg", "w.fact"]
    assert len(cut["fields"]) == 2


def test_a_walk_within_the_budget_is_named_by_its_own_statement(
    client: TestClient, chain: dict[str, Any], settings: Settings, db_session: Any
) -> None:
    """In PostgreSQL, a traversal within the node budget is one statement: the walk names
    its nodes. Past the budget, the page is named by a second statement, as before; both
    give the same nodes at the same depths."""
    import uuid

    from ariadne_core.db.engine import driver_connection
    from ariadne_core.db.plans import run
    from ariadne_core.errors import NotFound
    from ariadne_core.graph.store import EdgeFilter
    from ariadne_core.lineage.traversal import TraversalQuery, traversal_plan

    conn = driver_connection(db_session)
    root = uuid.UUID(chain["t"]["raw"]["id"])

    def traverse(budget: int) -> tuple[dict[str, int], int]:
        settings.lineage_node_budget = budget
        query = TraversalQuery(root, "table", "downstream", 3, EdgeFilter())
        plan, statements = traversal_plan(settings, query), 0
        try:
            sql = next(plan)
            while True:
                statements += 1
                sql = plan.send(conn.execute(*sql).fetchone())
        except StopIteration as done:
            return {n.qualified_name: n.depth for n in done.value.nodes}, statements

    within, one = traverse(500)
    assert one == 1
    assert within == {"w.raw": 0, "w.stg": 1, "w.fact": 2, "w.report": 3, "w.mart": 3}
    past, two = traverse(4)
    assert two == 2 and past == {k: v for k, v in within.items() if k != "w.report"}  # by name
    settings.lineage_node_budget = 500
    missing = TraversalQuery(uuid.uuid4(), "table", "downstream", 3, EdgeFilter())
    with pytest.raises(NotFound, match="not in the catalog"):
        run(conn, traversal_plan(settings, missing))
