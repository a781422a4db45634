"""Observed lineage: OpenLineage events from running jobs, the datasets and edges they
show, and declared lineage verified against them (docs/openlineage.md)."""
