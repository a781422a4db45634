"""Catalog health as an asset: what the catalog holds, and how its lineage is attributed."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from ariadne_core.catalog.summary import summarize_catalog
from ariadne_pipelines.resources import CatalogDatabase


@asset(
    group_name="catalog",
    description="Counts of sources, tables, fields and lineage edges by lineage_source "
    "(inferred, manual, approved), and the steward review backlog.",
    kinds={"postgres"},
)
def catalog_summary(
    context: AssetExecutionContext, catalog_db: CatalogDatabase
) -> MaterializeResult:
    with catalog_db.session() as session:
        summary = summarize_catalog(session)
    context.log.info(
        f"{summary.tables} tables, {summary.table_edges} table edges, "
        f"{summary.edges_pending_review} edges awaiting review"
    )
    return MaterializeResult(
        metadata={
            "sources": MetadataValue.int(summary.sources),
            "active_sources": MetadataValue.int(summary.active_sources),
            "tables": MetadataValue.int(summary.tables),
            "deleted_tables": MetadataValue.int(summary.deleted_tables),
            "fields": MetadataValue.int(summary.fields),
            "table_edges": MetadataValue.int(summary.table_edges),
            "field_edges": MetadataValue.int(summary.field_edges),
            "table_edges_by_lineage_source": MetadataValue.json(summary.table_edges_by_source),
            "field_edges_by_lineage_source": MetadataValue.json(summary.field_edges_by_source),
            "edges_pending_review": MetadataValue.int(summary.edges_pending_review),
        }
    )
