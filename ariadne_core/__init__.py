"""Ariadne's domain: catalog, lineage, security and storage.

Nothing here imports Dagster or FastAPI; the pipelines and the API both build on it.
"""

__version__ = "0.1.0"
