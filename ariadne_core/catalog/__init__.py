"""Catalog entities: data sources, tables, fields and their change history."""
