"""Connectors: read table and field metadata from the systems Ariadne harvests."""
