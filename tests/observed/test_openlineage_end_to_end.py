"""OpenLineage events from the real `openlineage-python` client's HTTP transport, posted
to a running API exactly as to Marquez, become observations and observed edges; declared
lineage is verified against them."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import column_lineage_dataset, sql_job
from openlineage.client.transport.http import HttpConfig, HttpTransport

from tests.observed.conftest import LiveApi

PRODUCER = "https://github.com/example/etl/v1"
LOAD_SQL = (
    "INSERT INTO marts.daily_orders (day, amount) "
    "SELECT CAST(id AS date), sum(amount) FROM public.orders GROUP BY 1"
)
NS = "postgres://db.example:5432"


def _client(api: LiveApi, key: str, compression: str | None = None) -> OpenLineageClient:
    config = HttpConfig.from_dict(
        {
            "url": api.base,
            "auth": {"type": "api_key", "apiKey": key},
            **({"compression": compression} if compression else {}),
        }
    )
    return OpenLineageClient(transport=HttpTransport(config))


def _catalog(api: LiveApi) -> dict[str, Any]:
    """A source answering to NS, four tables, and two declared edges into daily_orders."""
    admin = api.headers("admin")
    source = httpx.post(
        api.api("/sources"),
        headers=admin,
        json={"name": "shop", "type": "manual", "namespace_aliases": [NS.upper() + "/"]},
    )
    assert source.status_code == 201, source.text
    assert source.json()["namespace_aliases"] == [NS]  # normalized
    ids: dict[str, Any] = {"source": source.json()["id"]}
    for schema, name, columns in (
        ("public", "orders", ["id", "amount", "customer_id"]),
        ("public", "customers", ["id", "region"]),
        ("marts", "daily_orders", ["day", "amount"]),
        ("finance", "revenue", ["amount"]),
    ):
        table = httpx.post(
            api.api("/tables"),
            headers=admin,
            json={"source_id": ids["source"], "schema_name": schema, "name": name},
        )
        assert table.status_code == 201, table.text
        ids[name] = table.json()["id"]
        for column in columns:
            resp = httpx.post(
                api.api("/fields"), headers=admin, json={"table_id": ids[name], "name": column}
            )
            assert resp.status_code == 201, resp.text
    for source_name in ("orders", "customers"):
        edge = httpx.post(
            api.api("/lineage/table"),
            headers=api.headers("editor"),
            json={"source_table_id": ids[source_name], "target_table_id": ids["daily_orders"]},
        )
        assert edge.status_code == 201, edge.text
        ids[f"{source_name}->daily_orders"] = edge.json()["id"]
    return ids


def _run(
    job: str,
    inputs: list[str],
    outputs: list[OutputDataset],
    when: datetime,
    sql: str = "SELECT 1",
) -> list[RunEvent]:
    run = Run(runId=str(uuid.uuid4()))
    common = {
        "run": run,
        "job": Job(namespace="airflow", name=job, facets={"sql": sql_job.SQLJobFacet(query=sql)}),
        "producer": PRODUCER,
        "inputs": [InputDataset(namespace=NS, name=n) for n in inputs],
        "outputs": outputs,
    }
    return [
        RunEvent(eventType=RunState.START, eventTime=when.isoformat(), **common),
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=(when + timedelta(minutes=5)).isoformat(),
            **common,
        ),
    ]


def _edge(api: LiveApi, edge_id: str) -> dict[str, Any]:
    resp = httpx.get(api.api(f"/lineage/{edge_id}"), headers=api.headers("viewer"))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_events_from_the_openlineage_client_become_observed_lineage(live_api: LiveApi) -> None:
    api = live_api
    ids = _catalog(api)
    key = httpx.post(
        api.api("/api-keys"),
        headers=api.headers("admin"),
        json={"name": "airflow", "scopes": ["lineage:ingest"]},
    )
    assert key.status_code == 201, key.text
    secret = key.json()["key"]
    listed = httpx.get(api.api("/api-keys"), headers=api.headers("admin")).json()
    assert secret not in json.dumps(listed) and listed[0]["prefix"] == secret[:14]

    now = datetime.now(UTC).replace(microsecond=0)
    daily = OutputDataset(
        namespace=NS,
        name="shop.marts.daily_orders",
        facets={
            "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
                fields={
                    "amount": column_lineage_dataset.Fields(
                        inputFields=[
                            column_lineage_dataset.InputField(
                                namespace=NS,
                                name="shop.public.orders",
                                field="amount",
                                transformations=[
                                    column_lineage_dataset.Transformation(
                                        type="DIRECT", subtype="AGGREGATION"
                                    )
                                ],
                            )
                        ]
                    )
                }
            )
        },
    )
    client = _client(api, secret)
    # two runs of the job on two days: orders -> daily_orders (declared), and the
    # undeclared orders -> revenue; customers -> daily_orders is never reported.
    for day in (2, 1):
        for event in _run(
            "daily_orders.load",
            ["shop.public.orders"],
            [daily, OutputDataset(namespace=NS, name="shop.finance.revenue")],
            now - timedelta(days=day),
            sql=LOAD_SQL,
        ):
            client.emit(event)
    # gzip, as the transport's `compression: gzip` sends it; a dataset nobody harvested
    gz = _client(api, secret, compression="gzip")
    for event in _run(
        "exports.push",
        ["shop.marts.daily_orders"],
        [OutputDataset(namespace="s3://exports", name="daily/orders.parquet")],
        now - timedelta(hours=1),
    ):
        gz.emit(event)
    gz.emit(
        JobEvent(
            eventTime=now.isoformat(),
            producer=PRODUCER,
            job=Job(namespace="airflow", name="static.job"),
            inputs=[InputDataset(namespace=NS, name="shop.public.customers")],
            outputs=[OutputDataset(namespace=NS, name="shop.finance.revenue")],
        )
    )
    status = api.wait_processed()
    assert status == {"pending": 0, "failed": 0, "processed": 7}, status
    used = httpx.get(api.api("/api-keys"), headers=api.headers("admin")).json()
    assert used[0]["last_used_at"] is not None

    # the declared edge is untouched, and shows what the job reported: 2 runs, not 4 events
    declared = _edge(api, ids["orders->daily_orders"])
    assert (declared["lineage_source"], declared["origin"], declared["status"]) == (
        "manual",
        "manual",
        "active",
    )
    assert declared["version"] == 1
    observation = declared["observation"]
    assert observation["observation_count"] == 2
    assert observation["jobs"] == ["airflow/daily_orders.load"]
    assert datetime.fromisoformat(observation["first_observed_at"]) == now - timedelta(days=2)
    assert datetime.fromisoformat(observation["last_observed_at"]) == now - timedelta(
        days=1
    ) + timedelta(minutes=5)
    assert _edge(api, ids["customers->daily_orders"])["observation"] is None
    # the job's SQL facet went through lineage inference: evidence on the declared edge,
    # which stays as it is
    evidence = [e["origin"] for e in declared["evidence"]]
    assert evidence == ["sql:openlineage:airflow/daily_orders.load"]

    # the undeclared edge waits for a steward, with the job as evidence
    queue = httpx.get(
        api.api("/lineage/review"), headers=api.headers("steward"), params={"size": 100}
    ).json()
    pending = {(e["source_name"], e["target_name"]): e for e in queue["items"]}
    revenue = pending[("shop.public.orders", "shop.finance.revenue")]
    assert (revenue["lineage_source"], revenue["origin"], revenue["status"]) == (
        "inferred",
        "observed",
        "pending_review",
    )
    assert revenue["confidence"] >= 0.9
    assert revenue["metadata"]["observed_by"]["job"] == "airflow/daily_orders.load"
    assert revenue["observation"]["observation_count"] == 2
    field_edge = pending[("shop.public.orders.amount", "shop.marts.daily_orders.amount")]
    assert field_edge["transformation_type"] == "aggregate"  # OpenLineage's AGGREGATION
    assert field_edge["table_lineage_id"] == ids["orders->daily_orders"]
    # the job event (no run) counts as one observation
    static = pending[("shop.public.customers", "shop.finance.revenue")]
    assert static["observation"]["jobs"] == ["airflow/static.job"]

    # the dataset nobody harvested is kept for an admin, never dropped
    unmatched = httpx.get(
        api.api("/lineage/observed/datasets"),
        headers=api.headers("viewer"),
        params={"matched": "false"},
    ).json()
    assert [(d["namespace"], d["name"]) for d in unmatched["items"]] == [
        ("s3://exports", "daily/orders.parquet")
    ]
    dataset_id = unmatched["items"][0]["id"]
    refused = httpx.put(
        api.api(f"/lineage/observed/datasets/{dataset_id}"),
        headers=api.headers("steward"),
        json={"table_id": ids["revenue"]},
    )
    assert refused.status_code == 403
    mapped = httpx.put(
        api.api(f"/lineage/observed/datasets/{dataset_id}"),
        headers=api.headers("admin"),
        json={"table_id": ids["revenue"]},
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["edges_created"] == 1  # daily_orders -> revenue

    verification = httpx.get(api.api("/lineage/verification"), headers=api.headers("viewer")).json()
    assert verification["window_days"] == 30
    assert [e["id"] for e in verification["confirmed"]["items"]] == [ids["orders->daily_orders"]]
    # daily_orders is written by a reporting job, and customers -> daily_orders was not seen
    assert [e["id"] for e in verification["unobserved"]["items"]] == [
        ids["customers->daily_orders"]
    ]
    undeclared = {(e["source_name"], e["target_name"]) for e in verification["undeclared"]["items"]}
    assert undeclared == {
        ("shop.public.orders", "shop.finance.revenue"),
        ("shop.public.customers", "shop.finance.revenue"),
        ("shop.marts.daily_orders", "shop.finance.revenue"),
    }
    assert verification["undeclared"]["total"] == 3
    # a window that ends before the runs: nothing confirmed, and nothing to call stale
    narrow = httpx.get(
        api.api("/lineage/verification"),
        headers=api.headers("viewer"),
        params={"owner": "nobody@example.com"},
    ).json()
    assert narrow["confirmed"]["total"] == narrow["undeclared"]["total"] == 0

    # traversal and impact can keep to what running jobs showed
    def upstream(**params: Any) -> set[str]:
        body = httpx.get(
            api.api(f"/lineage/table/{ids['daily_orders']}/upstream"),
            headers=api.headers("viewer"),
            params=params,
        ).json()
        return {n["qualified_name"] for n in body["nodes"]} - {"shop.marts.daily_orders"}

    assert upstream() == {"shop.public.orders", "shop.public.customers"}
    assert upstream(observed_within_days=30) == {"shop.public.orders"}

    def impacted(**params: Any) -> set[str]:
        body = httpx.get(
            api.api(f"/lineage/impact/{ids['customers']}"),
            headers=api.headers("viewer"),
            params={"change_type": "drop", **params},
        ).json()
        return {t["qualified_name"] for t in body["tables"]}

    assert "shop.marts.daily_orders" in impacted()
    assert impacted(observed_within_days=30) == {"shop.finance.revenue"}  # the job event
    assert (
        httpx.get(
            api.api(f"/lineage/table/{ids['orders']}/downstream"),
            headers=api.headers("viewer"),
            params={"observed_within_days": 0},
        ).status_code
        == 422
    )

    # a steward approves everything one job reported, at once
    job = {"job_namespace": "airflow", "job_name": "daily_orders.load", "approved": True}
    assert (
        httpx.post(
            api.api("/lineage/observed/jobs/decide"),
            headers=api.headers("editor"),
            json={**job, "comment": "seen in prod"},
        ).status_code
        == 403
    )
    decided = httpx.post(
        api.api("/lineage/observed/jobs/decide"),
        headers=api.headers("steward"),
        json={**job, "comment": "the load job does this"},
    )
    assert decided.status_code == 200, decided.text
    assert {(e["lineage_source"], e["origin"]) for e in decided.json()} == {
        ("approved", "observed")
    }
    assert sorted((e["kind"], e["source_name"]) for e in decided.json()) == [
        ("field", "shop.public.orders.amount"),
        ("table", "shop.public.orders"),
    ]
    after = httpx.get(api.api("/lineage/verification"), headers=api.headers("viewer")).json()
    assert ("shop.public.orders", "shop.finance.revenue") in {
        (e["source_name"], e["target_name"]) for e in after["confirmed"]["items"]
    }


def test_the_endpoint_refuses_what_it_should(live_api: LiveApi) -> None:
    api = live_api
    url = api.api("/lineage")
    good = {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-01T04:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": "j"},
    }
    editor = api.headers("editor")
    assert httpx.post(url, json=good).status_code == 401
    assert httpx.post(url, json=good, headers=api.headers("viewer")).status_code == 403
    assert httpx.post(url, json=good, headers=editor).status_code == 201

    def refused(body: Any, **kwargs: Any) -> dict[str, Any]:
        resp = httpx.post(
            url,
            headers={**editor, **kwargs.pop("headers", {})},
            **({"json": body} if body is not None else kwargs),
        )
        assert 400 <= resp.status_code < 500, resp.text
        return dict(resp.json()["error"])

    error = refused({**good, "run": {"runId": "not-a-uuid"}})
    assert error["details"]["field"] == "run.runId" and "UUID" in error["message"]
    error = refused([good, {k: v for k, v in good.items() if k != "eventTime"}])
    assert error["details"]["field"] == "events[1].eventTime"
    error = refused({**good, "eventTime": "yesterday"})
    assert error["details"]["field"] == "eventTime"
    error = refused({**good, "inputs": [{"namespace": "x"}]})
    assert error["details"]["field"] == "inputs[0].name"
    error = refused({"hello": "world"})
    assert "RunEvent" in error["message"]
    assert refused([])["details"]["field"] == "body"
    deep: Any = {}
    for _ in range(40):
        deep = {"a": deep}
    assert refused({**good, "run": {**good["run"], "facets": deep}})["code"] == "LIMIT_EXCEEDED"
    bomb = gzip.compress(b"[" + b" " * (40 * 1024 * 1024) + b"]")
    resp = httpx.post(
        url,
        content=bomb,
        headers={**editor, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert resp.status_code == 413, resp.text
    for text in (
        json.dumps({**good, "job": {"namespace": "a\u0000b", "name": "j"}}),
        json.dumps(good)[:-1] + ', "x": NaN}',
    ):
        resp = httpx.post(url, content=text, headers={**editor, "Content-Type": "application/json"})
        assert resp.status_code == 422, resp.text
    # a request that cannot be stored never takes a good one down with it
    assert httpx.post(url, json=good, headers=editor).status_code == 201
    resp = httpx.post(
        url, content=b"{not json", headers={**editor, "Content-Type": "application/json"}
    )
    assert resp.status_code == 422 and "not JSON" in resp.json()["error"]["message"]

    # a revoked key stops working at once
    created = httpx.post(
        api.api("/api-keys"),
        headers=api.headers("admin"),
        json={"name": "spark", "scopes": ["lineage:ingest"]},
    ).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    assert httpx.post(url, json=good, headers=key).status_code == 201
    assert (
        httpx.delete(
            api.api(f"/api-keys/{created['id']}"), headers=api.headers("admin")
        ).status_code
        == 200
    )
    resp = httpx.post(url, json=good, headers=key)
    assert resp.status_code == 401 and created["key"] not in resp.text
    assert (
        httpx.post(
            api.api("/api-keys"),
            headers=api.headers("admin"),
            json={"name": "x", "scopes": ["admin"]},
        ).status_code
        == 422
    )
    assert httpx.get(api.api("/api-keys"), headers=api.headers("steward")).status_code == 403
