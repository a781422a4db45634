"""Lineage edges, their source attribution, the audit trail, traversal and impact."""
