"""The vector index becomes IVFFlat instead of HNSW.

On the benchmark's catalog (210,000 vectors of 384, 100 questions) HNSW found 0.69 of
the exact ten nearest at its default width (1.3 ms a search) and 0.94 at eight times
that width (7.7 ms); IVFFlat with 1,000 lists finds 0.89 at 10 probes (1.3 ms) and 0.96
at 20 (2.3 ms), and builds in 16 s instead of 39 s (docs/ai.md, benchmarks/ai.py).

The lists follow the vectors stored when the index is built (one per ~200, at least
one); `ariadne_core.embedding.index.embed_catalog` builds it again when that number has
moved far from them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTORS_PER_LIST = 200  # as ariadne_core.db.vectors (a migration keeps its own copy)
MAX_LISTS = 10_000


def upgrade() -> None:
    stored = op.get_bind().exec_driver_sql("SELECT count(*) FROM embeddings").scalar() or 0
    lists = max(1, min(MAX_LISTS, int(stored) // VECTORS_PER_LIST))
    op.execute("DROP INDEX IF EXISTS ix_embeddings_vector")
    op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.execute(
        "CREATE INDEX ix_embeddings_vector ON embeddings USING ivfflat "
        f"(embedding vector_ip_ops) WITH (lists = {lists:d})"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_embeddings_vector")
    op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.execute(
        "CREATE INDEX ix_embeddings_vector ON embeddings USING hnsw "
        "(embedding vector_ip_ops) WITH (m = 16, ef_construction = 64)"
    )
