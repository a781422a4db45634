"""The Dagster side of harvesting: the partitioned asset, its sensor, schedule and retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    Backoff,
    DagsterInstance,
    Jitter,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from sqlalchemy import Engine, select

from ariadne_core.catalog.sources import delete_source
from ariadne_core.connectors.base import Connector, HarvestedField, HarvestedObject
from ariadne_core.db.engine import session_scope
from ariadne_core.db.models import DataSource, MetadataTable, SourceType, SyncJob
from ariadne_pipelines.assets.harvest import (
    PARTITIONS,
    data_source_partitions,
    nightly_harvest,
    source_metadata,
)
from ariadne_pipelines.definitions import defs
from ariadne_pipelines.resources import CatalogDatabase, SourceConnectors
from tests.harvest.conftest import harvest_resources, make_source, pg_config


def test_definitions_have_the_asset_sensor_and_nightly_schedule() -> None:
    repo = defs.get_repository_def()
    assert repo.get_schedule_def("nightly_harvest").cron_schedule == "0 2 * * *"
    assert repo.get_sensor_def("data_source_partitions") is not None
    assert repo.get_job("source_metadata_job").partitions_def is not None
    policy = source_metadata.op.retry_policy
    assert policy is not None
    assert (policy.max_retries, policy.backoff, policy.jitter) == (
        3,
        Backoff.EXPONENTIAL,
        Jitter.PLUS_MINUS,
    )


def test_sensor_adds_and_removes_partitions_with_sources(
    catalog_engine: Engine, keyring: Any, catalog_db: CatalogDatabase, shop_source_url: str
) -> None:
    instance = DagsterInstance.ephemeral()
    source_id = make_source(
        catalog_engine, keyring, "sensor_src", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    manual = make_source(catalog_engine, keyring, "by_hand", SourceType.MANUAL, {})
    with build_sensor_context(instance=instance, resources={"catalog_db": catalog_db}) as ctx:
        result = data_source_partitions(ctx)
    added = {key for req in result.dynamic_partitions_requests for key in req.partition_keys}
    assert str(source_id) in added and str(manual) not in added
    instance.add_dynamic_partitions(PARTITIONS, sorted(added))

    with session_scope(catalog_engine) as session:
        delete_source(session, keyring, source_id, actor="admin@example.com")
    with build_sensor_context(instance=instance, resources={"catalog_db": catalog_db}) as ctx:
        result = data_source_partitions(ctx)
    removed = [
        key
        for req in result.dynamic_partitions_requests
        if type(req).__name__ == "DeleteDynamicPartitionsRequest"
        for key in req.partition_keys
    ]
    assert removed == [str(source_id)]


def test_nightly_schedule_requests_one_run_per_active_source(
    catalog_engine: Engine,
    keyring: Any,
    catalog_db: CatalogDatabase,
    shop_source_url: str,
    tmp_path: Path,
) -> None:
    # The schedule needs an instance with a ref (on disk). Not entered as a context
    # manager: that would leave Dagster's current defs-state storage pointing at it.
    instance = DagsterInstance.local_temp(str(tmp_path))
    _check_schedule(catalog_engine, keyring, catalog_db, shop_source_url, instance)


def _check_schedule(
    catalog_engine: Engine,
    keyring: Any,
    catalog_db: CatalogDatabase,
    shop_source_url: str,
    instance: DagsterInstance,
) -> None:
    source_id = make_source(
        catalog_engine, keyring, "nightly_src", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    when = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    # As a context manager: the context enters the instance and must leave it again.
    with build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"catalog_db": catalog_db}
    ) as context:
        requests = nightly_harvest(context)
    keys = {r.partition_key: r for r in requests}
    assert str(source_id) in keys
    assert keys[str(source_id)].run_key == f"{source_id}:2026-11-27"
    assert keys[str(source_id)].tags["ariadne/trigger"] == "schedule"
    assert str(source_id) in instance.get_dynamic_partitions(PARTITIONS)


def test_asset_syncs_one_source_and_reports_counts(
    dagster_env: None,
    catalog_engine: Engine,
    keyring: Any,
    catalog_db: CatalogDatabase,
    shop_source_url: str,
) -> None:
    instance = DagsterInstance.ephemeral()
    source_id = make_source(
        catalog_engine, keyring, "dagster_src", SourceType.POSTGRESQL, pg_config(shop_source_url)
    )
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    result = materialize(
        [source_metadata],
        instance=instance,
        partition_key=str(source_id),
        resources=harvest_resources(catalog_db),
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("source_metadata")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert metadata["added"] >= 5 and metadata["deleted"] == 0 and metadata["unchanged"] == 0
    assert metadata["source"] == "dagster_src" and metadata["duration_s"] > 0
    assert metadata["explorer"].endswith(f"/#/sources/{source_id}")  # the explorer's page

    again = materialize(
        [source_metadata],
        instance=instance,
        partition_key=str(source_id),
        resources=harvest_resources(catalog_db),
        run_config={"ops": {"source_metadata": {"config": {"full_sync": True}}}},
    )
    (event,) = again.asset_materializations_for_node("source_metadata")
    assert event.metadata["history_rows"].value == 0
    assert event.metadata["full_sync"].value is True
    with session_scope(catalog_engine) as session:
        jobs = session.scalars(select(SyncJob).where(SyncJob.source_id == source_id)).all()
        assert sorted(j.status for j in jobs) == ["succeeded", "succeeded"]
        assert {j.trigger for j in jobs} == {"dagster"}


def test_asset_fails_without_retrying_when_the_error_is_not_transient(
    dagster_env: None, catalog_engine: Engine, keyring: Any, catalog_db: CatalogDatabase
) -> None:
    instance = DagsterInstance.ephemeral()
    source_id = make_source(
        catalog_engine,
        keyring,
        "down_src",
        SourceType.POSTGRESQL,
        {"host": "127.0.0.1", "port": 1, "database": "x", "username": "u"},
    )
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    result = materialize(
        [source_metadata],
        instance=instance,
        partition_key=str(source_id),
        resources=harvest_resources(catalog_db),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "host unreachable: 127.0.0.1:1" in str(failure.event_specific_data)
    with session_scope(catalog_engine) as session:
        source = session.get(DataSource, source_id)
        assert source is not None and source.last_sync_status == "failed"
        assert source.last_sync_error == "host unreachable: 127.0.0.1:1"


class _Recorded(Connector):
    """A connector that answers from objects recorded here: no server at all."""

    source_type = "postgresql"

    def server_version(self) -> str:
        return "recorded 1.0"

    def list_namespaces(self) -> list[str]:
        return ["sales"]

    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        return [("sales", "orders", "table")]

    def harvest(self, progress: Any = None) -> Iterator[HarvestedObject]:
        yield HarvestedObject(
            schema_name="sales",
            name="orders",
            table_type="table",
            fields=[HarvestedField(name="id", data_type="integer", ordinal_position=1)],
        )


class RecordedConnectors(SourceConnectors):
    def open(self, source_type: SourceType, config: dict[str, Any]) -> Connector:
        return _Recorded(config)


def test_the_connectors_resource_can_be_swapped(
    dagster_env: None, catalog_engine: Engine, keyring: Any, catalog_db: CatalogDatabase
) -> None:
    """The asset reads sources through its `connectors` resource: swapped for recorded
    answers, it harvests a source whose server does not exist."""
    source_id = make_source(
        catalog_engine,
        keyring,
        "recorded_src",
        SourceType.POSTGRESQL,
        {"host": "127.0.0.1", "port": 1, "database": "nowhere", "username": "u"},
    )
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTITIONS, [str(source_id)])
    result = materialize(
        [source_metadata],
        instance=instance,
        partition_key=str(source_id),
        resources=harvest_resources(catalog_db, connectors=RecordedConnectors()),
    )
    assert result.success
    with session_scope(catalog_engine) as session:
        names = session.scalars(
            select(MetadataTable.qualified_name).where(MetadataTable.source_id == source_id)
        ).all()
    assert names == ["recorded_src.sales.orders"]
