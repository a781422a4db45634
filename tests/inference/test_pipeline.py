"""The inferred_lineage asset on a real harvested source: it runs after source_metadata,
reports what it did, passes its checks, skips unchanged SQL, and the weekly schedule
forces a full re-inference."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from dagster import DagsterInstance, build_schedule_context, materialize
from sqlalchemy import Engine

from ariadne_core.config import get_settings
from ariadne_core.db.models import SourceType
from ariadne_pipelines.assets.harvest import PARTITIONS, source_metadata
from ariadne_pipelines.assets.inference import full_inference, inferred_lineage
from ariadne_pipelines.definitions import defs
from ariadne_pipelines.resources import CatalogDatabase
from tests.harvest.conftest import harvest_resources, make_source, pg_config


def test_definitions_wire_inference_after_the_sync() -> None:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    key = inferred_lineage.key
    assert source_metadata.key in graph.get(key).parent_keys
    assert graph.get(key).automation_condition is not None
    assert repo.get_sensor_def("inference_after_sync") is not None
    assert repo.get_schedule_def("full_inference").cron_schedule == "0 4 * * 0"
    policy = inferred_lineage.op.retry_policy
    assert policy is not None and policy.max_retries == 3
    checks = {c.name for c in inferred_lineage.check_specs}
    assert checks == {"inference_left_declared_edges_alone", "parse_failure_rate"}


def test_sync_then_inference_with_checks_and_an_idempotent_rerun(
    dagster_env: None,
    catalog_engine: Engine,
    keyring: Any,
    catalog_db: CatalogDatabase,
    make_database: Any,
    tmp_path: Any,
) -> None:
    url = str(make_database("infer_dagster"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE orders (id int, amount numeric); "
            "CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100; "
            "CREATE VIEW order_ids AS SELECT id FROM orders"
        )
    source_id = make_source(
        catalog_engine, keyring, "dag_inf", SourceType.POSTGRESQL, pg_config(url)
    )
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    result = materialize(
        [source_metadata, inferred_lineage],
        instance=instance,
        partition_key=str(source_id),
        resources=harvest_resources(catalog_db),
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("inferred_lineage")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert metadata["origins"] == 2 and metadata["statements_parsed"] == 2
    assert metadata["edges_proposed"] == 5  # two table edges, three field edges
    assert metadata["parse_failures"] == 0
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"inference_left_declared_edges_alone": True, "parse_failure_rate": True}

    again = materialize(
        [inferred_lineage],
        instance=instance,
        partition_key=str(source_id),
        resources={"catalog_db": catalog_db},
    )
    (event,) = again.asset_materializations_for_node("inferred_lineage")
    assert event.metadata["skipped_unchanged"].value == 2
    assert event.metadata["edges_proposed"].value == 0

    schedule_instance = DagsterInstance.local_temp(str(tmp_path))
    schedule_instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    with build_schedule_context(
        instance=schedule_instance,
        scheduled_execution_time=datetime(2026, 12, 6, 4, tzinfo=UTC),
        resources={"catalog_db": catalog_db},
    ) as context:
        requests = full_inference(context)
    mine = [r for r in requests if r.partition_key == str(source_id)]
    assert len(mine) == 1
    assert mine[0].run_config["ops"]["inferred_lineage"]["config"]["force"] is True


def test_the_asset_does_nothing_when_inference_is_off(
    dagster_env: None,
    monkeypatch: pytest.MonkeyPatch,
    catalog_engine: Engine,
    keyring: Any,
    catalog_db: CatalogDatabase,
) -> None:
    monkeypatch.setenv("ARIADNE_INFERENCE", "false")
    get_settings.cache_clear()
    source_id = make_source(
        catalog_engine,
        keyring,
        "off_src",
        SourceType.POSTGRESQL,
        {"host": "h", "database": "d", "username": "u"},
    )
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    result = materialize(
        [inferred_lineage],
        instance=instance,
        partition_key=str(source_id),
        resources={"catalog_db": catalog_db},
    )
    (event,) = result.asset_materializations_for_node("inferred_lineage")
    assert event.metadata["disabled"].value is True
