"""Harvesting: apply what connectors read to the catalog, as incremental syncs."""
