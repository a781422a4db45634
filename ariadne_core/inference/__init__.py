"""Lineage inference (experimental): proposals from SQL, views and pipelines.

`analyze` is the SQL engine; `service` turns its answers into ``inferred`` edges in
the catalog, always ``pending_review``. The confidence rule is in `confidence`.
"""

from ariadne_core.inference.sql import Catalog, ColumnEdge, Lineage, Statement, analyze

__all__ = ["Catalog", "ColumnEdge", "Lineage", "Statement", "analyze"]
