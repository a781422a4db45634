"""Local runtime: the embedded PostgreSQL and the test services (Redis, Neo4j)."""

from pathlib import Path

# The checkout that holds dagster.yaml, workspace.yaml and tools/ (installed editable).
REPO_ROOT = Path(__file__).resolve().parents[2]
