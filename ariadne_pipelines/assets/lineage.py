"""The Neo4j projection of the lineage graph, rebuilt from PostgreSQL (the source of truth),
and how far the projection had drifted from it, as an asset check."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ariadne_core.config import get_settings
from ariadne_core.graph.sync import Drift, projection_drift, rebuild
from ariadne_pipelines.resources import CatalogDatabase, LineageGraphDatabase

DRIFT_CHECK = "neo4j_matched_postgres"


@asset(
    group_name="lineage",
    description="Reloads the lineage graph into Neo4j from PostgreSQL. Its check says how "
    "far the projection had drifted from PostgreSQL before the reload: a warning for any "
    "drift, an error past ARIADNE_GRAPH_DRIFT_ERROR (a share of the edges).",
    kinds={"neo4j", "postgres"},
    check_specs=[
        AssetCheckSpec(
            DRIFT_CHECK,
            asset="lineage_graph",
            description="Before the reload, Neo4j held the same edges, per kind and "
            "status, as PostgreSQL (the relay kept up).",
        )
    ],
)
def lineage_graph(
    context: AssetExecutionContext,
    catalog_db: CatalogDatabase,
    lineage_graph_db: LineageGraphDatabase,
) -> MaterializeResult:
    with lineage_graph_db.store() as store, catalog_db.session() as session:
        drift = projection_drift(store, session)
        loaded = rebuild(store, session)
    context.log.info(f"loaded {loaded}; drift before the rebuild: {drift.edges} edges")
    return MaterializeResult(
        metadata={
            "table_edges": MetadataValue.int(loaded["table_edges"]),
            "field_edges": MetadataValue.int(loaded["field_edges"]),
            "drift_edges": MetadataValue.int(drift.edges),
        },
        check_results=[drift_check(drift, get_settings().graph_drift_error)],
    )


def drift_check(drift: Drift, error_share: float) -> AssetCheckResult:
    """Passed without drift; a warning with some; an error past ``error_share``."""
    error = drift.edges > 0 and drift.share > error_share
    keys = sorted(drift.postgres.keys() | drift.neo4j.keys())
    return AssetCheckResult(
        check_name=DRIFT_CHECK,
        passed=drift.edges == 0,
        severity=AssetCheckSeverity.ERROR if error else AssetCheckSeverity.WARN,
        description=(
            "Neo4j matched PostgreSQL."
            if drift.edges == 0
            else f"Neo4j differed from PostgreSQL by {drift.edges} edges "
            f"({drift.share:.2%}; an error past {error_share:.2%}); the reload fixed it. "
            "Check that the API's relay to Neo4j is running."
        ),
        metadata={
            "drift_edges": MetadataValue.int(drift.edges),
            "drift_share": MetadataValue.float(round(drift.share, 6)),
            "by_kind_and_status": MetadataValue.json(
                {
                    k: {"postgres": drift.postgres.get(k, 0), "neo4j": drift.neo4j.get(k, 0)}
                    for k in keys
                }
            ),
        },
    )
