"""Nothing acknowledged is lost: events the API stored but did not process (its drainer
off here, as after a crash) are processed by the Dagster asset `observed_lineage`, which
the sensor asks for once they have waited; `lineage_verification` checks each source."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from dagster import DagsterInstance, build_sensor_context, materialize
from sqlalchemy import create_engine, text

from ariadne_core.config import Settings
from ariadne_core.db.engine import sqlalchemy_url
from ariadne_pipelines.assets.observed import (
    VERIFICATION_CHECK,
    lineage_verification,
    observed_lineage,
    observed_lineage_pending,
)
from ariadne_pipelines.resources import CatalogDatabase, SourceKeyring
from tests.observed.conftest import start_api

PRODUCER = "https://github.com/example/etl/v1"


def _event(job: str, source: str, target: str) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "cron", "name": job},
        "inputs": [{"namespace": "ariadne", "name": source}],
        "outputs": [{"namespace": "ariadne", "name": target}],
    }


def test_stored_events_are_processed_by_the_dagster_asset(live_settings: Settings) -> None:
    settings = live_settings.model_copy(update={"openlineage_drain_in_api": False})
    server, thread, base = start_api(settings)
    try:
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "admin@example.com", "password": "correct-horse-battery"},
        ).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        source = httpx.post(
            f"{base}/api/v1/sources", headers=headers, json={"name": "wh", "type": "manual"}
        ).json()
        ids = {}
        for name in ("raw", "clean", "report"):
            ids[name] = httpx.post(
                f"{base}/api/v1/tables",
                headers=headers,
                json={"source_id": source["id"], "schema_name": "s", "name": name},
            ).json()["id"]
        declared = httpx.post(
            f"{base}/api/v1/lineage/table",
            headers=headers,
            json={"source_table_id": ids["clean"], "target_table_id": ids["report"]},
        )
        assert declared.status_code == 201
        batch = [
            _event("clean.py", "wh.s.raw", "wh.s.clean"),
            _event("report.py", "wh.s.raw", "wh.s.report"),
        ]
        resp = httpx.post(f"{base}/api/v1/lineage", headers=headers, json=batch)
        assert resp.status_code == 201 and resp.json() == {"accepted": 2}
        status = httpx.get(f"{base}/api/v1/lineage/observed/status", headers=headers).json()
        assert status["pending"] == 2  # stored, acknowledged, not processed
    finally:
        server.should_exit = True
        thread.join(timeout=15)

    url = str(settings.database_url)
    catalog_db = CatalogDatabase(database_url=url)
    resources = {"catalog_db": catalog_db, "source_keyring": SourceKeyring()}
    engine = create_engine(sqlalchemy_url(url))
    with build_sensor_context(resources={"catalog_db": catalog_db}) as context:
        assert observed_lineage_pending(context).skip_message  # type: ignore[union-attr]
    with engine.begin() as conn:  # as if they had waited two minutes
        conn.execute(
            text("UPDATE openlineage_events SET received_at = now() - interval '2 minutes'")
        )
    with build_sensor_context(resources={"catalog_db": catalog_db}) as context:
        assert observed_lineage_pending(context).run_key.startswith("observed:")  # type: ignore[union-attr]

    result = materialize([observed_lineage], resources=resources)
    meta = result.asset_materializations_for_node("observed_lineage")[0].metadata
    assert meta["events_processed"].value == 2 and meta["edges_created"].value == 2
    assert meta["events_pending"].value == 0
    with engine.connect() as conn:
        created = conn.execute(
            text(
                "SELECT count(*) FROM table_lineage WHERE origin = 'observed' AND "
                "lineage_source = 'inferred' AND status = 'pending_review'"
            )
        ).scalar_one()
    assert created == 2
    again = materialize([observed_lineage], resources=resources)
    meta = again.asset_materializations_for_node("observed_lineage")[0].metadata
    assert meta["events_processed"].value == 0

    # the source: clean -> report is declared and written by nobody who reports (report.py
    # writes report from raw, so it is unobserved), raw -> clean and raw -> report undeclared
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("data_sources", [source["id"]])
    verified = materialize(
        [lineage_verification],
        instance=instance,
        partition_key=source["id"],
        resources={"catalog_db": catalog_db},
    )
    meta = verified.asset_materializations_for_node("lineage_verification")[0].metadata
    assert (meta["confirmed"].value, meta["unobserved"].value, meta["undeclared"].value) == (
        0,
        1,
        2,
    )
    (check,) = verified.get_asset_check_evaluations()
    assert check.check_name == VERIFICATION_CHECK and check.passed  # 2 <= the default 10
    engine.dispose()
