"""Listing tables (filters, sort, tags, pages) and full-text search with typo tolerance."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ariadne_api.schemas.catalog import SearchPage, SearchResult
from ariadne_core.config import Settings
from tests.api.catalog_helpers import make_field, make_source, make_table


@pytest.fixture(params=[64, 0], ids=["catalog-cache", "no-catalog-cache"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every list and search answer, as deployed and with the catalog cache off (each
    list is then one statement: count and page together)."""
    return settings.model_copy(update={"catalog_cache_mb": request.param})


@pytest.fixture
def catalog(client: TestClient, auth_headers: Any) -> dict[str, Any]:
    admin = auth_headers("admin")
    dwh, crm = make_source(client, admin, "dwh"), make_source(client, admin, "crm")
    tables = {
        "dim_customer": make_table(
            client,
            admin,
            dwh["id"],
            "dim_customer",
            schema="core",
            description="One row per customer",
            tags=["gold", "pii"],
        ),
        "fact_orders": make_table(
            client,
            admin,
            dwh["id"],
            "fact_orders",
            schema="core",
            description="Orders placed in the web shop",
            tags=["gold"],
        ),
        "v_revenue": make_table(
            client,
            admin,
            dwh["id"],
            "v_revenue",
            schema="marts",
            table_type="view",
            description="Revenue per day",
        ),
        "accounts": make_table(
            client,
            admin,
            crm["id"],
            "accounts",
            schema="public",
            tags=["pii"],
            description="CRM accounts",
        ),
    }
    make_field(
        client,
        admin,
        tables["accounts"]["id"],
        "customer_email",
        description="E-mail address of the customer",
        tags=["pii"],
    )
    make_field(
        client, admin, tables["fact_orders"]["id"], "order_total", description="Gross amount in EUR"
    )
    return {"dwh": dwh, "crm": crm, "tables": tables, "headers": auth_headers("viewer")}


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_list_filters(client: TestClient, catalog: dict[str, Any]) -> None:
    h = catalog["headers"]
    get = lambda **p: client.get("/api/v1/tables", params=p, headers=h).json()  # noqa: E731
    assert get(source_id=catalog["crm"]["id"])["total"] == 1
    assert _names(get(type="view")) == ["v_revenue"]
    assert _names(get(tags=["gold", "pii"])) == ["dim_customer"]
    assert sorted(_names(get(tags=["pii"]))) == ["accounts", "dim_customer"]
    assert _names(get(search="revenue")) == ["v_revenue"]
    assert _names(get(search="web shop")) == ["fact_orders"]
    assert _names(get(sort="-name", size=2)) == ["v_revenue", "fact_orders"]
    assert _names(get(sort="name", size=2, page=2)) == ["fact_orders", "v_revenue"]


def test_pagination_edges(client: TestClient, catalog: dict[str, Any]) -> None:
    h = catalog["headers"]
    last = client.get("/api/v1/tables", params={"size": 3, "page": 2}, headers=h).json()
    assert (last["total"], last["pages"], len(last["items"])) == (4, 2, 1)
    past = client.get("/api/v1/tables", params={"size": 3, "page": 9}, headers=h).json()
    assert past["items"] == [] and past["total"] == 4
    empty = client.get("/api/v1/tables", params={"type": "index"}, headers=h).json()
    assert empty == {"total": 0, "page": 1, "size": 20, "pages": 0, "items": []}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"sort": "colour"}, "sort"),
        ({"size": 500}, "size"),
        ({"page": 0}, "page"),
        ({"type": "spreadsheet"}, "table_type"),
        ({"source_id": "nope"}, "source_id"),
    ],
)
def test_bad_list_parameters_are_422(
    client: TestClient, catalog: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    resp = client.get("/api/v1/tables", params=params, headers=catalog["headers"])
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    fields = [e["field"] for e in error["details"].get("errors", [error["details"]])]
    assert field in fields


def test_a_nul_character_in_a_list_search_is_422(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    resp = client.get("/api/v1/tables", params={"search": "a\x00"}, headers=catalog["headers"])
    assert resp.status_code == 422
    assert "NUL" in resp.json()["error"]["message"]


def test_unknown_tag_is_422_with_a_suggestion(client: TestClient, catalog: dict[str, Any]) -> None:
    resp = client.get("/api/v1/tables", params={"tags": ["gld"]}, headers=catalog["headers"])
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["details"]["unknown"] == ["gld"]
    assert "gold" in error["details"]["suggestions"]["gld"]
    assert "did you mean 'gold'" in error["message"]


def _search(client: TestClient, catalog: dict[str, Any], **params: Any) -> dict[str, Any]:
    resp = client.get("/api/v1/search", params=params, headers=catalog["headers"])
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_search_prefix_of_a_name_part(client: TestClient, catalog: dict[str, Any]) -> None:
    hits = _search(client, catalog, q="cust")
    names = [(h["type"], h["name"]) for h in hits["items"]]
    assert ("table", "dim_customer") in names
    assert ("field", "customer_email") in names


def test_search_tolerates_typos(client: TestClient, catalog: dict[str, Any]) -> None:
    hits = _search(client, catalog, q="custmer")
    assert hits["items"][0]["name"] in {"dim_customer", "customer_email"}
    assert "dim_customer" in [h["name"] for h in hits["items"]]


def test_search_descriptions_and_tags(client: TestClient, catalog: dict[str, Any]) -> None:
    assert [h["name"] for h in _search(client, catalog, q="gross amount")["items"]] == [
        "order_total"
    ]
    by_tag = {h["name"] for h in _search(client, catalog, q="pii", type="table")["items"]}
    assert by_tag == {"dim_customer", "accounts"}


def test_search_filters_and_pages(client: TestClient, catalog: dict[str, Any]) -> None:
    crm_only = _search(client, catalog, q="cust", source_ids=[catalog["crm"]["id"]])
    assert [h["name"] for h in crm_only["items"]] == ["customer_email"]
    assert crm_only["items"][0]["table_id"] == catalog["tables"]["accounts"]["id"]
    fields_only = _search(client, catalog, q="cust", type="field")
    assert {h["type"] for h in fields_only["items"]} == {"field"}
    paged = _search(client, catalog, q="cust", size=1, page=2)
    assert paged["total"] == 2 and len(paged["items"]) == 1
    scores = [h["score"] for h in _search(client, catalog, q="customer")["items"]]
    assert scores == sorted(scores, reverse=True)


def test_search_answers_match_the_response_model(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    """PostgreSQL writes the hits (ariadne_core.db.jsonsql): exactly the model's keys."""
    page = _search(client, catalog, q="cust")
    assert set(page) == set(SearchPage.model_fields)
    SearchPage.model_validate(page)
    assert page["total_exact"] is True
    assert page["items"]
    for hit in page["items"]:
        assert set(hit) == set(SearchResult.model_fields)
        SearchResult.model_validate(hit)
    past_the_end = _search(client, catalog, q="cust", page=50)
    assert past_the_end["items"] == [] and past_the_end["total"] == page["total"]


def test_search_excludes_deleted_tables(
    client: TestClient, catalog: dict[str, Any], auth_headers: Any
) -> None:
    table = catalog["tables"]["dim_customer"]
    # Searched (and so cached) first: the delete must still show at once.
    assert "dim_customer" in [h["name"] for h in _search(client, catalog, q="cust")["items"]]
    assert (
        client.delete(f"/api/v1/tables/{table['id']}", headers=auth_headers("editor")).status_code
        == 204
    )
    assert "dim_customer" not in [h["name"] for h in _search(client, catalog, q="cust")["items"]]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "a", "type": "view"},
        {"q": "a", "source_ids": ["bad"]},
        {"q": "cust\x00"},
    ],
)
def test_bad_search_parameters_are_422(
    client: TestClient, catalog: dict[str, Any], params: dict[str, Any]
) -> None:
    resp = client.get("/api/v1/search", params=params, headers=catalog["headers"])
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "VALIDATION_FAILED"


def test_typos_are_tried_only_when_no_word_matches(
    client: TestClient, catalog: dict[str, Any], auth_headers: Any
) -> None:
    # A name that only looks like "invoice" (trigram similarity), without the word.
    dwh = catalog["tables"]["dim_customer"]["source_id"]
    make_table(client, auth_headers("admin"), dwh, "invoise_archive", schema="trade")
    make_table(client, auth_headers("admin"), dwh, "invoice_lines", schema="trade")
    # With no word matching, similarity finds it (typos are tolerated both ways).
    assert "invoise_archive" in [h["name"] for h in _search(client, catalog, q="invoicr")["items"]]
    # "invoice" matches by its words, so look-alike names are not added to those
    # matches: every hit says "invoic(e)" in its name, description or tags.
    hits = _search(client, catalog, q="invoice", size=100)
    assert hits["total"] == len(hits["items"]) > 0
    assert "invoice_lines" in [h["name"] for h in hits["items"]]
    for hit in hits["items"]:
        said = " ".join([hit["name"], hit["description"] or "", *hit["tags"]]).lower()
        assert "invoic" in said, hit


def test_typos_find_names_added_or_renamed_since(
    client: TestClient, catalog: dict[str, Any], auth_headers: Any
) -> None:
    """Typos are corrected against the words of names (search_words, kept by triggers),
    so a table created, a field added and a table renamed after the catalog was loaded
    are each found by a misspelling; a word close to nothing finds nothing."""
    admin = auth_headers("admin")
    dwh = catalog["tables"]["dim_customer"]["source_id"]

    def found(q: str, **params: Any) -> list[str]:
        return [h["name"] for h in _search(client, catalog, q=q, **params)["items"]]

    assert found("quartrly") == []
    table = make_table(client, admin, dwh, "quarterly_forecast", schema="plan")
    assert found("quartrly") == ["quarterly_forecast"]
    field = {"table_id": table["id"], "name": "headcount_budget", "data_type": "INTEGER"}
    assert client.post("/api/v1/fields", json=field, headers=admin).status_code == 201
    assert found("headcont", type="field") == ["headcount_budget"]
    renamed = client.put(
        f"/api/v1/tables/{table['id']}", json={"name": "annual_outlook"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert found("outlok") == ["annual_outlook"]
    # Two misspelt words: both corrected, and a name holding both is found...
    assert found("anual outlok") == ["annual_outlook"]
    # ...and when no name holds both, those holding either (as for words spelt right).
    either = found("custmer outlok")
    assert "annual_outlook" in either and "dim_customer" in either
    assert found("zqxjkv") == []
    # A question with no word at all is still answered (by name similarity).
    assert (
        client.get("/api/v1/search", params={"q": "__"}, headers=catalog["headers"]).status_code
        == 200
    )


def test_a_question_with_no_entity_having_every_word_finds_those_with_some(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    # No table or field says both "revenue" and "shop", each says one.
    hits = _search(client, catalog, q="revenue shop")
    assert {h["name"] for h in hits["items"]} == {"v_revenue", "fact_orders"}


def test_a_search_ranks_a_bounded_number_of_matches_whole_names_first(
    client: TestClient, catalog: dict[str, Any], auth_headers: Any, monkeypatch: Any
) -> None:
    admin = auth_headers("admin")
    tables = catalog["tables"]
    for table in ("dim_customer", "fact_orders", "v_revenue"):
        make_field(client, admin, tables[table]["id"], "email")
    make_field(client, admin, tables["v_revenue"]["id"], "contact", description="email to use")
    everything = _search(client, catalog, q="email", size=100)
    assert everything["total"] == 5 and everything["total_exact"] is True
    assert [h["name"] for h in everything["items"][:3]] == ["email"] * 3

    monkeypatch.setattr("ariadne_core.search.fulltext.MAX_MATCHES", 2)
    bounded = _search(client, catalog, q="Email", size=100)  # not the cached answer
    assert bounded["total"] == 2 and bounded["total_exact"] is False
    assert bounded["pages"] == 1
    # The whole-name matches come first, in qualified-name order.
    assert [h["qualified_name"] for h in bounded["items"]] == sorted(
        h["qualified_name"] for h in everything["items"] if h["name"] == "email"
    )[:2]


def test_a_whole_name_with_doubled_separators_is_still_the_whole_name(
    client: TestClient, catalog: dict[str, Any], auth_headers: Any
) -> None:
    # dbt names models `stg__orders`: the query and the index read the name the same way.
    dwh = catalog["tables"]["dim_customer"]["source_id"]
    make_table(client, auth_headers("admin"), dwh, "stg__payments", schema="staging")
    make_table(client, auth_headers("admin"), dwh, "stg__payments_daily", schema="staging")
    for q in ("stg__payments", "STG payments", "stg.payments"):
        first, second = _search(client, catalog, q=q, type="table")["items"][:2]
        assert first["name"] == "stg__payments" and first["score"] >= 1.0, (q, first)
        assert second["name"] == "stg__payments_daily" and second["score"] < first["score"]
