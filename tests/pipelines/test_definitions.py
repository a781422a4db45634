"""The Dagster code location loads, and its asset really reads the catalog."""

from __future__ import annotations

from dagster import AssetCheckSeverity, Definitions, materialize
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.db.models import (
    DataSource,
    LineageSource,
    LineageStatus,
    MetadataTable,
    SourceType,
    TableLineage,
)
from ariadne_core.graph.neo4j_store import Neo4jGraphStore
from ariadne_pipelines.assets.catalog import catalog_summary
from ariadne_pipelines.definitions import defs
from ariadne_pipelines.resources import CatalogDatabase


def test_definitions_are_loadable() -> None:
    Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()} == {
        "catalog_summary",
        "lineage_graph",
        "source_metadata",
        "inferred_lineage",
        "metadata_embeddings",
        "observed_lineage",
        "lineage_verification",
        "schema_changes",
        "schema_change_notifications",
    }
    assert repo.get_schedule_def("notification_retries").job_name == (
        "schema_change_notifications_job"
    )
    checks = {key.name for key in repo.asset_graph.asset_check_keys}
    assert "schema_change_alerts" in checks
    assert repo.get_schedule_def("hourly_catalog_summary").cron_schedule == "0 * * * *"
    assert repo.get_sensor_def("observed_lineage_pending").job_name == "observed_lineage_job"
    assert repo.get_schedule_def("daily_lineage_verification").job_name == (
        "lineage_verification_job"
    )
    assert repo.get_schedule_def("hourly_embeddings").job_name == "metadata_embeddings_job"
    assert repo.get_sensor_def("embeddings_after_catalog_change").job_name == (
        "metadata_embeddings_job"
    )
    bulk = repo.get_job("bulk_import")
    assert [node.name for node in bulk.nodes_in_topological_order] == [
        "validate_import",
        "commit_import",
    ]


def test_catalog_summary_counts_what_is_in_the_database(make_database, engine) -> None:  # type: ignore[no-untyped-def]
    from ariadne_core.db import migrate
    from ariadne_core.db.engine import engine_for

    url = make_database("ariadne_dagster")
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        source = DataSource(name="warehouse", type=SourceType.MANUAL)
        session.add(source)
        session.flush()
        tables = [
            MetadataTable(
                source_id=source.id,
                name=f"t{i}",
                schema_name="sales",
                qualified_name=f"warehouse.sales.t{i}",
            )
            for i in range(3)
        ]
        session.add_all(tables)
        session.flush()
        session.add_all(
            [
                TableLineage(
                    source_table_id=tables[0].id,
                    target_table_id=tables[1].id,
                    lineage_source=LineageSource.MANUAL,
                    origin=LineageSource.MANUAL,
                ),
                TableLineage(
                    source_table_id=tables[1].id,
                    target_table_id=tables[2].id,
                    lineage_source=LineageSource.INFERRED,
                    origin=LineageSource.INFERRED,
                    confidence=0.4,
                    status=LineageStatus.PENDING_REVIEW,
                ),
            ]
        )
        session.commit()

    result = materialize(
        [catalog_summary], resources={"catalog_db": CatalogDatabase(database_url=url)}
    )
    assert result.success
    metadata = result.asset_materializations_for_node("catalog_summary")[0].metadata
    assert metadata["sources"].value == 1
    assert metadata["tables"].value == 3
    assert metadata["table_edges"].value == 2
    assert metadata["table_edges_by_lineage_source"].value == {
        "inferred": 1,
        "manual": 1,
        "approved": 0,
    }
    assert metadata["edges_pending_review"].value == 1


def test_lineage_graph_rebuilds_neo4j_and_reports_drift(make_database, neo4j_service) -> None:  # type: ignore[no-untyped-def]
    from neo4j import GraphDatabase

    from ariadne_core.db import migrate
    from ariadne_core.db.engine import engine_for
    from ariadne_pipelines.assets.lineage import lineage_graph
    from ariadne_pipelines.resources import LineageGraphDatabase

    url = make_database("ariadne_graph_asset")
    migrate.upgrade(url)
    with Session(engine_for(url)) as session:
        source = DataSource(name="g", type=SourceType.MANUAL)
        session.add(source)
        session.flush()
        tables = [
            MetadataTable(source_id=source.id, name=f"t{i}", qualified_name=f"g.t{i}")
            for i in range(4)
        ]
        session.add_all(tables)
        session.flush()
        session.add_all(
            [
                TableLineage(
                    source_table_id=tables[i].id,
                    target_table_id=tables[i + 1].id,
                    lineage_source=LineageSource.MANUAL,
                    origin=LineageSource.MANUAL,
                )
                for i in range(3)
            ]
        )
        session.commit()
    resources = {
        "catalog_db": CatalogDatabase(database_url=url),
        "lineage_graph_db": LineageGraphDatabase(
            uri=neo4j_service["uri"], password=neo4j_service["password"]
        ),
    }
    driver = GraphDatabase.driver(
        neo4j_service["uri"], auth=(neo4j_service["user"], neo4j_service["password"])
    )
    try:
        Neo4jGraphStore(driver).clear()
        first = materialize([lineage_graph], resources=resources, raise_on_error=False)
        meta = first.asset_materializations_for_node("lineage_graph")[0].metadata
        assert (meta["table_edges"].value, meta["drift_edges"].value) == (3, 3)
        (check,) = first.get_asset_check_evaluations()
        assert not check.passed and check.severity == AssetCheckSeverity.ERROR  # all missing
        records, _, _ = driver.execute_query(
            "MATCH (:Table)-[e:FEEDS]->(:Table) RETURN count(e) AS n"
        )
        assert records[0]["n"] == 3
        second = materialize([lineage_graph], resources=resources)
        meta = second.asset_materializations_for_node("lineage_graph")[0].metadata
        assert meta["drift_edges"].value == 0  # in sync: nothing drifted
        (check,) = second.get_asset_check_evaluations()
        assert check.passed
        # A status change that never reached Neo4j (written behind the relay's back).
        with Session(engine_for(url)) as session:
            session.execute(
                text(
                    "UPDATE table_lineage SET status = 'deprecated' WHERE id = "
                    "(SELECT id FROM table_lineage LIMIT 1)"
                )
            )
            session.commit()
        third = materialize([lineage_graph], resources=resources, raise_on_error=False)
        (check,) = third.get_asset_check_evaluations()
        assert not check.passed
        assert (
            check.metadata["drift_edges"].value == 2
        )  # one active too many, one deprecated missing
    finally:
        Neo4jGraphStore(driver).clear()
        driver.close()


def test_drift_is_a_warning_below_the_error_share_and_an_error_past_it() -> None:
    from ariadne_core.graph.sync import Drift
    from ariadne_pipelines.assets.lineage import drift_check

    small = Drift(postgres={"table/active": 1000}, neo4j={"table/active": 999})
    assert drift_check(small, 0.01).severity == AssetCheckSeverity.WARN
    assert drift_check(small, 0.0001).severity == AssetCheckSeverity.ERROR
    assert drift_check(Drift(postgres={"table/active": 5}, neo4j={"table/active": 5}), 0.01).passed
